#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# ecmp_bgp: active-active behind ECMP (issue 15).  Topology of lib_ecmp.sh:
# a router running BIRD spreads flows to the VIP over three nflb nodes that
# announce it by BGP, hashing on L4; the servers spread their replies over
# the nodes the same way (a default route each node announces).  BIRD's
# configurations and the nflb-announce script are those of
# Documentation/admin-guide.rst, run as they are.  Every node restores the
# same nflb configuration (sched mh).
#
# Part 1, no sync (proves the later checks can fail): nodes announced by
# hand, every reply returns through lb1 (the asymmetric path): connections
# whose requests reach lb2 or lb3 break, lb1 has no session for their
# replies.
# Part 2, sync on every node (full mesh, owner redirect on):
# nflb-announce announces a node only once `lbctl sync wait` says it is
# ready; the same asymmetric test works.  Then ECMP both ways: EC_CONNS
# paced downloads and EC_UDP UDP flows; lb3 dies mid-transfer (its namespace
# deleted, its BGP sessions drop): every download completes byte-exact, the
# UDP flows keep their members; lb3 comes back, resyncs, is announced only
# once ready, takes a share of new flows (its sessions_created grows), and
# downloads in flight across its return complete byte-exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ecmp.sh"

EC_CONNS=${NFLB_EC_CONNS:-60}
EC_UDP=${NFLB_EC_UDP:-30}
KB=${NFLB_EC_KB:-1024}
XF_PORT=8080
XF_VIP=$EC_VIP
XF_RATE=${NFLB_EC_RATE:-96}
. "$(dirname "$0")/lib_xfer.sh"

ktap_header 15
require_root
require_tools
require_cmds bird birdc jq
[ -e /proc/sys/net/ipv4/fib_multipath_hash_policy ] ||
	ktap_skip_all "the kernel has no multipath routing (CONFIG_IP_ROUTE_MULTIPATH)"
nflb_load || ktap_abort "cannot load nflb.ko"
ecmp_topo_create 3 || ktap_abort "cannot build the topology"
dmesg_mark
xfer_servers || ktap_abort "servers did not start"

KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
[ ${#KEY} = 64 ] || ktap_abort "no key"
CONF=$NFLB_TMP/nflb.conf
{
	echo "pool add web"
	for ((i = 1; i <= NSERVERS; i++)); do
		echo "member add web $(server4 "$i"):$XF_PORT"
	done
	echo "vs add web-tcp vip $EC_VIP port $XF_PORT proto tcp pool web sched mh hash-port"
	echo "vs add web-udp vip $EC_VIP port $XF_PORT proto udp pool web sched mh hash-port"
} >"$CONF"

# ---------------------------------------------------------------------------
# helpers

restore()
{
	local out

	out=$(ecmp_lbctl "$1" restore "$CONF" 2>&1) && return 0
	ktap_diag "lb$1: lbctl restore: $out"
	return 1
}

# sync_set N: node-id N, every other node a peer
sync_set()
{
	local n=$1 i peers=() out

	for ((i = 1; i <= EC_NODES; i++)); do
		[ "$i" = "$n" ] || peers+=(peer "$(ecmp_s4 "$i")")
	done
	out=$(ecmp_lbctl "$n" sync set node-id "$n" local "$(ecmp_s4 "$n")" "${peers[@]}" \
		key "$KEY" redirect on 2>&1) && return 0
	ktap_diag "lb$n: lbctl sync set: $out"
	return 1
}

sync_wait()
{
	local out

	out=$(ecmp_lbctl "$1" sync wait timeout $((60 * S)) 2>&1) && return 0
	ktap_diag "lb$1: lbctl sync wait: $out"
	return 1
}

created()
{
	NS_LB=$(ecmp_ns "$1") stat_get sessions_created
}

# short NAME COUNT SPORT: COUNT unpaced 64 KiB downloads at once; 0 if all
# completed byte-exact
short()
{
	in_ns "$NS_CL" "$DLFLOWS" -a "$EC_VIP" -p "$XF_PORT" -n "$2" -s 65536 -b "$3" \
		-t $((8 * S)) -T $((60 * S)) >"$NFLB_TMP/$1.out" 2>&1
}

short_summary()
{
	local i

	grep -oE '^(done|bad|short|reset|stalled|error) ' "$NFLB_TMP/$1.out" |
		sort | uniq -c | awk '{ printf "%s%s=%s", s, $2, $1; s = " " }'
	echo
	grep -m3 -E '^(bad|short|reset|stalled|error) ' "$NFLB_TMP/$1.out"
	echo "router: $(ip -n "$NS_RT" route show "$EC_VIP" | tr '\n' ' ')"
	for ((i = 1; i <= EC_NODES; i++)); do
		echo "lb$i announce: $(tail -n 3 "$(bg_out "announce-lb$i")" 2>/dev/null | tr '\n' ' ')"
	done
}

bird_enable_all()
{
	local i

	for ((i = 1; i <= EC_NODES; i++)); do
		in_ns "$(ecmp_ns "$i")" birdc -s "$NFLB_TMP/bird-lb$i.ctl" enable nflb_ready \
			>/dev/null || return 1
	done
}

# ---------------------------------------------------------------------------
# setup: every node restores one file and runs BIRD with nflb-announce

for ((i = 1; i <= EC_NODES; i++)); do
	restore "$i" && ecmp_lb_start "$i" || ktap_abort "lb$i did not start"
done
not_announced()
{
	# nflb-announce polls every second: a node without sync is not ready
	sleep $((4 * S))
	[ "$(ecmp_nexthops "$NS_RT" "$EC_VIP")" = 0 ] && return 0
	ktap_diag "router: $(ip -n "$NS_RT" route show "$EC_VIP" | tr '\n' ' ')"
	return 1
}
ktap_check "a node whose sync is not configured is not announced" not_announced

# ---------------------------------------------------------------------------
# Part 1: no sync, replies through lb1 only

for ((i = 1; i <= EC_NODES; i++)); do
	bg_stop "announce-lb$i"
done
asym_nosync()
{
	local c

	bird_enable_all && ecmp_wait_routes 3 $((20 * S)) && ecmp_servers_via 1 || return 1
	short asym1 30 50000
	ktap_diag "no sync, replies through lb1: $(short_summary asym1)"
	# the router's picks of lb1 work, the others break: lb1 has no
	# session for their replies
	c=$(grep -c '^done ' "$NFLB_TMP/asym1.out")
	[ "$c" -gt 0 ] && [ "$c" -lt 30 ]
}
ktap_check "no sync, asymmetric return: connections through lb2 and lb3 break" asym_nosync

# ---------------------------------------------------------------------------
# Part 2: sync

sync_all()
{
	local i

	for ((i = 1; i <= EC_NODES; i++)); do
		sync_set "$i" || return 1
	done
	for ((i = 1; i <= EC_NODES; i++)); do
		sync_wait "$i" || return 1
	done
}
ktap_check "sync: configured on the three nodes (full mesh), all ready" sync_all
for ((i = 1; i <= EC_NODES; i++)); do
	bg "announce-lb$i" "$(ecmp_ns "$i")" env BIRD_SOCK="$NFLB_TMP/bird-lb$i.ctl" \
		LBCTL="$LBCTL" "$NFLB_TMP/nflb-announce"
	disown "$(bg_pid "announce-lb$i")"
done
asym_sync()
{
	short asym2 30 50100 && return 0
	ktap_diag "sync, replies through lb1: $(short_summary asym2)"
	return 1
}
ktap_check "sync+redirect, asymmetric return: all 30 connections byte-exact" asym_sync
# redirected: the SYNs that reached a node other than their flow's owner,
# and the replies that reached lb1 before their session's record
redirects()
{
	local i out n sum=0

	for ((i = 1; i <= EC_NODES; i++)); do
		out=$(ecmp_lbctl "$i" -j sync show) || return 1
		n=$(grep -o '"tx_redirected": *[0-9]*' <<<"$out" | grep -o '[0-9]*$' | head -n 1)
		echo "lb$i tx_redirected=${n:-none}"
		sum=$((sum + ${n:-0}))
	done
	[ "$sum" -gt 0 ]
}
ktap_check "owner redirect carried packets that had no session where they arrived" redirects

ecmp_back()
{
	local i

	for ((i = 1; i <= NSERVERS; i++)); do
		ip -n "$(server_ns "$i")" route del default 2>/dev/null
		_ecmp_bird "bird-s$i" "$(server_ns "$i")" server || return 1
	done
	ecmp_wait_routes 3 $((30 * S))
}
ktap_check "ECMP both ways: router and servers have a route over the three nodes" ecmp_back

# the workload: paced downloads held at half until the gate opens, UDP flows
# (started here: ktap_check runs its command in a subshell)
downloads dl1 "$EC_CONNS" 44000 20 "$KB" 1
part2_running()
{
	running dl1 "$EC_CONNS" && udp udp1 42001 "$EC_UDP"
}
ktap_check "$EC_CONNS downloads mid-transfer and $EC_UDP UDP flows over the three nodes" \
	part2_running
spread()
{
	local i c out=""

	for ((i = 1; i <= EC_NODES; i++)); do
		c=$(created "$i")
		out="$out lb$i=$c"
	done
	ktap_diag "sessions_created:$out"
}
spread
open_gate 1
ecmp_lb_crash 3 || ktap_diag "lb3 crash: namespace not deleted"
mark dl1
ecmp_lb_gone 3 || ktap_diag "lb3's namespace not freed in 10 s"
ktap_check "lb3 died: the router and the servers route over lb1 and lb2" \
	ecmp_wait_routes 2 $((15 * S))
# node_drops NAME: why a node dropped packets, and what each surviving node
# holds of the failed downloads' flows (a diagnostic when a download failed;
# the drop counters count from the start, part 1 included)
node_drops()
{
	local i st sy ports

	ports=$(grep -oE '^(bad|short|reset|stalled|error) [0-9]+' "$(bg_out "$1")" |
		awk '{ print $2 }' | head -n 5 | paste -sd, -)
	for ((i = 1; i <= EC_NODES; i++)); do
		ip netns pids "$(ecmp_ns "$i")" >/dev/null 2>&1 || continue
		st=$(ecmp_lbctl "$i" -j stats 2>&1 | grep -o '"drop_[a-z_]*": *[1-9][0-9]*' | sort -u | tr '\n' ' ')
		sy=$(ecmp_lbctl "$i" -j sync show 2>&1 |
			grep -oE '"(redirect_drop_[a-z_]*|rx_lost|rx_[a-z_]*fail[a-z_]*)": *[1-9][0-9]*' |
			sort -u | tr '\n' ' ')
		ktap_diag "lb$i drops: ${st:-none} ${sy}"
		[ -n "$ports" ] || continue
		ktap_diag "lb$i sessions of client ports $ports:" \
			"$(ecmp_lbctl "$i" -j session list 2>&1 | jq -c --argjson p "[$ports]" \
				'[.[] | select(.client_port as $c | $p | index($c)) |
				  {client_port, state, owner, expires_ms, member, member_port}]')"
	done
}
ktap_check "every one of the $EC_CONNS downloads completed byte-exact" all_done dl1 "$EC_CONNS" ||
	node_drops dl1
kept()
{
	udp udp1b 42001 "$EC_UDP" && udp_same udp1 udp1b
}
ktap_check "the $EC_UDP UDP flows kept their members" kept

# lb3 comes back while downloads run through lb1 and lb2
downloads dl2 30 45000 20 "$KB" 2 && running dl2 30 || ktap_diag "downloads did not start"
lb3_return()
{
	ecmp_lb_create 3 && restore 3 && ecmp_lb_start 3 || return 1
	# not announced before its sync is set and the table pulled
	sleep $((3 * S))
	[ "$(ecmp_nexthops "$NS_RT" "$EC_VIP")" = 2 ] || {
		ktap_diag "lb3 announced before its sync was set"
		return 1
	}
	sync_set 3 && sync_wait 3 && ecmp_wait_routes 3 $((20 * S))
}
ktap_check "lb3 back: announced only once ready (bulk resync), three routes again" lb3_return
c3=$(created 3)
mark dl2
open_gate 2
ktap_check "downloads in flight across lb3's return completed byte-exact" all_done dl2 30
share()
{
	local c

	short new3 30 50200 || {
		ktap_diag "new connections: $(short_summary new3)"
		return 1
	}
	c=$(created 3)
	spread
	[ "$c" -gt "$c3" ] && return 0
	ktap_diag "lb3 created no session for the new connections ($c3 -> $c)"
	return 1
}
ktap_check "lb3 takes a share of new connections, all byte-exact" share
kept2()
{
	udp udp1c 42001 "$EC_UDP" && udp_same udp1 udp1c
}
ktap_check "the UDP flows still on their members after lb3's return" kept2
ktap_check "kernel log clean" dmesg_check

ktap_finish
