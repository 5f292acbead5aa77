# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Active-active topology for the ECMP selftests (issue 15), sourced after
# lib.sh (whose cleanup also removes these namespaces and processes).  The
# set-up of Documentation/admin-guide.rst, "Active-active behind ECMP with
# BIRD", whose BIRD configurations and nflb-announce script the test runs as
# they are:
#
#   client 10.0.1.2 --- rt (router, BIRD AS 65000; ECMP to the VIP
#                       |   10.0.100.100 over the nodes that announce it)
#       sw: bridge brt -+------------+------------+   10.0.2.0/24
#                     t0 10.0.2.11  t0 .12       t0 .13
#                      lb1          lb2          lb3      (BIRD AS 65001)
#                     s0 10.0.10.11 s0 .12       s0 .13
#       sw: bridge brs -+------------+------------+-----+-----+   10.0.10.0/24
#                                                s1    s2    s3  (BIRD AS 65002,
#                                                 10.0.10.2I      ECMP default)
#
# The router and the servers hash on L4 (fib_multipath_hash_policy=1), so a
# flow's requests and its replies pick their node independently.  Sync runs
# between the nodes' s0 addresses.
#
#   ecmp_topo_create        namespaces, bridges, links; lb1..lb3; BIRD on the
#                           router and the servers (nodes: ecmp_lb_start)
#   ecmp_lb_create N        (re)create lbN: namespace and links
#   ecmp_lb_start N         BIRD and nflb-announce in lbN
#   ecmp_lb_crash N         lbN dies: its processes killed (-KILL), its
#                           namespace deleted (ecmp_lb_gone N: freed)
#   ecmp_lbctl N ARGS...    lbctl in lbN
#   ecmp_nexthops NS DEST   how many nexthops NS's route to DEST has (0: none)
#   ecmp_servers_via N      every server sends its replies through lbN only
#                           (BIRD stopped on the servers; a static route)
# Variables: NS_RT NS_SW NS_LB1..3 (and lib.sh's NS_CL, NS_S1..), EC_VIP,
# ecmp_t4 N / ecmp_s4 N (lbN's addresses), server4 I.

EC_VIP=10.0.100.100
EC_CL=10.0.1.2
EC_RT=10.0.2.1
EC_NODES=3
EC_GUIDE=$NFLB_SRC/Documentation/admin-guide.rst
NS_RT="" NS_SW="" NS_LB1="" NS_LB2="" NS_LB3=""

ecmp_t4() { echo "10.0.2.1$1"; }
ecmp_s4() { echo "10.0.10.1$1"; }
# shellcheck disable=SC2317 # replace lib.sh's for this topology
server4() { echo "10.0.10.2$1"; }

ecmp_ns()
{
	local v="NS_LB$1"

	echo "${!v}"
}

ecmp_lbctl()
{
	local n=$1

	shift
	"$LBCTL" -n "$(ecmp_ns "$n")" "$@"
}

# ecmp_guide_block NAME FILE: the guide's block between the "NAME: begin"
# and "NAME: end" markers, unindented
ecmp_guide_block()
{
	sed -n "/^\\.\\. $1: begin/,/^\\.\\. $1: end/s/^    //p" "$EC_GUIDE" >"$2"
	[ -s "$2" ] && return 0
	ktap_diag "no block $1 in $EC_GUIDE"
	return 1
}

# _ecmp_bird NAME NS ROLE: BIRD with the guide's ROLE configuration in NS,
# in the foreground (bg NAME), its own control socket $NFLB_TMP/NAME.ctl
_ecmp_bird()
{
	local name=$1 ns=$2 conf=$NFLB_TMP/$1.conf

	ecmp_guide_block "nflb-bird-$3" "$conf" || return 1
	rm -f "$NFLB_TMP/$name.ctl"
	bg "$name" "$ns" bird -f -c "$conf" -s "$NFLB_TMP/$name.ctl" -P "$NFLB_TMP/$name.pid"
	wait_for 20 test -S "$NFLB_TMP/$name.ctl" && return 0
	ktap_diag "BIRD did not start in $ns: $(tail -n 5 "$(bg_out "$name")")"
	return 1
}

# ecmp_lb_create N: namespace lbN, t0 on brt and s0 on brs, default via rt
ecmp_lb_create()
{
	local n=$1 ns

	ns=$(ecmp_ns "$n")
	_ns_init "$ns" && _forwarding "$ns" || return 1
	_batch "$ns" <<-EOF || return 1
		link add t0 type veth peer name t-lb$n netns $NS_SW
		link add s0 type veth peer name s-lb$n netns $NS_SW
		addr add $(ecmp_t4 "$n")/24 dev t0
		addr add $(ecmp_s4 "$n")/24 dev s0
		link set t0 up
		link set s0 up
		route add default via $EC_RT
	EOF
	_batch "$NS_SW" <<-EOF
		link set t-lb$n master brt
		link set s-lb$n master brs
		link set t-lb$n up
		link set s-lb$n up
	EOF
}

