#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2034 # the names are the sourcing test's
#
# The asymmetric topology of the owner redirect tests (sync_redirect,
# sync_redirect6), dual-stack, and their helpers.  Sourced after lib.sh.
#
#   client 10.0.1.2 fd00:1::2 (default via A) --- brc --- A c0 .1.1, B c0 .1.3
#   server 10.0.2.10/.11 fd00:2::10/::11 (default via B) --- brs --- A s0 .2.1, B s0 .2.3
#   sync segment brx: A 10.0.9.1 fd00:9::1 (node 1), B .9.2 ::2 (node 2),
#                     fk .9.3 ::3 (a configured peer that never syncs:
#                     crafts redirects), ev .9.4 ::4 (no peer)

NS_SW="$NFLB_PFX-sw" NS_CL="$NFLB_PFX-cl" NS_A="$NFLB_PFX-a"
NS_B="$NFLB_PFX-b" NS_SV="$NFLB_PFX-sv" NS_FK="$NFLB_PFX-fk"
NS_EV="$NFLB_PFX-ev"
VIP=10.0.0.100 VIP6=fd00::100 CL=10.0.1.2 CL6=fd00:1::2
A_X=10.0.9.1 B_X=10.0.9.2 FK_X=10.0.9.3 EV_X=10.0.9.4
A_X6=fd00:9::1 B_X6=fd00:9::2 FK_X6=fd00:9::3 EV_X6=fd00:9::4
SV1=10.0.2.10 SV2=10.0.2.11

redir_topo()
{
	local ns

	modprobe -q veth 2>/dev/null
	for ns in "$NS_SW" "$NS_CL" "$NS_A" "$NS_B" "$NS_SV" "$NS_FK" "$NS_EV"; do
		_ns_init "$ns" || return 1
	done
	_batch "$NS_SW" <<-EOF || return 1
	link add brc type bridge
	link add brs type bridge
	link add brx type bridge
	link set brc up
	link set brs up
	link set brx up
	EOF
	# node, its device, the switch's port, the bridge, addresses
	while read -r ns dev port br a4 a6; do
		_link "${!ns}" "$dev" "$NS_SW" "$port" && ip -n "$NS_SW" link set "$port" master "$br" &&
			_addr "${!ns}" "$dev" "$a4" "$a6" || return 1
	done <<-EOF
	NS_CL eth0 c-cl brc $CL/24 $CL6/64
	NS_A c0 c-a brc 10.0.1.1/24 fd00:1::1/64
	NS_B c0 c-b brc 10.0.1.3/24 fd00:1::3/64
	NS_A s0 s-a brs 10.0.2.1/24 fd00:2::1/64
	NS_B s0 s-b brs 10.0.2.3/24 fd00:2::3/64
	NS_SV eth0 s-sv brs $SV1/24 fd00:2::10/64
	NS_A x0 x-a brx $A_X/24 $A_X6/64
	NS_B x0 x-b brx $B_X/24 $B_X6/64
	NS_FK eth0 x-fk brx $FK_X/24 $FK_X6/64
	NS_EV eth0 x-ev brx $EV_X/24 $EV_X6/64
	EOF
	# the second server address deprecated: udpecho answers from the first
	ip -n "$NS_SV" addr add "$SV2"/24 dev eth0 &&
		ip -n "$NS_SV" -6 addr add fd00:2::11/64 dev eth0 nodad preferred_lft 0 &&
		ip -n "$NS_CL" route add default via 10.0.1.1 &&
		ip -n "$NS_CL" -6 route add default via fd00:1::1 &&
		ip -n "$NS_SV" route add default via 10.0.2.3 &&
		ip -n "$NS_SV" -6 route add default via fd00:2::3 &&
		_forwarding "$NS_A" && _forwarding "$NS_B"
}

la() { "$LBCTL" -n "$NS_A" "$@"; }
lbb() { "$LBCTL" -n "$NS_B" "$@"; }

# snum NS KEY: a sync counter or field of sync show -j (jq path), -1 if none
snum()
{
	local v

	v=$("$LBCTL" -n "$1" -j sync show 2>/dev/null | jq -r "$2") && [[ $v =~ ^[0-9]+$ ]] &&
		{ echo "$v"; return 0; }
	echo -1
	return 1
}

# created NS: sessions_created of lbctl -j stats
created()
{
	json_num "$("$LBCTL" -n "$1" -j stats)" sessions_created
}

# own_downloads SOCAT_ADDR: eight downloads of $DATA by node A itself from
# a member, all byte-exact.  A member answers the node's own connections
# too (lbhealthd's checks): its packets to A are no stray replies for an
# owner, which would drop about half of them.
own_downloads()
{
	local i

	for i in 1 2 3 4 5 6 7 8; do
		if ! in_ns "$NS_A" timeout 5 socat -u "$1" "CREATE:$NFLB_TMP/own$i" ||
			! cmp -s "$DATA" "$NFLB_TMP/own$i"; then
			ktap_diag "A's own download $i ($1) failed"
			return 1
		fi
	done
}

# sync_off_fails SOCAT_ADDR: sync stopped on both nodes, a download over
# the asymmetric path fails (the path really needs redirect)
sync_off_fails()
{
	la sync del && lbb sync del || return 1
	if in_ns "$NS_CL" timeout 5 socat -u "$1" "CREATE:$NFLB_TMP/without"; then
		ktap_diag "the download worked without sync and redirect"
		return 1
	fi
	return 0
}

# crafted_split CRAFT_ARGS...: 16 valid redirects from fk to B (the craft
# tool's arguments, 16 client ports among them): B creates the sessions of
# the flows it owns and drops the others as not its own, some of each, and
# redirects none of them again
crafted_split()
{
	local no tx c made dropped

	no=$(snum "$NS_B" .stats.redirect_drop_not_owner) tx=$(snum "$NS_B" .stats.tx_redirected)
	c=$(created "$NS_B")
	in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" "$@" || return 1
	wait_for 5 eval "[ \$((\$(created $NS_B) - $c + \$(snum $NS_B .stats.redirect_drop_not_owner) - $no)) = 16 ]"
	made=$(($(created "$NS_B") - c)) dropped=$(($(snum "$NS_B" .stats.redirect_drop_not_owner) - no))
	ktap_diag "B created $made sessions, dropped $dropped as not its own"
	[ "$made" -gt 0 ] && [ "$dropped" -gt 0 ] && [ $((made + dropped)) = 16 ] &&
		[ "$(snum "$NS_B" .stats.tx_redirected)" = "$tx" ]
}
