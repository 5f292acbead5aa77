#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# fuzz_packet: malformed and mutated IPv4/IPv6 TCP/UDP/ICMP frames
# (fuzz_packet.c) injected toward the VIPs from the client and along the
# reply path from a member toward the client, while UDP and TCP sessions
# are live.  Before that, exact probes: packets nflb must count as
# drop_malformed, drop_bad_csum and drop_no_session (non-loose service) move
# those counters by exactly their number.  Traffic must work before and
# after, live sessions survive, the session table stay consistent, and the
# kernel log clean.
#
# NFLB_FUZZ_PKT_COUNT: packets per side (default 1500; 30000 with
# NFLB_ROBUST_FULL=1). NFLB_FUZZ_SEED: seed (default random, printed).
. "$(dirname "$0")/lib.sh"

FUZZ=$NFLB_SELFTESTS/fuzz_packet
if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	count=${NFLB_FUZZ_PKT_COUNT:-30000}
else
	count=${NFLB_FUZZ_PKT_COUNT:-1500}
fi
seed=${NFLB_FUZZ_SEED:-$(( (RANDOM << 30) ^ (RANDOM << 15) ^ RANDOM ))}
P=5000

ktap_header 12
require_root
require_tools
[ -x "$FUZZ" ] || ktap_abort "$FUZZ not built: run 'make -C selftests' on the host"
nflb_load || ktap_abort "cannot load nflb.ko"
topo_create 2 || ktap_abort "cannot build the topology"
dmesg_mark
S1=$(server_ns 1)
bg udp-s1 "$S1" "$UDPECHO" -l -p $P -n s1
bg tcp-s1 "$S1" "$TCPCONN" -l -p $P
{ wait_listen "$S1" $P udp && wait_listen "$S1" $P; } || ktap_abort "servers did not start"
# One member (server 1) per service, so the fuzzer knows every tuple; the
# services differ in scheduler and flags (loose and reset-on-expiry: fuzzed
# segments create sessions that expire with RSTs), and port P+1 has only a
# member that is down, with rst-no-member (fuzzed SYNs get refused with RSTs).
{
	echo "pool add p1"
	echo "member add p1 $(server4 1):$P"
	echo "member add p1 [$(server6 1)]:$P"
	echo "pool add pdown"
	echo "member add pdown $(server4 2):$P state down"
	echo "member add pdown [$(server6 2)]:$P state down"
	echo "vs add udp4 vip $VIP4 port $P proto udp pool p1 sched sh hash-port persist 10"
	echo "vs add udp6 vip $VIP6 port $P proto udp pool p1 sched mh mh-size 13"
	echo "vs add tcp4 vip $VIP4 port $P proto tcp pool p1 loose reset-on-expiry"
	echo "vs add tcp6 vip $VIP6 port $P proto tcp pool p1 sched wlc loose reset-on-expiry"
	echo "timeout set vs tcp4 tcp-established 4"
	echo "timeout set vs tcp6 tcp-established 4"
	echo "vs add rst4 vip $VIP4 port $((P + 1)) proto tcp pool pdown rst-no-member"
	echo "vs add rst6 vip $VIP6 port $((P + 1)) proto tcp pool pdown rst-no-member"
} >"$NFLB_TMP/conf"
lb -batch "$NFLB_TMP/conf" || ktap_abort "cannot configure nflb"

# traffic_ok WHAT: UDP and TCP through both VIPs from fresh client ports.
traffic_ok()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p $P -c 3 -t 3000 >/dev/null &&
		in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p $P -c 3 -t 3000 >/dev/null &&
		in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p $P >/dev/null &&
		in_ns "$NS_CL" "$TCPCONN" -6 -a "$VIP6" -p $P >/dev/null
}
ktap_check "UDP and TCP through both VIPs before fuzzing" traffic_ok

# Live sessions whose tuples the fuzzer targets: UDP client ports 41000-41007,
# TCP connections from 42000 (v4) and 42001 (v6), kept open.
if ! { in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p $P -b 41000 -c 8 -t 3000 >/dev/null &&
	in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p $P -b 41000 -c 8 -t 3000 >/dev/null; }; then
	ktap_diag "live UDP sessions not all answered"
fi
bg keep4 "$NS_CL" "$TCPCONN" -a "$VIP4" -p $P -b 42000 -k 3600
bg keep6 "$NS_CL" "$TCPCONN" -6 -a "$VIP6" -p $P -b 42001 -k 3600
if ! { wait_for 10 grep_out keep4 '^ok' && wait_for 10 grep_out keep6 '^ok'; }; then
	ktap_diag "live TCP connections did not start"
fi

