#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_udp: UDP through an IPv4 VIP.
# - request/response through the VIP; the client's connected socket only
#   accepts the answer if it comes from VIP:53 (return-path SNAT);
# - the first datagram creates the session (state "udp", member = the server
#   that answered); later datagrams of the flow stay on that member;
# - round robin spreads new flows over all members;
# - a datagram with UDP checksum 0 ("no checksum", legal over IPv4) reaches
#   the member unharmed and is answered;
# - a VS whose port differs from the members' (54 -> 53) answers from VIP:54,
#   also for checksum-0 datagrams;
# - an ICMP port unreachable from a member (nothing listens there) reaches the
#   client as if from the VIP, quoting the client's own datagram: the
#   client's socket fails with ECONNREFUSED;
# - with a 2 s UDP timeout on the VS the session expires, is counted, and the
#   flow's next datagram starts a fresh session; a global UDP timeout applies
#   to a VS without its own, a VS's own wins.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds jq ss
require_tools

ktap_header 12
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
srv_udpecho 53 || ktap_abort "cannot start the servers"
lb_service dns "$VIP4" 53 udp && lbq vs add alt vip "$VIP4" port 54 proto udp pool dns sched rr &&
	lb_service closed "$VIP4" 55 udp || ktap_abort "cannot configure nflb"
cap_start icmp "$NS_CL" eth0 icmp || ktap_abort "cannot capture on the client"

D=$NFLB_TMP

# server_of REPLY-LINE -> member address (from "reply PORT sN len=...")
server_of()
{
	local name

	name=$(awk '/^reply/ { print $3; exit }' <<<"$1")
	case $name in
	s[1-3]) server4 "${name#s}" ;;
	*) echo none ;;
	esac
}

# 1
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 42001 -m hello >"$D/r1" 2>&1
rr1=$?
first=$(server_of "$(cat "$D/r1")")
req_ok()
{
	cat "$D/r1"
	[ $rr1 -eq 0 ] && grep -qE '^reply 42001 s[1-3] len=5 hello$' "$D/r1"
}
ktap_check "request/response through the VIP, answer from VIP:53" req_ok

# 2
sess_ok()
{
	local s

	s=$(session_by_port 42001 udp)
	echo "session: ${s:-none}; answered by $first"
	json_is "$s" ".vs == \"dns\" and .proto == \"udp\" and .state == \"udp\" and
		.client == \"10.0.1.2\" and .vip == \"10.0.0.100\" and .vip_port == 53 and
		.member == \"$first\" and .member_port == 53 and .expires_ms > 0"
}
ktap_check "first datagram created the session, on the member that answered" sess_ok

# 3
sticky_ok()
{
	local i out

	for i in 1 2 3; do
		out=$(in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 42001 -m "again$i")
		echo "$out"
		[ "$(server_of "$out")" = "$first" ] || return 1
	done
	[ "$(sessions | jq '[.[] | select(.client_port == 42001)] | length')" -eq 1 ]
}
ktap_check "later datagrams of the flow stay on its member, one session" sticky_ok

# 4
rr_ok()
{
	local out n

	out=$(in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 42002 -c 3)
	echo "$out"
	n=$(awk '/^reply/ { print $3 }' <<<"$out" | sort -u | wc -l)
	[ "$n" -eq 3 ]
}
ktap_check "round robin: 3 new flows answered by 3 different members" rr_ok

# 5: UDP checksum 0, crafted
csum0_ok()
{
	local out i got=0

	out=$(in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P udp -S 42010 -D 53 \
		-m nocsum --udp-csum0 -r 3000)
	echo "$out"
	for ((i = 1; i <= 3; i++)); do
		grep_out "udp53-s$i" '^rx 10\.0\.1\.2 42010 6$' && got=1
	done
	[ $got = 1 ] || { echo "no member received the datagram"; return 1; }
	[[ $out == "reply proto=udp src=10.0.0.100 sport=53 "*"len=6.nocsum" ]]
}
ktap_check "UDP checksum 0 (IPv4): member receives it, answer comes from the VIP" csum0_ok

