#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks run via ktap_check
#
# sync_redirect6: owner redirect with IPv6 (issue 15, Documentation/sync.rst
# "Owner redirect"): IPv6 flows over an IPv4 sync link, IPv4 and IPv6
# flows over an IPv6 sync link.  The asymmetric path of sync_redirect.sh,
# dual-stack: the client's packets go to lb A, the member's replies come
# back through lb B, so neither node sees both directions of a flow:
#
#   client 10.0.1.2 fd00:1::2 (default via A) --- brc --- A c0 .1/::1, B c0 .3/::3
#   server 10.0.2.10 fd00:2::10, .11 ::11 (default via B) --- brs --- A s0 .1/::1, B s0 .3/::3
#   sync segment brx: A 10.0.9.1 fd00:9::1 (node 1), B .2 ::2 (node 2),
#                     fk .3 ::3 (a configured peer, node 3, that never
#                     syncs: crafts redirects), ev .4 ::4 (no peer)
#
# - sync over IPv4 with redirect: 16 IPv6 downloads byte-exact from their
#   first packet, the sessions created on both nodes (sum 16), both
#   nodes redirecting and receiving redirects; 16 IPv6 UDP flows answered;
# - sync over IPv6 with redirect: both ready, each owns half; 16 IPv4 and
#   16 IPv6 downloads, each batch split between the owners the same way;
#   UDP flows of both families with 1,450-byte datagrams, whose redirects
#   A fragments (tx_redirect_frag), answered;
# - IPv6 redirects from an address that is no peer, with a wrong MAC, or
#   carrying an IPv6 fragment, are dropped and counted, no session made;
# - valid IPv6 redirects of IPv6 SYNs from fk to B: B creates the
#   sessions of the flows it owns, drops (not_owner) the others;
# - without sync and redirect an IPv6 download fails (the path is
#   asymmetric for IPv6 too).
{
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_redirect.sh"

require_root
require_cmds jq python3 socat
require_tools

ktap_header 14
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"

CRAFT=$TOOLS/redirect_craft.py
KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

redir_topo || ktap_abort "cannot build the topology"

# conf NS: the same services on both nodes, each family (Maglev: the same
# member anywhere); UDP to the first server address only (udpecho's)
conf()
{
	local ns=$1 p v vip s1 s2 name

	for v in 4 6; do
		if [ $v = 4 ]; then
			vip=$VIP s1=10.0.2.10:80 s2=10.0.2.11:80
		else
			vip=$VIP6 s1="[fd00:2::10]:80" s2="[fd00:2::11]:80"
		fi
		for p in tcp udp; do
			name=w$v$p
			"$LBCTL" -n "$ns" pool add "$name" &&
				"$LBCTL" -n "$ns" member add "$name" "$s1" &&
				{ [ $p = udp ] || "$LBCTL" -n "$ns" member add "$name" "$s2"; } &&
				"$LBCTL" -n "$ns" vs add "$name" vip "$vip" port 80 proto $p \
					pool "$name" sched mh || return 1
		done
	done
}
conf "$NS_A" && conf "$NS_B" || ktap_abort "cannot configure nflb"

DATA=$NFLB_TMP/data
mkdata "$DATA" 100000
bg dl "$NS_SV" socat -U TCP6-LISTEN:80,reuseaddr,fork,ipv6only=0 "OPEN:$DATA,rdonly"
bg udp "$NS_SV" "$UDPECHO" -l -p 80 -n sv
wait_listen "$NS_SV" 80 && wait_listen "$NS_SV" 80 udp || ktap_abort "cannot start the servers"

# sync_on LOCAL_A LOCAL_B FK: both nodes, fk a silent third peer, redirect on
sync_on()
{
	la sync set node-id 1 local "$1" peer "$2" peer "$3" key "$KEY" redirect on &&
		lbb sync set node-id 2 local "$2" peer "$1" peer "$3" key "$KEY" redirect on
}

# ready PEER_B FK: both nodes ready, each the owner of half the flows
ready()
{
	la sync wait timeout 20 && lbb sync wait timeout 20 || return 1
	wait_for 10 eval "[ \$(snum $NS_A .owner_share) = 500 ] && [ \$(snum $NS_B .owner_share) = 500 ] &&
		[ \$(snum $NS_A '.peers[0].owner_share') = 500 ] &&
		[ \$(snum $NS_B '.peers[0].owner_share') = 500 ]" ||
		{ la sync show; lbb sync show; return 1; }
	la sync show | grep -qx "redirect on owner-share 500 peer-shares $1 500 $2 0"
}

# mark: the counters the split is measured from
mark()
{
	M_AC=$(created "$NS_A") M_BC=$(created "$NS_B")
	M_AT=$(snum "$NS_A" .stats.tx_redirected) M_BT=$(snum "$NS_B" .stats.tx_redirected)
	M_AR=$(snum "$NS_A" .stats.rx_redirected) M_BR=$(snum "$NS_B" .stats.rx_redirected)
}

# split N: since mark, both nodes created sessions (N in all: a SYN at A
# for a flow B owns went to B, which created it), both redirected, both
# received redirects
split()
{
	local a b ta tb ra rb

	a=$(($(created "$NS_A") - M_AC)) b=$(($(created "$NS_B") - M_BC))
	ta=$(($(snum "$NS_A" .stats.tx_redirected) - M_AT))
	tb=$(($(snum "$NS_B" .stats.tx_redirected) - M_BT))
	ra=$(($(snum "$NS_A" .stats.rx_redirected) - M_AR))
	rb=$(($(snum "$NS_B" .stats.rx_redirected) - M_BR))
	ktap_diag "sessions created: A $a, B $b; redirected: A $ta, B $tb; received: A $ra, B $rb"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ $((a + b)) = "$1" ] && [ "$ta" -gt 0 ] &&
		[ "$tb" -gt 0 ] && [ "$ra" -gt 0 ] && [ "$rb" -gt 0 ]
}

