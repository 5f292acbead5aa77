#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_malformed: hand-made packets to the VIP from a raw socket (pktcraft).
# Malformed (each sent 5 times; must be dropped, counted, create no session,
# never reach the member):
#   TCP header truncated, TCP doff < 5, TCP doff beyond the packet,
#   UDP length beyond the packet, UDP length < 8, IPv6 TCP header truncated;
#   bad checksum on a SYN (v4, v6) and on a first UDP datagram: drop_bad_csum.
# Valid but unusual (must work): a SYN with IPv4 options (NOPs + record
# route), an IPv6 SYN behind a destination options header, a UDP datagram in
# 3 fragments (v4 and v6) which the member must get whole and answer.
# Then ordinary traffic still works, and the kernel log is clean.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds tcpdump
require_tools

ktap_header 14
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 1 || ktap_abort "cannot build the topology"
srv_tcpconn 80 && srv_udpecho 53 || ktap_abort "cannot start the servers"
lb_service web "$VIP4" 80 tcp && lb_service dns "$VIP4" 53 udp &&
	lb_service web6 "$VIP6" 80 tcp && lb_service dns6 "$VIP6" 53 udp ||
	ktap_abort "cannot configure nflb"
cap_start s1 "$NS_S1" eth0 || ktap_abort "cannot capture on the member"

c4()
{
	in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" "$@"
}
c6()
{
	in_ns "$NS_CL" "$PKTCRAFT" -6 -s fd00:1::2 -d "$VIP6" "$@"
}

malformed0=$(stat_get drop_malformed)
badcsum0=$(stat_get drop_bad_csum)

# dropped COUNTER N SPORT... -- CRAFT-COMMAND...: run the command, then
# COUNTER must grow by N or more, and no session may exist for the ports
dropped()
{
	local counter=$1 n=$2 before p

	shift 2
	local ports=()
	while [ "$1" != -- ]; do
		ports+=("$1")
		shift
	done
	shift
	before=$(stat_get "$counter")
	"$@" || { echo "pktcraft failed"; return 1; }
	wait_for 10 eval "[ \$(stat_get $counter) -ge $((before + n)) ]"
	delta_ge "$before" "$(stat_get "$counter")" "$n" "$counter" || return 1
	for p in "${ports[@]}"; do
		session_gone "$p" || { echo "session for port $p: $(session_by_port "$p")"; return 1; }
	done
}

# 1-4: malformed IPv4
ktap_check "TCP header truncated to 12 bytes: dropped, counted, no session" \
	dropped drop_malformed 5 50001 -- c4 -P tcp -S 50001 -D 80 -f S --truncate 12 -c 5
ktap_check "TCP data offset 3 (< 5): dropped, counted, no session" \
	dropped drop_malformed 5 50002 -- c4 -P tcp -S 50002 -D 80 -f S --doff 3 -c 5
ktap_check "TCP data offset 15 beyond a 20-byte segment: dropped, counted, no session" \
	dropped drop_malformed 5 50003 -- c4 -P tcp -S 50003 -D 80 -f S --doff 15 --truncate 20 -c 5
udp_len()
{
	dropped drop_malformed 5 50004 -- c4 -P udp -S 50004 -D 53 -m short --udp-len 100 -c 5 &&
		dropped drop_malformed 5 50005 -- c4 -P udp -S 50005 -D 53 -m short --udp-len 4 -c 5
}
ktap_check "UDP length beyond the packet, and below 8: dropped, counted, no session" udp_len

# 5: valid IP options: 3 NOPs, record route with room for one address
ipopts()
{
	local out

	out=$(c4 -P tcp -S 50006 -D 80 -f S --ipopt 01010107070400000000 -r 5000)
	echo "$out"
	[[ $out == "reply proto=tcp src=10.0.0.100 sport=80 dport=50006 flags=SA "*"csum=ok" ]] &&
		session_exists 50006 tcp
}
ktap_check "SYN with IPv4 options: SYN-ACK from the VIP (checksum ok), session created" ipopts

# 6, 7: bad checksums
ktap_check "SYN with a bad TCP checksum: no session, counted in drop_bad_csum" \
	dropped drop_bad_csum 5 50007 -- c4 -P tcp -S 50007 -D 80 -f S --bad-csum -c 5
ktap_check "first UDP datagram with a bad checksum: no session, counted in drop_bad_csum" \
	dropped drop_bad_csum 5 50013 -- c4 -P udp -S 50013 -D 53 -m bad --bad-csum -c 5

# 8: fragments
frag4()
{
	local out

	out=$(c4 -P udp -S 50008 -D 53 -l 3000 --frag 3 -r 5000)
	echo "$out"
	grep_out udp53-s1 '^rx 10\.0\.1\.2 50008 3000$' || { echo "member did not get 3000 bytes"; return 1; }
	[[ $out == "reply proto=udp src=10.0.0.100 sport=53 "*"data=s1.len=3000."* ]]
}
ktap_check "UDP datagram in 3 fragments: the member gets it whole, the answer comes from the VIP" frag4

# 9, 10: IPv6, valid
dstopt6()
{
	local out

	out=$(c6 -P tcp -S 50009 -D 80 -f S --ipopt 01020000 -r 5000)
	echo "$out"
	[[ $out == "reply proto=tcp src=fd00::100 sport=80 dport=50009 flags=SA "*"csum=ok" ]] &&
		session_exists 50009 tcp
}
ktap_check "IPv6 SYN behind a destination options header: SYN-ACK from the VIP, session" dstopt6
frag6()
{
	local out

	out=$(c6 -P udp -S 50010 -D 53 -l 3000 --frag 3 -r 5000)
	echo "$out"
	grep_out udp53-s1 '^rx fd00:1::2 50010 3000$' || { echo "member did not get 3000 bytes"; return 1; }
	[[ $out == "reply proto=udp src=fd00::100 sport=53 "*"data=s1.len=3000."* ]]
}
ktap_check "IPv6 UDP datagram in 3 fragments: delivered whole, answered from the VIP" frag6

# 11: IPv6, malformed
bad6()
{
	dropped drop_malformed 5 50011 -- c6 -P tcp -S 50011 -D 80 -f S --truncate 12 -c 5 &&
		dropped drop_bad_csum 5 50012 -- c6 -P tcp -S 50012 -D 80 -f S --bad-csum -c 5
}
ktap_check "IPv6: truncated TCP header and bad-checksum SYN: dropped, counted, no session" bad6

# 12
cap_sync s1 "$NS_CL" 10.0.11.2
cap_stop s1
unseen()
{
	local p n bad=0

	for p in 50001 50002 50003 50004 50005 50007 50011 50012 50013; do
		n=$(cap_count s1 src port $p)
		[ "$n" -eq 0 ] || { echo "member saw $n packets from port $p"; bad=1; }
	done
	cap_read s1 src port 50001 or src port 50003 | head -n 3
	[ $bad = 0 ]
}
ktap_check "the member never saw a malformed or bad-checksum packet" unseen

# 13
still_works()
{
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 && in_ns "$NS_CL" "$TCPCONN" -6 -a "$VIP6" -p 80 &&
		in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 && in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p 53 &&
		delta_ge "$malformed0" "$(stat_get drop_malformed)" 30 "drop_malformed in total" &&
		delta_ge "$badcsum0" "$(stat_get drop_bad_csum)" 15 "drop_bad_csum in total"
}
ktap_check "afterwards ordinary TCP and UDP (v4, v6) work; drop counters add up" still_works

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
