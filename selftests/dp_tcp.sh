#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_tcp: TCP through an IPv4 VIP (routed, then also local to lb).
# - 1 MiB downloads and uploads through the VIP are byte-exact (sha256);
# - round robin spreads connections over all 3 members;
# - the session list shows each connection with its VS, client, VIP and member,
#   and an open connection as "established" on the member that accepted it;
# - the client only ever sees the VIP as its peer (capture + ss), never a member;
# - global and per-VS packet/byte/session counters move, no drop counter does;
# - a VS whose port differs from the members' (8080 -> 80) works.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds socat tcpdump jq ss
require_tools

ktap_header 13
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"

D=$NFLB_TMP
MIB=1048576
mkdata "$D/data" $MIB
mkdir -p "$D/up"
srv_download 80 "$D/data" && srv_upload 81 "$D/up" && srv_tcpconn 82 ||
	ktap_abort "cannot start the servers"
# closed connections stay listed for the checks however slow the machine is
lb_service web "$VIP4" 80 tcp && lb_service up "$VIP4" 81 tcp &&
	lb_service hold "$VIP4" 82 tcp &&
	lbq timeout set vs web tcp-time-wait 3600 tcp-close 3600 &&
	lbq timeout set vs up tcp-time-wait 3600 tcp-close 3600 || ktap_abort "cannot configure nflb"
cap_start cl "$NS_CL" eth0 tcp || ktap_abort "cannot capture on the client"

# 1: downloads
dl_ok()
{
	local p

	for p in 41001 41002 41003; do
		cl_download "$VIP4" 80 $p "$D/dl.$p" || { echo "download from port $p failed"; return 1; }
		same_file "$D/data" "$D/dl.$p" || return 1
	done
}
ktap_check "1 MiB download through the VIP is byte-exact (3 connections)" dl_ok

# 2: uploads; the file is complete once the server side has written it all
ul_ok()
{
	local p f

	for p in 41101 41102 41103; do
		cl_upload "$VIP4" 81 $p "$D/data" || { echo "upload from port $p failed"; return 1; }
	done
	for p in 41101 41102 41103; do
		if ! wait_for 20 eval "[ \"\$(cat $D/up/up-s*-$p 2>/dev/null | wc -c)\" -ge $MIB ]"; then
			echo "upload from port $p: server got $(cat "$D"/up/up-s*-$p 2>/dev/null | wc -c) bytes"
			return 1
		fi
		f=$(echo "$D"/up/up-s*-$p)
		same_file "$D/data" "$f" || return 1
	done
}
ktap_check "1 MiB upload through the VIP is byte-exact (3 connections)" ul_ok

# 3: round robin used every member, for downloads (session list) and uploads
# (which server stored the file)
members_ok()
{
	local n_dl n_ul

	n_dl=$(sessions | jq '[.[] | select(.vs == "web") | .member] | unique | length')
	n_ul=$(find "$D/up" -name 'up-s*' | sed 's/.*up-\(s[0-9]\)-.*/\1/' | sort -u | wc -l)
	echo "download members: ${n_dl:-?}, upload servers: $n_ul"
	[ "${n_dl:-0}" -eq 3 ] && [ "$n_ul" -eq 3 ]
}
ktap_check "round robin used all 3 members" members_ok

# 4: the finished downloads are listed with the right fields
dl_sessions_ok()
{
	local p s

	for p in 41001 41002 41003; do
		s=$(session_by_port $p tcp)
		if [ -z "$s" ]; then
			echo "no session for client port $p"
			sessions
			return 1
		fi
		json_is "$s" '.vs == "web" and .proto == "tcp" and .client == "10.0.1.2" and
			.vip == "10.0.0.100" and .vip_port == 80 and .member_port == 80 and
			(.member | test("^10\\.0\\.1[1-3]\\.2$")) and
			(.state == "time-wait" or .state == "close") and .expires_ms > 0 and
			.expires_ms > 120000 and .expires_ms <= 3600000' ||
			{ echo "unexpected session: $s"; return 1; }
	done
}
ktap_check "closed connections listed with VS, client, VIP, member, closing state, VS timeout" dl_sessions_ok

