#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015,SC2016 # checks run via ktap_check; eval strings
#
# sync_mesh: three nodes, full mesh (issue 14, Documentation/sync.rst).
# n1, n2 and n3 (node ids 1-3) share a bridge, the sync segment, each peer
# of the other two, with the same UDP virtual server; a client on the same
# bridge reaches the VIP through whichever node its route names.
# - all three start sync at once: none has a table to give, and each is
#   ready (sync wait) within seconds;
# - 200 flows through each node: every node holds all 600 sessions, each
#   with the node that created it as its owner;
# - n3 restarts (sync del, its table flushed, sync set): it is not ready
#   until it pulled the table from a ready peer, and when `sync wait`
#   returns 0 it holds all 600 again, its own 200 still owned by node 3;
# - the peer it pulled from walked for it once, and nobody refused it.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds jq

FLOOD=$NFLB_SELFTESTS/stress_flood
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"
P=5000
FLOWS=200
VIP=10.0.0.100
CL=10.0.100.9

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
modprobe -q veth 2>/dev/null
modprobe -q bridge 2>/dev/null

KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
NS_SW="$NFLB_PFX-sw" NS_CL="$NFLB_PFX-cl"
ns_of() { echo "$NFLB_PFX-n$1"; }
addr_of() { echo "10.0.100.$1"; }
n() { local i=$1; shift; "$LBCTL" -n "$(ns_of "$i")" "$@"; }

# the segment: a bridge in NS_SW; each node and the client on it
mesh_topo()
{
	local i

	_ns_init "$NS_SW" && ip -n "$NS_SW" link add br0 type bridge &&
		ip -n "$NS_SW" link set br0 up || return 1
	_ns_init "$NS_CL" && _link "$NS_SW" p-cl "$NS_CL" eth0 &&
		ip -n "$NS_CL" addr add $CL/24 dev eth0 &&
		ip -n "$NS_SW" link set p-cl master br0 || return 1
	for i in 1 2 3; do
		_ns_init "$(ns_of $i)" && _link "$NS_SW" p-n$i "$(ns_of $i)" eth0 &&
			ip -n "$(ns_of $i)" addr add "$(addr_of $i)"/24 dev eth0 &&
			_forwarding "$(ns_of $i)" &&
			ip -n "$NS_SW" link set p-n$i master br0 || return 1
	done
}
mesh_topo || ktap_abort "cannot build the topology"

# the same virtual server everywhere: members on the segment nobody
# answers for (a UDP session needs the client's first datagram only)
conf()
{
	n "$1" -batch - <<-EOF
		pool add u4
		member add u4 10.0.100.21:$P
		member add u4 10.0.100.22:$P
		member add u4 10.0.100.23:$P
		vs add u4 vip $VIP port $P proto udp pool u4 sched rr
		timeout set vs u4 udp 900
	EOF
}
conf 1 && conf 2 && conf 3 || ktap_abort "cannot configure nflb"

# sync_on N: node N syncs with the other two
sync_on()
{
	local i peers=()

	for i in 1 2 3; do
		[ "$i" = "$1" ] || peers+=(peer "$(addr_of $i)")
	done
	n "$1" sync set node-id "$1" local "$(addr_of "$1")" "${peers[@]}" key "$KEY" redirect off
}
count() { n "$1" -j info | jq .sessions; }
sync_num() { n "$1" -j sync show | jq -r ".stats.$2"; }
# owners N: "owner:count ..." of node N's sessions
owners() { n "$1" -j session list | jq -r 'group_by(.owner) | map("\(.[0].owner):\(length)") | join(" ")'; }

# 1: all three start at once; each is ready
all_ready()
{
	local i

	sync_on 1 && sync_on 2 && sync_on 3 || return 1
	for i in 1 2 3; do
		n $i sync wait timeout 30 || { n $i sync show; return 1; }
	done
}
ktap_check "three nodes start sync at once: each is ready (sync wait)" all_ready

# 2: each peer of each node up, with its node id
peers_up()
{
	local i

	for i in 1 2 3; do
		n $i -j sync show | jq -e '[.peers[] | select(.state == "up")] | length == 2' >/dev/null ||
			return 1
	done
}
ktap_check "every node sees its two peers up" wait_for 10 peers_up

# 3: FLOWS flows through each node (the client's route to the VIP names
# it), source ports 10000 + 1000 * N on
flows()
{
	local i

	for i in 1 2 3; do
		ip -n "$NS_CL" route replace $VIP/32 via "$(addr_of $i)" || return 1
		in_ns "$NS_CL" "$FLOOD" -s $CL -a $VIP -p $P -b $((10000 + 1000 * i)) -n $FLOWS \
			-w 1000 >/dev/null || return 1
		wait_for 10 eval '[ "$(count $i)" -ge $((FLOWS * i)) ]' ||
			{ echo "n$i holds $(count $i) sessions"; return 1; }
	done
}
ktap_check "$FLOWS flows through each node" flows

# 4: every node holds every session, each owned by the node it went through
all_have_all()
{
	local i want="1:$FLOWS 2:$FLOWS 3:$FLOWS"

	for i in 1 2 3; do
		[ "$(owners $i)" = "$want" ] || { echo "n$i: owners $(owners $i), want $want"; return 1; }
	done
}
ktap_check "each node holds all $((3 * FLOWS)) sessions, each owned by its creator" wait_for 20 all_have_all

# 5: the right owner for the right flows: n2's copy of a flow through n1
owner_of_port()
{
	n "$1" -j session list | jq -e ".[] | select(.client_port == $2) | .owner == $3" >/dev/null
}
ktap_check "a flow through n1 is owned by 1 on n2, one through n3 by 3 on n1" \
	eval 'owner_of_port 2 11005 1 && owner_of_port 1 13005 3'

# 6: n3 restarts with an empty table: not ready until it pulled, then all
# 600, its own still owned by node 3
restart_n3()
{
	local t0 got

	n 3 sync del && n 3 session flush vs u4 || return 1
	[ "$(count 3)" -eq 0 ] || { echo "n3 holds $(count 3) after the flush"; return 1; }
	t0=$(_now_ms)
	sync_on 3 || return 1
	n 3 sync show | grep -q "ready no\$" || { echo "n3 ready before its pull"; n 3 sync show; return 1; }
	n 3 sync wait timeout 60 || { n 3 sync show; return 1; }
	got=$(owners 3)
	echo "n3 ready after $(($(_now_ms) - t0)) ms with owners $got" | tee "$NFLB_TMP/restart"
	[ "$got" = "1:$FLOWS 2:$FLOWS 3:$FLOWS" ]
}
# the walks n1 and n2 made so far (ktap_check runs a check in a subshell)
W0=$(($(sync_num 1 bulk_walks) + $(sync_num 2 bulk_walks)))
ktap_check "n3 restarts: sync wait returns 0 only once it holds all $((3 * FLOWS)), owners kept" restart_n3

ktap_diag "$(cat "$NFLB_TMP/restart" 2>/dev/null)"

# 7: its pull was one walk, by one of its peers (the table is asked of one
# peer at a time, and its restart is no partition to the others: they do
# not pull from it)
one_walk()
{
	echo "walks n1 $(sync_num 1 bulk_walks) n2 $(sync_num 2 bulk_walks); refused n1 $(sync_num 1 bulk_refused) n2 $(sync_num 2 bulk_refused)"
	[ $(($(sync_num 1 bulk_walks) + $(sync_num 2 bulk_walks))) -eq $((W0 + 1)) ]
}
ktap_check "n3's pull was one walk by one peer" one_walk

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
