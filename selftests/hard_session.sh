#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# hard_session: the session device as an attacker and a demanding IPVS user
# would try it.
#
# - RSTs and FINs outside the connection's window (spoofed from either side)
#   are dropped and counted (drop_out_of_window); the session stays
#   ESTABLISHED, the member never sees them, the connection still works; a
#   real RST still closes its session; a SYN with data (TFO) the member
#   answers without taking the data is tracked;
# - deleting a member ends its sessions (expire-nodest, default on): a UDP
#   client on a fixed port moves to the other member at once; with
#   expire-nodest off the session stays, but a new SYN on it is scheduled
#   anew instead of going to the deleted member;
# - mixed-family pools: a v4 wrr virtual server shares out exactly by its v4
#   members' weights (a v6 member with a big weight takes no turns);
# - persistence lasts while the client's connection lives (an idle one
#   longer than persist-timeout) and its entries are bounded by
#   max-sessions, counted in info and stats;
# - a connection in TIME_WAIT is no longer the member's "active" (lc);
# - rst-no-member answers at most 1000 SYNs a second;
# - a malformed packet in transit (not for a VIP) passes untouched;
# - a connection from the box itself to a VIP is balanced.

. "$(dirname "$0")/lib.sh"

require_root
require_cmds tcpdump
require_tools

D=$NFLB_TMP
FLOOD=$NFLB_SELFTESTS/stress_flood
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"

ktap_header 17
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 2 || ktap_abort "cannot build the topology"
srv_tcpconn 80 && srv_udpecho 53 && srv_udpecho 54 && srv_tcpconn 90 ||
	ktap_abort "cannot start the servers"
lb_service web "$VIP4" 80 tcp && lb_service dns "$VIP4" 53 udp ||
	ktap_abort "cannot configure nflb"
cap_start s1 "$NS_S1" eth0 tcp port 80 or icmp || ktap_abort "cannot capture on s1"
cap_start s2 "$NS_S2" eth0 tcp port 80 or icmp || ktap_abort "cannot capture on s2"

# 1-5: window checks on RST and FIN
bg keep "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 45001 -k 120 -T "$D/poke"
wait_for 10 grep_out keep '^ok' || ktap_diag "the kept connection did not start"
member=$(session_field 45001 member)
[ "$member" = "$(server4 1)" ] && msrc=$(server4 1) mns=$NS_S1 mcap=s1 ||
	msrc=$(server4 2) mns=$NS_S2 mcap=s2
# isn FLAGS: the initial sequence number of the SYN ([S]) or SYN-ACK ([S.])
# of port 45001, as the member's capture saw it.
isn()
{
	cap_read "$mcap" -S "tcp port 45001" | sed -n "s/.*Flags \[$1\], seq \([0-9]*\).*/\1/p" |
		head -n 1
}
cisn=$(isn S) misn=$(isn S.)
[ -n "$cisn" ] && [ -n "$misn" ] || ktap_diag "no handshake of port 45001 captured"
# far() BASE OFF: BASE + 2^31 + OFF, as far from the window as can be
far() { echo $((($1 + 2147483648 + $2) % 4294967296)); }
b_oow=$(stat_get drop_out_of_window)
for off in 0 99999; do
	in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P tcp -S 45001 -D 80 -f R \
		--seq "$(far "${cisn:-0}" $off)"
	in_ns "$mns" "$PKTCRAFT" -s "$msrc" -d 10.0.1.2 -P tcp -S 80 -D 45001 -f RA \
		--seq "$(far "${misn:-0}" $off)" --ack "$(((${cisn:-0} + 7) % 4294967296))"
done
spoofed_rst()
{
	local st

	st=$(session_field 45001 state)
	echo "state after 4 spoofed RSTs: $st"
	[ "$st" = established ] && delta_ge "$b_oow" "$(stat_get drop_out_of_window)" 4 drop_out_of_window
}
ktap_check "spoofed RSTs (either side, out of window): dropped, counted, session stays established" spoofed_rst
b_oow=$(stat_get drop_out_of_window)
exp0=$(session_field 45001 expires_ms)
for off in 0 99999; do
	in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P tcp -S 45001 -D 80 -f FA \
		--seq "$(far "${cisn:-0}" $off)" --ack "$(((${misn:-0} + 1) % 4294967296))"
done
spoofed_fin()
{
	local st exp

	st=$(session_field 45001 state)
	exp=$(session_field 45001 expires_ms)
	echo "state after 2 spoofed FINs: $st, expires in $exp ms (was $exp0)"
	[ "$st" = established ] && [ "$exp" -gt 800000 ] &&
		delta_ge "$b_oow" "$(stat_get drop_out_of_window)" 2 drop_out_of_window
}
ktap_check "spoofed FINs: dropped, counted, state and timeout unchanged" spoofed_fin
unseen()
{
	local n

	cap_sync "$mcap" "$NS_CL" "$msrc" >&2
	n=$(cap_count "$mcap" "src host 10.0.1.2 and tcp port 45001 and (tcp[tcpflags] & (tcp-rst|tcp-fin) != 0)")
	echo "member saw $n RST/FIN segments from the client's port 45001"
	[ "$n" = 0 ]
}
ktap_check "the member never saw the spoofed RSTs and FINs" unseen
alive()
{
	touch "$D/poke"
	wait_for 10 grep_out keep '^data'
}
ktap_check "the connection still works (data after the attack)" alive
bg_stop keep
in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 45002 -r >/dev/null
real_rst()
{
	local st

	st=$(session_field 45002 state)
	echo "after a real RST: ${st:-gone}"
	[ "$st" = close ] || [ -z "$st" ]
}
ktap_check "a real RST (in window) still closes its session" real_rst

