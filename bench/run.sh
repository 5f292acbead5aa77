#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boot the benchmark VM once (1 vCPU, QEMU -icount: the guest clock
# counts instructions, so rates are instruction-deterministic), run bench/bench.sh
# in it, then turn its raw figures into bench/results/latest.{json,txt,png}.
# Stops by itself: the VM is killed after NFLB_BENCH_VM_TIMEOUT seconds (900),
# and bench.sh skips what would not fit in its budget (NFLB_BENCH_BUDGET, 780 s).
#
# Environment: see bench/bench.sh (NFLB_BENCH_*), plus
#   NFLB_BENCH_RESULTS  where the report goes (default bench/results)
#   NFLB_BENCH_VM_MEM   VM memory (3072M; a million sessions need ~250 MB)
set -u
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
t_start=$(date +%s)
out=${NFLB_BENCH_RESULTS:-$repo/bench/results}

mkdir -p "$repo/.cache/vm" || exit 1
find "$repo/.cache/vm" -maxdepth 1 -name 'bench.*' -type d -mmin +1440 -exec rm -rf {} + 2>/dev/null
run=$(mktemp -d "$repo/.cache/vm/bench.XXXXXX") || exit 1
# Snapshots of what runs in the VM: a rebuild on the host meanwhile (make check
# does `make clean`) must not change the binaries under a running benchmark.
cp kmod/nflb.ko lbctl/lbctl bench/lbbench "$run/" || exit 1

# The host's wall clock, for the guest's time budget (its own clock is virtual).
(
	while [ ! -e "$run/rc" ]; do
		date +%s%3N >"$run/hostclock.tmp" && mv "$run/hostclock.tmp" "$run/hostclock"
		sleep 0.2
	done
) &
clock=$!
trap 'kill $clock 2>/dev/null' EXIT

echo "bench: VM results in ${run#"$repo"/}; progress on stderr"
NFLB_VM_ICOUNT=1 NFLB_VM_MEM=${NFLB_BENCH_VM_MEM:-3072M} \
	NFLB_VM_TIMEOUT=${NFLB_BENCH_VM_TIMEOUT:-900} NFLB_VM_RESULTS=$run \
	NFLB_BENCH_KO=$run/nflb.ko NFLB_BENCH_LBCTL=$run/lbctl NFLB_BENCH_TOOL=$run/lbbench \
	selftests/vm/run.sh "BENCH_OUT=$run bench/bench.sh"
rc=$?
kill $clock 2>/dev/null
t_vm=$(date +%s)

mkdir -p "$out"
python3 bench/report.py "$run/raw.jsonl" "$out" --wall "$((t_vm - t_start))" || rc=1
echo "bench: $(($(date +%s) - t_start)) s in all; report in ${out#"$repo"/}/latest.txt"
exit $rc
