#!/bin/bash
# `make check`: host checks (module W=1 build, checkpatch, sparse, lbctl -Werror,
# C selftests build, layers, the VM runner from a checkout under /tmp, the sync
# tests' MAC code against its test vectors), then every
# selftest in the VM (or on this host with VM=0).
# KTAP output; each host check counts as one test; the last line is the tally
# "N passed, N failed, N skipped" over everything. Exit 1 on any failure.
# Env (set by the Makefile): KDIR, T (selftest name filters), VM (0 = no VM).
set -u
# Braces: bash reads the whole script before running it, so editing this file
# while it runs (a long make check) cannot break the run.
{
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
: "${KDIR:?KDIR not set (run via make check)}"
T=${T:-}
VM=${VM:-1}
logs=$repo/.cache/check
rm -rf "$logs"
mkdir -p "$logs"

passed=0 failed=0 skipped=0 n=0
ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)) skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }
# fail DESC LOG: print the log's relevant part indented, as KTAP diagnostics.
fail() {
	n=$((n + 1)) failed=$((failed + 1))
	sed 's/^/    # /' "$2" | head -n 150
	echo "not ok $n - $1 # full log: ${2#"$repo"/}"
}
# Our builds are independent of the make that ran us: its flags (a jobserver we
# do not get, T=...) would only add noise ("warning: jobserver unavailable").
unset MAKEFLAGS MFLAGS MAKELEVEL
jobs=(-j"$(nproc)")
# Lines that make a build "not clean".
warnings() { grep -E '(warning|error):|^(WARNING|ERROR):' "$1"; }

