#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_drain: members that take no new sessions, end to end through the VIP.
#
# - weight 0 (drain): no new sessions (UDP flows and TCP connections go to
#   the others), an idle established TCP connection through it still works;
# - state down: the same, in a pool without expire-on-down;
# - expire-on-down pool, virtual server with reset-on-expiry: the down
#   member's sessions vanish at once and both ends of its connection get a
#   RST; the other members' connections are untouched;
# - max-conns 2: the member takes 2 sessions and no more; once its sessions
#   are gone it takes 2 again;
# - drain with a deadline: weight 0 and drain-timeout 3 on a member with an
#   idle established connection: reset on both ends after the deadline
#   (waited for up to 15 s; timing is not asserted), while member show
#   counts down; virtual server drain on with drain-timeout 3: new
#   connections refused (dropped, counted as drop_no_member), the
#   established one reset on both ends.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools

D=$NFLB_TMP

ktap_header 13
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
srv_tcpconn 80 && srv_udpecho 53 || ktap_abort "cannot start the servers"

# mkpool NAME PORT [POOL OPTIONS]: lbctl lines for a pool of the three
# servers on PORT.
mkpool()
{
	local name=$1 port=$2 i

	shift 2
	echo "pool add $name $*"
	for i in 1 2 3; do echo "member add $name $(server4 $i):$port"; done
}

{
	mkpool u 53
	echo "vs add dns vip $VIP4 port 53 proto udp pool u sched rr"
	mkpool t 80
	echo "vs add web vip $VIP4 port 80 proto tcp pool t sched rr"
	mkpool e 80 expire-on-down on
	echo "vs add ew vip $VIP4 port 81 proto tcp pool e sched rr reset-on-expiry"
	mkpool m 53
	echo "member set m $(server4 1):53 max-conns 2"
	echo "vs add lim vip $VIP4 port 54 proto udp pool m sched rr"
	mkpool d 80
	echo "vs add dl vip $VIP4 port 82 proto tcp pool d sched rr"
	mkpool v 80
	echo "vs add vd vip $VIP4 port 83 proto tcp pool v sched rr"
} | lbbatch || ktap_abort "cannot configure nflb"

# conn NAME VSPORT SPORT: a long-lived idle connection (started here at the
# top level: ktap_check's subshell would forget the background process);
# touching $D/NAME.late makes it send "late\n" (echoed back: "data 5").
conn()
{
	bg "$1" "$NS_CL" "$TCPCONN" -a "$VIP4" -p "$2" -b "$3" -k 90 -T "$D/$1.late"
	wait_for 15 grep_out "$1" '^ok$' || ktap_diag "$1: $(cat "$(bg_out "$1")")"
}

# conn_member VS SPORT: the member (ADDR:PORT) of that connection's session.
conn_member()
{
	vs_sessions "$1" | awk -v p="$2" '$1 == p { print $2 }'
}

created() { member_created "$1" "$2"; }

# late NAME: the connection still carries data both ways.
late()
{
	touch "$D/$1.late"
	wait_for 10 grep_out "$1" '^data 5$' || { echo "$1: $(cat "$(bg_out "$1")")"; return 1; }
}

# server_reset SPORT: the server that had the connection logged its RST.
server_reset()
{
	local i
	for i in 1 2 3; do
		grep_out "tcp80-s$i" "^reset 10\.0\.1\.2 $1\$" && echo "s$i" && return 0
	done
	return 1
}

# reset_both NAME SPORT: the client saw a RST, and the server that had its
# connection logged one for it.
reset_both()
{
	wait_for 15 grep_out "$1" '^reset$' || { echo "$1 (client): $(cat "$(bg_out "$1")")"; return 1; }
	wait_for 5 server_reset "$2" >/dev/null || { echo "$1: no server logged a reset of client port $2"; return 1; }
	echo "$1: client and server $(server_reset "$2") saw the RST"
}

# ---------------------------------------------------------------------------
# 1-2: weight 0
conn w1 80 30001
conn w2 80 30002
conn w3 80 30003
DR=$(conn_member web 30001)
lbq member set t "$DR" weight 0
lbq member set u "${DR%:*}:53" weight 0
before_t=$(created "$DR" t)
before_u=$(created "${DR%:*}:53" u)
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 20000 -c 30 -t 2000 >"$D/drain.udp"
for i in 1 2 3; do
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b $((30100 + i)) >>"$D/drain.tcp" 2>&1
done
drain_new()
{
	local at au
	at=$(created "$DR" t) && au=$(created "${DR%:*}:53" u) || return 1
	echo "drained $DR: sessions_created tcp $before_t -> $at, udp $before_u -> $au"
	tail -n 1 "$D/drain.udp"
	echo "tcp: $(grep -c '^closed fin' "$D/drain.tcp")/3 connections worked"
	[ "$at" = "$before_t" ] && [ "$au" = "$before_u" ] && grep -q '^replies=30/30' "$D/drain.udp" &&
		[ "$(grep -c '^closed fin' "$D/drain.tcp")" -eq 3 ]
}
ktap_measure "weight 0: no new sessions (30 UDP flows, 3 TCP connections went elsewhere)" drain_new
ktap_measure "weight 0: the established connection through it still carries data" late w1

