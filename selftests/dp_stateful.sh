#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_stateful: nflb as a stateful filter for TCP.
# - a stray ACK (and FIN, data, RST) to the VIP with no session is dropped,
#   counted in drop_no_session, creates no session and never reaches the
#   member (captured on the member);
# - with "loose" on, the same mid-stream packet creates a session and reaches
#   the member;
# - the point of loose: after the session table is flushed (as after a
#   load balancer restart) an established connection is cut off without it and
#   keeps working with it.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds tcpdump jq
require_tools

ktap_header 7
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 1 || ktap_abort "cannot build the topology"
srv_tcpconn 80 || ktap_abort "cannot start the server"
# the member answers a loose-mode ACK with RST: keep CLOSE sessions listed
lb_service web "$VIP4" 80 tcp && lbq timeout set vs web tcp-close 600 ||
	ktap_abort "cannot configure nflb"
cap_start s1 "$NS_S1" eth0 tcp port 80 or icmp || ktap_abort "cannot capture on the server"

D=$NFLB_TMP
craft()
{
	in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P tcp -D 80 "$@"
}
# at_member SPORT: packets from the client's SPORT the member got (after a
# barrier: anything the client sent before is in the capture by then)
at_member()
{
	cap_sync s1 "$NS_CL" 10.0.11.2 >&2
	cap_count s1 src host 10.0.1.2 and tcp src port "$1"
}

# 1, 2
before=$(stat_get drop_no_session)
before_vs=$(stat_get drop_no_session web)
craft -S 44001 -f A --seq 1000 --ack 2000 -c 3
ack_counted()
{
	wait_for 10 eval "[ \$(stat_get drop_no_session) -ge $((before + 3)) ]"
	delta_ge "$before" "$(stat_get drop_no_session)" 3 "global drop_no_session" &&
		delta_ge "$before_vs" "$(stat_get drop_no_session web)" 3 "VS drop_no_session"
}
ktap_check "stray ACK to the VIP without a session: dropped, counted (global and VS)" ack_counted
ack_invisible()
{
	local n

	n=$(at_member 44001)
	echo "member saw $n packets from port 44001; session: $(session_by_port 44001)"
	[ "$n" -eq 0 ] && session_gone 44001
}
ktap_check "the member never sees the stray ACK; no session created" ack_invisible

# 3
before=$(stat_get drop_no_session)
craft -S 44002 -f F --seq 1000 --ack 2000
craft -S 44003 -f PA --seq 1000 --ack 2000 -m data
craft -S 44004 -f R --seq 1000
others_dropped()
{
	local p

	wait_for 10 eval "[ \$(stat_get drop_no_session) -ge $((before + 3)) ]"
	delta_ge "$before" "$(stat_get drop_no_session)" 3 drop_no_session || return 1
	for p in 44002 44003 44004; do
		[ "$(at_member $p)" -eq 0 ] || { echo "member saw packets from port $p"; return 1; }
		session_gone $p || { echo "session created for port $p"; return 1; }
	done
}
ktap_check "stray FIN, data and RST without a session: dropped and counted" others_dropped

# 4
lbq vs set web loose on
loose_ok()
{
	local created

	created=$(stat_get sessions_created web)
	craft -S 44001 -f A --seq 1000 --ack 2000
	wait_for 5 session_exists 44001 tcp || { echo "no session for port 44001"; sessions; return 1; }
	delta_eq "$created" "$(stat_get sessions_created web)" 1 sessions_created || return 1
	[ "$(at_member 44001)" -gt 0 ] || { echo "member did not get the ACK"; return 1; }
}
ktap_check "loose on: the same mid-stream ACK creates a session and reaches the member" loose_ok
lbq vs set web loose off

# 5, 6: flush the sessions under an established connection
# hold NAME SPORT: an idle connection that sends "late\n" when $D/go.NAME appears
hold()
{
	bg "$1" "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b "$2" -k 60 -T "$D/go.$1"
	wait_for 15 grep_out "$1" '^ok' || { ktap_diag "$1: $(cat "$(bg_out "$1")")"; return 1; }
}

hold cut 44101
cut_ok()
{
	local before

	session_exists 44101 tcp || { echo "no session before the flush"; return 1; }
	lbq session flush vs web || return 1
	session_gone 44101 || { echo "flush left the session"; return 1; }
	before=$(stat_get drop_no_session)
	touch "$D/go.cut"
	wait_for 15 grep_out cut '^sent late' || { echo "client did not send"; return 1; }
	wait_for 15 eval "[ \$(stat_get drop_no_session) -gt $before ]" ||
		{ echo "drop_no_session did not move"; return 1; }
	cat "$(bg_out cut)"
	! grep_out tcp80-s1 '^recv 10\.0\.1\.2 44101 5$' && ! grep_out cut '^data'
}
ktap_check "loose off: after a session flush the connection's data is dropped" cut_ok
bg_stop cut

lbq vs set web loose on
hold keep 44102
keep_ok()
{
	session_exists 44102 tcp || { echo "no session before the flush"; return 1; }
	lbq session flush vs web || return 1
	touch "$D/go.keep"
	wait_for 15 grep_out keep '^data 5$' || { cat "$(bg_out keep)"; echo "no echo"; return 1; }
	grep_out tcp80-s1 '^recv 10\.0\.1\.2 44102 5$' || { echo "server did not get it"; return 1; }
	[ "$(session_field 44102 state tcp)" = established ] ||
		{ echo "session after flush: $(session_by_port 44102)"; return 1; }
}
ktap_check "loose on: after a session flush the established connection keeps working" keep_ok
bg_stop keep

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