# 6: port translation
alt_ok()
{
	local out

	out=$(in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 42011 -m hello54) || { echo "$out"; return 1; }
	echo "$out"
	out=$(in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P udp -S 42012 -D 54 \
		-m nocsum --udp-csum0 -r 3000)
	echo "$out"
	[[ $out == "reply proto=udp src=10.0.0.100 sport=54 "*"len=6.nocsum" ]] &&
		[ "$(session_field 42011 member_port udp)" = 53 ] &&
		[ "$(session_field 42011 vip_port udp)" = 54 ]
}
ktap_check "VS port 54 -> member port 53: answers from VIP:54, also with checksum 0" alt_ok

# 7: ICMP port unreachable from the member
unreach_ok()
{
	local out from_vip from_member

	out=$(in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 55 -b 42013 -t 5000)
	echo "$out"
	cap_sync icmp "$NS_CL" 10.0.1.1
	cap_stop icmp
	from_vip=$(cap_count icmp src host "$VIP4")
	from_member=$(cap_count icmp src net 10.0.8.0/21)
	echo "ICMP from the VIP: $from_vip, from member addresses: $from_member"
	cap_read icmp | head -n 3
	grep -q '^refused 42013$' <<<"$out" && [ "$from_vip" -ge 1 ] && [ "$from_member" -eq 0 ]
}
ktap_check "member's port unreachable reaches the client from the VIP: ECONNREFUSED" unreach_ok

# 8, 9: expiry
lbq timeout set vs dns udp 2
exp_before=$(stat_get sessions_expired dns)
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 42020 -m short >"$D/r20" 2>&1
expire_ok()
{
	local s

	s=$(session_by_port 42020 udp)
	echo "new session: ${s:-none}"
	json_is "$s" '.expires_ms <= 2000' || { echo "expires_ms not within the 2 s timeout"; return 1; }
	wait_for 30 session_gone 42020 udp || { echo "session still there: $(session_by_port 42020)"; return 1; }
	wait_counter 15 "$exp_before" 1 sessions_expired dns && return 0
	echo "info: $(lb -j info)"
	echo "sessions: $(sessions)"
	echo "stats: $(lb -j stats)"
	return 1
}
ktap_check "udp timeout 2 s on the VS: session expires, removed and counted" expire_ok
fresh_ok()
{
	local before

	before=$(stat_get sessions_created dns)
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 42020 -m back || return 1
	session_exists 42020 udp || { echo "no new session"; return 1; }
	delta_eq "$before" "$(stat_get sessions_created dns)" 1 sessions_created
}
ktap_check "after expiry the flow's next datagram starts a fresh session" fresh_ok
inherit_ok()
{
	local a d

	lbq timeout set udp 100 && lbq timeout set vs closed udp 50 || return 1
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 42030 -m global >/dev/null || return 1
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 55 -b 42031 -m own -t 1000 >/dev/null
	a=$(session_by_port 42030 udp)
	d=$(session_by_port 42031 udp)
	echo "VS alt (inherits 100 s): $a"
	echo "VS closed (own 50 s): $d"
	lbq timeout set udp 300
	json_is "$a" '.expires_ms > 50000 and .expires_ms <= 100000' &&
		json_is "$d" '.expires_ms > 0 and .expires_ms <= 50000'
}
ktap_check "global udp timeout (100 s) applies to a VS without its own; a VS's own (50 s) wins" inherit_ok

# 10
stats_ok()
{
	local st

	st=$(lb -j stats)
	echo "$st" | jq -c '.global, .vs[]'
	json_is "$st" '[.vs[] | select(.name == "dns")][0] |
		.pkts_in >= 9 and .pkts_out >= 9 and .bytes_in > 0 and .bytes_out > 0 and
		.sessions_created >= 6' &&
	json_is "$st" '.global | [to_entries[] | select(.key | startswith("drop_")) | .value] |
		length > 0 and all(. == 0)'
}
ktap_check "counters: packets and bytes both ways, sessions; no drops" stats_ok

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
