#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_firewall: the nftables ruleset of Documentation/admin-guide.rst
# ("Firewalling": forward policy drop) on lb, taken from the guide itself (the
# block between the "nflb-firewall-ruleset" markers) with only its "define"
# lines set to this topology, so guide and test cannot drift apart.
#
#   client ==1280== rt ---- lb ---- s1, s2
#
# Checked: TCP and UDP through the VIP, v4 and v6, pass the forward chain;
# an ICMP error a member sends (UDP port unreachable) reaches the client;
# a client connecting to a member's real address directly (same port) is
# dropped by the policy; path MTU discovery through the VIP works both ways:
# rt's frag-needed / packet-too-big (to the VIP) reach the member through the
# forward chain, and the errors lb itself sends when its own member link is
# narrower reach the client (they pass the output chain, where a probe table
# shows their conntrack state: untracked, as the guide says); the ruleset is
# really in force (policy drop listed, the guide's counters counted).

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds nft socat
require_tools

GUIDE=$NFLB_SRC/Documentation/admin-guide.rst

ktap_header 14
dmesg_mark
for m in nf_conntrack nf_tables nft_ct; do
	modprobe "$m" 2>/dev/null || ktap_skip_all "module $m not available"
done
nflb_load || ktap_abort "cannot load nflb"
TOPO_ROUTER=1 TOPO_MTU=1280 topo_create 2 || ktap_abort "cannot build the topology"

D=$NFLB_TMP
KIB=1024
XFER_TIMEOUT=30 # read by cl_download/cl_upload
export XFER_TIMEOUT
mkdata "$D/data" $((512 * KIB))
mkdir -p "$D/up"
srv_download 80 "$D/data" && srv_udpecho 53 && srv_upload 82 "$D/up" ||
	ktap_abort "cannot start the servers"
# port 54: a virtual server whose members have nothing listening
lb_service web "$VIP4" 80 tcp && lb_service web6 "$VIP6" 80 tcp &&
	lb_service dns "$VIP4" 53 udp && lb_service dns6 "$VIP6" 53 udp &&
	lb_service closed "$VIP4" 54 udp && lb_service closed6 "$VIP6" 54 udp &&
	lb_service up "$VIP4" 82 tcp && lb_service up6 "$VIP6" 82 tcp ||
	ktap_abort "cannot configure nflb"

# The guide's ruleset, its defines set to this topology.
sed -n '/^\.\. nflb-firewall-ruleset: begin/,/^\.\. nflb-firewall-ruleset: end/s/^    //p' \
	"$GUIDE" >"$D/guide.nft"
grep -q 'policy drop' "$D/guide.nft" || ktap_abort "no ruleset found in $GUIDE"
cp "$D/guide.nft" "$D/fw.nft"
set_define()
{
	grep -q "^define $1 = " "$D/fw.nft" || ktap_abort "the guide's ruleset has no 'define $1'"
	sed -i "s/^define $1 = .*/define $1 = $2/" "$D/fw.nft"
}
set_define VIP4 "$VIP4"
set_define VIP6 "$VIP6"
set_define VIP_PORTS "{ 53, 54, 80, 82 }"
set_define MEMBERS4 "{ $(server4 1), $(server4 2) }"
set_define MEMBERS6 "{ $(server6 1), $(server6 2) }"
set_define MEMBER_PORTS "{ 53, 54, 80, 82 }"
diff <(grep -v '^define ' "$D/guide.nft") <(grep -v '^define ' "$D/fw.nft") >/dev/null ||
	ktap_abort "the ruleset changed beyond its define lines"
in_ns "$NS_LB" nft -f "$D/fw.nft" || ktap_abort "cannot load the guide's ruleset"
# Not part of the guide: counts, in lb's output chain, the ICMP errors lb
# itself sends (PMTU), by conntrack state.
in_ns "$NS_LB" nft -f - <<'EOF' || ktap_abort "cannot load the probe table"
table inet probe {
	chain output {
		type filter hook output priority filter; policy accept;
		icmp type destination-unreachable icmp code frag-needed counter comment "own4"
		icmp type destination-unreachable icmp code frag-needed ct state untracked counter comment "own4 untracked"
		icmpv6 type packet-too-big counter comment "own6"
		icmpv6 type packet-too-big ct state untracked counter comment "own6 untracked"
	}
}
EOF

