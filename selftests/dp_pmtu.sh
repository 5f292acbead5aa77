#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_pmtu: path MTU discovery through the VIP, both directions.
#
#   client ==1280== rt ---- lb ---- s1                       (downloads)
#                           lb ---- r2 ==1280== s2 (10.0.22.2, fd00:22::2)   (uploads)
#
# Downloads: the client advertises a 1460-byte MSS (route advmss) although its
# own link is 1280, so s1's full-size segments (DF set, TCP's default) are too
# big for rt, which sends "fragmentation needed" / "packet too big" to their
# source: the VIP.  nflb must hand the error on to the member, rewritten to
# quote the member's packet, or the download stalls.
# Uploads: the same on the member side: r2 cannot forward the client's
# segments to s2 and sends the error to the client, quoting client->member;
# nflb must rewrite the quote to client->VIP so the client's socket finds it.
# Uploads again with lb's own link to s1 narrowed: lb itself sends the error
# from ip_forward(), about a packet it DNATed (it never passes PRE_ROUTING).
# Downloads again with lb's own link to the client narrowed: lb must send
# the error to the member about the member's own packet.
# Checked: transfers complete byte-exact (v4 and v6, both directions), the
# sender learned MTU 1280 (route cache), routers did send errors, nflb counted
# the translations.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds socat tcpdump
require_tools

ktap_header 15
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
TOPO_ROUTER=1 TOPO_MTU=1280 topo_create 1 || ktap_abort "cannot build the topology"

# member side router r2 and server s2
NS_R2="$NFLB_PFX-r2"
NS_S2="$NFLB_PFX-s2"
mk_member_side()
{
	_ns_init "$NS_R2" && _ns_init "$NS_S2" && _forwarding "$NS_R2" &&
	_link "$NS_LB" s2 "$NS_R2" eth0 &&
	_link "$NS_R2" eth1 "$NS_S2" eth0 1280 &&
	_addr "$NS_LB" s2 10.0.12.1/24 fd00:12::1/64 &&
	_addr "$NS_R2" eth0 10.0.12.3/24 fd00:12::3/64 &&
	_addr "$NS_R2" eth1 10.0.22.1/24 fd00:22::1/64 &&
	_addr "$NS_S2" eth0 10.0.22.2/24 fd00:22::2/64 &&
	ip -n "$NS_LB" route add 10.0.22.0/24 via 10.0.12.3 &&
	ip -n "$NS_LB" -6 route add fd00:22::/64 via fd00:12::3 &&
	ip -n "$NS_R2" route add default via 10.0.12.1 &&
	ip -n "$NS_R2" -6 route add default via fd00:12::1 &&
	# s2's own link is 1280 but it advertises a 1460-byte MSS
	ip -n "$NS_S2" route add default via 10.0.22.1 advmss 1460 &&
	ip -n "$NS_S2" -6 route add default via fd00:22::1 advmss 1440 &&
	{ [ "$TOPO_CSUM_STRICT" != 1 ] || in_ns "$NS_LB" ethtool -K s2 tx off >/dev/null; }
}
mk_member_side || ktap_abort "cannot build the member-side router"
ip -n "$NS_CL" route change default via 10.0.1.1 advmss 1460 &&
	ip -n "$NS_CL" -6 route change default via fd00:1::1 advmss 1440 ||
	ktap_abort "cannot set the client's advmss"

D=$NFLB_TMP
MIB=1048576
XFER_TIMEOUT=30 # read by cl_download/cl_upload
export XFER_TIMEOUT
mkdata "$D/data" $MIB
mkdir -p "$D/up"
srv_download 80 "$D/data" || ktap_abort "cannot start the download server"
bg up-s1 "$NS_S1" socat -u "TCP6-LISTEN:82,reuseaddr,fork,ipv6only=0" \
	"SYSTEM:cat > $D/up/up-\$SOCAT_PEERPORT"
bg up-s2 "$NS_S2" socat -u "TCP6-LISTEN:81,reuseaddr,fork,ipv6only=0" \
	"SYSTEM:cat > $D/up/up-\$SOCAT_PEERPORT"
