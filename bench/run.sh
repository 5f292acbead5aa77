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
#   NFLB_BENCH_SYNC_VM  0: no two-VM sync measurement (on by default when the
#                       phases include sync, or syncvm: that one alone; see
#                       sync_vm below)
#   NFLB_BENCH_SYNC_VM_ROUNDS  its rounds (6)
#   NFLB_BENCH_SYNC_VM_SECS    virtual seconds a rate there (8: its rates move
#                       more from round to round than the main run's; 3-s
#                       rounds gave differences from -3,000 to 10,000)
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

# sync_vm: what sync costs the creating node, each node in a VM of its own.
# In the one guest above both nodes share the count, and the split between
# them leans on a trace; here node 2 (bench/syncpeer.sh) runs in a second VM
# on a virtio link, and the first VM's count is the creating node's alone:
# its rounds of nflb and nflbsync (TCP).  Both VMs count instructions as the
# bench does, but spend idle time, and are held back to, real time, so that
# their clocks (heartbeats, acks, timeouts) agree.
sync_vm()
{
	local two=$run/two port=$((20000 + $$ % 20000)) key prc

	mkdir -p "$two/peer" || return 1
	key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	echo "bench: two-VM sync measurement in ${two#"$repo"/}"
	NFLB_VM_ICOUNT=align NFLB_VM_MEM=1024M NFLB_VM_NET=$((port + 1)):$port \
		NFLB_VM_TIMEOUT=900 NFLB_VM_RESULTS=$two/peer NFLB_KO=$run/nflb.ko \
		NFLB_BENCH_SYNC_KEY=$key LBCTL=$run/lbctl \
		selftests/vm/run.sh "LBCTL=$run/lbctl bench/syncpeer.sh" >"$two/peer.log" 2>&1 &
	prc=$!
	NFLB_VM_ICOUNT=align NFLB_VM_MEM=2048M NFLB_VM_NET=$port:$((port + 1)) \
		NFLB_VM_TIMEOUT=900 NFLB_VM_RESULTS=$two \
		NFLB_BENCH_KO=$run/nflb.ko NFLB_BENCH_LBCTL=$run/lbctl NFLB_BENCH_TOOL=$run/lbbench \
		NFLB_BENCH_PHASES="tcp syncvm" NFLB_BENCH_METHODS="plain nflb nflbsync" \
		NFLB_BENCH_ROUNDS=${NFLB_BENCH_SYNC_VM_ROUNDS:-6} NFLB_BENCH_SECS=${NFLB_BENCH_SYNC_VM_SECS:-8} \
		NFLB_BENCH_SYNC_KEY=$key \
		NFLB_BENCH_SYNC_PEER=$two/peer \
		selftests/vm/run.sh "BENCH_OUT=$two bench/bench.sh"
	local rc=$?
	echo quit >"$two/peer/req.quit.tmp"
	# the peer reads its requests in order: "quit" goes after the last
	local n=1
	while [ -e "$two/peer/req.$n" ]; do n=$((n + 1)); done
	mv "$two/peer/req.quit.tmp" "$two/peer/req.$n"
	wait $prc || { echo "bench: the peer VM failed (${two#"$repo"/}/peer.log)" >&2; rc=1; }
	return $rc
}
two=()
case " ${NFLB_BENCH_PHASES:-sync} " in
*" sync "* | *" syncvm "*)
	if [ "${NFLB_BENCH_SYNC_VM:-1}" != 0 ]; then
		sync_vm || rc=1
		[ -s "$run/two/raw.jsonl" ] && two=(--two "$run/two/raw.jsonl")
	fi
	;;
esac
t_vm=$(date +%s)

mkdir -p "$out"
python3 bench/report.py "$run/raw.jsonl" "$out" --wall "$((t_vm - t_start))" "${two[@]}" || rc=1
echo "bench: $(($(date +%s) - t_start)) s in all; report in ${out#"$repo"/}/latest.txt"
exit $rc