# 5, 6: an open, idle connection
bg hold "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b 41201 -k 60
wait_for 15 grep_out hold '^ok' || ktap_diag "hold: $(cat "$(bg_out hold)")"
hold_ok()
{
	local s m i who=""

	s=$(session_by_port 41201 tcp)
	echo "session: ${s:-none}"
	for ((i = 1; i <= 3; i++)); do
		grep_out "tcp82-s$i" "^accept 10.0.1.2 41201$" && who=$(server4 $i)
	done
	echo "accepted by: ${who:-nobody}"
	m=$(jq -r .member <<<"$s")
	[ -n "$who" ] && [ "$m" = "$who" ] &&
		json_is "$s" '.state == "established" and .vs == "hold" and .member_port == 82 and
			.expires_ms > 600000 and .expires_ms <= 900000'
}
ktap_check "open connection: established (900 s timeout), on the member that accepted it" hold_ok
peer_ok()
{
	local out

	out=$(in_ns "$NS_CL" ss -Htn state established "sport = :41201")
	echo "client socket: $out"
	[[ $out == *" 10.0.0.100:82"* ]]
}
ktap_check "client socket's peer is the VIP" peer_ok
bg_stop hold
cap_stop cl

# 7: capture on the client: replies from the VIP, none from a member address
capture_ok()
{
	local from_vip from_member

	from_vip=$(cap_count cl src host "$VIP4")
	from_member=$(cap_count cl src net 10.0.8.0/21)
	echo "packets from the VIP: $from_vip, from member addresses: $from_member"
	cap_read cl src net 10.0.8.0/21 | head -5
	[ "$from_vip" -gt 100 ] && [ "$from_member" -eq 0 ]
}
ktap_check "return traffic reaches the client with the VIP as source, never a member's" capture_ok

# 8, 9, 10: counters
stats_ok()
{
	local st

	st=$(lb -j stats)
	echo "$st" | jq -c .global
	json_is "$st" '.global | .pkts_in > 0 and .bytes_in > 0 and .pkts_out > 0 and
		.bytes_out > 0 and .sessions_created >= 7 and .sessions_active >= 6'
}
ktap_check "global counters: packets, bytes both ways, sessions" stats_ok
vs_stats_ok()
{
	local st

	st=$(lb -j stats)
	echo "$st" | jq -c '.vs[]'
	json_is "$st" "[.vs[] | select(.name == \"web\")][0] |
		.bytes_out >= $((3 * MIB)) and .pkts_in > 0 and .sessions_created == 3" &&
	json_is "$st" "[.vs[] | select(.name == \"up\")][0] |
		.bytes_in >= $((3 * MIB)) and .pkts_out > 0 and .sessions_created == 3" &&
	json_is "$st" '[.vs[] | select(.name == "hold")][0] | .sessions_created == 1'
}
ktap_check "per-VS counters: bytes of the transfers, sessions created" vs_stats_ok
nodrop_ok()
{
	local st

	st=$(lb -j stats)
	echo "$st" | jq -c '.global | with_entries(select(.key | startswith("drop_")))'
	json_is "$st" '.global | [to_entries[] | select(.key | startswith("drop_")) | .value] |
		length > 0 and all(. == 0)'
}
ktap_check "no packet dropped by nflb" nodrop_ok

# 11: the same with the VIP a local address of lb
local_ok()
{
	vip_local || return 1
	cl_download "$VIP4" 80 41301 "$D/dl.local" || { echo "download failed"; return 1; }
	same_file "$D/data" "$D/dl.local" || return 1
	cl_upload "$VIP4" 81 41302 "$D/data" || { echo "upload failed"; return 1; }
	wait_for 20 eval "[ \"\$(cat $D/up/up-s*-41302 2>/dev/null | wc -c)\" -ge $MIB ]"
	same_file "$D/data" "$(echo "$D"/up/up-s*-41302)" || return 1
	session_exists 41301 tcp || { echo "no session for the download"; return 1; }
}
ktap_check "VIP local to lb: download and upload byte-exact, session created" local_ok

# 12: port translation
alt_ok()
{
	local s

	lbq vs add alt vip "$VIP4" port 8080 proto tcp pool web sched rr || return 1
	cl_download "$VIP4" 8080 41401 "$D/dl.alt" || { echo "download failed"; return 1; }
	same_file "$D/data" "$D/dl.alt" || return 1
	s=$(session_by_port 41401 tcp)
	echo "session: ${s:-none}"
	[ "$(obj_get "$s" vip_port)" = 8080 ] && [ "$(obj_get "$s" member_port)" = 80 ]
}
ktap_check "VS port 8080 -> member port 80: download byte-exact" alt_ok

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