# fw_count COMMENT [TABLE CHAIN]: packets counted by the rule with that
# comment in that chain (default nflb_fw forward); -1 if there is none
fw_count()
{
	local c=$1 table=${2:-nflb_fw} chain=${3:-forward} n

	n=$(in_ns "$NS_LB" nft list chain inet "$table" "$chain" 2>/dev/null |
		grep -F "comment \"$c\"" | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -n 1)
	echo "${n:--1}"
}
# counted MIN COMMENT...: every one of these rules counted MIN packets or more
counted()
{
	local min=$1 c n bad=0

	shift
	for c in "$@"; do
		n=$(fw_count "$c")
		echo "\"$c\": $n packets"
		[ "$n" -ge "$min" ] || bad=1
	done
	[ "$bad" = 0 ]
}

# route_mtu NS DST: the MTU the kernel learned for DST (route cache), or nothing
route_mtu()
{
	in_ns "$1" ip route get "$2" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -n 1
}

# 1
loaded()
{
	local out

	out=$(in_ns "$NS_LB" nft list ruleset) || return 1
	grep -E 'chain (input|forward)|policy' <<<"$out"
	grep -A 1 'chain forward' <<<"$out" | grep -q 'policy drop;' &&
		grep -A 1 'chain input' <<<"$out" | grep -q 'policy drop;' &&
		grep -q 'comment "nflb client to member v4"' <<<"$out"
}
ktap_check "the guide's ruleset is loaded on lb (input and forward policy drop)" loaded

# 2, 3: the client link is 1280 and the client advertises a matching MSS:
# plain transfers, no PMTU discovery yet
tcp_vip()
{
	cl_download "$VIP4" 80 48001 "$D/dl4" && same_file "$D/data" "$D/dl4" &&
		cl_download "$VIP6" 80 48002 "$D/dl6" && same_file "$D/data" "$D/dl6"
}
ktap_check "TCP through the VIP, forward policy drop (v4 and v6): downloads byte-exact" tcp_vip
udp_vip()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 48011 -c 3 &&
		in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p 53 -b 48021 -c 3
}
ktap_check "UDP through the VIP, forward policy drop (v4 and v6): 3 flows each answered" udp_vip

# 4
refused()
{
	local out4 out6

	out4=$(in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 54 -b 48031 -t 3000)
	out6=$(in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p 54 -b 48032 -t 3000)
	echo "v4: $out4"
	echo "v6: $out6"
	grep -q '^refused 48031' <<<"$out4" && grep -q '^refused 48032' <<<"$out6"
}
ktap_check "a member's port unreachable reaches the client through the VIP (v4 and v6)" refused

# 5
ktap_check "the guide's counters counted nflb's packets, both ways, v4 and v6" \
	counted 2 "nflb client to member v4" "nflb client to member v6" \
	"nflb member to client v4" "nflb member to client v6"

# 6
direct()
{
	local before out4 out6

	before=$(fw_count "everything else: dropped by the policy")
	out4=$(in_ns "$NS_CL" "$TCPCONN" -a "$(server4 1)" -p 80 -b 48041 -w 3 2>&1)
	out6=$(in_ns "$NS_CL" "$TCPCONN" -6 -a "$(server6 1)" -p 80 -b 48042 -w 3 2>&1)
	echo "v4: $out4"
	echo "v6: $out6"
	! grep -q '^local' <<<"$out4" && ! grep -q '^local' <<<"$out6" &&
		delta_ge "$before" "$(fw_count "everything else: dropped by the policy")" 2 \
			"the policy's counter"
}
ktap_check "a client connecting to a member's own address (tcp/80, v4 and v6) is dropped" direct

# 7-9: the client advertises a 1460-byte MSS although its link is 1280: rt
# sends frag-needed / packet-too-big to the VIP; nflb hands them to the member
# through the forward chain
ip -n "$NS_CL" route change default via 10.0.1.1 advmss 1460 &&
	ip -n "$NS_CL" -6 route change default via fd00:1::1 advmss 1440 ||
	ktap_diag "cannot set the client's advmss"
