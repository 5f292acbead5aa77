#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbctl_asan: the lbctl CLI tests (lbctl_usage.sh, lbctl_cli.sh) again, with
# lbctl built with AddressSanitizer and UBSan (lbctl/fuzz/lbctl-asan, built
# on the host by `make -C selftests`; the guest runs it with the host's
# libasan).  Sanitizer reports go to files, so the tests see lbctl's normal
# output; any report (memory error, undefined behaviour, leak) fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${NFLB_SRC:=$(cd "$here/.." && pwd)}"
: "${TMPDIR:=/tmp}"
asan=$NFLB_SRC/lbctl/fuzz/lbctl-asan

echo "TAP version 13"
if [ ! -x "$asan" ]; then
	echo "1..0 # SKIP $asan not built (make -C selftests)"
	exit 4
fi
echo "1..3"
logs=$(mktemp -d "$TMPDIR/lbctl-asan.XXXXXX")
trap 'rm -rf "$logs"' EXIT
export LBCTL=$asan
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1"

# The two run side by side (the VM has two CPUs; each is mostly lbctl's
# start-up under the sanitizers): lbctl_usage touches no module state (its
# commands run in a throw-away namespace of their own), so lbctl_cli's
# module load, topology and unload cannot change what it sees.
out=$(mktemp -d "$TMPDIR/lbctl-asan-out.XXXXXX")
trap 'rm -rf "$logs" "$out"' EXIT
tests=(lbctl_usage.sh lbctl_cli.sh)
pids=()
for t in "${tests[@]}"; do
	"$here/$t" >"$out/$t" 2>&1 &
	pids+=($!)
done
n=0 failed=0
for t in "${tests[@]}"; do
	wait "${pids[n]}"
	rc=$?
	n=$((n + 1))
	echo "# $t with $asan"
	sed 's/^/    /' "$out/$t"
	if [ "$rc" -eq 0 ]; then
		echo "ok $n $t with lbctl-asan"
	elif [ "$rc" -eq 4 ]; then
		echo "ok $n $t with lbctl-asan # SKIP"
	else
		echo "not ok $n $t with lbctl-asan (exit $rc)"
		failed=1
	fi
done
reports=$(find "$logs" -type f | sort)
if [ -z "$reports" ]; then
	echo "ok 3 no sanitizer reports"
else
	for f in $reports; do
		echo "# --- $(basename "$f")"
		head -n 60 "$f" | sed 's/^/# /'
	done
	echo "not ok 3 sanitizer reports: $(echo "$reports" | wc -l)"
	failed=1
fi
exit $failed
