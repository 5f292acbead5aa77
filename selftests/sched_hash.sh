#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_hash: source hashing (sh) and Maglev (mh) send one client to one
# member, spread different clients, and hash-port spreads one client's
# flows.
#
# - 20 UDP flows and 4 TCP connections from the client (10.0.1.2, one
#   source port each) all land on one member, for sh and for mh;
# - 300 other clients (10.1.0.1-300, spoofed sources routed back through
#   the client namespace), two flows each from different source ports:
#   both flows of every client on the same member, and every member gets at
#   least 20% of the clients (a third expected);
# - with hash-port, 60 flows of the one client reach every member (>= 15%);
# - sh with one member down: only the clients of that member move, and
#   for mh at most 10% of the other members' clients move.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools
require_srcflows

D=$NFLB_TMP

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
ip -n "$NS_LB" route add 10.1.0.0/16 via 10.0.1.2 || ktap_abort "cannot add the route to the clients"
srv_udpecho 53 && srv_tcpconn 80 || ktap_abort "cannot start the servers"
{
	echo "pool add u"
	echo "pool add t"
	for i in 1 2 3; do
		echo "member add u $(server4 $i):53"
		echo "member add t $(server4 $i):80"
	done
	cat <<-EOF
	vs add sh vip $VIP4 port 53 proto udp pool u sched sh
	vs add mh vip $VIP4 port 54 proto udp pool u sched mh
	vs add shp vip $VIP4 port 55 proto udp pool u sched sh hash-port
	vs add mhp vip $VIP4 port 56 proto udp pool u sched mh hash-port
	vs add sht vip $VIP4 port 80 proto tcp pool t sched sh
	vs add mht vip $VIP4 port 81 proto tcp pool t sched mh
	EOF
} | lbbatch || ktap_abort "cannot configure nflb"
# The servers listen on 53 and 80 only; the VS ports differ, members do not.
# So every virtual server gets its own client source ports: two sessions
# from one client port to one member would have the same reply tuple (the
# member could not tell them apart), and nflb refuses the second.

# one_member VS: all sessions of VS on one member; prints the count.
one_member()
{
	local out n
	out=$(vs_sessions "$1" | count_members)
	echo "$1: $(echo "$out" | tr '\n' ' ')"
	n=$(echo "$out" | grep -c .)
	[ "$n" -eq 1 ]
}

# --- 1, 2: UDP, one client ---
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 20000 -c 20 -t 2000 >"$D/sh.out"
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 20100 -c 20 -t 2000 >"$D/mh.out"
udp_one()
{
	tail -n 1 "$D/$1.out"
	grep -q '^replies=20/20' "$D/$1.out" && one_member "$1" &&
		[ "$(vs_sessions "$1" | wc -l)" -eq 20 ]
}
ktap_measure "sh: 20 UDP flows of one client, all on one member" udp_one sh
ktap_measure "mh: 20 UDP flows of one client, all on one member" udp_one mh

# --- 3: TCP, one client, sh and mh ---
for i in 1 2 3 4; do
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b $((31000 + i)) >>"$D/sht.out" 2>&1
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 81 -b $((31010 + i)) >>"$D/mht.out" 2>&1
done
tcp_one()
{
	local v
	for v in sht mht; do
		[ "$(grep -c '^closed fin' "$D/$v.out")" -eq 4 ] || { cat "$D/$v.out"; return 1; }
		one_member "$v" || return 1
	done
}
ktap_measure "sh and mh: 4 TCP connections of one client, all on one member" tcp_one

# --- 4, 5: 300 clients, two flows each ---
"$SRCFLOWS" list 10.1.0.0 300 >"$D/clients"
for sp in 40000 40001; do
	in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p 53 -b $sp <"$D/clients" >/dev/null
	in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p 54 -b $((sp + 1000)) <"$D/clients" >/dev/null
done
spread()
{
	vs_sessions_by_client "$1" | awk '{ split($1, c, ":"); print c[1], c[2], $2 }' >"$D/$1.spread"
	awk 'NR == FNR { want[$1] = 1; next }
		($1 in want) { n++
			if (($1) in first) { if (first[$1] != $3) split_++ } else { first[$1] = $3; per[$3]++ } }
		END { for (a in want) if (!(a in first)) miss++
			for (m in per) { k++; printf "%s: %d clients (%.1f%%)\n", m, per[m], 100 * per[m] / 300; if (per[m] < 60) low++ }
			printf "%d flows, %d clients without a session, %d clients split over two members\n", n, miss, split_
			exit !(n == 600 && !miss && !split_ && k == 3 && !low) }' "$D/clients" "$D/$1.spread"
}
ktap_measure "sh: 300 clients, both flows of each on one member, every member >= 20%" spread sh
ktap_measure "mh: 300 clients, both flows of each on one member, every member >= 20%" spread mh

# --- 6: hash-port spreads one client ---
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 55 -b 20200 -c 60 -t 2000 >"$D/shp.out"
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 56 -b 20300 -c 60 -t 2000 >"$D/mhp.out"
hashport()
{
	local v
	for v in shp mhp; do
		vs_sessions "$v" | count_members >"$D/$v.count"
		echo "$v: $(tr '\n' ' ' <"$D/$v.count")"
		awk '{ n += $2; k++; if ($2 < 9) low++ } END { exit !(n == 60 && k == 3 && !low) }' "$D/$v.count" ||
			return 1
	done
}
ktap_measure "hash-port: 60 flows of one client reach every member (>= 15% each)" hashport

# --- 7: a member goes down: sh moves only its clients, mh few others ---
DOWN="$(server4 2):53"
lbq member set u "$DOWN" state down
in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p 53 -b 40002 <"$D/clients" >/dev/null
in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p 54 -b 41002 <"$D/clients" >/dev/null
moves()
{
	local v base
	for v in sh mh; do
		base=$([ "$v" = sh ] && echo 40000 || echo 41000)
		vs_sessions_by_client "$v" | awk '{ split($1, c, ":"); print c[1], c[2], $2 }' >"$D/$v.after"
		awk -v down="$DOWN" -v lim="$([ "$v" = sh ] && echo 0 || echo 0.10)" -v v="$v" -v b="$base" '
			NR == FNR { if ($2 == b) before[$1] = $3; next }
			$2 == b + 2 { n++
				if (before[$1] == down) { ond++; if ($3 == down) stay++ }
				else { other++; if ($3 != before[$1]) moved++ } }
			END { printf "%s: %d new flows; %d clients of the down member (%d still sent to it), %d of %d others moved\n", v, n, ond, stay, moved, other
				exit !(n == 300 && !stay && moved <= lim * other) }' "$D/$v.after" "$D/$v.after" || return 1
	done
}
ktap_measure "member down: its clients move; sh keeps all others, mh >= 90% of them" moves

ktap_check "no kernel warnings" dmesg_check
ktap_finish