# 3-4: state down (no expire-on-down)
DN=$(conn_member web 30002)
lbq member set t "$DN" state down
before_dn=$(created "$DN" t)
for i in 1 2; do
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b $((30200 + i)) >>"$D/down.tcp" 2>&1
done
down_new()
{
	local a
	a=$(created "$DN" t) || return 1
	echo "down $DN: sessions_created $before_dn -> $a; $(grep -c '^closed fin' "$D/down.tcp")/2 connections worked"
	[ "$a" = "$before_dn" ] && [ "$(grep -c '^closed fin' "$D/down.tcp")" -eq 2 ]
}
ktap_measure "state down: no new sessions (2 connections went to the only member left)" down_new
ktap_measure "state down, pool without expire-on-down: its connection still carries data" late w2

# 5-6: expire-on-down with reset-on-expiry
conn e1 81 31001
conn e2 81 31002
conn e3 81 31003
EX=$(conn_member ew 31001)
resets0=$(stat_get resets_sent ew)
lbq member set e "$EX" state down
expire_gone()
{
	local n
	n=$(vs_sessions ew | awk -v m="$EX" '$2 == m' | wc -l)
	echo "down $EX in an expire-on-down pool: $n sessions left on it; resets_sent +$(($(stat_get resets_sent ew) - resets0))"
	[ "$n" -eq 0 ] && delta_ge "$resets0" "$(stat_get resets_sent ew)" 2 resets_sent &&
		reset_both e1 31001
}
ktap_measure "expire-on-down: the down member's session vanishes, RST to both ends" expire_gone
others_ok()
{
	late e2 && late e3 && [ "$(vs_sessions ew | wc -l)" -eq 2 ]
}
ktap_check "expire-on-down: the other members' connections are untouched" others_ok

# 7-8: max-conns 2
LM="$(server4 1):53"
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 21000 -c 12 -t 2000 >"$D/lim1"
limit_hit()
{
	local a
	a=$(member_get "$LM" active m)
	tail -n 1 "$D/lim1"
	echo "member with max-conns 2: active $a after 12 flows; $(vs_sessions lim | count_members | tr '\n' ' ')"
	[ "$a" = 2 ] && grep -q '^replies=12/12' "$D/lim1"
}
ktap_measure "max-conns 2: the member takes 2 of 12 flows, the others the rest" limit_hit
lbq session flush vs lim member "${LM%:*}"
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 22000 -c 12 -t 2000 >"$D/lim2"
limit_again()
{
	local a
	a=$(member_get "$LM" active m)
	echo "after its sessions were flushed and 12 more flows: active $a; $(vs_sessions lim | count_members | tr '\n' ' ')"
	[ "$a" = 2 ] && [ "$(vs_sessions lim | awk -v m="$LM" '$1 >= 22000 && $2 == m' | wc -l)" -eq 2 ]
}
ktap_measure "max-conns 2: below its limit again, it takes exactly 2 new sessions" limit_again

# 9-10: member drain with a deadline
conn d1 82 32001
conn d2 82 32002
conn d3 82 32003
DD=$(conn_member dl 32001)
lbq member set d "$DD" weight 0 drain-timeout 3
countdown=$(member_get "$DD" drain_timeout d)
member_deadline()
{
	echo "member show right after 'weight 0 drain-timeout 3': drain_timeout $countdown"
	[ "${countdown:-0}" -ge 1 ] && [ "$countdown" -le 3 ] || return 1
	reset_both d1 32001 && late d2 && late d3
}
ktap_measure "member weight 0 drain-timeout 3: its idle connection reset on both ends, others untouched" member_deadline
after=$(member_get "$DD" drain_timeout d)
ktap_measure "member drain-timeout after the deadline: 'member show' says 0 or the configured 3" \
	eval "echo drain_timeout now ${after:-none}; [ '${after:-x}' = 0 ] || [ '${after:-x}' = 3 ]"

# 11-12: virtual server drain with a deadline
conn v1 83 33001
nm0=$(stat_get drop_no_member vd)
lbq vs set vd drain on drain-timeout 3
vsj=$(lb -j vs show vd)
in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 83 -b 33100 -w 2 >"$D/vd.new" 2>&1
vs_deadline()
{
	local dt
	dt=$(obj_get "$(json_objs "$(sed 's/"timeouts": *{[^{}]*}//; s/"persist": *{[^{}]*}//; s/"stats": *{[^{}]*}//' <<<"$vsj")" | head -n 1)" drain_timeout)
	echo "vs show: flags $(grep -o '"flags": *\[[^]]*\]' <<<"$vsj"), drain_timeout $dt"
	echo "new connection while draining: $(cat "$D/vd.new")"
	[[ $vsj =~ \"flags\":\ *\[[^]]*\"drain\" ]] && [ "${dt:-0}" -ge 1 ] && [ "$dt" -le 3 ] &&
		! grep -q '^ok$' "$D/vd.new" && delta_ge "$nm0" "$(stat_get drop_no_member vd)" 1 drop_no_member
}
ktap_measure "vs drain on drain-timeout 3: no new connections (drop_no_member counted)" vs_deadline
ktap_measure "vs drain on drain-timeout 3: the established connection reset on both ends" reset_both v1 33001

ktap_check "no kernel warnings" dmesg_check
ktap_finish
