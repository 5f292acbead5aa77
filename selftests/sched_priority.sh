#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_priority: priority groups and min-active, end to end.
#
# Primaries s1-s3 have priority 10, backups s4-s5 priority 0, the pool has
# min-active 2, the virtual server is rr over UDP.  After each change, 20
# new flows (one after the other) show which members take new sessions:
#   all up                      -> s1 s2 s3 only
#   s1 down (2 primaries left)  -> s2 s3 only
#   s2 down (1 primary left)    -> s4 s5 only: the backups take over
#   s4 down too (no group has 2) -> s3 only: the highest group with any
#   s1 up (2 primaries again)   -> s1 s3 only
#   min-active 1, s1 down again -> s3 only (one primary is enough)
# and the sessions created before each change stay where they were.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools

D=$NFLB_TMP

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 5 || ktap_abort "cannot build the topology"
srv_udpecho 53 || ktap_abort "cannot start the servers"
m() { echo "$(server4 "$1"):53"; }
lbbatch <<EOF || ktap_abort "cannot configure nflb"
pool add pg min-active 2
member add pg $(m 1) priority 10
member add pg $(m 2) priority 10
member add pg $(m 3) priority 10
member add pg $(m 4) priority 0
member add pg $(m 5) priority 0
vs add prio vip $VIP4 port 53 proto udp pool pg sched rr
EOF

# step N: 20 flows from client ports 20000+100*N...
step()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b $((20000 + 100 * $1)) -c 20 -t 2000 >"$D/step$1"
	vs_sessions prio >"$D/sess$1"
}

# used N: the members (as s1..s5) that took the flows of step N.
used()
{
	awk -v lo=$((20000 + 100 * $1)) '$1 >= lo && $1 < lo + 100 { print $2 }' "$D/sess$1" |
		sort -u | sed -E 's/^10\.0\.1([0-9])\.2:53$/s\1/' | tr '\n' ' ' | sed 's/ $//'
}

# expect N "s.. s..": exactly those members took step N's 20 flows, every
# flow was answered, and the flows of earlier steps kept their members.
expect()
{
	local got n
	got=$(used "$1")
	n=$(awk -v lo=$((20000 + 100 * $1)) '$1 >= lo && $1 < lo + 100' "$D/sess$1" | wc -l)
	echo "step $1: $n flows to: $got (want: $2); $(tail -n 1 "$D/step$1")"
	[ "$got" = "$2" ] && [ "$n" -eq 20 ] || return 1
	if [ "$1" -gt 1 ]; then
		# sessions of the earlier steps did not move
		awk -v lo=$((20000 + 100 * $1)) '$1 < lo' "$D/sess$1" >"$D/old.now"
		awk -v lo=$((20000 + 100 * $1)) '$1 < lo' "$D/sess$(($1 - 1))" >"$D/old.then"
		cmp -s "$D/old.now" "$D/old.then" || { echo "earlier sessions changed"; return 1; }
	fi
}

step 1
ktap_measure "all up: only the primaries (priority 10) take new sessions" expect 1 "s1 s2 s3"
lbq member set pg "$(m 1)" state down
step 2
ktap_measure "one primary down, 2 left (min-active 2): still only primaries" expect 2 "s2 s3"
lbq member set pg "$(m 2)" state down
step 3
ktap_measure "only 1 primary left: the backups take over" expect 3 "s4 s5"
lbq member set pg "$(m 4)" state down
step 4
ktap_measure "no group has 2 available: the highest group with any (s3)" expect 4 "s3"
lbq member set pg "$(m 1)" state up
step 5
ktap_measure "a primary back (2 primaries): new sessions return to the primaries" expect 5 "s1 s3"
lbq pool set pg min-active 1 && lbq member set pg "$(m 1)" state down
step 6
ktap_measure "min-active 1: one primary left is enough" expect 6 "s3"

# the pool shows min-active, the members their priorities
shown()
{
	local p
	p=$(lb -j pool show pg)
	echo "pool: $p"
	[[ $p =~ \"min_active\":\ *1 ]] || return 1
	member_objs pg | sed 's/"stats".*//' >"$D/members"
	cat "$D/members"
	grep -q "\"addr\":\"$(server4 2)\".*\"priority\":10" "$D/members" &&
		grep -q "\"addr\":\"$(server4 5)\".*\"priority\":0" "$D/members" &&
		grep -q "\"addr\":\"$(server4 4)\".*\"state\":\"down\"" "$D/members" &&
		grep -q "\"addr\":\"$(server4 3)\".*\"state\":\"up\"" "$D/members"
}
ktap_measure "lbctl -j pool/member show report min_active, priority and state" shown

ktap_check "no kernel warnings" dmesg_check
ktap_finish
