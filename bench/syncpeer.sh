#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2015 # "A && B || fail": fail whichever step failed
#
# The second node of the bench's two-VM sync measurement (bench/run.sh,
# NFLB_BENCH_SYNC_VM): run in its own VM, whose virtio NIC is the sync link
# to the VM that runs bench/bench.sh.  There lb is node 1 and creates the
# sessions; here namespace lb2 is node 2, with the same virtual servers and
# sync on for the whole run, and every instruction of its receive is counted
# in this VM, not in lb's.
#
# It serves lbctl commands for bench.sh's lb2() through files in its results
# dir ($NFLB_RESULTS, which bench.sh sees as NFLB_BENCH_SYNC_PEER):
# bench.sh writes req.N (one line: lbctl's arguments, or "quit"), this
# script answers with out.N (lbctl's output, then a last line "rc=STATUS").
# N counts from 1.  "state" says "up" once lb2 is configured and synced, or
# "failed: WHY".
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=selftests/lib.sh
. "$here/../selftests/lib.sh"
# shellcheck source=bench/vs.sh
. "$here/vs.sh"

CTL=$NFLB_RESULTS
NS=nflbpeer-lb2
KEY=${NFLB_BENCH_SYNC_KEY:?}

fail()
{
	echo "failed: $*" >"$CTL/state"
	echo "syncpeer: $*" >&2
	exit 1
}

lb2() { "$LBCTL" -n "$NS" "$@"; }

setup()
{
	local nic

	modprobe virtio_net || fail "modprobe virtio_net"
	for nic in /sys/class/net/*; do
		nic=${nic##*/}
		[ "$nic" != lo ] && break
	done
	[ -e "/sys/class/net/$nic/device" ] || fail "no NIC for the sync link"
	nflb_load || fail "cannot load nflb"
	_ns_init "$NS" && ip link set "$nic" netns "$NS" name eth0 &&
		ip -n "$NS" addr add $SYNC2/24 dev eth0 &&
		ip -n "$NS" link set eth0 up || fail "sync link setup"
	# bench.sh's virtual servers, which its records must match
	vs_batch >"$NFLB_TMP/peer.batch" && lb2 -batch "$NFLB_TMP/peer.batch" &&
		lb2 sync set node-id 2 local $SYNC2 peer $SYNC1 key "$KEY" redirect off &&
		lb2 sync wait timeout 30 || fail "lb2 configuration"
	echo up >"$CTL/state"
}

# serve: answer req.N in turn until "quit" (or the runner's timeout).  The
# wait between looks is read's timeout on a pipe nobody writes: a sleep(1)
# a look (a fork and an exec) would cost this VM more than its sync work,
# and it runs as fast as real time only while it keeps up.
serve()
{
	local n=1 req nap

	exec {nap}<> <(:)
	while :; do
		if [ ! -s "$CTL/req.$n" ]; then
			read -r -t 0.05 -u "$nap"
			continue
		fi
		read -r req <"$CTL/req.$n"
		[ "$req" = quit ] && break
		# shellcheck disable=SC2086 # lbctl's arguments, split as words
		{ lb2 $req 2>&1; echo "rc=$?"; } >"$CTL/out.$n.tmp"
		mv "$CTL/out.$n.tmp" "$CTL/out.$n"
		n=$((n + 1))
	done
}

setup
serve
# lib.sh's exit cleanup removes the namespace and unloads nflb.
lb2 sync del
lb2 flush