# ecmp_lb_start N: BIRD and the guide's nflb-announce in lbN
ecmp_lb_start()
{
	local n=$1 ns script=$NFLB_TMP/nflb-announce

	ns=$(ecmp_ns "$n")
	[ -x "$script" ] || { ecmp_guide_block nflb-announce "$script" && chmod +x "$script"; } ||
		return 1
	_ecmp_bird "bird-lb$n" "$ns" node || return 1
	bg "announce-lb$n" "$ns" env BIRD_SOCK="$NFLB_TMP/bird-lb$n.ctl" LBCTL="$LBCTL" "$script"
	disown "$(bg_pid "bird-lb$n")" "$(bg_pid "announce-lb$n")"
}

# ecmp_lb_crash N: as if lbN lost power (its processes killed, -KILL),
# then its namespace is gone; ecmp_lb_gone N waits until it is freed
ecmp_lb_crash()
{
	local ns pids

	ns=$(ecmp_ns "$1")
	pids=$(ip netns pids "$ns" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	unset "_bg_pids[bird-lb$1]" "_bg_pids[announce-lb$1]"
	ip netns del "$ns"
}

ecmp_lb_gone()
{
	wait_for 10 eval "! ip -n $NS_SW link show t-lb$1 >/dev/null 2>&1"
}

# ecmp_nexthops NS DEST: nexthops of NS's route to DEST (1 for a plain
# route, 0 for none)
ecmp_nexthops()
{
	local out n

	out=$(ip -n "$1" route show "$2" 2>/dev/null)
	[ -n "$out" ] || { echo 0; return; }
	n=$(grep -c nexthop <<<"$out")
	[ "$n" -gt 0 ] && echo "$n" || echo 1
}

# ecmp_routes_are N: the router has N nexthops to the VIP, every server N
# for its default route
ecmp_routes_are()
{
	local i

	[ "$(ecmp_nexthops "$NS_RT" "$EC_VIP")" = "$1" ] || return 1
	for ((i = 1; i <= NSERVERS; i++)); do
		[ "$(ecmp_nexthops "$(server_ns "$i")" default)" = "$1" ] || return 1
	done
}

ecmp_wait_routes()
{
	local i

	wait_for "$2" ecmp_routes_are "$1" && return 0
	ktap_diag "not $1 nexthops after $2 s: router: $(ip -n "$NS_RT" route show "$EC_VIP" | tr '\n' ' ')"
	for ((i = 1; i <= NSERVERS; i++)); do
		ktap_diag "s$i: $(ip -n "$(server_ns "$i")" route show default | tr '\n' ' ')"
		ktap_diag "s$i: $(birdc -s "$NFLB_TMP/bird-s$i.ctl" show protocols 2>&1 | tr '\n' ' ')"
	done
	return 1
}

# ecmp_servers_via N: replies of every server through lbN only
ecmp_servers_via()
{
	local i

	for ((i = 1; i <= NSERVERS; i++)); do
		bg_stop "bird-s$i"
		ip -n "$(server_ns "$i")" route replace default via "$(ecmp_s4 "$1")" || return 1
	done
}

# ecmp_topo_create [NSERVERS=3]
ecmp_topo_create()
{
	local n=${1:-3} i ns

	modprobe -q veth 2>/dev/null
	modprobe -q bridge 2>/dev/null
	NSERVERS=$n
	NS_CL="$NFLB_PFX-cl"
	NS_RT="$NFLB_PFX-rt"
	NS_SW="$NFLB_PFX-sw"
	for ((i = 1; i <= EC_NODES; i++)); do
		printf -v "NS_LB$i" '%s' "$NFLB_PFX-lb$i"
	done
	# shellcheck disable=SC2034 # read by lib.sh: "the" lb is lb1
	NS_LB=$NS_LB1
	for ns in "$NS_CL" "$NS_RT" "$NS_SW"; do
		_ns_init "$ns" || return 1
	done
	_forwarding "$NS_RT" &&
		in_ns "$NS_RT" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 >/dev/null || return 1
	_batch "$NS_SW" <<-EOF || return 1
		link add brt type bridge
		link add brs type bridge
		link set brt up
		link set brs up
		link add t-rt type veth peer name t0 netns $NS_RT
		link set t-rt master brt
		link set t-rt up
	EOF
	_link "$NS_CL" eth0 "$NS_RT" c0 || return 1
	_batch "$NS_CL" <<-EOF || return 1
		addr add $EC_CL/24 dev eth0
		route add default via 10.0.1.1
	EOF
	_batch "$NS_RT" <<-EOF || return 1
		addr add 10.0.1.1/24 dev c0
		addr add $EC_RT/24 dev t0
		link set t0 up
	EOF
	for ((i = 1; i <= n; i++)); do
		ns="$NFLB_PFX-s$i"
		printf -v "NS_S$i" '%s' "$ns"
		_ns_init "$ns" || return 1
		in_ns "$ns" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 >/dev/null || return 1
		_batch "$NS_SW" <<-EOF || return 1
			link add s$i type veth peer name eth0 netns $ns
			link set s$i master brs
			link set s$i up
		EOF
		_batch "$ns" <<-EOF || return 1
			link set eth0 up
			addr add $(server4 "$i")/24 dev eth0
		EOF
	done
	for ((i = 1; i <= EC_NODES; i++)); do
		ecmp_lb_create "$i" || return 1
	done
	_ecmp_bird bird-rt "$NS_RT" router || return 1
	for ((i = 1; i <= n; i++)); do
		_ecmp_bird "bird-s$i" "$(server_ns "$i")" server || return 1
	done
}
