#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# health_kernel: member health as the kernel applies it (issue 16), set by
# hand with `lbctl member set ... health` as lbhealthd would over netlink.
#
# - a TCP connection to a member whose health goes down keeps working,
#   and new connections all go to the other member; since and reason are
#   reported;
# - an operator's down wins: health up on a member the operator took down
#   leaves it out, until the operator brings it back;
# - slow start 10 s: a member whose health comes back ramps weight_now
#   (grows between two readings 4 s apart, and is the full weight after
#   the ramp), and its share of new UDP flows through wrr grows with it;
# - lbctl monitor printed each health transition, with its reason.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools
require_srcflows

D=$NFLB_TMP
S1=$(server4 1)
S2=$(server4 2)

ktap_header 11
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 2 || ktap_abort "cannot build the topology"
ip -n "$NS_LB" route add 10.1.0.0/16 via 10.0.1.2 || ktap_abort "cannot add the route to the client"
srv_udpecho 53 || ktap_abort "cannot start the UDP servers"
srv_tcpconn 80 || ktap_abort "cannot start the TCP servers"
bg mon - "$LBCTL" -n "$NS_LB" monitor
lbbatch <<EOF || ktap_abort "cannot configure nflb"
pool add t check tcp interval 1 timeout 0.5
member add t $S1:80
member add t $S2:80
vs add t vip $VIP4 port 80 proto tcp pool t sched rr
pool add u check tcp slow-start 10
member add u $S1:53 weight 10
member add u $S2:53 weight 10
vs add u vip $VIP4 port 53 proto udp pool u sched wrr
EOF

# conn NAME: a new TCP connection through the VIP; prints the member it got.
conn_member()
{
	local out port

	out=$(in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -w 5) || { echo "connect failed: $out"; return 1; }
	port=$(awk '$1 == "local" { print $2 }' <<<"$out")
	lb session list vs t | awk -v p="$port" 'NR > 1 { n = split($4, c, ":"); if (c[n] == p) print $6 }'
}

# all_to MEMBER N: N new connections, every one to MEMBER.
all_to()
{
	local i m bad=0

	for ((i = 0; i < $2; i++)); do
		m=$(conn_member) || { echo "$m"; return 1; }
		[ "$m" = "$1" ] || bad=$((bad + 1))
	done
	echo "$2 new connections, $bad not to $1"
	[ "$bad" -eq 0 ]
}

# --- 1, 2: health down: existing connection lives, new ones go elsewhere ---
touch_file=$D/late
bg keep "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -k 60 -T "$touch_file"
wait_for 10 grep_out keep '^ok' || ktap_abort "the long connection did not start: $(cat "$(bg_out keep)")"
kport=$(awk '$1 == "local" { print $2 }' "$(bg_out keep)")
kmember=$(lb session list vs t | awk -v p="$kport" 'NR > 1 { n = split($4, c, ":"); if (c[n] == p) print $6 }')
[ -n "$kmember" ] || ktap_abort "no session for the long connection"
if [ "$kmember" = "$S1:80" ]; then other=$S2:80; else other=$S1:80; fi
ktap_diag "long connection from port $kport on $kmember"
lbq member set t "$kmember" health down reason "probe failed" || ktap_abort "cannot set health down"

health_reported()
{
	local h r s
	h=$(member_get "$kmember" health t) && r=$(member_get "$kmember" health_reason t) &&
		s=$(member_get "$kmember" health_since t) || return 1
	echo "health $h reason '$r' since $s (now $(date +%s))"
	[ "$h" = down ] && [ "$r" = "probe failed" ] && [ "$s" -le "$(date +%s)" ] &&
		[ "$s" -ge $(($(date +%s) - 60)) ]
}
ktap_measure "health down: shown with its reason and since when" health_reported
ktap_measure "health down: 10 new connections all go to the other member" all_to "$other" 10

existing_lives()
{
	touch "$touch_file"
	wait_for 10 grep_out keep '^data' || { cat "$(bg_out keep)"; return 1; }
	cat "$(bg_out keep)"
}
ktap_measure "health down: the existing connection to it still carries data" existing_lives

