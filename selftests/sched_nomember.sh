#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_nomember: no member available.
#
# - rst-no-member: a SYN to a virtual server whose pool is empty is answered
#   with a RST: the client's connect fails with ECONNREFUSED (not a
#   timeout); counted as drop_no_member; no session is created;
# - the same over IPv6 with every member drained (weight 0), and for a
#   virtual server that is draining (drain flag) although its member is up;
# - without rst-no-member (all members down): the SYN is dropped, the
#   client's connect times out, drop_no_member counts every SYN;
# - UDP with all members down: 3 datagrams dropped and counted (exactly 3);
# - a member coming up makes the virtual server work again.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools

D=$NFLB_TMP

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 2 || ktap_abort "cannot build the topology"
srv_tcpconn 80 && srv_udpecho 53 || ktap_abort "cannot start the servers"
lbbatch <<EOF || ktap_abort "cannot configure nflb"
pool add empty
pool add dn
member add dn $(server4 1):80 state down
member add dn $(server4 2):80 state down
pool add dn53
member add dn53 $(server4 1):53 state down
pool add dr6
member add dr6 [$(server6 1)]:80 weight 0
member add dr6 [$(server6 2)]:80 weight 0
pool add up
member add up $(server4 1):80
vs add rst vip $VIP4 port 80 proto tcp pool empty rst-no-member
vs add drop vip $VIP4 port 81 proto tcp pool dn
vs add rst6 vip $VIP6 port 80 proto tcp pool dr6 rst-no-member
vs add draining vip $VIP4 port 82 proto tcp pool up rst-no-member drain
vs add udp vip $VIP4 port 53 proto udp pool dn53
EOF

# attempt NAME PORT [-6]: one connection attempt (5 s limit); output in $D/NAME.
attempt()
{
	local v6=() addr=$VIP4
	[ "${3:-}" = -6 ] && v6=(-6) addr=$VIP6
	in_ns "$NS_CL" "$TCPCONN" "${v6[@]}" -a "$addr" -p "$2" -w "${4:-5}" >"$D/$1" 2>&1
}

# refused NAME VS BEFORE: the attempt failed with ECONNREFUSED, the VS
# counted drop_no_member and holds no session.
refused()
{
	local after
	after=$(stat_get drop_no_member "$2")
	echo "$2: client: $(cat "$D/$1"); drop_no_member $3 -> $after; sessions $(vs_sessions "$2" | wc -l)"
	grep -q '^error connect Connection refused' "$D/$1" && [ "$after" -gt "$3" ] &&
		[ "$(vs_sessions "$2" | wc -l)" -eq 0 ]
}

b=$(stat_get drop_no_member rst); attempt rst 80
ktap_measure "rst-no-member, empty pool: the SYN gets a RST (ECONNREFUSED), counted" refused rst rst "$b"
b6=$(stat_get drop_no_member rst6); attempt rst6 80 -6
ktap_measure "rst-no-member, IPv6, all members drained: ECONNREFUSED, counted" refused rst6 rst6 "$b6"
bd=$(stat_get drop_no_member draining); attempt draining 82
ktap_measure "rst-no-member, virtual server draining (member up): ECONNREFUSED" refused draining draining "$bd"

# without rst-no-member: dropped
bx=$(stat_get drop_no_member drop); bg0=$(stat_get drop_no_member)
attempt drop 81 "" 3
dropped()
{
	local after ag
	after=$(stat_get drop_no_member drop); ag=$(stat_get drop_no_member)
	echo "drop: client: $(cat "$D/drop"); drop_no_member $bx -> $after (global $bg0 -> $ag)"
	grep -q '^error connect timeout' "$D/drop" && [ "$after" -gt "$bx" ] && [ "$ag" -gt "$bg0" ] &&
		[ "$(vs_sessions drop | wc -l)" -eq 0 ]
}
ktap_measure "no rst-no-member, all members down: the SYN is dropped (timeout), counted" dropped

# UDP
bu=$(stat_get drop_no_member udp)
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 20000 -c 3 -t 500 >"$D/udp"
udp_dropped()
{
	echo "udp: $(tail -n 1 "$D/udp"); drop_no_member $bu -> $(stat_get drop_no_member udp)"
	grep -q '^replies=0/3' "$D/udp" && delta_eq "$bu" "$(stat_get drop_no_member udp)" 3 drop_no_member &&
		[ "$(vs_sessions udp | wc -l)" -eq 0 ]
}
ktap_measure "UDP, all members down: 3 datagrams dropped, drop_no_member +3" udp_dropped

# a member comes up: works again
lbq member set dn "$(server4 2):80" state up && lbq member set dn53 "$(server4 1):53" state up
attempt back 81
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 20100 -c 3 -t 2000 >"$D/udp2"
back()
{
	echo "tcp: $(tr '\n' ' ' <"$D/back"); udp: $(tail -n 1 "$D/udp2")"
	grep -q '^closed fin' "$D/back" && grep -q '^replies=3/3' "$D/udp2"
}
ktap_measure "a member comes up: TCP and UDP work again" back

# the refusals created nothing and took nothing from other counters
stats_sane()
{
	local s
	s=$(lb -j stats)
	echo "sessions_created global $(json_num "$s" sessions_created), rst $(json_num "$s" sessions_created rst), rst6 $(json_num "$s" sessions_created rst6)"
	[ "$(json_num "$s" sessions_created rst)" = 0 ] && [ "$(json_num "$s" sessions_created rst6)" = 0 ] &&
		[ "$(json_num "$s" sessions_created draining)" = 0 ]
}
ktap_measure "refused flows created no sessions" stats_sane

ktap_check "no kernel warnings" dmesg_check
ktap_finish
