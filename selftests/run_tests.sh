#!/bin/bash
# Run the selftests listed in selftests/TESTS (as root, with nflb loadable: normally
# inside the VM via selftests/vm/run.sh). Prints each test's KTAP output indented,
# a top-level "ok N - name" / "not ok" / "# SKIP" line per test, and finally
# "N passed, N failed, N skipped". Exit 1 if any test failed.
#
#   run_tests.sh [FILTER...]   run only tests whose path contains a FILTER
#   run_tests.sh --list [FILTER...]   print the selected test paths
#
# TESTS: one path per line relative to selftests/ (or absolute), '#' starts a
# comment, and a trailing "# timeout=N" overrides the default per-test timeout
# (300 s), and "full-only" leaves a test out of the whole suite unless
# NFLB_ROBUST_FULL=1 (make check-debug sets it; a FILTER naming it still
# selects it). NFLB_TESTS=FILE uses another list instead.
# NFLB_KTAP_BASE="P F S" continues numbering and tally after checks already
# reported (make check's host checks), so the last line covers everything.
set -u
# Braces: bash reads the whole script before running it, so editing this file
# while it runs (a long make check) cannot break the run.
{
here=$(cd "$(dirname "$0")" && pwd)
export NFLB_SRC=${NFLB_SRC:-$(cd "$here/.." && pwd)}
export NFLB_KO=${NFLB_KO:-$NFLB_SRC/kmod/nflb.ko}
export LBCTL=${LBCTL:-$NFLB_SRC/lbctl/lbctl}
export TMPDIR=${TMPDIR:-/tmp}

list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi

# Selected tests as "path timeout" lines.
select_tests() {
	local line path tmo f
	while IFS= read -r line || [ -n "$line" ]; do
		path=${line%%#*}
		path=${path//[[:space:]]/}
		[ -n "$path" ] || continue
		tmo=300
		if [[ $line =~ timeout=([0-9]+) ]]; then
			tmo=${BASH_REMATCH[1]}
		fi
		if [ $# -gt 0 ]; then
			for f in "$@"; do
				[[ $path == *"$f"* ]] && break
			done
			[[ $path == *"$f"* ]] || continue
		elif [[ $line =~ \#.*full-only ]] && [ "${NFLB_ROBUST_FULL:-0}" != 1 ]; then
			# the whole suite of make check leaves it to make check-debug
			continue
		fi
		# NFLB_TIMEOUT_SCALE=N: N times longer limits (slow debug kernels)
		echo "$path $((tmo * ${NFLB_TIMEOUT_SCALE:-1}))"
	done <"${NFLB_TESTS:-$here/TESTS}"
}

tests=()
mapfile -t tests < <(select_tests "$@")
if [ "$list" -eq 1 ]; then
	for t in "${tests[@]}"; do echo "${t% *}"; done
	exit 0
fi

read -r passed failed skipped <<<"${NFLB_KTAP_BASE:-0 0 0}"
n=$((passed + failed + skipped))
if [ -z "${NFLB_KTAP_BASE:-}" ]; then
	echo "TAP version 13"
	echo "1..${#tests[@]}"
fi
[ ${#tests[@]} -gt 0 ] || echo "# no tests selected${1:+ by: $*}"

# Counts so far, for make check to pick up even if the guest dies mid-run.
tally() {
	[ -z "${NFLB_RESULTS:-}" ] || echo "$passed $failed $skipped" >"$NFLB_RESULTS/tally"
}
tally

klog=$(mktemp "$TMPDIR/klog.XXXXXX")
trap 'rm -f "$klog"' EXIT

for t in "${tests[@]}"; do
	path=${t% *} tmo=${t##* }
	exe=$here/$path
	[[ $path == /* ]] && exe=$path
	n=$((n + 1))
	echo "# selftests: $path"
	if [ ! -x "$exe" ]; then
		echo "not ok $n - $path # missing or not executable"
		failed=$((failed + 1))
		tally
		continue
	fi
	# A marker in the kernel log lets us look at this test's messages only.
	marker="nflb-selftest: begin $path $n"
	echo "$marker" >/dev/kmsg 2>/dev/null || marker=""
	start=$(date +%s)
	(cd "$(dirname "$exe")" && exec timeout -k 10 "$tmo" "$exe") 2>&1 |
		sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	echo "# $path: exit $rc after $(($(date +%s) - start))s"

	# Leftover module: unload it, so leaks show up (in this test's log) and the
	# next test starts clean.
	if grep -q '^nflb ' /proc/modules 2>/dev/null; then
		echo "# $path left nflb loaded; unloading"
		rmmod nflb 2>&1 | sed 's/^/# /'
	fi
	splat=0
	if [ -n "$marker" ]; then
		dmesg | awk -v m="$marker" 'index($0, m) { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }' >"$klog"
		"$here/vm/scan-klog.sh" "$klog" 2>&1 | sed 's/^/# /'
		[ "${PIPESTATUS[0]}" -eq 0 ] || splat=1
	fi

	if [ "$splat" -eq 1 ]; then
		echo "not ok $n - $path # kernel log problem (above)"
		failed=$((failed + 1))
	elif [ "$rc" -eq 0 ]; then
		echo "ok $n - $path"
		passed=$((passed + 1))
	elif [ "$rc" -eq 4 ]; then
		echo "ok $n - $path # SKIP"
		skipped=$((skipped + 1))
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok $n - $path # TIMEOUT after ${tmo}s"
		failed=$((failed + 1))
	else
		echo "not ok $n - $path # exit $rc"
		failed=$((failed + 1))
	fi
	tally
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
exit
}
