#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_lc: least connections (lc) and weighted least connections (wlc).
#
# lc, long-lived TCP connections: 6 idle connections opened one after the
# other spread 2/2/2; the two on s1 are closed (the virtual server's closing
# timeouts are 1 s, so their sessions leave soon after); the next two new
# connections both go to s1, the least loaded member (round robin would
# send the second one elsewhere).
#
# wlc, long-lived UDP sessions (the default 300 s timeout): members of
# weights 1:2:3, 12 flows one after the other end up 2/4/6; s3's sessions
# are flushed and the next 6 new flows all go to s3 until its active count
# per weight catches up with the others'.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools

ktap_header 7
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
srv_tcpconn 80 && srv_udpecho 53 || ktap_abort "cannot start the servers"
lbbatch <<EOF || ktap_abort "cannot configure nflb"
pool add tp
member add tp $(server4 1):80
member add tp $(server4 2):80
member add tp $(server4 3):80
vs add lc vip $VIP4 port 80 proto tcp pool tp sched lc
timeout set vs lc tcp-fin-wait 1 tcp-close-wait 1 tcp-last-ack 1 tcp-time-wait 1 tcp-close 1
pool add up
member add up $(server4 1):53 weight 1
member add up $(server4 2):53 weight 2
member add up $(server4 3):53 weight 3
vs add wlc vip $VIP4 port 53 proto udp pool up sched wlc
EOF

# actives POOL PORT: "s1 s2 s3" active session counts (one lbctl call).
actives()
{
	local o a p i
	declare -A act=()

	while IFS= read -r o; do
		a=$(obj_get "$o" addr) && p=$(obj_get "$o" port) || continue
		act[$a:$p]=$(obj_get "$o" active)
	done < <(member_objs "$1")
	echo "${act[$(server4 1):$2]:-?} ${act[$(server4 2):$2]:-?} ${act[$(server4 3):$2]:-?}"
}

# open_conn N: long-lived idle connection from client port 30000+N; waits
# until it is established and echoed.  (Background processes are started
# here, at the top level: ktap_check runs its command in a subshell, which
# would forget them.)
open_conn()
{
	bg "c$1" "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b $((30000 + $1)) -k 120
	wait_for 15 grep_out "c$1" '^ok$' || ktap_diag "connection $1: $(cat "$(bg_out "c$1")")"
}

conn_ok()
{
	grep_out "c$1" '^ok$' || { echo "connection $1 failed: $(cat "$(bg_out "c$1")")"; return 1; }
}

# member_of_port CLIENT_PORT VS: the member (ADDR:PORT) of that session.
member_of_port()
{
	vs_sessions "$2" | awk -v p="$1" '$1 == p { print $2 }'
}

# --- 1: 6 connections spread 2/2/2 ---
for i in 1 2 3 4 5 6; do open_conn "$i"; done
six()
{
	local i a
	for i in 1 2 3 4 5 6; do conn_ok "$i" || return 1; done
	a=$(actives tp 80)
	echo "active per member after 6 connections: $a"
	[ "$a" = "2 2 2" ]
}
ktap_measure "lc: 6 long-lived TCP connections spread 2/2/2" six

# --- 2: close s1's two, they leave ---
S1="$(server4 1):80"
closed=""
for i in 1 2 3 4 5 6; do
	[ "$(member_of_port $((30000 + i)) lc)" = "$S1" ] || continue
	bg_stop "c$i"
	closed+=" $i"
done
s1_idle() { [ "$(actives tp 80)" = "0 2 2" ]; }
close_s1()
{
	echo "closed connections:$closed"
	wait_for 20 s1_idle || { echo "actives: $(actives tp 80)"; return 1; }
	echo "active per member: $(actives tp 80)"
	[ "$(actives tp 80)" = "0 2 2" ]
}
ktap_measure "lc: the two connections on s1 closed, its active count drops to 0" close_s1

# --- 3: the next two go to s1 ---
open_conn 7
open_conn 8
refill()
{
	local i m
	for i in 7 8; do
		conn_ok "$i" || return 1
		m=$(member_of_port $((30000 + i)) lc)
		echo "connection $i -> $m"
		[ "$m" = "$S1" ] || return 1
	done
	echo "active per member: $(actives tp 80)"
	[ "$(actives tp 80)" = "2 2 2" ]
}
ktap_measure "lc: both new connections go to the least loaded member s1" refill

# --- 4: the long-lived connections still work ---
alive()
{
	local i bad=0
	for i in 2 3 4 5 6 7 8; do
		bg_running "c$i" || continue
		grep_out "c$i" '^(eof|reset|error)' && { echo "c$i: $(cat "$(bg_out "c$i")")"; bad=1; }
	done
	return "$bad"
}
ktap_check "lc: the other long-lived connections are undisturbed" alive

# --- 5: wlc, 12 flows -> 2/4/6 ---
wlc12()
{
	local a
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 20000 -c 12 -t 2000 | tail -n 1
	a=$(actives up 53)
	echo "wlc 1:2:3, active per member after 12 flows: $a"
	[ "$a" = "2 4 6" ]
}
ktap_measure "wlc 1:2:3: 12 long-lived UDP sessions end up 2/4/6" wlc12

# --- 6: flush s3's sessions; the next 6 all go to s3 ---
wlc_refill()
{
	local a
	lbq session flush vs wlc member "$(server4 3)" || return 1
	echo "after flushing s3: $(actives up 53)"
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 21000 -c 6 -t 2000 | tail -n 1
	vs_sessions wlc | awk '$1 >= 21000 { print "flow " $1 " -> " $2 }'
	a=$(actives up 53)
	echo "active per member: $a"
	[ "$a" = "2 4 6" ] &&
		[ "$(vs_sessions wlc | awk -v m="$(server4 3):53" '$1 >= 21000 && $2 != m' | wc -l)" -eq 0 ]
}
ktap_measure "wlc: after s3 is emptied, the next 6 flows all go to s3" wlc_refill

ktap_check "no kernel warnings" dmesg_check
ktap_finish
