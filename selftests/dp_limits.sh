#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_limits: per-VS and global session limits.
# - per-VS max-sessions 10: ten UDP flows (ten source ports) get sessions and
#   answers; further new flows get no answer, no session, and are counted in
#   drop_session_limit (global and VS); the VS stays at 10 sessions; existing
#   flows keep working; lifting the limit admits new flows again;
# - global max-sessions: the table fills up to it across virtual servers, the
#   next new flow is refused and counted, existing flows keep working;
# - TCP: with max-sessions 1, a second connection is refused while the first,
#   established one keeps exchanging data.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_tools

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
srv_udpecho 53 && srv_tcpconn 80 || ktap_abort "cannot start the servers"
lb_service dns "$VIP4" 53 udp max-sessions 10 &&
	lbq vs add other vip "$VIP4" port 54 proto udp pool dns sched rr &&
	lb_service web "$VIP4" 80 tcp max-sessions 1 &&
	lbq timeout set vs dns udp 3600 && lbq timeout set vs other udp 3600 ||
	ktap_abort "cannot configure nflb"

D=$NFLB_TMP

# udp_flows SPORT COUNT [TIMEOUT_MS] [PORT]: COUNT new flows; prints udpecho's output
udp_flows()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p "${4:-53}" -b "$1" -c "$2" -t "${3:-2000}"
}

# n_sessions VS
n_sessions()
{
	json_objs "$(sessions vs "$1")" | grep -c '"client_port"'
}

replies()
{
	sed -n 's/^replies=\([0-9]*\)\/.*/\1/p' <<<"$1"
}

# 1
fill()
{
	local out

	out=$(udp_flows 48001 10)
	echo "$out"
	[ "$(replies "$out")" = 10 ] && [ "$(n_sessions dns)" = 10 ]
}
ktap_check "per-VS limit 10: ten new flows get sessions and answers" fill

# 2
refused()
{
	local g v out n

	g=$(stat_get drop_session_limit)
	v=$(stat_get drop_session_limit dns)
	out=$(udp_flows 48011 6 500)
	echo "$out"
	n=$(n_sessions dns)
	echo "sessions of dns: $n"
	[ "$(replies "$out")" = 0 ] && [ "$n" = 10 ] &&
		delta_ge "$g" "$(stat_get drop_session_limit)" 6 "global drop_session_limit" &&
		delta_ge "$v" "$(stat_get drop_session_limit dns)" 6 "VS drop_session_limit" &&
		session_gone 48011 && session_gone 48016
}
ktap_check "at the per-VS limit: new flows refused, counted, no session, table stays at 10" refused

# 3
existing()
{
	local out

	out=$(udp_flows 48001 10)
	echo "$out"
	[ "$(replies "$out")" = 10 ]
}
ktap_check "at the per-VS limit: the ten existing flows keep working" existing

# 4
lifted()
{
	lbq vs set dns max-sessions 0 || return 1
	udp_flows 48011 1 && session_exists 48011 udp
}
ktap_check "limit lifted (max-sessions 0): a new flow is admitted" lifted

# 5: global limit: 11 sessions now; allow 15
glob()
{
	local g v out n

	lbq global set max-sessions 15 || return 1
	out=$(udp_flows 48101 4 2000 54)
	echo "$out"
	[ "$(replies "$out")" = 4 ] || { echo "flows below the global limit were refused"; return 1; }
	g=$(stat_get drop_session_limit)
	v=$(stat_get drop_session_limit other)
	out=$(udp_flows 48105 2 500 54)
	echo "$out"
	n=$(obj_get "$(lb -j info)" sessions)
	echo "sessions in the table: $n"
	[ "$(replies "$out")" = 0 ] && [ "$n" = 15 ] &&
		delta_ge "$g" "$(stat_get drop_session_limit)" 2 "global drop_session_limit" &&
		delta_ge "$v" "$(stat_get drop_session_limit other)" 2 "VS drop_session_limit"
}
ktap_check "global limit 15: the table fills to 15 across VSes, the next flows are refused, counted" glob

# 6
glob_existing()
{
	local out

	out=$(udp_flows 48001 3) && echo "$out" && out=$(udp_flows 48101 4 2000 54) && echo "$out"
}
ktap_check "at the global limit: existing flows of both VSes keep working" glob_existing
lbq global set max-sessions 1048576

# 7: TCP
tcp_limit()
{
	local out

	bg first "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 48201 -k 60 -T "$D/go.first"
	wait_for 15 grep_out first '^ok' || { cat "$(bg_out first)"; return 1; }
	out=$(in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 48202 -w 3)
	echo "second connection: $out"
	grep -q '^ok' <<<"$out" && { echo "second connection got through"; return 1; }
	session_gone 48202 || { echo "session for the refused SYN"; return 1; }
	touch "$D/go.first"
	wait_for 15 grep_out first '^data 5$' || { cat "$(bg_out first)"; echo "first stalled"; return 1; }
}
ktap_check "TCP, max-sessions 1: a second connection is refused, the first keeps working" tcp_limit

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