# downloads ADDR SPORT: 16 downloads at once, from client ports SPORT..,
# byte-exact, the sessions split between the owners
downloads()
{
	local addr=$1 i ok=0

	mark
	for ((i = 0; i < 16; i++)); do
		bg "get$i" "$NS_CL" timeout 40 socat -u \
			"$(_socat_tcp "$addr" 80),sourceport=$(($2 + i)),reuseaddr" "CREATE:$NFLB_TMP/got$i"
	done
	for ((i = 0; i < 16; i++)); do
		bg_wait "get$i" 60 && same_file "$DATA" "$NFLB_TMP/got$i" && ok=$((ok + 1))
		rm -f "$NFLB_TMP/got$i"
	done
	[ "$ok" = 16 ] || { ktap_diag "$ok of 16 downloads byte-exact"; la sync show; lbb sync show; return 1; }
	split 16
}

# udp FAMILY ADDR SPORT MSG: 16 UDP flows, one datagram each way
udp()
{
	local fam=() n

	[ "$1" = 6 ] && fam=(-6)
	n=$(in_ns "$NS_CL" "$UDPECHO" "${fam[@]}" -a "$2" -p 80 -b "$3" -c 16 -m "$4" -t 3000 |
		grep -c "^reply .* sv len=${#4} ")
	[ "$n" = 16 ] || { ktap_diag "$n of 16 UDP flows to $2 answered"; la sync show; lbb sync show; return 1; }
}

# 1-3: sync over IPv4, IPv6 flows
start4() { sync_on "$A_X" "$B_X" "$FK_X" && ready "$B_X" "$FK_X"; }
ktap_check "sync over IPv4 with redirect: both ready, each owns half" start4
ktap_check "over an IPv4 sync link: 16 IPv6 downloads byte-exact, sessions made by both owners" \
	downloads "$VIP6" 20000
udp6_over4()
{
	mark
	udp 6 "$VIP6" 30000 hello6 && split 16
}
ktap_check "over an IPv4 sync link: 16 IPv6 UDP flows answered, sessions made by both owners" udp6_over4

# 4-7: sync over IPv6, flows of both families
start6() { sync_on "$A_X6" "$B_X6" "$FK_X6" && ready "$B_X6" "$FK_X6"; }
ktap_check "sync over IPv6 with redirect: both ready, each owns half" start6
# over6 CMD...: CMD, with sync running over IPv6 on both nodes (not left
# over IPv4 by a failed start6)
over6()
{
	la -j sync show | jq -e ".local == \"$A_X6\" and .redirect" >/dev/null &&
		lbb -j sync show | jq -e ".local == \"$B_X6\" and .redirect" >/dev/null ||
		{ ktap_diag "sync does not run over IPv6 with redirect"; return 1; }
	"$@"
}
ktap_check "over an IPv6 sync link: 16 IPv4 downloads byte-exact, sessions made by both owners" \
	over6 downloads "$VIP" 20100
