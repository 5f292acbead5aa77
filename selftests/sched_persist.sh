#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_persist: persistence (source affinity) with rr, end to end.
#
# TCP virtual server, rr, persist 30 mask4 24 (and mask6 64 for IPv6):
# - 4 connections of the client (different source ports) all go to one
#   member M1, although rr would rotate them;
# - M1 drained (weight 0): the client's new connections move to one other
#   member M2 and stay there; M1 back to weight 1: they stay on M2;
# - M2 down: they move to one member M3 and stay there;
# - M3 deleted from the pool: new connections must not go to it any more;
# - the virtual server moved to another pool: new connections go to that
#   pool's member, not to the old affinity;
# - IPv6, mask6 64: 3 connections, one member.
# UDP virtual server, rr, persist 30 mask4 24: 10 clients of each of 9 /24
# prefixes (spoofed sources): every prefix on a single member, and the
# prefixes spread over all three.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools
require_srcflows

D=$NFLB_TMP

ktap_header 10
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
ip -n "$NS_LB" route add 10.1.0.0/16 via 10.0.1.2 || ktap_abort "cannot add the route to the clients"
srv_tcpconn 80 && srv_udpecho 53 || ktap_abort "cannot start the servers"
{
	echo "pool add p"
	echo "pool add p6"
	echo "pool add u"
	echo "pool add other"
	for i in 1 2 3; do
		echo "member add p $(server4 $i):80"
		echo "member add p6 [$(server6 $i)]:80"
		echo "member add u $(server4 $i):53"
	done
	cat <<-EOF
	vs add web vip $VIP4 port 80 proto tcp pool p sched rr persist 30 mask4 24
	vs add web6 vip $VIP6 port 80 proto tcp pool p6 sched rr persist 30 mask6 64
	vs add dns vip $VIP4 port 53 proto udp pool u sched rr persist 30 mask4 24
	EOF
} | lbbatch || ktap_abort "cannot configure nflb"

# conns BATCH N [-6]: N connections (client ports 30000+10*BATCH...), one
# after the other; prints the member of each.
SP=30000
conns()
{
	local b=$1 n=$2 i p vs=web addr=$VIP4 v6=()

	[ "${3:-}" = -6 ] && vs=web6 addr=$VIP6 v6=(-6)
	for ((i = 0; i < n; i++)); do
		p=$((SP + 10 * b + i))
		in_ns "$NS_CL" "$TCPCONN" "${v6[@]}" -a "$addr" -p 80 -b "$p" -w 5 >"$D/c$p" 2>&1
		grep -q '^closed fin' "$D/c$p" || echo "connection $p failed: $(tr '\n' ' ' <"$D/c$p")" >&2
	done
	vs_sessions "$vs" | awk -v lo=$((SP + 10 * b)) -v hi=$((SP + 10 * b + n)) \
		'$1 >= lo && $1 < hi { print $2 }' >"$D/b$b"
}

# one_member BATCH N: all N connections of the batch on a single member;
# prints it.
one_member()
{
	local u
	u=$(sort -u "$D/b$1")
	[ "$(wc -l <"$D/b$1")" -eq "$2" ] && [ "$(echo "$u" | wc -l)" -eq 1 ] && echo "$u"
}

# report BATCH: the members of that batch's connections, with counts.
report() { echo "batch $1: $(sort "$D/b$1" | uniq -c | tr -s ' \n' '  ')"; }

# --- 1: affinity holds although rr rotates ---
conns 0 4
M1=$(one_member 0 4)
t1() { report 0; [ -n "$M1" ]; }
ktap_measure "persist 30 mask4 24, rr: 4 connections of one client on one member" t1

# --- 2: M1 drained: the client moves to one other member and stays ---
lbq member set p "$M1" weight 0
conns 1 3
M2=$(one_member 1 3)
t2() { echo "drained $M1"; report 1; [ -n "$M2" ] && [ "$M2" != "$M1" ]; }
ktap_measure "affinity member drained (weight 0): the client moves to one other member" t2

# --- 3: M1 back: the client stays on M2 ---
lbq member set p "$M1" weight 1
conns 2 3
t3() { report 2; [ "$(one_member 2 3)" = "$M2" ]; }
ktap_measure "drained member back: the client stays on its new member" t3

# --- 4: M2 down: the client moves on ---
lbq member set p "$M2" state down
conns 3 3
M3=$(one_member 3 3)
t4() { echo "down $M2"; report 3; [ -n "$M3" ] && [ "$M3" != "$M2" ]; }
ktap_measure "affinity member down: the client moves to one other member" t4
lbq member set p "$M2" state up

# --- 5: M3 deleted: no new connection may go to it ---
lbq member del p "$M3"
conns 4 3
t5() { echo "deleted $M3"; report 4; ! grep -qx "$M3" "$D/b4" && [ "$(wc -l <"$D/b4")" -eq 3 ]; }
ktap_measure "affinity member deleted from the pool: new connections avoid it" t5
lbq member add p "$M3"

# --- 6: the virtual server moves to another pool ---
cur=$(tail -n 1 "$D/b4")
for i in 1 2 3; do
	[ "$(server4 $i):80" = "$cur" ] || { NEW="$(server4 $i):80"; break; }
done
lbq member add other "$NEW" && lbq vs set web pool other
conns 5 3
t6() { echo "affinity was $cur, pool other has only $NEW"; report 5; [ "$(one_member 5 3)" = "$NEW" ]; }
ktap_measure "virtual server moved to another pool: new connections go to its member" t6

# --- 7: IPv6, mask6 64 ---
conns 6 3 -6
t7() { report 6; [ -n "$(one_member 6 3)" ]; }
ktap_measure "IPv6, persist mask6 64: 3 connections of one client on one member" t7

# --- 8, 9: UDP, 9 prefixes of 10 clients each ---
for p in 1 2 3 4 5 6 7 8 9; do
	for h in 1 2 3 4 5 6 7 8 9 10; do echo "10.1.$p.$((h * 20))"; done
done >"$D/clients"
in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p 53 -b 40000 <"$D/clients" >/dev/null
vs_sessions_by_client dns | awk '{ split($1, a, "."); print a[1] "." a[2] "." a[3], $2 }' >"$D/pfx"
prefixes()
{
	awk '{ n++; if (!($1 in m)) { m[$1] = $2; k++ } else if (m[$1] != $2) bad++ }
		END { for (p in m) { printf "%s.0/24 -> %s\n", p, m[p]; used[m[p]]++ }
			for (u in used) nu++
			printf "%d flows, %d prefixes, %d flows off their prefix'"'"'s member, %d members used\n", n, k, bad, nu
			exit !(n == 90 && k == 9 && !bad && nu == 3) }' "$D/pfx"
}
ktap_measure "UDP persist mask4 24: each /24 of clients on one member, prefixes spread over all" prefixes
t9() { lb vs show dns; lb vs show dns | grep -q 'persist 30 mask4 24 mask6 128'; }
ktap_measure "vs show reports persist timeout and masks" t9

ktap_check "no kernel warnings" dmesg_check
ktap_finish
