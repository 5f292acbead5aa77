#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# health_passive: passive detection in the kernel, no daemon running
# (Documentation/health.rst).  Short holds and timeouts throughout.
#
# - a member whose port is closed (RST to the SYN) is ejected after "fails"
#   refused connections: health "ejected", counted; new connections all go
#   to the other member; after the hold it is back and retried, and on
#   failing again it is ejected for twice the hold;
# - a member that drops SYNs (nft) is ejected once its SYN_SENT sessions
#   time out unanswered;
# - a UDP member whose port is closed (ICMP port unreachable) is ejected;
# - with every member of a pool of four refusing, at most max-eject (50%)
#   are ejected, the rest are counted as capped and keep getting
#   connections;
# - with passive off, nothing is counted nor ejected;
# - lbctl monitor shows each ejection and return (the MEMBER_HEALTH event).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools
require_cmds nft

D=$NFLB_TMP

ktap_header 12
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"

# Listeners: s1 on 80, 81, 84 (TCP) and 53 (UDP); nobody else on those, so
# the other members answer SYNs with a RST and datagrams with an ICMP port
# unreachable.  s3 drops SYNs to 81 (a blackholed member).
bg tcp-s1 "$NS_S1" "$TCPCONN" -l -p 80 -p 81 -p 84 &&
	bg udp-s1 "$NS_S1" "$UDPECHO" -l -p 53 -n s1 &&
	wait_listen "$NS_S1" 80 && wait_listen "$NS_S1" 81 &&
	wait_listen "$NS_S1" 84 && wait_listen "$NS_S1" 53 udp ||
	ktap_abort "cannot start the servers"
in_ns "$NS_S3" nft -f - <<'EOF' || ktap_abort "cannot set up the blackhole"
table inet bh {
	chain in {
		type filter hook input priority 0;
		tcp dport 81 drop
	}
}
EOF

S1=$(server4 1) S2=$(server4 2) S3=$(server4 3)
# the rst pool's hold, scaled for slow (debug) kernels: the checks made
# while the member is out must end within it
SC=${NFLB_TIMEOUT_SCALE:-1}
H=$((8 * SC))
lbbatch <<EOF || ktap_abort "cannot configure nflb"
pool add rst passive on fails 3 hold $H hold-max $((60 * SC))
member add rst $S1:80
member add rst $S2:80
vs add rst vip $VIP4 port 80 proto tcp pool rst sched rr
pool add bh passive on fails 2 hold 60
member add bh $S1:81
member add bh $S3:81
vs add bh vip $VIP4 port 81 proto tcp pool bh sched rr
pool add udp passive on fails 3 hold 60
member add udp $S1:53
member add udp $S2:53
vs add udp vip $VIP4 port 53 proto udp pool udp sched rr
pool add all passive on fails 2 hold 60 max-eject 50
member add all $S1:82
member add all $S2:82
member add all $S3:82
member add all $S1:83
vs add all vip $VIP4 port 82 proto tcp pool all sched rr
pool add off passive off
member add off $S1:84
member add off $S2:84
vs add off vip $VIP4 port 84 proto tcp pool off sched rr
EOF
lbq timeout set vs bh tcp-syn-sent 1 || ktap_abort "cannot set the SYN_SENT timeout"
bg mon - "$LBCTL" -n "$NS_LB" monitor

# connect PORT [SECS]: one connection to VIP:PORT; prints ok, refused or
# timeout.
connect()
{
	local out

	out=$(in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p "$1" -w "${2:-3}" 2>&1)
	case $out in
	*'Connection refused'*) echo refused ;;
	*ok*) echo ok ;;
	*) echo timeout ;;
	esac
}

# connects PORT N [SECS]: N connections; prints "ok X refused Y timeout Z".
connects()
{
	local i ok=0 refused=0 timeout=0

	for ((i = 0; i < $2; i++)); do
		case $(connect "$1" "${3:-3}") in
		ok) ok=$((ok + 1)) ;;
		refused) refused=$((refused + 1)) ;;
		*) timeout=$((timeout + 1)) ;;
		esac
	done
	echo "ok $ok refused $refused timeout $timeout"
}

# mstat ADDR:PORT KEY POOL: a member's field or counter (its stats object
# flattened into it).
mstat()
{
	local o a p

	while IFS= read -r o; do
		a=$(obj_get "$o" addr) && p=$(obj_get "$o" port) || continue
		[ "$a:$p" = "$1" ] || continue
		obj_get "$o" "$2"
		return
	done < <(json_objs "$(lb -j member show "$3" | tr -d '\n' |
			      sed 's/"stats": *{\([^{}]*\)}/\1/g')")
	return 1
}

