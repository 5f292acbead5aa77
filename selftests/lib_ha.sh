# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Active-standby topology for the failover selftests (issue 14), sourced
# after lib.sh (whose cleanup also removes these namespaces and processes):
#
#                      client  10.0.1.2, fd00:1::2
#                         |
#      sw: bridge brc  ---+----------------------  10.0.1.0/24, fd00:1::/64
#              |                    |                VIP 10.0.1.100, fd00:1::100
#        c0 10.0.1.11         c0 10.0.1.12           (VRRP)
#             lb1                  lb2               (fd00:1::1N, fd00:10::1N)
#        s0 10.0.10.11        s0 10.0.10.12
#              |                    |
#      sw: bridge brs  ---+----------+---------+-  10.0.10.0/24, fd00:10::/64
#                         |          |         |     gateway 10.0.10.1,
#                        s1         s2        s3     fd00:10::1 (VRRP)
#                                                    10.0.10.2$i, fd00:10::2$i,
#                                                    default via the gateway
#
# Both bridges live in one namespace ($NS_SW).  The client has no route
# beyond its segment: it reaches the VIP on the link, so only the node that
# holds the VIP (the VRRP master) sees its packets.  lb1 and lb2 forward;
# keepalived (ha_keepalived_start) moves the VIP and the gateway between
# them, with the configuration of Documentation/admin-guide.rst (the block
# between the "nflb-keepalived-conf" markers, used as it is).
#
#   ha_topo_create          the namespaces, bridges and links, lb1 and lb2
#   ha_lb_create N          (re)create lbN (namespace, links to both bridges)
#   ha_lb_crash N           lbN dies: its processes killed (-KILL), its
#                           namespace deleted (its links go with it)
#   ha_lbctl N ARGS...      lbctl in lbN
#   ha_conf_nflb FILE       the nflb configuration both nodes restore
#   ha_keepalived_start N   keepalived for lbN (its own config copy, pid files)
#   ha_has_addr N ADDR      ADDR is on lbN
#   ha_is_master N          lbN holds the VIP and the gateway, the other
#                           node neither
#   ha_wait_master N SECS
# Variables: NS_SW NS_LB1 NS_LB2 (and lib.sh's NS_CL, NS_S1..), HA_VIP,
# HA_GW, HA_VIP6, HA_GW6, ha_c4 N / ha_s4 N (lbN's own addresses), server4 I,
# server6 I.

HA_VIP=10.0.1.100
HA_GW=10.0.10.1
HA_CL=10.0.1.2
HA_VIP6=fd00:1::100
HA_GW6=fd00:10::1
HA_CL6=fd00:1::2
HA_GUIDE=$NFLB_SRC/Documentation/admin-guide.rst
NS_SW="" NS_LB1="" NS_LB2=""

ha_c4() { echo "10.0.1.1$1"; }
ha_s4() { echo "10.0.10.1$1"; }
# shellcheck disable=SC2317 # replace lib.sh's for this topology
server4() { echo "10.0.10.2$1"; }
# shellcheck disable=SC2317
server6() { echo "fd00:10::2$1"; }

ha_ns()
{
	local v="NS_LB$1"

	echo "${!v}"
}

ha_lbctl()
{
	local n=$1

	shift
	"$LBCTL" -n "$(ha_ns "$n")" "$@"
}

# ha_lb_create N: namespace lbN with c0 on brc and s0 on brs
ha_lb_create()
{
	local n=$1 ns

	ns=$(ha_ns "$n")
	ip netns add "$ns" || return 1
	_topo_ns+=("$ns")
	# shellcheck disable=SC2086
	in_ns "$ns" sysctl -qw $_NS_SYSCTLS $_FWD_SYSCTLS >/dev/null || return 1
	_batch "$ns" <<-EOF || return 1
		link set lo up
		link add c0 type veth peer name c-lb$n netns $NS_SW
		link add s0 type veth peer name s-lb$n netns $NS_SW
		addr add $(ha_c4 "$n")/24 dev c0
		addr add $(ha_s4 "$n")/24 dev s0
		addr add fd00:1::1$n/64 dev c0 nodad
		addr add fd00:10::1$n/64 dev s0 nodad
		link set c0 up
		link set s0 up
	EOF
	_batch "$NS_SW" <<-EOF || return 1
		link set c-lb$n master brc
		link set s-lb$n master brs
		link set c-lb$n up
		link set s-lb$n up
	EOF
	if [ "$TOPO_CSUM_STRICT" = 1 ]; then
		# finished checksums on what lb sends (see lib.sh's topo_create)
		in_ns "$ns" sh -c 'ethtool -K c0 tx off >/dev/null && ethtool -K s0 tx off >/dev/null' ||
			ktap_diag "ethtool -K tx off failed on lb$n"
	fi
	return 0
}