mtu_learned()
{
	local dst=$1 i m

	for ((i = 1; i <= NSERVERS; i++)); do
		m=$(route_mtu "$(server_ns "$i")" "$dst")
		echo "s$i: learned MTU towards $dst: ${m:-none}"
		[ "$m" = 1280 ] && return 0
	done
	return 1
}
pmtu_dl()
{
	local vip=$1 sport=$2 cl=$3

	cl_download "$vip" 80 "$sport" "$D/pm$sport" || { echo "download failed or stalled"; return 1; }
	same_file "$D/data" "$D/pm$sport" && mtu_learned "$cl"
}
ktap_check "PMTU towards the member (rt's frag-needed, v4): download completes, member learned 1280" \
	pmtu_dl "$VIP4" 48051 "$CL4"
ktap_check "PMTU towards the member (rt's packet-too-big, v6): download completes, member learned 1280" \
	pmtu_dl "$VIP6" 48052 "$CL6"
ktap_check "the guide's ICMP error rules counted them (v4 and v6)" \
	counted 1 "nflb icmp errors" "nflb icmpv6 errors"

# 10, 11: the client link wide again, lb's own links to the members 1280: lb
# sends the errors (to the client, about packets it DNATed)
narrow_members()
{
	local i ns

	ip -n "$NS_CL" link set eth0 mtu 1500 && ip -n "$NS_RT" link set eth0 mtu 1500 || return 1
	for ((i = 1; i <= NSERVERS; i++)); do
		ns=$(server_ns "$i")
		ip -n "$NS_LB" link set "s$i" mtu 1280 && ip -n "$ns" link set eth0 mtu 1280 &&
			ip -n "$ns" route change default via "10.0.1$i.1" advmss 1460 &&
			ip -n "$ns" -6 route change default via "fd00:1$i::1" advmss 1440 || return 1
	done
}
narrow_members || ktap_diag "cannot narrow lb's member links"
ip -n "$NS_CL" route flush cache
ip -n "$NS_CL" -6 route flush cache
pmtu_up()
{
	local vip=$1 sport=$2 m

	cl_upload "$vip" 82 "$sport" "$D/data" || { echo "upload failed or stalled"; return 1; }
	wait_for 20 eval "[ \"\$(cat $D/up/up-s*-$sport | wc -c)\" -ge $((512 * KIB)) ]"
	same_file "$D/data" "$(echo "$D"/up/up-s*-"$sport")" || return 1
	m=$(route_mtu "$NS_CL" "$vip")
	echo "client: learned MTU towards $vip: ${m:-none}"
	[ "$m" = 1280 ]
}
ktap_check "PMTU towards the client (lb's own frag-needed, v4): upload completes, client learned 1280" \
	pmtu_up "$VIP4" 48061
ktap_check "PMTU towards the client (lb's own packet-too-big, v6): upload completes, client learned 1280" \
	pmtu_up "$VIP6" 48062

# 12: as the guide says: the output chain sees them, in ct state untracked
own_untracked()
{
	local n4 i4 n6 i6

	n4=$(fw_count own4 probe output)
	i4=$(fw_count "own4 untracked" probe output)
	n6=$(fw_count own6 probe output)
	i6=$(fw_count "own6 untracked" probe output)
	echo "lb sent $n4 frag-needed ($i4 in ct state untracked), $n6 packet-too-big ($i6 untracked)"
	[ "$n4" -gt 0 ] && [ "$n6" -gt 0 ] && [ "$i4" = "$n4" ] && [ "$i6" = "$n6" ]
}
ktap_check "lb's own PMTU errors pass the output chain in ct state untracked, not invalid (as the guide says)" own_untracked

# 13
nodrop()
{
	local st k v bad=0

	st=$(lb -j stats)
	for k in drop_no_session drop_malformed drop_bad_csum drop_no_member; do
		v=$(json_num "$st" "$k")
		echo "$k=$v"
		[ "$v" = 0 ] || bad=1
	done
	[ "$bad" = 0 ]
}
ktap_check "nflb dropped nothing" nodrop

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