# 6: a SYN with data (TCP Fast Open) whose data the member does not take:
# its SYN-ACK acks the SYN only, and must still count as the answer.
in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P tcp -S 45004 -D 80 -f S --seq 1000 -m data
tfo()
{
	local st

	st=$(session_field 45004 state)
	echo "SYN with 4 bytes of data, member acked the SYN only: ${st:-no session}"
	[ "$st" = syn-recv ]
}
ktap_check "SYN with data (TFO) acked without its data: the answer is tracked (syn-recv)" wait_for 5 tfo

# 7, 8: members that are gone
bg udp "$NS_CL" bash -c "while :; do $UDPECHO -a $VIP4 -p 53 -b 46001 -c 1 -t 1000; sleep 0.3; done"
wait_for 10 grep_out udp '^reply' || ktap_diag "the UDP flow did not start"
first=$(session_field 46001 member udp)
other=$(server4 1)
[ "$first" = "$other" ] && other=$(server4 2)
lbq member del dns "$first:53"
udp_moves()
{
	local m

	m=$(session_field 46001 member udp)
	echo "UDP client 46001: member $first deleted, session now to ${m:-none}"
	[ "$m" = "$other" ]
}
ktap_check "member deleted: its sessions end, a fixed-port UDP client moves to the other member" \
	wait_for 10 udp_moves
bg_stop udp
lbq global set expire-nodest off
bg keep2 "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 45003 -k 60
wait_for 10 grep_out keep2 '^ok' || ktap_diag "the second kept connection did not start"
gone=$(session_field 45003 member)
stay=$(server4 1)
[ "$gone" = "$stay" ] && stay=$(server4 2)
lbq member del web "$gone:80"
nodest_off()
{
	local m

	m=$(session_field 45003 member)
	echo "expire-nodest off: session of deleted member $gone still there: ${m:-no}"
	[ "$m" = "$gone" ] || return 1
	bg_stop keep2
	# A new SYN on the same tuple (the client reuses its port at once).
	in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P tcp -S 45003 -D 80 -f S --seq 7777
	m=$(session_field 45003 member)
	echo "after a new SYN: member ${m:-none}"
	[ "$m" = "$stay" ]
}
ktap_check "expire-nodest off: the session stays; a new SYN on it is scheduled anew" nodest_off
lbq global set expire-nodest on

# 9: a mixed-family pool, v4 wrr
lb -b - <<EOF || ktap_diag "cannot configure the mixed pool"
pool add mix
member add mix $(server4 1):54 weight 3
member add mix $(server4 2):54 weight 1
member add mix [$(server6 1)]:54 weight 4
vs add mix vip $VIP4 port 54 proto udp pool mix sched wrr
EOF
in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 47000 -c 80 -t 2000 >"$D/mix" 2>&1
mixed()
{
	local a b

	a=$(grep -c '^reply .* s1 ' "$D/mix")
	b=$(grep -c '^reply .* s2 ' "$D/mix")
	echo "80 flows: s1 (weight 3) $a, s2 (weight 1) $b; v6 member weight 4 ignored"
	[ "$a" = 60 ] && [ "$b" = 20 ]
}
ktap_check "mixed-family pool: v4 wrr shares exactly 3:1 among the v4 members" mixed

# 10, 11: persistence
lb -b - <<EOF || ktap_diag "cannot configure persistence"
pool add pp
member add pp $(server4 1):90
member add pp $(server4 2):90
vs add pp vip $VIP4 port 90 proto tcp pool pp sched rr persist 3
EOF
bg pkeep "$NS_CL" "$TCPCONN" -a "$VIP4" -p 90 -b 48001 -k 60
wait_for 10 grep_out pkeep '^ok' || ktap_diag "the persistent connection did not start"
pm=$(session_field 48001 member)
sleep 6
persist_lives()
{
	local m

	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 90 -b 48002 -k 1 >/dev/null
	m=$(session_field 48002 member)
	echo "idle 6 s (persist-timeout 3 s) with a live connection to $pm; the next one went to ${m:-none}"
	[ "$m" = "$pm" ]
}
ktap_check "persistence lasts while the client's connection lives" persist_lives
bg_stop pkeep
lbq global set max-sessions 50
in_ns "$NS_CL" "$FLOOD" -s 10.0.1.100 -a "$VIP4" -p 90 -P tcp -b 30000 -n 400 -k 1 -A 200 \
	-w 2000 >/dev/null 2>&1