# probe NAME COUNTER N PKTCRAFT-ARGS...: N crafted packets move COUNTER by N.
probe()
{
	local counter=$1 n=$2 b a

	shift 2
	b=$(stat_get "$counter")
	in_ns "$NS_CL" "$PKTCRAFT" -c "$n" "$@" >/dev/null || { ktap_diag "pktcraft $* failed"; return 1; }
	a=$(stat_get "$counter")
	delta_eq "$b" "$a" "$n" "$counter after pktcraft $*"
}
probes_ok()
{
	local r=0

	probe drop_malformed 7 -s "$CL4" -d "$VIP4" -P tcp -S 43001 -D $P -f S --doff 4 || r=1
	probe drop_malformed 5 -6 -s "$CL6" -d "$VIP6" -P tcp -S 43002 -D $P -f A --doff 15 --truncate 40 || r=1
	probe drop_malformed 6 -s "$CL4" -d "$VIP4" -P udp -S 43003 -D $P -m x --udp-len 5 || r=1
	probe drop_malformed 4 -6 -s "$CL6" -d "$VIP6" -P udp -S 43004 -D $P -l 40 --udp-len 100 || r=1
	probe drop_malformed 3 -s "$CL4" -d "$VIP4" -P udp -S 43005 -D $P -m x --truncate 6 || r=1
	probe drop_bad_csum 5 -s "$CL4" -d "$VIP4" -P tcp -S 43006 -D $P -f S --bad-csum || r=1
	probe drop_bad_csum 4 -6 -s "$CL6" -d "$VIP6" -P udp -S 43007 -D $P -m x --bad-csum || r=1
	probe drop_no_session 6 -s "$CL4" -d "$VIP4" -P tcp -S 43008 -D $((P + 1)) -f A || r=1
	probe drop_no_session 3 -6 -s "$CL6" -d "$VIP6" -P tcp -S 43009 -D $((P + 1)) -f FA || r=1
	return $r
}
ktap_check "drop counters move by exactly the number of bad packets" probes_ok

lbmac=$(in_ns "$NS_LB" cat /sys/class/net/cl0/address)
s1mac=$(in_ns "$NS_LB" cat /sys/class/net/s1/address)
before=$(lb -j stats)
ktap_diag "$count packets per side, seed $seed (NFLB_FUZZ_SEED=$seed to replay)"
in_ns "$NS_CL" "$FUZZ" -i eth0 -M "$lbmac" -4 "$CL4,$VIP4" -6 "$CL6,$VIP6" -p $P -q $((P + 1)) \
	-u 41000:8 -t 42000:2 -n "$count" -s "$seed" >"$NFLB_TMP/fz-cl.out" 2>&1
rc=$?
ktap_diag "$(cat "$NFLB_TMP/fz-cl.out")"
ktap_check "client side: $count fuzzed packets toward the VIPs sent" [ $rc -eq 0 ]
in_ns "$S1" "$FUZZ" -r -i eth0 -M "$s1mac" -4 "$(server4 1),$CL4" -6 "$(server6 1),$CL6" \
	-p $P -u 41000:8 -t 42000:2 -n "$count" -s "$((seed + 1))" >"$NFLB_TMP/fz-s1.out" 2>&1
rc=$?
ktap_diag "$(cat "$NFLB_TMP/fz-s1.out")"
ktap_check "server side: $count fuzzed packets along the reply path sent" [ $rc -eq 0 ]
after=$(lb -j stats)

counters_moved()
{
	local k b a r=0

	for k in drop_malformed drop_bad_csum drop_no_session icmp_xlated resets_sent sessions_created; do
		b=$(json_num "$before" $k) a=$(json_num "$after" $k)
		ktap_diag "$k: +$((a - b))"
		case $k in icmp_xlated | resets_sent | sessions_created) continue ;; esac	# informative
		delta_ge "$b" "$a" 1 "$k" || r=1
	done
	return $r
}
ktap_check "fuzzing moved the drop counters" counters_moved

# Everything nflb dropped must be accounted for: no more drops than frames.
drops_bounded()
{
	local k total=0 frames b a

	frames=$(($(sed -n 's/^# sent \([0-9]*\) frames.*/\1/p' "$NFLB_TMP"/fz-*.out | paste -sd+ | bc)))
	for k in drop_malformed drop_bad_csum drop_no_session drop_session_limit drop_no_member drop_nomem; do
		b=$(json_num "$before" $k) a=$(json_num "$after" $k)
		total=$((total + a - b))
	done
	ktap_diag "drops $total for $frames frames"
	[ "$total" -le "$frames" ]
}
ktap_check "drops do not exceed the frames sent" drops_bounded

ktap_check "UDP and TCP through both VIPs after fuzzing" traffic_ok

live_ok()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p $P -b 41000 -c 8 -t 3000 >/dev/null &&
		in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p $P -b 41000 -c 8 -t 3000 >/dev/null
}
ktap_check "live UDP sessions still answered" live_ok

# Sessions may expire between two reads: compare until two agree in a row.
table_once()
{
	local info n list

	info=$(lb -j info) || return 1
	list=$(lb -j session list) || return 1
	n=$(jq length <<<"$list")
	json_is "$info" ".sessions == $n" &&
		json_is "$(lb -j stats)" ".global.sessions_active == $n" && return 0
	echo "info says $(jq .sessions <<<"$info"), list has $n"
	return 1
}
table_ok() { wait_for 30 table_once; }
ktap_check "session table consistent (info, list, stats agree)" table_ok

bg_stop_all
lbq flush
ktap_check "no sessions left after flush" json_is "$(lb -j info)" '.sessions == 0'
ktap_check "kernel log clean" dmesg_check
topo_destroy
ktap_check "module unloads" nflb_unload

ktap_finish