wait_listen "$NS_S2" 81 || ktap_abort "cannot start the upload server"
lb_service web "$VIP4" 80 tcp && lb_service web6 "$VIP6" 80 tcp &&
	lbq pool add up && lbq member add up 10.0.22.2:81 &&
	lbq vs add up vip "$VIP4" port 81 proto tcp pool up sched rr &&
	lbq pool add up6 && lbq member add up6 "[fd00:22::2]:81" &&
	lbq vs add up6 vip "$VIP6" port 81 proto tcp pool up6 sched rr &&
	lbq pool add upl && lbq member add upl 10.0.11.2:82 &&
	lbq vs add upl vip "$VIP4" port 82 proto tcp pool upl sched rr &&
	lbq pool add upl6 && lbq member add upl6 "[fd00:11::2]:82" &&
	lbq vs add upl6 vip "$VIP6" port 82 proto tcp pool upl6 sched rr ||
	ktap_abort "cannot configure nflb"
cap_start rt "$NS_RT" eth1 icmp or icmp6 || ktap_abort "cannot capture on the router"
cap_start r2 "$NS_R2" eth0 icmp or icmp6 || ktap_abort "cannot capture on r2"

# route_mtu NS DST: the MTU the kernel learned for DST (route cache), or nothing
route_mtu()
{
	in_ns "$1" ip route get "$2" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -n 1
}
mtu_is_1280()
{
	local m

	m=$(route_mtu "$1" "$2")
	echo "$1: learned MTU towards $2: ${m:-none}"
	[ "$m" = 1280 ]
}

xl0=$(stat_get icmp_xlated)

# 1, 2: download, v4
dl4()
{
	cl_download "$VIP4" 80 46001 "$D/dl4" || { echo "download failed or stalled"; return 1; }
	same_file "$D/data" "$D/dl4"
}
ktap_check "download through a 1280-byte client link (v4, DF): completes, byte-exact" dl4
ktap_check "member got the translated frag-needed (learned MTU 1280 to the client)" \
	mtu_is_1280 "$NS_S1" 10.0.1.2

# 3, 4: download, v6
dl6()
{
	cl_download "$VIP6" 80 46002 "$D/dl6" || { echo "download failed or stalled"; return 1; }
	same_file "$D/data" "$D/dl6"
}
ktap_check "download through a 1280-byte client link (v6): completes, byte-exact" dl6
ktap_check "member got the translated packet-too-big (learned MTU 1280 to the client)" \
	mtu_is_1280 "$NS_S1" fd00:1::2

# 5, 6: uploads, the client link wide again
ip -n "$NS_CL" link set eth0 mtu 1500
ip -n "$NS_RT" link set eth0 mtu 1500
up4()
{
	cl_upload "$VIP4" 81 46101 "$D/data" || { echo "upload failed or stalled"; return 1; }
	wait_for 20 eval "[ \"\$(wc -c < $D/up/up-46101)\" -ge $MIB ]"
	same_file "$D/data" "$D/up/up-46101" && mtu_is_1280 "$NS_CL" "$VIP4"
}
ktap_check "upload through a 1280-byte member link (v4): completes, client learned MTU 1280" up4
up6()
{
	cl_upload "$VIP6" 81 46102 "$D/data" || { echo "upload failed or stalled"; return 1; }
	wait_for 20 eval "[ \"\$(wc -c < $D/up/up-46102)\" -ge $MIB ]"
	same_file "$D/data" "$D/up/up-46102" && mtu_is_1280 "$NS_CL" "$VIP6"
}
ktap_check "upload through a 1280-byte member link (v6): completes, client learned MTU 1280" up6