persist_bounded()
{
	local info pc st

	info=$(lb -j info)
	pc=$(obj_get "$info" persist_count)
	st=$(stat_get persist_active)
	# (read a moment apart: entries of evicted sessions expire meanwhile)
	echo "200 spoofed sources, max-sessions 50: $pc persistence entries (stats: $st)"
	[ -n "$pc" ] && [ "$pc" -le 50 ] && [ "$pc" -gt 0 ] &&
		[ "$st" -le 50 ] && [ "$st" -gt 0 ]
}
ktap_check "persistence entries bounded by max-sessions, shown in info and stats" persist_bounded
lbq global set max-sessions 1048576

# 12: a closed connection (TIME_WAIT) is not active for lc/wlc/max-conns
lb -b - <<EOF || ktap_diag "cannot configure the lc service"
pool add lcp
member add lcp $(server4 1):80
vs add lcv vip $VIP4 port 81 proto tcp pool lcp sched lc
EOF
in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 81 -b 48101 >/dev/null 2>&1
not_active()
{
	local st m

	st=$(session_field 48101 state)
	m=$(lb -j member show lcp)
	echo "closed connection: session ${st:-gone}; member: $(obj_get "$m" active) active"
	[ "$st" = time-wait ] || [ "$st" = close ] || return 1
	[ "$(obj_get "$m" active)" = 0 ]
}
ktap_check "a connection in TIME_WAIT no longer counts as the member's active" wait_for 5 not_active

# 13: rst-no-member answers at most 1000 SYNs a second
lb -b - <<EOF || ktap_diag "cannot configure the empty service"
pool add none
vs add rstv vip $VIP4 port 82 proto tcp pool none rst-no-member
EOF
cap_start rsts "$NS_CL" eth0 tcp src port 82 || ktap_diag "cannot capture on the client"
b_nm=$(stat_get drop_no_member)
t0=$(date +%s%N)
in_ns "$NS_CL" "$FLOOD" -s 10.0.1.2 -a "$VIP4" -p 82 -P tcp -b 20000 -n 6000 -k 6000 -w 0 >/dev/null 2>&1
t1=$(date +%s%N)
sleep 1
cap_stop rsts
n_rst=$(cap_count rsts "tcp[tcpflags] & tcp-rst != 0")
n_syn=$(($(stat_get drop_no_member) - b_nm))
ms=$(((t1 - t0) / 1000000 + 1))
rst_limited()
{
	echo "$n_syn SYNs to an empty pool in $ms ms: $n_rst RSTs back"
	[ "$n_syn" -ge 6000 ] && [ "$n_rst" -gt 0 ] && [ "$n_rst" -lt "$n_syn" ] &&
		[ "$n_rst" -le $((1000 * (ms / 1000 + 2))) ]
}
# Only a flood faster than the limit can show it (a debug kernel sends a
# few hundred SYNs a second).
if [ $((n_syn * 1000 / ms)) -lt 2000 ]; then
	ktap_skip "rst-no-member RSTs rate limited (1000/s)" \
		"the flood ran at $((n_syn * 1000 / ms)) SYNs/s, below twice the limit ($n_rst RSTs for $n_syn SYNs)"
else
	ktap_check "rst-no-member RSTs rate limited (1000/s), every SYN counted" rst_limited
fi

# 14: malformed transit
b_mal=$(stat_get drop_malformed)
cap_start s1u "$NS_S1" eth0 udp port 9999 || ktap_diag "cannot capture on s1"
in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$(server4 1)" -P udp -S 5555 -D 9999 --udp-len 3 -m x
in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$(server4 1)" -P udp -S 0 -D 9999 -m x 2>/dev/null
transit()
{
	local n

	cap_sync s1u "$NS_CL" "$(server4 1)" >&2
	n=$(cap_count s1u "udp port 9999")
	echo "s1 got $n malformed transit datagrams; drop_malformed +$(($(stat_get drop_malformed) - b_mal))"
	[ "$n" -ge 1 ] && [ "$(stat_get drop_malformed)" = "$b_mal" ]
}
ktap_check "a malformed packet in transit (not for a VIP) passes, not counted" transit

# 15, 16: from the box itself
vip_local || ktap_diag "cannot put the VIPs on lb"
from_lb()
{
	local out

	out=$(in_ns "$NS_LB" "$TCPCONN" -a "$VIP4" -p 80 -b 49001 2>&1)
	echo "tcpconn from lb: $out"
	[[ $out == *ok* ]] && session_exists 49001
}
ktap_check "a connection from the box itself to the VIP is balanced" from_lb
udp_from_lb()
{
	in_ns "$NS_LB" "$UDPECHO" -a "$VIP4" -p 53 -b 49002 -c 2 -t 2000
}
ktap_check "UDP from the box itself to the VIP is answered" udp_from_lb

ktap_check "kernel log clean" dmesg_check
ktap_finish
