#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015,SC2086,SC2016 # checks run via ktap_check; eval and awk strings
#
# sync_mtu: session sync across a narrow hop (Documentation/sync.rst,
# Transport).  lb (node 1) and lb2 (node 2) reach each other through a
# router, rt, whose link to lb2 has an MTU of 1,280: a full sync datagram
# (1,400 bytes of UDP payload over IPv4) does not fit it, and lb's own
# link (1,500) does not say so.
# - over IPv4, lb's datagrams leave without DF and rt fragments them: lb2
#   pulls lb's whole table (bulk walk, full datagrams) and hears the live
#   changes after it, with no datagram refused (rx_malformed, rx_bad_mac)
#   and fragments made on rt;
# - over IPv6 (1,200-byte datagrams: they fit 1,280), the same.
# - the other way round too: lb2's heartbeats and acks reach lb (lb sees
#   lb2 up, its lag back under a second).

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds jq
require_tools

FLOOD=$NFLB_SELFTESTS/stress_flood
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"
NSESS=3000
P=5000

ktap_header 7
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 2 || ktap_abort "cannot build the topology"

NS_LB2="$NFLB_PFX-lb2"
NS_RT="$NFLB_PFX-rt"
KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
LB1_4=10.0.110.1 RT1_4=10.0.110.2 RT2_4=10.0.111.1 LB2_4=10.0.111.2
LB1_6=fd00:110::1 RT1_6=fd00:110::2 RT2_6=fd00:111::1 LB2_6=fd00:111::2

# lb --1500-- rt --1280-- lb2
path()
{
	_ns_init "$NS_LB2" && _ns_init "$NS_RT" && _forwarding "$NS_RT" &&
		_link "$NS_LB" sy "$NS_RT" rt1 && _link "$NS_RT" rt2 "$NS_LB2" eth0 1280 &&
		_addr "$NS_LB" sy $LB1_4/24 $LB1_6/64 && _addr "$NS_RT" rt1 $RT1_4/24 $RT1_6/64 &&
		_addr "$NS_RT" rt2 $RT2_4/24 $RT2_6/64 && _addr "$NS_LB2" eth0 $LB2_4/24 $LB2_6/64 &&
		ip -n "$NS_LB" route add 10.0.111.0/24 via $RT1_4 &&
		ip -n "$NS_LB" -6 route add fd00:111::/64 via $RT1_6 &&
		ip -n "$NS_LB2" route add 10.0.110.0/24 via $RT2_4 &&
		ip -n "$NS_LB2" -6 route add fd00:110::/64 via $RT2_6
}
path || ktap_abort "cannot build the sync path"

lb2() { "$LBCTL" -n "$NS_LB2" "$@"; }

conf() { lb_service u4 "$VIP4" $P udp && lbq timeout set vs u4 udp 900; }
conf && NS_LB=$NS_LB2 conf || ktap_abort "cannot configure nflb"

count() { "$LBCTL" -n "$1" -j info | jq .sessions; }
sync_num() { "$LBCTL" -n "$1" -j sync show | jq -r ".stats.$2"; }
# rt's IPv4 fragments made so far
frags4()
{
	in_ns "$NS_RT" awk '$1 == "Ip:" {
		if ($2 !~ /^[0-9]/) { for (i = 2; i <= NF; i++) if ($i == "FragCreates") c = i; next }
		print $c }' /proc/net/snmp
}

# flows N FIRST_PORT: N new UDP flows to the VIP (sent again until lb has
# them all: veth's backlog may drop some under TCG)
flows()
{
	local want=$(($(count "$NS_LB") + $1)) try

	for try in 1 2 3; do
		in_ns "$NS_CL" "$FLOOD" -s "$CL4" -a "$VIP4" -p $P -b "$2" -n "$1" -k "$1" -A 1 \
			-w 300 >/dev/null || return 1
		[ "$(count "$NS_LB")" -ge "$want" ] && return 0
	done
	echo "lb holds $(count "$NS_LB") of $want sessions"
	return 1
}

# a pass: sync over address family FAM, lb2's table pulled and then live
# changes heard; nothing refused on either node
pass()
{
	local fam=$1 a1 a2 want n bad ns

	if [ "$fam" = 4 ]; then a1=$LB1_4 a2=$LB2_4; else a1=$LB1_6 a2=$LB2_6; fi
	lb sync set node-id 1 local $a1 peer $a2 key "$KEY" redirect off &&
		lb2 sync set node-id 2 local $a2 peer $a1 key "$KEY" redirect off || return 1
	lb2 sync wait timeout 60 || { lb2 sync show; return 1; }
	want=$(count "$NS_LB") n=$(count "$NS_LB2")
	echo "IPv$fam: lb2 holds $n of $want sessions when ready"
	[ "$n" -eq "$want" ] || return 1
	flows 500 $((30000 + fam * 1000)) || return 1
	want=$(count "$NS_LB")
	wait_for 20 eval '[ "$(count "$NS_LB2")" -eq "$want" ]' ||
		{ echo "live: lb2 holds $(count "$NS_LB2") of $want"; return 1; }
	for ns in "$NS_LB" "$NS_LB2"; do
		bad=$(("$(sync_num "$ns" rx_malformed)" + "$(sync_num "$ns" rx_bad_mac)"))
		[ "$bad" -eq 0 ] || { echo "$ns refused $bad datagrams"; "$LBCTL" -n "$ns" sync show; return 1; }
	done
}

lag_ok()
{
	"$LBCTL" -n "$NS_LB" -j sync show |
		jq -e '.peers[0] | .state == "up" and .lag_ms < 1000' >/dev/null
}

ktap_check "lb holds $NSESS UDP sessions" flows $NSESS 10000

f0=$(frags4)
ktap_check "IPv4 sync through a 1,280-byte hop: lb2 pulls the table and hears live changes" pass 4
fragged()
{
	local f

	f=$(($(frags4) - f0))
	echo "rt made $f IPv4 fragments"
	[ "$f" -gt 0 ]
}
ktap_check "IPv4: the full datagrams crossed the hop as fragments" fragged
ktap_check "IPv4: lb sees lb2 up, its lag back under a second" wait_for 10 lag_ok

lb2 sync del && lb sync del && lb2 session flush vs u4 >/dev/null ||
	ktap_diag "could not stop sync between the passes"
ktap_check "IPv6 sync through a 1,280-byte hop: lb2 pulls the table and hears live changes" pass 6
ktap_check "IPv6: lb sees lb2 up, its lag back under a second" wait_for 10 lag_ok

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
