#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_ipv6: the same datapath over the IPv6 VIP fd00::100.
# - 1 MiB TCP download and upload byte-exact, round robin over all members;
# - sessions listed with IPv6 client, VIP and member; an open connection is
#   "established" and the client's peer is the VIP;
# - UDP request/response through the VIP (answer from [VIP]:53) and its session;
# - the client never receives a packet from a member address (capture);
# - an IPv4 VS on the same port works alongside;
# - counters move, nothing dropped.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds socat tcpdump jq ss
require_tools

ktap_header 11
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"

D=$NFLB_TMP
MIB=1048576
mkdata "$D/data" $MIB
mkdir -p "$D/up"
srv_download 80 "$D/data" && srv_upload 81 "$D/up" && srv_tcpconn 82 && srv_udpecho 53 ||
	ktap_abort "cannot start the servers"
lb_service web6 "$VIP6" 80 tcp && lb_service up6 "$VIP6" 81 tcp &&
	lb_service hold6 "$VIP6" 82 tcp && lb_service dns6 "$VIP6" 53 udp &&
	lbq timeout set vs web6 tcp-time-wait 3600 tcp-close 3600 ||
	ktap_abort "cannot configure nflb"
cap_start cl "$NS_CL" eth0 ip6 || ktap_abort "cannot capture on the client"

# 1
dl_ok()
{
	local p

	for p in 43001 43002 43003; do
		cl_download "$VIP6" 80 $p "$D/dl.$p" || { echo "download from port $p failed"; return 1; }
		same_file "$D/data" "$D/dl.$p" || return 1
	done
}
ktap_check "IPv6: 1 MiB download through the VIP is byte-exact (3 connections)" dl_ok

# 2
ul_ok()
{
	local p

	for p in 43101 43102 43103; do
		cl_upload "$VIP6" 81 $p "$D/data" || { echo "upload from port $p failed"; return 1; }
	done
	for p in 43101 43102 43103; do
		if ! wait_for 20 eval "[ \"\$(cat $D/up/up-s*-$p 2>/dev/null | wc -c)\" -ge $MIB ]"; then
			echo "upload from port $p: server got $(cat "$D"/up/up-s*-$p 2>/dev/null | wc -c) bytes"
			return 1
		fi
		same_file "$D/data" "$(echo "$D"/up/up-s*-$p)" || return 1
	done
}
ktap_check "IPv6: 1 MiB upload through the VIP is byte-exact (3 connections)" ul_ok

# 3
members_ok()
{
	local n

	n=$(sessions | jq '[.[] | select(.vs == "web6") | .member] | unique | length')
	echo "download members: ${n:-?}"
	[ "${n:-0}" -eq 3 ]
}
ktap_check "IPv6: round robin used all 3 members" members_ok

# 4
sessions_ok()
{
	local p s

	for p in 43001 43002 43003; do
		s=$(session_by_port $p tcp)
		[ -n "$s" ] || { echo "no session for client port $p"; sessions; return 1; }
		json_is "$s" '.vs == "web6" and .proto == "tcp" and .client == "fd00:1::2" and
			.vip == "fd00::100" and .vip_port == 80 and .member_port == 80 and
			(.member | test("^fd00:1[1-3]::2$")) and
			(.state == "time-wait" or .state == "close")' ||
			{ echo "unexpected session: $s"; return 1; }
	done
}
ktap_check "IPv6: sessions listed with client, VIP, member addresses" sessions_ok

# 5
bg hold "$NS_CL" "$TCPCONN" -6 -a "$VIP6" -p 82 -b 43201 -k 60
wait_for 15 grep_out hold '^ok' || ktap_diag "hold: $(cat "$(bg_out hold)")"
hold_ok()
{
	local s i who="" out

	s=$(session_by_port 43201 tcp)
	echo "session: ${s:-none}"
	for ((i = 1; i <= 3; i++)); do
		grep_out "tcp82-s$i" "^accept fd00:1::2 43201$" && who=$(server6 $i)
	done
	echo "accepted by: ${who:-nobody}"
	out=$(in_ns "$NS_CL" ss -Htn state established "sport = :43201")
	echo "client socket: $out"
	[ -n "$who" ] && [[ $out == *" [fd00::100]:82"* ]] &&
		json_is "$s" ".state == \"established\" and .member == \"$who\""
}
ktap_check "IPv6: open connection established on the right member, peer is the VIP" hold_ok
bg_stop hold

# 6
udp_ok()
{
	local out name s

	out=$(in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p 53 -b 43301 -m hello6) || { echo "$out"; return 1; }
	echo "$out"
	name=$(awk '/^reply/ { print $3; exit }' <<<"$out")
	s=$(session_by_port 43301 udp)
	echo "session: ${s:-none}"
	[[ $name == s[1-3] ]] &&
		json_is "$s" ".state == \"udp\" and .vip == \"fd00::100\" and .vip_port == 53 and
			.member == \"$(server6 "${name#s}")\" and .client == \"fd00:1::2\""
}
ktap_check "IPv6: UDP request/response through the VIP, session on the answering member" udp_ok
cap_stop cl

# 7
capture_ok()
{
	local from_vip from_member

	from_vip=$(cap_count cl src host "$VIP6")
	from_member=$(cap_count cl "src net fd00:11::/64 or src net fd00:12::/64 or src net fd00:13::/64")
	echo "packets from the VIP: $from_vip, from member addresses: $from_member"
	[ "$from_vip" -gt 100 ] && [ "$from_member" -eq 0 ]
}
ktap_check "IPv6: return traffic has the VIP as source, never a member's" capture_ok

# 8
v4_ok()
{
	lb_service web4 "$VIP4" 80 tcp || return 1
	cl_download "$VIP4" 80 43401 "$D/dl.v4" || { echo "IPv4 download failed"; return 1; }
	same_file "$D/data" "$D/dl.v4" || return 1
	cl_download "$VIP6" 80 43402 "$D/dl.v6" || { echo "IPv6 download failed"; return 1; }
	same_file "$D/data" "$D/dl.v6" || return 1
	[ "$(session_field 43401 vs tcp)" = web4 ] && [ "$(session_field 43402 vs tcp)" = web6 ]
}
ktap_check "IPv4 and IPv6 VS on the same port work side by side" v4_ok

# 9
vip_local_ok()
{
	vip_local || return 1
	cl_download "$VIP6" 80 43501 "$D/dl.local" || { echo "download failed"; return 1; }
	same_file "$D/data" "$D/dl.local"
}
ktap_check "IPv6 VIP local to lb: download byte-exact" vip_local_ok

# 10
stats_ok()
{
	local st

	st=$(lb -j stats)
	echo "$st" | jq -c '.global, .vs[]'
	json_is "$st" "[.vs[] | select(.name == \"web6\")][0] | .bytes_out >= $((3 * MIB))" &&
	json_is "$st" "[.vs[] | select(.name == \"up6\")][0] | .bytes_in >= $((3 * MIB))" &&
	json_is "$st" '[.vs[] | select(.name == "dns6")][0] | .pkts_in >= 1 and .pkts_out >= 1' &&
	json_is "$st" '.global | [to_entries[] | select(.key | startswith("drop_")) | .value] |
		length > 0 and all(. == 0)'
}
ktap_check "IPv6: per-VS counters count the transfers; no drops" stats_ok

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
