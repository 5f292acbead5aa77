#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015,SC2086,SC2016 # checks run via ktap_check; eval strings
#
# sync_bulk: bulk resync of a big table (issue 14, Documentation/sync.rst).
# lb (node 1) holds 100,000 UDP sessions; lb2 (node 2), on a sync link of
# its own (a veth pair), has the same virtual server.
# - lb2 starts sync: `sync wait` returns 0 only once lb2 holds every one of
#   lb's sessions (counted right when it returns), with the receive backlog
#   shrunk to 100 datagrams a CPU (net.core.netdev_max_backlog), which an
#   unpaced walk of ~4,000 datagrams overflows: the walk, paced by lb2's
#   acks, loses none (no gap given up, no receive queue overflow);
# - lb2 restarts sync (sync del + sync set): not ready again until it
#   pulled the table again;
# - a partition: the sync link down for 6 s while lb creates 1,000 more
#   sessions; healed, lb2 (which carried no traffic) goes not ready, pulls,
#   and is ready again with everything; lb (which did) stays ready;
# - lb2 pulls again while lb flushes half the table: lb2 ends with exactly
#   lb's sessions (the walk meeting 50,000 deletes);
# - a drained member's deadline on lb resets most of the table (lb's GC):
#   lb2 deletes every one of those sessions.
# The time of each bulk resync and its datagrams are printed as diagnostics.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds jq
require_tools

FLOOD=$NFLB_SELFTESTS/stress_flood
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"
NSESS=${NFLB_SYNC_BULK_SESSIONS:-100000}
P=5000

ktap_header 12
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 2 || ktap_abort "cannot build the topology"

NS_LB2="$NFLB_PFX-lb2"
KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
LB1_IP=10.0.100.1 LB2_IP=10.0.100.2

_ns_init "$NS_LB2" && _link "$NS_LB" sy2 "$NS_LB2" eth0 &&
	ip -n "$NS_LB" addr add "$LB1_IP"/24 dev sy2 &&
	ip -n "$NS_LB2" addr add "$LB2_IP"/24 dev eth0 || ktap_abort "cannot build the sync link"

lb2() { "$LBCTL" -n "$NS_LB2" "$@"; }

# the same UDP service on both, its sessions good for 15 minutes (no
# server listens: a session needs the client's first datagram only, and
# 100,000 answers would only slow the test down)
conf() { lb_service u4 "$VIP4" $P udp && lbq timeout set vs u4 udp 900; }
conf && NS_LB=$NS_LB2 conf || ktap_abort "cannot configure nflb"

count() { "$LBCTL" -n "$1" -j info | jq .sessions; }
# sync_num NS KEY: a sync counter
sync_num() { "$LBCTL" -n "$1" -j sync show | jq -r ".stats.$2"; }
ready_is() { "$LBCTL" -n "$1" sync show | grep -q "ready $2\$"; }

lb sync set node-id 1 local "$LB1_IP" peer "$LB2_IP" key "$KEY" redirect off || ktap_abort "sync set on lb"

# 1: NSESS flows (from two addresses, 50,000 ports each), sent again until
# every one has its session (veth's backlog may drop some under TCG)
fill()
{
	local try n

	for try in 1 2 3; do
		in_ns "$NS_CL" "$FLOOD" -s "$CL4" -a "$VIP4" -p $P -b 10000 -n "$NSESS" -k 50000 -A 2 \
			-w 300 >/dev/null || return 1
		n=$(count "$NS_LB")
		echo "try $try: lb holds $n sessions"
		[ "$n" -eq "$NSESS" ] && return 0
	done
	return 1
}
ktap_check "lb holds $NSESS UDP sessions" fill

BACKLOG=$(sysctl -n net.core.netdev_max_backlog)
cleanup_add "sysctl -qw net.core.netdev_max_backlog=$BACKLOG"

