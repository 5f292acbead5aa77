#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_conntrack: nflb on a box that is also a stateful nftables firewall.
#
# lb runs nf_conntrack and this ruleset (forward policy drop):
#   ct state established,related accept   - ordinary conntracked traffic
#   ct state invalid drop
#   ct state untracked accept             - flows nflb owns (it marks them
#                                           untracked; nflb is their filter)
#   client -> server 1 tcp/8080 ct state new accept   - a direct, routed service
#   icmp / icmpv6 accept
# input: policy drop, established/related, icmp/icmpv6 (neighbour discovery).
#
# Checked: VIP traffic (TCP v4/v6, UDP) works; the direct 8080 service works
# as ordinary conntracked traffic (an entry in the conntrack table); traffic
# the ruleset does not allow (client -> server 1 tcp/9090) is dropped, so the
# firewall really is in force; the conntrack table has no entry for any VIP
# flow (nflb's packets bypass conntrack), and nflb counted no drops.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds nft socat
require_tools

ktap_header 9
dmesg_mark
for m in nf_conntrack nf_tables nft_ct; do
	modprobe "$m" 2>/dev/null || ktap_skip_all "module $m not available"
done
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"

D=$NFLB_TMP
MIB=1048576
mkdata "$D/data" $MIB
srv_download 80 "$D/data" && srv_udpecho 53 || ktap_abort "cannot start the servers"
bg direct "$NS_S1" "$TCPCONN" -l -p 8080
bg closed "$NS_S1" "$TCPCONN" -l -p 9090
wait_listen "$NS_S1" 8080 && wait_listen "$NS_S1" 9090 || ktap_abort "cannot start the direct servers"
lb_service web "$VIP4" 80 tcp && lb_service web6 "$VIP6" 80 tcp &&
	lb_service dns "$VIP4" 53 udp || ktap_abort "cannot configure nflb"

cat >"$D/fw.nft" <<'EOF'
table inet fw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto { icmp, ipv6-icmp } accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		ct state untracked accept
		ip saddr 10.0.1.2 ip daddr 10.0.11.2 tcp dport 8080 ct state new accept
		ip6 saddr fd00:1::2 ip6 daddr fd00:11::2 tcp dport 8080 ct state new accept
		meta l4proto { icmp, ipv6-icmp } accept
	}
}
EOF
in_ns "$NS_LB" nft -f "$D/fw.nft" || ktap_abort "cannot load the nftables ruleset"

# The conntrack table of lb: /proc/net/nf_conntrack where the kernel has it
# (CONFIG_NF_CONNTRACK_PROCFS, Debian's kernel), else ctnetlink through
# conntrack(8) (the debug kernel).  Fails when neither can be read, so the
# checks on the table can never pass on an empty read.
ct_table()
{
	if in_ns "$NS_LB" test -r /proc/net/nf_conntrack; then
		in_ns "$NS_LB" cat /proc/net/nf_conntrack
	elif command -v conntrack >/dev/null; then
		in_ns "$NS_LB" conntrack -L -f ipv4 2>/dev/null &&
			in_ns "$NS_LB" conntrack -L -f ipv6 2>/dev/null
	else
		echo "no /proc/net/nf_conntrack and no conntrack(8): cannot read the table" >&2
		return 1
	fi
}

# 1
vip_tcp()
{
	cl_download "$VIP4" 80 47001 "$D/dl4" && same_file "$D/data" "$D/dl4" &&
		cl_download "$VIP6" 80 47002 "$D/dl6" && same_file "$D/data" "$D/dl6"
}
ktap_check "VIP TCP (v4 and v6) through the firewall: 1 MiB downloads byte-exact" vip_tcp

# 2
vip_udp()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 47003 -c 3
}
ktap_check "VIP UDP through the firewall: request/response on 3 flows" vip_udp

# 3
direct_ok()
{
	in_ns "$NS_CL" "$TCPCONN" -a 10.0.11.2 -p 8080 -b 47004 &&
		in_ns "$NS_CL" "$TCPCONN" -6 -a fd00:11::2 -p 8080 -b 47005
}
ktap_check "allowed direct service (client -> server 1 tcp/8080, v4 and v6) works" direct_ok

# 4
tracked()
{
	local t

	t=$(ct_table) || return 1
	grep -E 'dport=8080' <<<"$t"
	grep -qE 'src=10\.0\.1\.2 dst=10\.0\.11\.2 sport=47004 dport=8080' <<<"$t" &&
		grep -qE 'src=fd00:0*1:.* sport=47005 dport=8080' <<<"$t"
}
ktap_check "the direct service is conntracked (entries in the conntrack table)" tracked

# 5
blocked()
{
	local out

	out=$(in_ns "$NS_CL" "$TCPCONN" -a 10.0.11.2 -p 9090 -b 47006 -w 3)
	echo "client: $out"
	! grep -q '^ok' <<<"$out" && ! grep_out closed '^accept'
}
ktap_check "a service the ruleset does not allow (tcp/9090) is blocked" blocked

# 6, 7
no_vip_entries()
{
	local t bad

	t=$(ct_table) || return 1
	bad=$(grep -E 'port=(80|53) |10\.0\.0\.100|fd00:0*:0*:0*:0*:0*:0*:0*100|fd00::100|sport=4700[123] ' <<<"$t")
	echo "conntrack entries: $(wc -l <<<"$t")"
	[ -z "$bad" ] && return 0
	echo "entries for VIP flows:"
	echo "$bad"
	return 1
}
ktap_check "conntrack has no entry for any VIP flow" no_vip_entries
more_vip()
{
	# VIP traffic keeps working with the 8080 flow's entry in the table
	cl_download "$VIP4" 80 47011 "$D/dl4b" && same_file "$D/data" "$D/dl4b" &&
		in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 -b 47012 >/dev/null &&
		no_vip_entries
}
ktap_check "VIP traffic alongside tracked traffic: still works, still untracked" more_vip

# 8
nodrop()
{
	local st k v bad=0

	st=$(lb -j stats)
	for k in drop_no_session drop_malformed drop_bad_csum drop_no_member; do
		v=$(json_num "$st" $k)
		echo "$k=$v"
		[ "$v" = 0 ] || bad=1
	done
	[ $bad = 0 ]
}
ktap_check "nflb dropped nothing" nodrop

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