# 7, 8: lb's own link to s1 narrow; the client forgets what it learned
wait_listen "$NS_S1" 82 || ktap_diag "upload server on s1 not listening"
ip -n "$NS_LB" link set s1 mtu 1280
ip -n "$NS_S1" link set eth0 mtu 1280
ip -n "$NS_S1" route change default via 10.0.11.1 advmss 1460
ip -n "$NS_S1" -6 route change default via fd00:11::1 advmss 1440
ip -n "$NS_CL" route flush cache
ip -n "$NS_CL" -6 route flush cache
local_err()
{
	local vip=$1 sport=$2

	[ -z "$(route_mtu "$NS_CL" "$vip")" ] || { echo "client still has a learned MTU to $vip"; return 1; }
	cl_upload "$vip" 82 "$sport" "$D/data" || { echo "upload failed or stalled"; return 1; }
	wait_for 20 eval "[ \"\$(wc -c < $D/up/up-$sport)\" -ge $MIB ]"
	same_file "$D/data" "$D/up/up-$sport" && mtu_is_1280 "$NS_CL" "$vip"
}
ktap_check "upload, lb's own member link 1280 (lb sends frag-needed, v4): completes, client learned it" \
	local_err "$VIP4" 46201
ktap_check "upload, lb's own member link 1280 (lb sends packet-too-big, v6): completes, client learned it" \
	local_err "$VIP6" 46202

# 9, 10: downloads with lb's own link towards the client the narrowest hop
# (the member link wide again): lb must tell the member itself, quoting the
# member's packet, before rewriting it to come from the VIP.
ip -n "$NS_LB" link set s1 mtu 1500
ip -n "$NS_S1" link set eth0 mtu 1500
ip -n "$NS_LB" link set cl0 mtu 1280
ip -n "$NS_RT" link set eth1 mtu 1280
ip -n "$NS_S1" route flush cache
ip -n "$NS_S1" -6 route flush cache
own_dl()
{
	local vip=$1 sport=$2 cl=$3

	[ -z "$(route_mtu "$NS_S1" "$cl")" ] || { echo "member still has a learned MTU to $cl"; return 1; }
	cl_download "$vip" 80 "$sport" "$D/own-$sport" || { echo "download failed or stalled"; return 1; }
	same_file "$D/data" "$D/own-$sport" && mtu_is_1280 "$NS_S1" "$cl"
}
ktap_check "download, lb's own client link 1280 (lb sends frag-needed to the member, v4): completes, member learned it" \
	own_dl "$VIP4" 46301 10.0.1.2
ktap_check "download, lb's own client link 1280 (lb sends packet-too-big to the member, v6): completes, member learned it" \
	own_dl "$VIP6" 46302 fd00:1::2

cap_stop rt
cap_stop r2
# 9, 10: the routers did send the errors (the test exercised PMTU discovery)
rt_sent()
{
	local n4 n6

	n4=$(cap_count rt "icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 4")
	n6=$(cap_count rt "icmp6 and ip6[40] == 2")
	echo "rt sent $n4 frag-needed, $n6 packet-too-big"
	cap_read rt | head -n 4
	[ "$n4" -gt 0 ] && [ "$n6" -gt 0 ]
}
ktap_check "client-side router sent frag-needed and packet-too-big to the VIP" rt_sent
r2_sent()
{
	local n4 n6

	n4=$(cap_count r2 "icmp[icmptype] == icmp-unreach and icmp[icmpcode] == 4")
	n6=$(cap_count r2 "icmp6 and ip6[40] == 2")
	echo "r2 sent $n4 frag-needed, $n6 packet-too-big"
	[ "$n4" -gt 0 ] && [ "$n6" -gt 0 ]
}
ktap_check "member-side router sent frag-needed and packet-too-big to the client" r2_sent

# 11
ktap_check "icmp_xlated counts the translations (6 or more)" \
	delta_ge "$xl0" "$(stat_get icmp_xlated)" 6 icmp_xlated

# 12
nodrop()
{
	local st k v bad=0

	st=$(lb -j stats)
	for k in drop_no_session drop_malformed drop_bad_csum; do
		v=$(json_num "$st" $k)
		echo "$k=$v"
		[ "$v" = 0 ] || bad=1
	done
	[ $bad = 0 ]
}
ktap_check "no ICMP error or packet dropped as malformed, bad checksum or sessionless" nodrop

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
