#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_expiry: TCP session timeouts.
# - with tcp-established 2 s on the VS, an idle connection's session expires
#   (removed, counted) and the flow's later packets are dropped (counted) and
#   never reach the member;
# - with reset-on-expiry, both the client and the member get an RST they
#   accept (their sockets fail with ECONNRESET and are gone), resets_sent counts;
# - a new SYN reusing the tuple of a session in CLOSE (client RST) or
#   TIME_WAIT (server closed first) starts a fresh session: the connection
#   works, a session is created, and it lands on a new member (round robin),
#   not the stale one.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds jq ss
require_tools

ktap_header 9
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
# one tcpconn per server: 80 and 81 echo, 84 closes first; log: tcp80-s$i
srv_tcpconn 80 -p 81 -p 84 -C 84 || ktap_abort "cannot start the servers"
lb_service exp "$VIP4" 80 tcp && lb_service reuse "$VIP4" 81 tcp &&
	lb_service fin "$VIP4" 84 tcp || ktap_abort "cannot configure nflb"
lbq timeout set vs exp tcp-established 2 &&
	lbq timeout set vs reuse tcp-close 600 || ktap_abort "cannot set the timeouts"

D=$NFLB_TMP

# hold NAME PORT SPORT: an idle connection to VIP:PORT that sends "late\n"
# when $D/go.NAME appears
hold()
{
	bg "$1" "$NS_CL" "$TCPCONN" -a "$VIP4" -p "$2" -b "$3" -k 90 -T "$D/go.$1"
	wait_for 15 grep_out "$1" '^ok' || { ktap_diag "$1: $(cat "$(bg_out "$1")")"; return 1; }
}

# accepted_idx SPORT: the index of the server that accepted it
accepted_idx()
{
	local i

	for ((i = 1; i <= NSERVERS; i++)); do
		if grep_out "tcp80-s$i" "^accept 10\.0\.1\.2 $1\$"; then
			echo $i
			return 0
		fi
	done
	return 1
}

# accepted_by SPORT: the member address whose server accepted it
accepted_by()
{
	local i

	i=$(accepted_idx "$@") && server4 "$i"
}

# 1, 2 (a 2 s timeout races with anything slower, so the session's existence
# is shown by sessions_created, not by looking at it)
exp_before=$(stat_get sessions_expired exp)
created=$(stat_get sessions_created exp)
hold idle 80 45001
expire_ok()
{
	delta_eq "$created" "$(stat_get sessions_created exp)" 1 sessions_created || return 1
	wait_for 30 session_gone 45001 || { echo "still there: $(session_by_port 45001)"; return 1; }
	wait_counter 15 "$exp_before" 1 sessions_expired exp
}
ktap_check "tcp-established 2 s: an idle session expires, removed and counted" expire_ok
late_dropped()
{
	local before

	before=$(stat_get drop_no_session)
	touch "$D/go.idle"
	wait_for 15 grep_out idle '^sent late' || { echo "client did not send"; return 1; }
	wait_for 15 eval "[ \$(stat_get drop_no_session) -gt $before ]" ||
		{ echo "drop_no_session did not move ($before)"; return 1; }
	cat "$(bg_out idle)"
	if grep -qE '^recv 10\.0\.1\.2 45001 5$' "$NFLB_TMP"/tcp80-s*.out; then
		echo "the member got the late data"
		return 1
	fi
	session_gone 45001 || { echo "a session came back: $(session_by_port 45001)"; return 1; }
}
ktap_check "later packets of the expired flow are dropped and counted" late_dropped
bg_stop idle

# 3, 4, 5
lbq vs set exp reset-on-expiry on
rst_before=$(stat_get resets_sent)
hold rst 80 45002
midx=$(accepted_idx 45002)
ktap_diag "connection 45002 is on server ${midx:-?}"
client_rst()
{
	wait_for 40 grep_out rst '^(reset|eof|timeout|error)' || return 1
	cat "$(bg_out rst)"
	grep_out rst '^reset$'
}
ktap_check "reset-on-expiry: the client's socket gets ECONNRESET" client_rst
member_rst()
{
	wait_for 10 eval "grep -qE '^(reset|eof|error) 10\\.0\\.1\\.2 45002' $NFLB_TMP/tcp80-s*.out" ||
		{ echo "member saw nothing"; return 1; }
	grep -h 45002 "$NFLB_TMP"/tcp80-s*.out
	grep -qE '^reset 10\.0\.1\.2 45002$' "$NFLB_TMP"/tcp80-s*.out
}
ktap_check "reset-on-expiry: the member's socket gets ECONNRESET" member_rst
rst_gone()
{
	local c s

	c=$(in_ns "$NS_CL" ss -Htan "sport = :45002")
	s=""
	[ -n "$midx" ] && s=$(in_ns "$(server_ns "$midx")" ss -Htan "dport = :45002")
	echo "client sockets: ${c:-none}; member sockets: ${s:-none}"
	[ -z "$c" ] && [ -z "$s" ] && [ -n "$midx" ] &&
		delta_ge "$rst_before" "$(stat_get resets_sent)" 2 resets_sent
}
ktap_check "reset-on-expiry: no socket left on either side, 2 resets counted" rst_gone
bg_stop rst

# 6: CLOSE: close with RST, reconnect from the same port at once
created=$(stat_get sessions_created reuse)
close_reuse()
{
	local out first second

	out=$(in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 81 -b 45003 -r) || { echo "$out"; return 1; }
	first=$(accepted_by 45003)
	echo "first connection on ${first:-?}; session: $(session_by_port 45003)"
	[ "$(session_field 45003 state tcp)" = close ] || { echo "not in close state"; return 1; }
	hold again 81 45003 || return 1
	wait_for 10 eval "[ \$(cat $NFLB_TMP/tcp80-s*.out | grep -cE '^accept 10\\.0\\.1\\.2 45003\$') -ge 2 ]"
	second=$(session_field 45003 member tcp)
	echo "second connection: $(session_by_port 45003)"
	delta_eq "$created" "$(stat_get sessions_created reuse)" 2 sessions_created || return 1
	[ "$(session_field 45003 state tcp)" = established ] &&
		[ -n "$first" ] && [ "$second" != "$first" ]
}
ktap_check "SYN reusing a CLOSE session's tuple: fresh session on a new member" close_reuse
bg_stop again

# 7: TIME_WAIT: the server closes first; the client (passive closer) reconnects
created=$(stat_get sessions_created fin)
tw_reuse()
{
	local out first second

	out=$(in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 84 -b 45004 -e) || { echo "$out"; return 1; }
	first=$(session_field 45004 member tcp)
	echo "first: $(session_by_port 45004)"
	wait_for 10 eval "[ \"\$(session_field 45004 state tcp)\" = time-wait ]" ||
		{ echo "not in time-wait state"; return 1; }
	out=$(in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 84 -b 45004 -e) || { echo "second: $out"; return 1; }
	second=$(session_field 45004 member tcp)
	echo "second: $(session_by_port 45004)"
	delta_eq "$created" "$(stat_get sessions_created fin)" 2 sessions_created &&
		[ -n "$first" ] && [ "$second" != "$first" ]
}
ktap_check "SYN reusing a TIME_WAIT session's tuple: fresh session on a new member" tw_reuse

# 8
tw_count()
{
	[ "$(sessions | jq '[.[] | select(.client_port == 45004)] | length')" -eq 1 ]
}
ktap_check "the reused tuple has exactly one session" tw_count

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