# --- 3, 4: the operator's down wins over health up ---
lbq member set t "$kmember" state down &&
	lbq member set t "$kmember" health up reason recovered || ktap_abort "cannot set state/health"
op_down_wins()
{
	local st h
	st=$(member_get "$kmember" state t) && h=$(member_get "$kmember" health t) || return 1
	echo "state $st health $h"
	[ "$st" = down ] && [ "$h" = up ] && all_to "$other" 6
}
ktap_measure "operator down + health up: stays out of scheduling" op_down_wins
lbq member set t "$kmember" state up || ktap_abort "cannot set state up"
comes_back()
{
	local i m n=0
	for ((i = 0; i < 6; i++)); do
		m=$(conn_member) || return 1
		[ "$m" = "$kmember" ] && n=$((n + 1))
	done
	echo "$n of 6 new connections to $kmember"
	[ "$n" -ge 2 ]
}
ktap_measure "operator up again (health up): takes new connections" comes_back

# --- 5-8: slow start ---
# share PORT FIRST: 300 flows from FIRST; prints S2's share of them in %.
share()
{
	echo 10.1.0.1 | in_ns "$NS_CL" "$SRCFLOWS" send -a "$VIP4" -p 53 -b "$2" -n 300 >/dev/null || return 1
	lb session list vs u | awk -v lo="$2" -v s2="$S2:53" \
		'NR > 1 { n = split($4, c, ":"); if (c[n] >= lo && c[n] < lo + 300) { t++; if ($6 == s2) k++ } }
		 END { if (t < 290) exit 1; printf "%d\n", 100 * k / t }'
}
lbq member set u "$S2:53" health down reason "check failed" || ktap_abort "cannot take u's member down"
w_down=$(member_get "$S2:53" weight_now u)
lbq member set u "$S2:53" health up reason "check passed" || ktap_abort "cannot bring it up"
w0=$(member_get "$S2:53" weight_now u)
share0=$(share 53 20000) || share0=-1
sleep 4
w4=$(member_get "$S2:53" weight_now u)
share4=$(share 53 30000) || share4=-1
ktap_diag "weight_now: $w_down while down, $w0 at the comeback, $w4 4 s later; S2's share of 300 new flows: $share0% then $share4%"

ramp_starts()
{
	echo "weight_now $w0 at the comeback (weight 10, slow start 10 s)"
	[ "$w0" -ge 1 ] && [ "$w0" -le 3 ]
}
ktap_measure "slow start: weight_now starts near weight/slow-start" ramp_starts
ktap_measure "slow start: weight_now grows (4 s later: $w4 > $w0)" test "$w4" -gt "$w0"
share_grows()
{
	echo "share $share0% at the comeback, $share4% 4 s later"
	[ "$share0" -ge 0 ] && [ "$share0" -lt 25 ] && [ "$share4" -ge $((share0 + 10)) ]
}
ktap_measure "slow start: the member's share of new flows grows with it" share_grows
ramp_ends()
{
	# shellcheck disable=SC2016 # eval'd by wait_for
	wait_for 15 eval '[ "$(member_get "$S2:53" weight_now u)" = 10 ]'
	echo "weight_now $(member_get "$S2:53" weight_now u) after the ramp"
	[ "$(member_get "$S2:53" weight_now u)" = 10 ]
}
ktap_measure "slow start: weight_now reaches the weight after the ramp" ramp_ends

# --- 9: monitor ---
monitor_saw()
{
	local out
	out=$(grep '^member health' "$(bg_out mon)")
	echo "$out"
	grep -q "member health t $kmember health down .*reason \"probe failed\"" <<<"$out" &&
		grep -q "member health t $kmember health up .*reason recovered" <<<"$out" &&
		grep -q "member health u $S2:53 health down .*reason \"check failed\"" <<<"$out" &&
		[ "$(wc -l <<<"$out")" -eq 4 ]
}
ktap_measure "monitor: each health transition, with its reason, and nothing more" monitor_saw

ktap_check "no kernel warnings" dmesg_check
ktap_finish
