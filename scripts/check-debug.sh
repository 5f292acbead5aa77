#!/bin/bash
# `make check-debug`: the whole selftest suite on a KASAN + UBSAN + lockdep +
# PROVE_RCU + kmemleak kernel (scripts/debug-kernel.sh builds it once and
# caches it), then kmemleak after unloading nflb. Any kernel splat (the VM
# runner and run_tests.sh scan the log) or leak fails.
#
# Steps: the debug kernel (cached); nflb built against its tree from a copy
# of the sources (make -C TREE M=COPY: the repo's own kmod/ keeps the stock
# kernel's build, which make check and others use meanwhile); lbctl and the
# C selftests for the host (the guest runs the host's binaries); one VM
# boot of the debug kernel with the same runner as make check.
# The stress/fuzz tests run at full size (NFLB_ROBUST_FULL=1) and every
# per-test limit is NFLB_TIMEOUT_SCALE (default 4) times longer.
#
# Output: KTAP like make check; last line "N passed, N failed, N skipped".
# Env: T (test name filters, as for make check), NFLB_VM_MEM (default 2048M).
set -u
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
T=${T:-}
logs=$repo/.cache/check-debug
rm -rf "$logs"
mkdir -p "$logs"
t0=$(date +%s)

passed=0 failed=0 skipped=0 n=0
ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)) failed=$((failed + 1))
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 40 "$2" | sed 's/^/    # /'
	echo "not ok $n - $1${2:+ # log: ${2#"$repo"/}}"
}
finish() {
	echo "# check-debug took $(($(date +%s) - t0))s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

# shellcheck disable=SC2086
# the whole suite: make check's and the full-only tests (NFLB_ROBUST_FULL below)
ntests=$(NFLB_ROBUST_FULL=${NFLB_ROBUST_FULL:-1} selftests/run_tests.sh --list $T | wc -l)
echo "TAP version 13"
echo "1..$((4 + ntests))"

# 1. The kernel (built once, ~10 min on 2 idle cores).
l=$logs/debug-kernel.log
if ! dk=$(scripts/debug-kernel.sh 2>"$l"); then
	fail "debug kernel: build" "$l"
	finish
fi
krel=$(cat "$dk/krel")
ok "debug kernel $krel ($dk; built in $(cat "$dk/build-seconds")s; every config option verified)"

# 2. nflb against it, from a copy outside the repo (make clean in the repo
# deletes objects anywhere under it, .cache included).
b=${XDG_CACHE_HOME:-$HOME/.cache}/nflb/check-debug/$(printf '%s' "$repo" | sha256sum | cut -c1-8)
l=$logs/module.log
rm -rf "$b"
mkdir -p "$b/mod/kmod" "$b/lbctl"
cp -r Kbuild uapi "$b/mod/" && cp kmod/Kbuild kmod/*.[ch] "$b/mod/kmod/" &&
	rm -f "$b/mod/kmod/"*.mod.c
if make -C "$dk/src" M="$b/mod" W=1 modules >"$l" 2>&1 && [ -f "$b/mod/kmod/nflb.ko" ]; then
	ok "kmod: built against the debug kernel ($(grep -c 'warning:' "$l") warnings)"
else
	fail "kmod: built against the debug kernel" "$l"
	finish
fi

# 3. Host binaries: lbctl (a private copy, for the same reason) and the C
# selftests and tools (built in place, as make check does).
l=$logs/userspace.log
if cp lbctl/*.[ch] lbctl/Makefile "$b/lbctl/" && cp -r uapi "$b/" &&
	make -C "$b/lbctl" >"$l" 2>&1 &&
	src=$(scripts/linux-source.sh 2>>"$l") &&
	make -C selftests KSELFTEST_DIR="$src/tools/testing/selftests" >>"$l" 2>&1; then
	ok "lbctl and C selftests built"
else
	fail "lbctl and C selftests built" "$l"
	finish
fi

# 4. The suite in one boot, kmemleak around it.
res=$logs/vm
mkdir -p "$res"
cmd="export LBCTL=$b/lbctl/lbctl; selftests/vm/kmemleak.sh begin; selftests/run_tests.sh"
for f in $T; do printf -v cmd '%s %q' "$cmd" "$f"; done
cmd="$cmd; rc=\$?; selftests/vm/kmemleak.sh end || rc=1; exit \$rc"
echo "# selftests on $krel in a VM (selftests/vm/run.sh); logs in ${logs#"$repo"/}"
NFLB_KTAP_BASE="$passed $failed $skipped" NFLB_VM_RESULTS=$res \
	NFLB_VM_KERNEL=$dk/bzImage NFLB_VM_MODDIR=$dk/modroot/lib/modules/$krel \
	NFLB_VM_APPEND="pci=noacpi no_hash_pointers ${NFLB_VM_APPEND:-}" \
	NFLB_VM_TIMEOUT=${NFLB_VM_TIMEOUT:-10800} NFLB_KO=$b/mod/kmod/nflb.ko \
	NFLB_ROBUST_FULL=${NFLB_ROBUST_FULL:-1} NFLB_TIMEOUT_SCALE=${NFLB_TIMEOUT_SCALE:-4} \
	selftests/vm/run.sh "$cmd" 2>&1
rc=$?
if [ -s "$res/tally" ]; then
	read -r passed failed skipped <"$res/tally"
	n=$((passed + failed + skipped))
fi
if [ "$(cat "$res/kmemleak" 2>/dev/null)" = ok ]; then
	ok "kmemleak: no leaks after the suite (rmmod, two scans)"
elif [ -s "$res/kmemleak" ]; then
	fail "kmemleak: $(cat "$res/kmemleak") (report above; ${res#"$repo"/}/console.log)"
else
	fail "kmemleak: not run (guest died or the suite timed out; exit $rc)"
fi
if [ -e "$res/runner-failed" ] || [ ! -s "$res/tally" ]; then
	fail "selftests run on the debug kernel (exit $rc; kernel log: ${res#"$repo"/}/console.log)"
fi
finish