# bulk NAME [T0]: lb2 pulls the table (sync already set, at T0 ms): sync
# wait returns 0, and at that moment lb2 holds all of lb's sessions; no
# datagram lost from here on (after a partition, what was sent during it
# is lost by then: the refresh pass alone sends ~130 datagrams a second)
bulk()
{
	local want t0=${2:-$(_now_ms)} t1 n d0 d1 lost qf lost0 qf0

	want=$(count "$NS_LB") d0=$(sync_num "$NS_LB" tx_datagrams)
	lost0=$(sync_num "$NS_LB2" rx_lost) qf0=$(sync_num "$NS_LB2" rx_queue_full)
	lb2 sync wait timeout 150 || { lb2 sync show; return 1; }
	n=$(count "$NS_LB2")
	t1=$(_now_ms) d1=$(sync_num "$NS_LB" tx_datagrams)
	lost=$(($(sync_num "$NS_LB2" rx_lost) - lost0))
	qf=$(($(sync_num "$NS_LB2" rx_queue_full) - qf0))
	echo "$1: $want sessions in $((t1 - t0)) ms, lb sent $((d1 - d0)) datagrams; lb2: rx_lost +$lost rx_queue_full +$qf tx_nacks $(sync_num "$NS_LB2" tx_nacks)" |
		tee "$NFLB_TMP/bulk.$1"
	echo "lb2 holds $n of $want when sync wait returned"
	[ "$n" -eq "$want" ] && [ "$lost" -eq 0 ] && [ "$qf" -eq 0 ]
}
measured() { ktap_diag "$(cat "$NFLB_TMP/bulk.$1" 2>/dev/null)"; }

# 2: the first bulk resync, with a backlog of 100
start_lb2()
{
	local t0

	sysctl -qw net.core.netdev_max_backlog=100 || return 1
	t0=$(_now_ms)
	lb2 sync set node-id 2 local "$LB2_IP" peer "$LB1_IP" key "$KEY" redirect off || return 1
	ready_is "$NS_LB2" no || { echo "lb2 ready before its bulk resync"; lb2 sync show; return 1; }
	bulk "start" "$t0"
}
ktap_check "lb2 starts: sync wait returns 0 only with all $NSESS sessions, none lost (backlog 100)" start_lb2
measured start

# 3: the walk was paced: lb2 acked it, and lb's lag to lb2 goes back to 0
lag_zero()
{
	"$LBCTL" -n "$NS_LB" -j sync show |
		jq -e '.peers[0] | .state == "up" and .lag_ms < 1000' >/dev/null
}
ktap_check "lb's lag to lb2 back under a second after the walk" wait_for 10 lag_zero

# 4: restart: sync del, its sessions flushed, sync set; not ready until the
# table came again
restart_lb2()
{
	local t0

	lb2 sync del && lb2 session flush vs u4 || return 1
	[ "$(count "$NS_LB2")" -eq 0 ] || { echo "lb2 holds $(count "$NS_LB2") after the flush"; return 1; }
	t0=$(_now_ms)
	lb2 sync set node-id 2 local "$LB2_IP" peer "$LB1_IP" key "$KEY" redirect off || return 1
	ready_is "$NS_LB2" no || { echo "lb2 ready before its bulk resync"; lb2 sync show; return 1; }
	bulk "restart" "$t0"
}
ktap_check "lb2 restarts sync (its table flushed): ready only with all $NSESS sessions again" restart_lb2
measured restart
sysctl -qw net.core.netdev_max_backlog="$BACKLOG"

# 5: partition: the sync link down for 6 s; lb creates 1,000 sessions
bg mon2 - "$LBCTL" -n "$NS_LB2" monitor
partition()
{
	ip -n "$NS_LB" link set sy2 down || return 1
	wait_for 10 eval 'lb2 -j sync show | jq -e ".peers[0].state == \"down\"" >/dev/null' ||
		{ echo "lb2 does not see lb down"; lb2 sync show; return 1; }
	in_ns "$NS_CL" "$FLOOD" -s 10.0.1.50 -a "$VIP4" -p $P -b 20000 -n 1000 -k 1000 >/dev/null || return 1
	wait_for 10 eval '[ "$(count "$NS_LB")" -eq $((NSESS + 1000)) ]' || { echo "lb holds $(count "$NS_LB")"; return 1; }
	[ "$(count "$NS_LB2")" -eq "$NSESS" ] || { echo "lb2 holds $(count "$NS_LB2")"; return 1; }
}
ktap_check "partition: lb2 sees lb down; lb creates 1,000 sessions lb2 lacks" partition