health_is()
{
	[ "$(mstat "$1" health "$3")" = "$2" ]
}

# ---- (a) RST to the SYN ----------------------------------------------------

res=$(connects 80 8)
rst_ejected()
{
	local h f e f1

	h=$(mstat "$S2:80" health rst) f=$(mstat "$S2:80" passive_fails rst)
	e=$(mstat "$S2:80" ejections rst) f1=$(mstat "$S1:80" passive_fails rst)
	echo "8 connections: $res; $S2:80 health $h, passive_fails $f, ejections $e," \
	     "reason '$(mstat "$S2:80" health_reason rst)'; $S1:80 passive_fails $f1"
	[[ $res == "ok 5 refused 3 timeout 0" ]] && [ "$h" = ejected ] &&
		[ "$f" -eq 3 ] && [ "$e" -eq 1 ] && [ "$f1" -eq 0 ]
}
ktap_measure "closed port: ejected after 3 refused connections (fails 3)" rst_ejected

b2=$(mstat "$S2:80" sessions_created rst)
res=$(connects 80 4)
rst_avoided()
{
	local a2

	a2=$(mstat "$S2:80" sessions_created rst)
	echo "4 connections while ejected: $res; $S2:80 sessions_created $b2 -> $a2"
	[[ $res == "ok 4 refused 0 timeout 0" ]] && [ "$a2" -eq "$b2" ]
}
ktap_measure "while ejected, new connections go to the other member" rst_avoided

rst_back()
{
	wait_for $((H + 7)) health_is "$S2:80" up rst
	echo "$S2:80 health $(mstat "$S2:80" health rst), reason '$(mstat "$S2:80" health_reason rst)'"
	health_is "$S2:80" up rst
}
ktap_measure "after the hold ($H s) it is back" rst_back