ktap_check "over an IPv6 sync link: 16 IPv6 downloads byte-exact, sessions made by both owners" \
	over6 downloads "$VIP6" 20200
ktap_check "with redirect on, the node's own IPv6 connections to a member work" \
	own_downloads "TCP6:[fd00:2::10]:80"
# 1,450 bytes: with 72 bytes of outer headers no redirect of either fits
big_udp()
{
	local msg fr

	msg=$(printf 'x%.0s' $(seq 1450))
	fr=$(snum "$NS_A" .stats.tx_redirect_frag)
	mark
	udp 4 "$VIP" 30100 "$msg" && udp 6 "$VIP6" 30200 "$msg" && split 32 || return 1
	ktap_diag "A sent $(($(snum "$NS_A" .stats.tx_redirect_frag) - fr)) redirects fragmented"
	[ "$(snum "$NS_A" .stats.tx_redirect_frag)" -gt "$fr" ]
}
ktap_check "over an IPv6 sync link: UDP flows of both families with 1,450-byte datagrams, fragmented redirects" \
	over6 big_udp

# 8: forged IPv6 redirects
forged()
{
	local np bm mf c

	np=$(snum "$NS_B" .stats.redirect_drop_not_peer) bm=$(snum "$NS_B" .stats.redirect_drop_bad_mac)
	mf=$(snum "$NS_B" .stats.redirect_drop_malformed) c=$(created "$NS_B")
	in_ns "$NS_EV" python3 "$CRAFT" --key "$KEY" --src "$EV_X6" --dst "$B_X6" \
		--client "$CL6" --vip "$VIP6" --vport 80 40000 40001 40002 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X6" --dst "$B_X6" --bad-mac \
			--client "$CL6" --vip "$VIP6" --vport 80 40003 40004 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X6" --dst "$B_X6" --frag \
			--client "$CL6" --vip "$VIP6" --vport 80 40005 40006 40007 40008 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X6" --dst "$B_X6" \
			--label "nflb sync" --client "$CL6" --vip "$VIP6" --vport 80 40009 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X6" --dst "$B_X6" \
			--version 1 --label "nflb sync" --client "$CL6" --vip "$VIP6" --vport 80 40010 ||
		return 1
	wait_for 5 eval "[ \$(snum $NS_B .stats.redirect_drop_not_peer) = $((np + 3)) ] &&
		[ \$(snum $NS_B .stats.redirect_drop_bad_mac) = $((bm + 3)) ] &&
		[ \$(snum $NS_B .stats.redirect_drop_malformed) = $((mf + 5)) ]" ||
		{ lbb sync show; return 1; }
	[ "$(created "$NS_B")" = "$c" ]
}
ktap_check "IPv6 redirects from no peer, with a wrong MAC, under sync's key, of version 1 or of a fragment: dropped and counted" forged

# 9: 16 valid IPv6 redirects of IPv6 SYNs, from fk to B: B owns about half
# shellcheck disable=SC2046 # the ports, a word each
ktap_check "valid IPv6 redirects: B creates the flows it owns, drops the others, sends none back" \
	crafted_split --src "$FK_X6" --dst "$B_X6" --client "$CL6" --vip "$VIP6" --vport 80 \
	$(seq 41000 41015)

# 10: the same with an IPv4 inner packet over the IPv6 link
# shellcheck disable=SC2046 # the ports, a word each
ktap_check "valid IPv6 redirects of IPv4 SYNs: the same split" \
	crafted_split --src "$FK_X6" --dst "$B_X6" --client 10.0.1.2 --vip "$VIP" --vport 80 \
	$(seq 41100 41115)

# 11
shown()
{
	la -j sync show | jq -e ".local == \"$A_X6\" and .redirect == true" >/dev/null ||
		{ la -j sync show; return 1; }
}
ktap_check "sync show: IPv6 local address, redirect on" shown

# 12
ktap_check "without sync and redirect, an IPv6 download fails" \
	sync_off_fails "TCP6:[$VIP6]:80,sourceport=22000,reuseaddr"

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