# 6: healed, lb2 goes not ready (it carried no traffic); lb stays ready
heal()
{
	ip -n "$NS_LB" link set sy2 up || return 1
	wait_for 15 ready_is "$NS_LB2" no || { echo "lb2 stayed ready"; lb2 sync show; return 1; }
	ready_is "$NS_LB" yes || { echo "lb went not ready"; lb sync show; return 1; }
}
ktap_check "healed: lb2 goes not ready, lb (which carried the traffic) stays ready" heal

# 7: lb2 resyncs and is ready again with everything
ktap_check "after the partition lb2 pulls the table: ready with all $((NSESS + 1000)) sessions" bulk "rejoin"
measured rejoin
ktap_check "lb2's pull is a peer event (syncing) on lbctl monitor" \
	grep_out mon2 "^sync peer $LB1_IP node-id 1 state syncing\$"
ktap_check "lb ready throughout, and up to lb2" \
	eval 'ready_is "$NS_LB" yes && lb -j sync show | jq -e ".peers[0].state == \"up\"" >/dev/null'

# 10: a walk that meets deletes.  lb2 pulls the table once more, and once
# its first records are in, lb flushes the sessions of one client address
# (half the table, 50,000 deletes at once, far beyond a notice ring's
# 1,024): sessions the walk sent before their delete are deleted on lb2,
# those it had not reached yet are never sent, and none is left over.
walk_meets_flush()
{
	local want n0

	lb2 sync del && lb2 session flush vs u4 || return 1
	lb2 sync set node-id 2 local "$LB2_IP" peer "$LB1_IP" key "$KEY" redirect off || return 1
	wait_for 20 eval '[ "$(count "$NS_LB2")" -gt 0 ]' || { echo "lb2's pull does not start"; return 1; }
	n0=$(count "$NS_LB2")
	ready_is "$NS_LB2" no && [ "$n0" -lt $((NSESS + 1000)) ] ||
		{ echo "lb2's pull ended before lb's flush began ($n0 sessions): nothing to race"; return 1; }
	lb session flush client "$CL4/32" || return 1
	want=$((NSESS + 1000 - NSESS / 2))
	[ "$(count "$NS_LB")" -eq "$want" ] || { echo "lb holds $(count "$NS_LB") after the flush, not $want"; return 1; }
	lb2 sync wait timeout 150 || { lb2 sync show; return 1; }
	wait_for 20 eval '[ "$(count "$NS_LB2")" -eq "$want" ]'
	echo "flush: lb2 held $n0 when lb's flush began, $(count "$NS_LB2") of $want after; lb: tx_dropped $(sync_num "$NS_LB" tx_dropped)" |
		tee "$NFLB_TMP/bulk.flush"
	[ "$(count "$NS_LB2")" -eq "$want" ] &&
		[ "$(lb2 -j session list client "$CL4/32" | jq length)" -eq 0 ]
}
ktap_check "a pull that meets a flush of half the table on lb: lb2 ends with lb's sessions exactly" walk_meets_flush
measured flush

# 11: the GC's deletes.  lb drains the member that has the most sessions
# (passive health may have held the other out for a while: no server
# answers) with a 1 s deadline: once it passed, lb's GC resets each of its
# sessions (tens of thousands, in slices of thousands) and lb2 deletes
# every one of them.
member_deadline()
{
	local m n left

	m=$(lb -j session list | jq -r '[.[].member] | group_by(.) | max_by(length) | .[0]')
	n=$(lb -j session list member "$m" | jq length)
	lb member set u4 "$m:$P" weight 0 drain-timeout 1 || return 1
	wait_for 40 eval '[ "$(lb -j session list member "$m" | jq length)" -eq 0 ]' ||
		{ echo "lb still holds sessions of $m"; return 1; }
	wait_for 20 eval '[ "$(lb2 -j session list member "$m" | jq length)" -eq 0 ]'
	left=$(lb2 -j session list member "$m" | jq length)
	echo "deadline: lb reset $n sessions of $m; lb2 holds $left of them after; lb: tx_dropped $(sync_num "$NS_LB" tx_dropped)" |
		tee "$NFLB_TMP/bulk.deadline"
	[ "$n" -gt $((NSESS / 5)) ] && [ "$left" -eq 0 ] && [ "$(count "$NS_LB2")" -eq "$(count "$NS_LB")" ]
}
ktap_check "a drained member's deadline resets most of the table on lb: lb2 deletes every one" member_deadline
measured deadline

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