# shellcheck disable=SC2086
mapfile -t tests < <(selftests/run_tests.sh --list $T)
ntests=${#tests[@]}
start=$(date +%s)
echo "TAP version 13"
echo "1..$((8 + ntests))"
echo "# host checks (kernel headers: $KDIR)"

# 1. The module, rebuilt from scratch with W=1: warnings only show on compile.
l=$logs/module-w1.log
make -C "$KDIR" M="$repo" clean >/dev/null 2>&1
make "${jobs[@]}" -C "$KDIR" M="$repo" W=1 modules >"$l" 2>&1
mrc=$?
warnings "$l" >"$l.hits"
if [ "$mrc" -eq 0 ] && [ ! -s "$l.hits" ]; then
	# <linux/nflb.h> must resolve to uapi/ in this tree (see Kbuild).
	if grep -h 'linux/nflb\.h' kmod/.*.o.cmd | grep -v "$repo/uapi/linux/nflb.h" >"$l.hits"; then
		echo "kmod: <linux/nflb.h> resolved outside $repo/uapi:" | cat - "$l.hits" >"$l"
		fail "kmod: W=1 build, no warnings" "$l"
	else
		ok "kmod: W=1 build, no warnings"
	fi
else
	{ cat "$l.hits"; echo "--- tail of the build log:"; tail -n 30 "$l"; } >"$l.show"
	fail "kmod: W=1 build, no warnings" "$l.show"
fi

# 2. checkpatch --strict, from Debian's linux-source (not on the generated nflb.mod.c).
l=$logs/checkpatch.log
srcs=()
for f in kmod/*.[ch]; do
	[[ $f == *.mod.c ]] || srcs+=("$f")
done
if ! src=$(scripts/linux-source.sh 2>"$l"); then
	fail "kmod: checkpatch --strict" "$l"
elif perl "$src/scripts/checkpatch.pl" --strict --no-tree --show-types --color=never --quiet \
	-f "${srcs[@]}" uapi/linux/nflb.h >"$l" 2>&1; then
	ok "kmod: checkpatch --strict"
else
	fail "kmod: checkpatch --strict" "$l"
fi

# 3. sparse over every source file (C=2 checks all; W=1 as above, so nothing is
# recompiled).
l=$logs/sparse.log
if ! command -v sparse >/dev/null; then
	skip "kmod: sparse" "sparse not installed"
elif make "${jobs[@]}" -C "$KDIR" M="$repo" W=1 C=2 modules >"$l" 2>&1 &&
	! warnings "$l" >"$l.hits"; then
	ok "kmod: sparse"
else
	{ warnings "$l"; echo "--- tail of the log:"; tail -n 20 "$l"; } >"$l.show"
	fail "kmod: sparse" "$l.show"
fi

# 4. lbctl with warnings as errors, rebuilt from scratch.
l=$logs/lbctl.log
if make -C lbctl clean >/dev/null 2>&1 &&
	make "${jobs[@]}" -C lbctl CFLAGS_EXTRA="-Wall -Wextra -Werror" >"$l" 2>&1 && ! warnings "$l" >/dev/null; then
	ok "lbctl: build with -Wall -Wextra -Werror"
else
	fail "lbctl: build with -Wall -Wextra -Werror" "$l"
fi

# 5. C selftests (built here, run in the VM).
l=$logs/selftests.log
if src=$(scripts/linux-source.sh 2>"$l") &&
	make "${jobs[@]}" -C selftests KSELFTEST_DIR="$src/tools/testing/selftests" >>"$l" 2>&1 &&
	! warnings "$l" >/dev/null; then
	ok "selftests: build C tests"
else
	fail "selftests: build C tests" "$l"
fi

# 6. kmod/ calls flow one way: each
# file calls only files below it in kmod/layers.  The same check with the
# layers upside down must fail, or it checks nothing.
l=$logs/layers.log
tac kmod/layers | grep -v '^#' >"$logs/layers.reversed"
if scripts/check-layers.sh kmod/layers kmod >"$l" 2>&1 &&
	! scripts/check-layers.sh "$logs/layers.reversed" kmod >>"$l" 2>&1; then
	ok "kmod: layering, every call goes down (kmod/layers)"
else
	fail "kmod: layering, every call goes down (kmod/layers)" "$l"
fi

# 7. The VM runner works from a checkout anywhere, also under /tmp, which the
# guest mounts a tmpfs over (one extra boot, ~10 s).
l=$logs/anywhere.log
desc="vm: run.sh from a checkout under /tmp"
if [ "$VM" = 0 ]; then
	skip "$desc" "VM=0"
else
	selftests/vm/anywhere.sh /tmp >"$l" 2>&1
	case $? in
	0) ok "$desc" ;;
	4) skip "$desc" "$(sed -n 's/.*# SKIP //p' "$l" | head -n 1)" ;;
	*) fail "$desc" "$l" ;;
	esac
fi
# 8. The sync tests' own MAC code (XChaCha20-Poly1305 in Python, which crafts
# and checks datagrams in sync_basic) against the published test vectors.
l=$logs/sync-craft.log
if python3 selftests/tools/sync_craft.py --selftest >"$l" 2>&1; then
	ok "selftests: sync_craft.py's MAC matches the RFC 8439 / XChaCha vectors"
else
	fail "selftests: sync_craft.py's MAC matches the RFC 8439 / XChaCha vectors" "$l"
fi
echo "# host checks took $(($(date +%s) - start))s"

# Selftests. run_tests.sh continues our numbering and tally, and leaves its counts
# in the results dir, also when the guest dies half-way.
res=$logs/vm
mkdir -p "$res"
export NFLB_KTAP_BASE="$passed $failed $skipped"
printf -v cmd 'selftests/run_tests.sh'
for f in $T; do printf -v cmd '%s %q' "$cmd" "$f"; done
if [ "$VM" = 0 ]; then
	echo "# selftests on this host (VM=0)"
	if [ "$(id -u)" -ne 0 ]; then
		echo "# VM=0 needs root"
		rc=1
	else
		# shellcheck disable=SC2086 # T is a list of words
		NFLB_RESULTS=$res selftests/run_tests.sh $T
		rc=$?
	fi
else
	echo "# selftests in a VM (selftests/vm/run.sh)"
	# The suite is meant to take under 20 minutes on an idle 2-core machine;
	# a loaded one takes several times that. The hard limit only has to catch
	# a hung VM within CI's 90 minutes.
	NFLB_VM_TIMEOUT=${NFLB_VM_TIMEOUT:-4200} NFLB_VM_RESULTS=$res \
		selftests/vm/run.sh "$cmd" 2>&1
	rc=$?
fi

# The last line must be the tally over everything. Tests the VM never got to
# (timeout, crash) count as failures; so does a problem only the runner saw (a
# kernel splat outside any test). After the runner's own messages, print the
# tally again.
hostn=$n
if [ -s "$res/tally" ]; then
	read -r passed failed skipped <"$res/tally"
fi
n=$((passed + failed + skipped))
again=0
for ((i = n - hostn; i < ntests; i++)); do
	n=$((n + 1)) failed=$((failed + 1)) again=1
	echo "not ok $n - ${tests[i]} # not finished: the VM run ended early (exit $rc)"
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	n=$((n + 1)) failed=$((failed + 1)) again=1
	echo "not ok $n - selftests run (exit $rc; kernel log: .cache/check/vm/console.log)"
fi
if [ "$again" -eq 1 ] || [ -e "$res/runner-failed" ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
fi
[ "$failed" -eq 0 ]
exit
}