# ha_lb_crash N: as if lbN lost power: no goodbye from keepalived (-KILL),
# then its namespace and with it its links and nflb state are gone.
ha_lb_crash()
{
	local ns pids

	ns=$(ha_ns "$1")
	pids=$(ip netns pids "$ns" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	ip netns del "$ns" || return 1
	unset "_bg_pids[ka-lb$1]"
	# the namespace is freed once its last process has gone
	wait_for 10 eval "! ip -n $NS_SW link show c-lb$1 >/dev/null 2>&1"
}

# ha_topo_create [NSERVERS=3]
ha_topo_create()
{
	local n=${1:-3} i ns

	modprobe -q veth 2>/dev/null
	modprobe -q bridge 2>/dev/null
	NSERVERS=$n
	NS_CL="$NFLB_PFX-cl"
	NS_SW="$NFLB_PFX-sw"
	NS_LB1="$NFLB_PFX-lb1"
	NS_LB2="$NFLB_PFX-lb2"
	# lib.sh's helpers that take "the" lb (lb, lbq, stat_get) mean lb1
	# shellcheck disable=SC2034 # read by lib.sh
	NS_LB=$NS_LB1
	for ns in "$NS_CL" "$NS_SW"; do
		_ns_init "$ns" || return 1
	done
	_batch "$NS_SW" <<-EOF || return 1
		link add brc type bridge
		link add brs type bridge
		link set brc up
		link set brs up
		link add cl type veth peer name eth0 netns $NS_CL
		link set cl master brc
		link set cl up
	EOF
	_batch "$NS_CL" <<-EOF || return 1
		link set eth0 up
		addr add $HA_CL/24 dev eth0
		addr add $HA_CL6/64 dev eth0 nodad
	EOF
	for ((i = 1; i <= n; i++)); do
		ns="$NFLB_PFX-s$i"
		printf -v "NS_S$i" '%s' "$ns"
		_ns_init "$ns" || return 1
		_batch "$NS_SW" <<-EOF || return 1
			link add s$i type veth peer name eth0 netns $ns
			link set s$i master brs
			link set s$i up
		EOF
		_batch "$ns" <<-EOF || return 1
			link set eth0 up
			addr add $(server4 "$i")/24 dev eth0
			addr add $(server6 "$i")/64 dev eth0 nodad
			route add default via $HA_GW
			route add ::/0 via $HA_GW6
		EOF
	done
	ha_lb_create 1 && ha_lb_create 2
}

# ha_conf_nflb FILE PORT: what both nodes restore: a pool of every server
# on PORT per family, a TCP and a UDP virtual server on VIP:PORT and
# [VIP6]:PORT (rr).
ha_conf_nflb()
{
	local file=$1 port=$2 i

	{
		echo "pool add web"
		echo "pool add web6"
		for ((i = 1; i <= NSERVERS; i++)); do
			echo "member add web $(server4 "$i"):$port"
			echo "member add web6 [$(server6 "$i")]:$port"
		done
		echo "vs add web-tcp vip $HA_VIP port $port proto tcp pool web sched rr"
		echo "vs add web-udp vip $HA_VIP port $port proto udp pool web sched rr"
		echo "vs add web6-tcp vip $HA_VIP6 port $port proto tcp pool web6 sched rr"
		echo "vs add web6-udp vip $HA_VIP6 port $port proto udp pool web6 sched rr"
	} >"$file"
}

# ha_keepalived_conf FILE: the guide's keepalived.conf
ha_keepalived_conf()
{
	sed -n '/^\.\. nflb-keepalived-conf: begin/,/^\.\. nflb-keepalived-conf: end/s/^    //p' \
		"$HA_GUIDE" >"$1"
	grep -q vrrp_instance "$1" || {
		ktap_diag "no keepalived configuration found in $HA_GUIDE"
		return 1
	}
}

# ha_keepalived_start N: keepalived -i lbN in lbN, VRRP only, in the
# foreground (bg), logging to its output; its own copy of the
# configuration and its own pid files.
ha_keepalived_start()
{
	local n=$1 d=$NFLB_TMP/ka-lb$1

	mkdir -p "$d" && ha_keepalived_conf "$d/keepalived.conf" || return 1
	rm -f "$d"/*.pid
	bg "ka-lb$n" "$(ha_ns "$n")" keepalived -f "$d/keepalived.conf" -i "lb$n" -P -n -l -G \
		-p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid"
	# no "Killed" notice from bash when ha_lb_crash kills it
	disown "$(bg_pid "ka-lb$n")"
	# started: the VRRP child wrote its pid file
	wait_for 20 test -s "$d/vrrp.pid" || {
		ktap_diag "keepalived did not start in lb$n: $(tail -n 20 "$(bg_out "ka-lb$n")")"
		return 1
	}
}

ha_has_addr()
{
	local out

	out=$(ip -n "$(ha_ns "$1")" -o addr show 2>/dev/null) || return 1
	[[ $out == *" inet $2/"* || $out == *" inet6 $2/"* ]]
}

# ha_is_master N: lbN has the VIPs and the gateways, the other node (if it
# exists) none of them.
ha_is_master()
{
	local o=$((3 - $1)) a

	for a in "$HA_VIP" "$HA_GW" "$HA_VIP6" "$HA_GW6"; do
		ha_has_addr "$1" "$a" || return 1
	done
	ip netns pids "$(ha_ns "$o")" >/dev/null 2>&1 || return 0
	for a in "$HA_VIP" "$HA_GW" "$HA_VIP6" "$HA_GW6"; do
		! ha_has_addr "$o" "$a" || return 1
	done
}

ha_wait_master()
{
	wait_for "$2" ha_is_master "$1" && return 0
	ktap_diag "lb$1 is not the master after $2 s: lb1: $(ip -n "$NS_LB1" -o addr show scope global 2>&1 | awk '{print $2, $4}' | tr '\n' ' ')"
	ktap_diag "lb2: $(ip -n "$NS_LB2" -o addr show scope global 2>&1 | awk '{print $2, $4}' | tr '\n' ' ')"
	return 1
}