# Retried: connections go to it again and are refused; ejected again, and
# as it failed soon after its return, for twice the hold (2 x $H s).
retry_until_ejected()
{
	local i

	for ((i = 0; i < 10; i++)); do
		[ "$(connect 80)" = refused ] && health_is "$S2:80" ejected rst && return 0
	done
	return 1
}
retry_until_ejected
t0=$(_now_ms)
rst_longer()
{
	local left at_11 back_ms

	echo "ejections $(mstat "$S2:80" ejections rst), reason '$(mstat "$S2:80" health_reason rst)'"
	health_is "$S2:80" ejected rst && [ "$(mstat "$S2:80" ejections rst)" -eq 2 ] || return 1
	# Still out 1.4 holds after: a single hold would be over.
	left=$((t0 + H * 1400 - $(_now_ms)))
	[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
	at_11=$(mstat "$S2:80" health rst)
	wait_for $((H + 12)) health_is "$S2:80" up rst
	back_ms=$(($(_now_ms) - t0))
	echo "health $((H * 14 / 10)) s after the ejection: $at_11; back after ~$back_ms ms"
	[ "$at_11" = ejected ] && health_is "$S2:80" up rst
}
ktap_measure "retried and refused again: ejected for twice the hold" rst_longer

# ---- (b) no SYN-ACK ----------------------------------------------------------

# The client's connect may still succeed: its SYN retransmission can
# outlive the 1 s SYN_SENT session and be scheduled anew.
res=$(connects 81 4 3)
bh_ejected()
{
	local h r

	wait_for 15 health_is "$S3:81" ejected bh
	h=$(mstat "$S3:81" health bh) r=$(mstat "$S3:81" health_reason bh)
	echo "4 connections: $res; $S3:81 health $h," \
	     "passive_fails $(mstat "$S3:81" passive_fails bh), reason '$r'"
	[ "$h" = ejected ] && [[ $r == *SYN-ACK* ]] && health_is "$S1:81" up bh
}
ktap_measure "blackholed member: ejected after 2 SYN_SENT timeouts" bh_ejected

# ---- (e) UDP, ICMP port unreachable --------------------------------------------

in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 21000 -c 6 -t 1000 >"$D/udp" 2>&1
udp_ejected()
{
	wait_for 5 health_is "$S2:53" ejected udp
	echo "udp: $(tail -n 1 "$D/udp"); $S2:53 health $(mstat "$S2:53" health udp)," \
	     "passive_fails $(mstat "$S2:53" passive_fails udp)," \
	     "reason '$(mstat "$S2:53" health_reason udp)'"
	health_is "$S2:53" ejected udp &&
		[[ $(mstat "$S2:53" health_reason udp) == *unreachable* ]] &&
		in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 21100 -c 4 -t 2000 |
		grep -q '^replies=4/4'
}
ktap_measure "UDP member with a closed port (ICMP unreachable): ejected, others answer" udp_ejected

# ---- (c) every member failing: the cap ---------------------------------------

ALL=("$S1:82" "$S2:82" "$S3:82" "$S1:83")
capped0=$(stat_get ejections_capped)
res=$(connects 82 16)
all_out()
{
	local m n=0

	for m in "${ALL[@]}"; do
		[ "$(mstat "$m" health all)" = ejected ] && n=$((n + 1))
	done
	echo "$n"
}
all_capped()
{
	local m

	for m in "${ALL[@]}"; do
		echo "$m: health $(mstat "$m" health all) passive_fails $(mstat "$m" passive_fails all)" \
		     "ejections $(mstat "$m" ejections all) ejections_capped $(mstat "$m" ejections_capped all)"
	done
	echo "16 connections: $res; ejected $(all_out) of 4; ejections_capped $capped0 -> $(stat_get ejections_capped)"
	[[ $res == "ok 0 refused 16 timeout 0" ]] && [ "$(all_out)" -eq 2 ] &&
		delta_ge "$capped0" "$(stat_get ejections_capped)" 1 ejections_capped
}
ktap_measure "all 4 members refusing: 2 ejected (max-eject 50%), the rest capped" all_capped

all_rest()
{
	local m before=() i=0 grew=0 res2

	for m in "${ALL[@]}"; do
		before+=("$(mstat "$m" sessions_created all)")
	done
	res2=$(connects 82 4)
	for m in "${ALL[@]}"; do
		local a h

		a=$(mstat "$m" sessions_created all)
		h=$(mstat "$m" health all)
		echo "$m ($h): sessions_created ${before[$i]} -> $a"
		if [ "$h" = ejected ]; then
			[ "$a" -eq "${before[$i]}" ] || return 1
		else
			grew=$((grew + a - before[i]))
		fi
		i=$((i + 1))
	done
	echo "4 more connections: $res2"
	[ "$grew" -eq 4 ] && [ "$(all_out)" -eq 2 ]
}
ktap_measure "the members not ejected keep getting the connections" all_rest

# ---- (d) passive off -----------------------------------------------------------

res=$(connects 84 8)
off_nothing()
{
	echo "8 connections: $res; $S2:84 health $(mstat "$S2:84" health off)," \
	     "passive_fails $(mstat "$S2:84" passive_fails off) ejections $(mstat "$S2:84" ejections off)"
	[[ $res == "ok 4 refused 4 timeout 0" ]] && health_is "$S2:84" up off &&
		[ "$(mstat "$S2:84" passive_fails off)" -eq 0 ] &&
		[ "$(mstat "$S2:84" ejections off)" -eq 0 ]
}
ktap_measure "passive off: 4 refusals, nothing counted, nothing ejected" off_nothing

# Every ejection and return of the rst pool was announced: out, back, out
# for longer, back.
monitor_saw()
{
	local out

	out=$(grep "^member health rst $S2:80 " "$(bg_out mon)")
	echo "$out"
	[ "$(grep -c 'health ejected .*reason "passive: 3 x connection refused' <<<"$out")" -eq 2 ] &&
		[ "$(grep -c 'health up .*reason "passive: hold over' <<<"$out")" -eq 2 ] &&
		grep -q "out $((H * 1000)) ms" <<<"$out" && grep -q "out $((H * 2000)) ms" <<<"$out" &&
		[ "$(wc -l <<<"$out")" -eq 4 ]
}
ktap_measure "events: each ejection and return, with its reason and hold" monitor_saw

# The namespace totals are the members' sums.
totals()
{
	local s pf=0 ej=0 o

	s=$(lb -j -s stats | tr -d '\n')
	while IFS= read -r o; do
		[[ $o == *'"pool"'* ]] || continue
		pf=$((pf + $(obj_get "$o" passive_fails))) && ej=$((ej + $(obj_get "$o" ejections)))
	done < <(json_objs "$s")
	echo "global passive_fails $(json_num "$s" passive_fails) ejections $(json_num "$s" ejections);" \
	     "members' sums $pf $ej"
	[ "$(json_num "$s" passive_fails)" -eq "$pf" ] && [ "$(json_num "$s" ejections)" -eq "$ej" ] &&
		[ "$ej" -ge 6 ]
}
ktap_measure "stats: the namespace's passive_fails and ejections are the members' sums" totals

ktap_check "no kernel warnings" dmesg_check
ktap_finish
