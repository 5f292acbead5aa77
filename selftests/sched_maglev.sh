#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_maglev: the kernel's Maglev table (sched mh, mh-size 65537, 10
# members), read end to end through the VIP.
#
# srcflows plan picks, for every slot of a 65537-entry table, one source
# address in 10.64.0.0/10 whose flow hash lands in that slot.  One UDP
# datagram from each (raw socket, spoofed source) creates one session per
# slot, so the session table lists the member of every slot of the kernel's
# own table.  The hash model itself is first checked against the kernel with
# sched sh, where a flow goes to member HASH % N: if the model were wrong the
# slot walk would be a random sample and the bounds below would fail.
#
# Checks: every slot is served; members hold equal shares of the table
# within 1%; after one member of 10 is removed, only its slots move plus at
# most 2% of the others', and the 9 left are again within 1%; in a second
# table (mh-size 4099, same pool) a member of weight 2 gets twice the share
# (within 2%).
#
# Members are addresses blackholed on lb (10.99.0.1-10:80): the session is
# created in PRE_ROUTING, then the packet is dropped, so no server has to
# answer 65537 datagrams.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_cmds awk
require_tools
require_srcflows

SIZE=65537
NMEMB=10
D=$NFLB_TMP

ktap_header 6
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 0 || ktap_abort "cannot build the topology"
ip -n "$NS_LB" route add blackhole 10.99.0.0/24 &&
	ip -n "$NS_LB" route add 10.64.0.0/10 via 10.0.1.2 ||
	ktap_abort "cannot add routes"

member() { echo "10.99.0.$1:80"; }

{
	echo "pool add mp"
	for ((i = 1; i <= NMEMB; i++)); do echo "member add mp $(member $i)"; done
	echo "vs add mh vip $VIP4 port 53 proto udp pool mp sched mh mh-size $SIZE"
	echo "vs add sh vip $VIP4 port 54 proto udp pool mp sched sh"
} | lbbatch || ktap_abort "cannot configure nflb"

"$SRCFLOWS" plan $SIZE 10.64.0.0/10 >"$D/plan" || ktap_abort "srcflows plan failed"

# map VS FILE: "client member" for every session of VS.
map()
{
	lb session list vs "$1" | awk 'NR > 1 { sub(/:[0-9]+$/, "", $4); print $4, $6 }' >"$2"
}

# send VS PORT ADDRFILE [SPORT]: one datagram from each address; a second
# round if some were lost (a flow that has its session is not scheduled
# again).  Each virtual server gets its own source port: flows from one
# client port to one member would share the reply tuple, and nflb refuses
# the second.
send()
{
	local want n sp=${4:-40000}

	want=$(wc -l <"$3")
	in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p "$2" -b "$sp" -w 200 <"$3" >/dev/null || return 1
	n=$(lb -j vs show "$1" | sed -n 's/.*"active": *\([0-9]*\).*/\1/p')
	if [ "${n:-0}" -lt "$want" ]; then
		ktap_diag "$1: $n sessions after sending $want flows: sending again"
		in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p "$2" -b "$sp" -w 1000 <"$3" >/dev/null
	fi
	return 0
}

# --- 1: the hash model agrees with the kernel (sched sh) ---
head -n 2000 "$D/plan" >"$D/sh.addrs"
"$SRCFLOWS" hash <"$D/sh.addrs" >"$D/sh.hash"
hash_model()
{
	send sh 54 "$D/sh.addrs" 39000 || return 1
	map sh "$D/sh.map"
	lbq session flush vs sh
	# class = hash % N; every class must map to exactly one member, and
	# the N classes to N different members
	awk -v n="$NMEMB" 'NR == FNR { cls[$1] = $2 % n; next }
		($1 in cls) { c = cls[$1]; seen++
			if (!(c in mem)) mem[c] = $2
			else if (mem[c] != $2) { bad++; if (bad < 4) print "class " c ": " mem[c] " and " $2 } }
		END { for (c in mem) { k++; if (used[mem[c]]++) dup++ }
			printf "%d flows with a session, %d classes, %d conflicts, %d members shared\n", seen, k, bad, dup
			exit !(seen == 2000 && k == n && !bad && !dup) }' "$D/sh.hash" "$D/sh.map"
}
ktap_measure "hash model: sh sends flow hash % N to one member each" hash_model

# shares MAPFILE SIZE WANT LIMIT [ADDR=WEIGHT]: from "client member" lines
# (one flow per slot), every member's slots within LIMIT (a fraction) of its
# weighted share of SIZE, and WANT members hold slots.
shares()
{
	local heavy=${5:-}

	awk -v want="$3" -v lim="$4" -v size="$2" -v hm="${heavy%=*}" -v hw="${heavy#*=}" '
		{ m[$2]++; tot++ }
		END { for (k in m) { w[k] = (k == hm ? hw : 1); tw += w[k]; n++ }
			for (k in m) { ideal = size * w[k] / tw; d = (m[k] - ideal) / ideal
				printf "%s %d slots (weight %d, ideal %.1f, %+.3f%%)\n", k, m[k], w[k], ideal, 100 * d
				if (d < 0) d = -d; if (d > worst) worst = d }
			printf "%d members, %d slots, imbalance %.3f%%\n", n, tot, 100 * worst
			exit !(n == want && tot == size && worst <= lim) }' "$1"
}

# --- 2: every slot served, 10 members within 1% ---
round1()
{
	send mh 53 "$D/plan" || return 1
	map mh "$D/m1"
	shares "$D/m1" "$SIZE" "$NMEMB" 0.01
}
ktap_measure "mh-size $SIZE, 10 members: every slot served, imbalance <= 1%" round1

# --- 3: remove one member: only its slots move, plus <= 2% of the others ---
GONE=$(member 4)
round2()
{
	lbq member del mp "$GONE" && lbq session flush vs mh || return 1
	send mh 53 "$D/plan" || return 1
	map mh "$D/m2"
	awk -v gone="$GONE" -v size="$SIZE" 'NR == FNR { m1[$1] = $2; next }
		($1 in m1) { n++
			if (m1[$1] == gone) { ongone++; if ($2 == gone) stay++ }
			else { rest++; if ($2 != m1[$1]) moved++ } }
		END { printf "removed %s: %d of its %d slots left on it; %d of the other %d slots moved (%.3f%%)\n",
				gone, stay, ongone, moved, rest, 100 * moved / rest
			exit !(n == size && !stay && moved <= 0.02 * rest) }' "$D/m1" "$D/m2"
}
ktap_measure "removing 1 of 10 members remaps its slots and <= 2% of the others" round2

# --- 4: the 9 left share the table within 1% ---
ktap_measure "9 members after the removal: imbalance <= 1%" shares "$D/m2" "$SIZE" $((NMEMB - 1)) 0.01

# --- 5: weight 2 doubles a member's share (in a smaller table, 4099) ---
HEAVY=$(member 1)
round3()
{
	lbq member set mp "$HEAVY" weight 2 &&
		lbq vs add mhw vip "$VIP4" port 55 proto udp pool mp sched mh mh-size 4099 || return 1
	"$SRCFLOWS" plan 4099 10.64.0.0/10 >"$D/plan4099" || return 1
	send mhw 55 "$D/plan4099" 41000 || return 1
	map mhw "$D/m3"
	shares "$D/m3" 4099 $((NMEMB - 1)) 0.02 "$HEAVY=2"
}
ktap_measure "mh-size 4099: a member of weight 2 holds twice the share (within 2%)" round3

ktap_check "no kernel warnings" dmesg_check
ktap_finish
