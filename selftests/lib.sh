# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# nflb selftest library.  A test does:
#
#	. "$(dirname "$0")/lib.sh"
#	ktap_header 5
#	nflb_load || ktap_abort "cannot load nflb.ko"
#	topo_create 3 || ktap_abort "cannot build the topology"
#	...
#	ktap_finish
#
# Everything a test starts (namespaces, background processes, captures, the
# module if the test loaded it, the scratch directory) is undone by an EXIT
# trap, also when the test fails or is interrupted.
#
# Topology (topo_create N):
#
#   client ---- lb ---- server 1..N
#   NS_CL       NS_LB   NS_S1..NS_Sn
#   10.0.1.2/24      lb: 10.0.1.1 (cl0) and 10.0.1$i.1 (s$i)
#   fd00:1::2/64         fd00:1::1         fd00:1$i::1
#                        server i: 10.0.1$i.2/24, fd00:1$i::2/64 (eth0)
#
# Client and servers default-route via lb; lb forwards IPv4 and IPv6.  The
# VIPs (VIP4=10.0.0.100, VIP6=fd00::100) are not assigned anywhere: the client
# routes them to lb (default route) and lb has no route for them, so only
# nflb's DNAT makes them reachable.  vip_local puts them on lb's lo.
#
# With TOPO_ROUTER=1 a router namespace NS_RT sits between client and lb:
#   client 10.0.1.2 -- 10.0.1.1 rt 10.0.2.2 -- 10.0.2.1 lb   (v6: fd00:1::/64, fd00:2::/64)
# and TOPO_MTU (default 1500) is the MTU of the client-router link, both ends.
#
# TOPO_CSUM_STRICT=1 (default) turns off TX checksum offload on lb's
# interfaces, so every packet leaving lb carries a finished checksum that the
# receiver verifies: a checksum nflb got wrong (also the CHECKSUM_PARTIAL
# pseudo-header seed) makes the receiver drop the packet instead of passing
# unnoticed across veth.
#
# Helpers (see each function's comment):
#   KTAP       ktap_header ktap_ok ktap_fail ktap_skip ktap_check ktap_diag
#              ktap_finish ktap_abort ktap_skip_all
#   setup      require_root require_cmds require_tools nflb_load nflb_unload
#              nflb_loaded topo_create topo_destroy vip_local cleanup_add
#   running    in_ns lb lbq bg bg_out bg_wait bg_stop bg_stop_all grep_out
#              wait_for wait_listen
#   traffic    srv_udpecho srv_tcpconn srv_download srv_upload cl_download
#              cl_upload mkdata same_file  (tools: $PKTCRAFT $UDPECHO $TCPCONN)
#   nflb state lb_service stat_get delta_ge delta_eq sessions session_by_port
#              session_field session_exists session_gone json_num json_objs
#              obj_get json_is
#   captures   cap_start cap_sync cap_stop cap_read cap_count
#   kernel log dmesg_mark dmesg_check
# Processes start slowly under TCG (0.1-0.5 s each, jq more): helpers avoid
# them where they can (lbctl -n, bash JSON patterns, ip -batch).

set -u

NFLB_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${NFLB_SRC:=$(cd "$NFLB_SELFTESTS/.." && pwd)}"
: "${NFLB_KO:=$NFLB_SRC/kmod/nflb.ko}"
: "${LBCTL:=$NFLB_SRC/lbctl/lbctl}"
: "${TMPDIR:=/tmp}"
: "${TOPO_ROUTER:=0}"
: "${TOPO_MTU:=1500}"
: "${TOPO_CSUM_STRICT:=1}"
: "${XFER_TIMEOUT:=40}"
export NFLB_SRC NFLB_KO LBCTL TMPDIR

TOOLS=$NFLB_SELFTESTS/tools
PKTCRAFT=$TOOLS/pktcraft
UDPECHO=$TOOLS/udpecho
TCPCONN=$TOOLS/tcpconn

# shellcheck disable=SC2034 # used by the tests
VIP4=10.0.0.100
# shellcheck disable=SC2034
VIP6=fd00::100
# shellcheck disable=SC2034
CL4=10.0.1.2
# shellcheck disable=SC2034
CL6=fd00:1::2

NFLB_PFX="nflb$$"
NS_CL="" NS_LB="" NS_RT=""
NSERVERS=0
TEST_NAME=$(basename "$0" .sh)

# ---------------------------------------------------------------------------
# KTAP

_ktap_plan=0 _ktap_n=0 _ktap_pass=0 _ktap_fail=0 _ktap_skip=0 _ktap_headed=0

ktap_header()
{
	_ktap_plan=$1
	_ktap_headed=1
	echo "TAP version 13"
	echo "1..$1"
}

ktap_diag()
{
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

_ktap_t0=${EPOCHREALTIME/./}

# with NFLB_TIMING=1, a diagnostic line with the elapsed time before each result
_ktap_time()
{
	local t=${EPOCHREALTIME/./}

	[ -n "${NFLB_TIMING:-}" ] &&
		printf '# %d.%01ds\n' $(((t - _ktap_t0) / 1000000)) $(((t - _ktap_t0) / 100000 % 10))
	return 0
}

ktap_ok()
{
	_ktap_time
	_ktap_n=$((_ktap_n + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_n $*"
}

ktap_fail()
{
	_ktap_time
	_ktap_n=$((_ktap_n + 1))
	_ktap_fail=$((_ktap_fail + 1))
	echo "not ok $_ktap_n $*"
}

# ktap_skip DESC REASON
ktap_skip()
{
	_ktap_n=$((_ktap_n + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_n $1 # SKIP ${2:-}"
}

# ktap_check DESC CMD...: ok if CMD succeeds, not ok otherwise.  CMD runs
# in a subshell; its output is shown (as diagnostics) only when it fails.
ktap_check()
{
	local desc=$1 out rc

	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ktap_ok "$desc"
	else
		[ -n "$out" ] && ktap_diag "$out"
		ktap_fail "$desc"
		return 1
	fi
}

# ktap_finish: results not reported by now count as failures; exit 1 if any
# failed, 4 if all were skipped, else 0.
ktap_finish()
{
	while [ "$_ktap_n" -lt "$_ktap_plan" ]; do
		ktap_fail "(not run)"
	done
	if [ "$_ktap_n" -gt "$_ktap_plan" ]; then
		ktap_diag "planned $_ktap_plan results, reported $_ktap_n"
		_ktap_fail=$((_ktap_fail + 1))
	fi
	local t=${EPOCHREALTIME/./}

	ktap_diag "$TEST_NAME: pass:$_ktap_pass fail:$_ktap_fail skip:$_ktap_skip ($(((t - _ktap_t0) / 1000000)) s)"
	if [ "$_ktap_fail" -gt 0 ]; then
		exit 1
	elif [ "$_ktap_n" -gt 0 ] && [ "$_ktap_skip" -eq "$_ktap_n" ]; then
		exit 4
	fi
	exit 0
}

# ktap_abort REASON: setup failed; every result not yet reported fails.
ktap_abort()
{
	ktap_diag "aborting: $*"
	[ "$_ktap_headed" = 1 ] || ktap_header 1
	while [ "$_ktap_n" -lt "$_ktap_plan" ]; do
		ktap_fail "(not run: $*)"
	done
	ktap_finish
}

# ktap_skip_all REASON: the test cannot run here.
ktap_skip_all()
{
	if [ "$_ktap_headed" = 0 ]; then
		echo "TAP version 13"
		echo "1..0 # SKIP $*"
		exit 4
	fi
	while [ "$_ktap_n" -lt "$_ktap_plan" ]; do
		ktap_skip "(not run)" "$*"
	done
	ktap_finish
}

# ---------------------------------------------------------------------------
# Cleanup

NFLB_TMP=$(mktemp -d "$TMPDIR/nflb-$TEST_NAME.XXXXXX") || {
	echo "# cannot create a scratch directory in $TMPDIR" >&2
	exit 1
}
_cleanup_cmds=()
declare -A _bg_pids=()
_nflb_loaded_by_us=0

# cleanup_add CMD: run CMD (a string, eval'd) at exit, latest first.
cleanup_add()
{
	_cleanup_cmds+=("$*")
}

_lib_cleanup()
{
	local rc=$? i

	trap - EXIT INT TERM HUP
	# no "Killed"/"Terminated" job notices from the shell
	exec 2>/dev/null
	for ((i = ${#_cleanup_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup_cmds[i]}" >/dev/null 2>&1
	done
	bg_stop_all
	topo_destroy
	if [ "$_nflb_loaded_by_us" = 1 ] && nflb_loaded; then
		rmmod "$NFLB_MODNAME" 2>/dev/null || echo "# cleanup: rmmod $NFLB_MODNAME failed"
	fi
	if [ -n "${NFLB_KEEP_TMP:-}" ]; then
		echo "# scratch files kept in $NFLB_TMP"
	else
		rm -rf "$NFLB_TMP"
	fi
	exit "$rc"
}
trap _lib_cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------------------
# Requirements

# require_cmds CMD...: skip the whole test when a tool is missing.
require_cmds()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || ktap_skip_all "$c not installed"
	done
}

# require_tools: the C helpers must have been built (make -C selftests).
require_tools()
{
	local t

	for t in "$PKTCRAFT" "$UDPECHO" "$TCPCONN"; do
		[ -x "$t" ] || ktap_abort "$t not built: run 'make -C selftests' on the host"
	done
}

require_root()
{
	[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
}

# ---------------------------------------------------------------------------
# Module

# The module's name as the kernel knows it (from the .ko, normally "nflb").
_nflb_modname()
{
	local n

	n=$(modinfo -F name "$NFLB_KO" 2>/dev/null)
	echo "${n:-nflb}"
}
NFLB_MODNAME=""

nflb_loaded()
{
	[ -n "$NFLB_MODNAME" ] || NFLB_MODNAME=$(_nflb_modname)
	grep -q "^$NFLB_MODNAME " /proc/modules
}

nflb_load()
{
	modprobe nf_defrag_ipv4 || { ktap_diag "modprobe nf_defrag_ipv4 failed"; return 1; }
	modprobe nf_defrag_ipv6 || { ktap_diag "modprobe nf_defrag_ipv6 failed"; return 1; }
	# session sync: its socket (udp_tunnel, ip6_udp_tunnel)
	modprobe udp_tunnel || { ktap_diag "modprobe udp_tunnel failed"; return 1; }
	modprobe ip6_udp_tunnel || { ktap_diag "modprobe ip6_udp_tunnel failed"; return 1; }
	# and its MAC (XChaCha20-Poly1305; insmod does not pull in dependencies)
	modprobe libchacha20poly1305 || { ktap_diag "modprobe libchacha20poly1305 failed"; return 1; }
	if [ ! -f "$NFLB_KO" ]; then
		ktap_diag "no module at $NFLB_KO (run make)"
		return 1
	fi
	nflb_loaded && return 0
	insmod "$NFLB_KO" || { ktap_diag "insmod $NFLB_KO failed"; return 1; }
	_nflb_loaded_by_us=1
}

nflb_unload()
{
	nflb_loaded || return 0
	rmmod "$NFLB_MODNAME" || { ktap_diag "rmmod $NFLB_MODNAME failed"; return 1; }
	_nflb_loaded_by_us=0
}

# ---------------------------------------------------------------------------
# Kernel log: dmesg_mark at the start, dmesg_check at the end.

_dmesg_marker=""

dmesg_mark()
{
	_dmesg_marker="nflb-selftest $TEST_NAME $$ $RANDOM"
	echo "$_dmesg_marker" >/dev/kmsg 2>/dev/null || _dmesg_marker=""
}

# dmesg_new: kernel messages since dmesg_mark.
dmesg_new()
{
	if [ -n "$_dmesg_marker" ]; then
		dmesg 2>/dev/null | sed -n "/$_dmesg_marker/,\$p" | tail -n +2
	else
		dmesg 2>/dev/null
	fi
}

# dmesg_check: fail (and show them) on oopses, warnings, leaks since the mark.
dmesg_check()
{
	local bad

	bad=$(dmesg_new | grep -E 'BUG:|WARNING:|Oops|general protection|refcount_t|KASAN|UBSAN|kmemleak|unreferenced object|still has objects|list_(add|del) corruption|ODEBUG:|DEBUG_LOCKS_WARN|stack-protector|soft lockup|hard LOCKUP|RCU stall|rcu: INFO|rcu_sched self-detected|blocked for more than|Call Trace')
	[ -z "$bad" ] && return 0
	ktap_diag "kernel log:"
	ktap_diag "$(dmesg_new | tail -n 60)"
	return 1
}

# ---------------------------------------------------------------------------
# Topology

in_ns()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# (lbctl -n is ip netns exec without the extra process: processes are slow to
# start under TCG)
lb()
{
	"$LBCTL" -n "$NS_LB" "$@"
}

# lbq ARGS: lb, quiet unless it fails (then its output becomes diagnostics).
lbq()
{
	local out rc

	out=$(lb "$@" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || ktap_diag "lbctl $*: exit $rc: $out"
	return $rc
}

_NS_SYSCTLS="net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0"
_FWD_SYSCTLS="net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"

# _ns_init NS: create a namespace (removed at exit), no DAD, no rp_filter, lo up
_ns_init()
{
	local ns=$1

	ip netns add "$ns" || return 1
	_topo_ns+=("$ns")
	# shellcheck disable=SC2086
	in_ns "$ns" sysctl -qw $_NS_SYSCTLS >/dev/null || return 1
	ip -n "$ns" link set lo up
}

# _link NS1 DEV1 NS2 DEV2 [MTU]: a veth pair, both ends up
_link()
{
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	if [ -n "${5:-}" ]; then
		ip -n "$1" link set "$2" mtu "$5" || return 1
		ip -n "$3" link set "$4" mtu "$5" || return 1
	fi
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# _addr NS DEV ADDR4/LEN ADDR6/LEN
_addr()
{
	local ns=$1 dev=$2 a4=$3 a6=$4

	ip -n "$ns" addr add "$a4" dev "$dev" &&
		ip -n "$ns" -6 addr add "$a6" dev "$dev" nodad
}

_forwarding()
{
	# shellcheck disable=SC2086
	in_ns "$1" sysctl -qw $_FWD_SYSCTLS >/dev/null
}

_topo_ns=()

# _batch NS: run the ip commands on stdin (one a line, no "ip") in NS, in one
# process (every exec costs ~0.1 s under TCG)
_batch()
{
	ip -n "$1" -batch - || { ktap_diag "ip -n $1 -batch failed"; return 1; }
}

# topo_create [NSERVERS=3]
topo_create()
{
	local n=${1:-3} i ns all lbdevs="cl0"

	modprobe -q veth 2>/dev/null
	NSERVERS=$n
	NS_CL="$NFLB_PFX-cl"
	NS_LB="$NFLB_PFX-lb"
	all="$NS_CL $NS_LB"
	[ "$TOPO_ROUTER" = 1 ] && NS_RT="$NFLB_PFX-rt" && all="$all $NS_RT"
	for ((i = 1; i <= n; i++)); do
		ns="$NFLB_PFX-s$i"
		printf -v "NS_S$i" '%s' "$ns"
		all="$all $ns"
		lbdevs="$lbdevs s$i"
	done

	# namespaces, sysctls (before any interface exists: defaults apply)
	for ns in $all; do
		ip netns add "$ns" || return 1
		_topo_ns+=("$ns")
	done
	for ns in $all; do
		case $ns in
		"$NS_LB" | "$NS_RT")
			# shellcheck disable=SC2086
			in_ns "$ns" sysctl -qw $_NS_SYSCTLS $_FWD_SYSCTLS >/dev/null || return 1 ;;
		*)
			# shellcheck disable=SC2086
			in_ns "$ns" sysctl -qw $_NS_SYSCTLS >/dev/null || return 1 ;;
		esac
	done

	# client side
	if [ "$TOPO_ROUTER" = 1 ]; then
		_batch "$NS_CL" <<-EOF || return 1
			link set lo up
			link add eth0 mtu $TOPO_MTU type veth peer name eth0 mtu $TOPO_MTU netns $NS_RT
			link set eth0 up
			addr add 10.0.1.2/24 dev eth0
			addr add fd00:1::2/64 dev eth0 nodad
			route add default via 10.0.1.1
			route add ::/0 via fd00:1::1
		EOF
		_batch "$NS_RT" <<-EOF || return 1
			link set lo up
			link add eth1 type veth peer name cl0 netns $NS_LB
			link set eth0 up
			link set eth1 up
			addr add 10.0.1.1/24 dev eth0
			addr add fd00:1::1/64 dev eth0 nodad
			addr add 10.0.2.2/24 dev eth1
			addr add fd00:2::2/64 dev eth1 nodad
			route add default via 10.0.2.1
			route add ::/0 via fd00:2::1
		EOF
	else
		_batch "$NS_CL" <<-EOF || return 1
			link set lo up
			link add eth0 type veth peer name cl0 netns $NS_LB
			link set eth0 up
			addr add 10.0.1.2/24 dev eth0
			addr add fd00:1::2/64 dev eth0 nodad
			route add default via 10.0.1.1
			route add ::/0 via fd00:1::1
		EOF
	fi

	# servers
	for ((i = 1; i <= n; i++)); do
		_batch "$NFLB_PFX-s$i" <<-EOF || return 1
			link set lo up
			link add eth0 type veth peer name s$i netns $NS_LB
			link set eth0 up
			addr add 10.0.1$i.2/24 dev eth0
			addr add fd00:1$i::2/64 dev eth0 nodad
			route add default via 10.0.1$i.1
			route add ::/0 via fd00:1$i::1
		EOF
	done

	# lb
	{
		echo "link set lo up"
		echo "link set cl0 up"
		if [ "$TOPO_ROUTER" = 1 ]; then
			echo "addr add 10.0.2.1/24 dev cl0"
			echo "addr add fd00:2::1/64 dev cl0 nodad"
			echo "route add 10.0.1.0/24 via 10.0.2.2"
			echo "route add fd00:1::/64 via fd00:2::2"
		else
			echo "addr add 10.0.1.1/24 dev cl0"
			echo "addr add fd00:1::1/64 dev cl0 nodad"
		fi
		for ((i = 1; i <= n; i++)); do
			echo "link set s$i up"
			echo "addr add 10.0.1$i.1/24 dev s$i"
			echo "addr add fd00:1$i::1/64 dev s$i nodad"
		done
	} | _batch "$NS_LB" || return 1

	if [ "$TOPO_CSUM_STRICT" = 1 ]; then
		# shellcheck disable=SC2016,SC2086
		in_ns "$NS_LB" sh -c 'for d; do ethtool -K "$d" tx off >/dev/null || exit 1; done' \
			sh $lbdevs || ktap_diag "ethtool -K tx off failed on lb"
	fi
	return 0
}

topo_destroy()
{
	local ns pids

	for ns in "${_topo_ns[@]}"; do
		# anything still running in our namespaces was started by this test
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	done
	for ns in "${_topo_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	_topo_ns=()
}

# server_ns I / server4 I / server6 I
server_ns() { local v="NS_S$1"; echo "${!v}"; }
server4() { echo "10.0.1$1.2"; }
server6() { echo "fd00:1$1::2"; }

# vip_local: make the VIPs local addresses of lb (on lo).
vip_local()
{
	ip -n "$NS_LB" addr add "$VIP4/32" dev lo &&
		ip -n "$NS_LB" -6 addr add "$VIP6/128" dev lo nodad
}

# ---------------------------------------------------------------------------
# Waiting and background processes

_now_ms()
{
	local t=${EPOCHREALTIME/./}

	echo $((t / 1000))
}

# wait_for TIMEOUT_SECS CMD...: poll CMD until it succeeds; 1 on timeout.
wait_for()
{
	local end=$(($(_now_ms) + $1 * 1000))

	shift
	while :; do
		"$@" && return 0
		[ "$(_now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

_listening()
{
	local ns=$1 port=$2 proto=${3:-tcp}

	if [ "$proto" = udp ]; then
		[ -n "$(ss -N "$ns" -Hlun "sport = :$port" 2>/dev/null)" ]
	else
		[ -n "$(ss -N "$ns" -Hltn "sport = :$port" 2>/dev/null)" ]
	fi
}

# wait_listen NS PORT [tcp|udp]
wait_listen()
{
	wait_for 10 _listening "$@" || {
		ktap_diag "nothing listens on $3 port $2 in $1"
		return 1
	}
}

# bg NAME NS CMD...: run CMD in namespace NS (or "-" for none) in the
# background, in its own process group; stdout+stderr go to $(bg_out NAME).
bg()
{
	local name=$1 ns=$2

	shift 2
	if [ "$ns" = - ]; then
		setsid "$@" >"$NFLB_TMP/$name.out" 2>&1 </dev/null &
	else
		setsid ip netns exec "$ns" "$@" >"$NFLB_TMP/$name.out" 2>&1 </dev/null &
	fi
	_bg_pids[$name]=$!
}

bg_out() { echo "$NFLB_TMP/$1.out"; }
bg_pid() { echo "${_bg_pids[$1]:-}"; }

bg_running()
{
	local pid=${_bg_pids[$1]:-}

	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# bg_wait NAME [TIMEOUT_SECS=60]: wait for it to end; returns its exit status
# (124 on timeout, the process is then killed).
bg_wait()
{
	local name=$1 pid=${_bg_pids[$1]:-} rc

	[ -n "$pid" ] || return 127
	if ! wait_for "${2:-60}" eval "! kill -0 $pid 2>/dev/null"; then
		bg_stop "$name"
		return 124
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	unset "_bg_pids[$name]"
	return $rc
}

# bg_stop NAME: kill its process group.
bg_stop()
{
	local name=$1 pid=${_bg_pids[$1]:-}

	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null
	if ! wait_for 5 eval "! kill -0 $pid 2>/dev/null"; then
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "_bg_pids[$name]"
	return 0
}

bg_stop_all()
{
	local name

	for name in "${!_bg_pids[@]}"; do
		bg_stop "$name"
	done
}

# grep_out NAME REGEX: does the background process's output match?
grep_out()
{
	grep -qE "$2" "$NFLB_TMP/$1.out" 2>/dev/null
}

# ---------------------------------------------------------------------------
# Servers and clients

# srv_udpecho PORT: udpecho on every server, answering "s<i> len=N ...".
srv_udpecho()
{
	local port=$1 i

	for ((i = 1; i <= NSERVERS; i++)); do
		bg "udp$port-s$i" "$(server_ns $i)" "$UDPECHO" -l -p "$port" -n "s$i"
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		wait_listen "$(server_ns $i)" "$port" udp || return 1
	done
}

# srv_tcpconn PORT [TCPCONN SERVER OPTIONS]: tcpconn echo server on every
# server (log: tcp$PORT-s$i); more ports with "-p PORT", close-first with -c
# or "-C PORT".
srv_tcpconn()
{
	local port=$1 i p ports=$1 prev=""

	shift
	for p in "$@"; do
		[ "$prev" = -p ] && ports="$ports $p"
		prev=$p
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		bg "tcp$port-s$i" "$(server_ns $i)" "$TCPCONN" -l -p "$port" "$@"
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		for p in $ports; do
			wait_listen "$(server_ns $i)" "$p" || return 1
		done
	done
}

# srv_download PORT FILE: every server sends FILE to whoever connects.
srv_download()
{
	local port=$1 file=$2 i

	for ((i = 1; i <= NSERVERS; i++)); do
		bg "dl$port-s$i" "$(server_ns $i)" socat -U \
			"TCP6-LISTEN:$port,reuseaddr,fork,ipv6only=0" "OPEN:$file,rdonly"
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		wait_listen "$(server_ns $i)" "$port" || return 1
	done
}

# srv_upload PORT DIR: every server stores what a connection sends in
# DIR/up-s<i>-<client port>.
srv_upload()
{
	local port=$1 dir=$2 i

	for ((i = 1; i <= NSERVERS; i++)); do
		bg "ul$port-s$i" "$(server_ns $i)" socat -u \
			"TCP6-LISTEN:$port,reuseaddr,fork,ipv6only=0" \
			"SYSTEM:cat > $dir/up-s$i-\$SOCAT_PEERPORT"
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		wait_listen "$(server_ns $i)" "$port" || return 1
	done
}

_socat_tcp()
{
	case $1 in
	*:*) echo "TCP6:[$1]:$2" ;;
	*) echo "TCP4:$1:$2" ;;
	esac
}

# cl_download ADDR PORT SPORT OUTFILE [NS=client]: fetch a file
# (XFER_TIMEOUT=40 s limit).
cl_download()
{
	in_ns "${5:-$NS_CL}" timeout "$XFER_TIMEOUT" socat -u \
		"$(_socat_tcp "$1" "$2"),sourceport=$3,reuseaddr" "CREATE:$4"
}

# cl_upload ADDR PORT SPORT FILE [NS=client]: send a file (XFER_TIMEOUT).
cl_upload()
{
	in_ns "${5:-$NS_CL}" timeout "$XFER_TIMEOUT" socat -u "OPEN:$4,rdonly" \
		"$(_socat_tcp "$1" "$2"),sourceport=$3,reuseaddr"
}

sha()
{
	sha256sum <"$1" | cut -d' ' -f1
}

# same_file A B: byte-exact comparison by sha256.
same_file()
{
	if [ -s "$1" ] && [ -s "$2" ] && [ "$(sha "$1")" = "$(sha "$2")" ]; then
		return 0
	fi
	ktap_diag "$1 ($(stat -c %s "$1" 2>/dev/null) bytes) differs from $2 ($(stat -c %s "$2" 2>/dev/null) bytes)"
	return 1
}

# mkdata FILE SIZE_BYTES
mkdata()
{
	head -c "$2" /dev/urandom >"$1"
}

# ---------------------------------------------------------------------------
# nflb configuration and state (through lbctl -j and jq)

# lb_service NAME VIP PORT PROTO [VS OPTIONS...]: pool "NAME" with every
# server as member on PORT (IPv6 addresses if VIP is IPv6), then the VS.
lb_service()
{
	local name=$1 vip=$2 port=$3 proto=$4 i m

	shift 4
	lbq pool add "$name" || return 1
	for ((i = 1; i <= NSERVERS; i++)); do
		case $vip in
		*:*) m="[$(server6 $i)]:$port" ;;
		*) m="$(server4 $i):$port" ;;
		esac
		lbq member add "$name" "$m" || return 1
	done
	lbq vs add "$name" vip "$vip" port "$port" proto "$proto" pool "$name" sched rr "$@"
}

# json_num JSON KEY [VS]: a counter from the output of lbctl -j stats, read
# with bash patterns (jq takes half a second to start under TCG): the
# "global" object, or the flat object of the "vs" array whose name is VS.
# Prints -1 if not found.
json_num()
{
	local json=$1 key=$2 vs=${3:-} obj ws='[[:space:]]*'

	if [ -n "$vs" ]; then
		[[ $json =~ \{[^{}]*\"name\"$ws:$ws\"$vs\"[^{}]*\} ]] || { echo -1; return 1; }
	else
		[[ $json =~ \"global\"$ws:$ws(\{[^{}]*\}) ]] || { echo -1; return 1; }
	fi
	obj=${BASH_REMATCH[0]}
	[[ $obj =~ \"$key\"$ws:$ws([0-9]+) ]] || { echo -1; return 1; }
	echo "${BASH_REMATCH[1]}"
}

# stat_get KEY [VS]: a counter from lbctl -j stats (-1 if unavailable; a
# failing lbctl is retried twice and its error shown).
stat_get()
{
	local out v try

	for try in 1 2 3; do
		out=$(lb -j stats 2>&1) && v=$(json_num "$out" "$@") && { echo "$v"; return 0; }
		ktap_diag "stat_get $* (try $try): lbctl -j stats: ${out:0:300}" >&2
		sleep 0.2
	done
	echo -1
	return 1
}

# delta_ge BEFORE AFTER MIN [WHAT]: AFTER - BEFORE >= MIN, both valid.
delta_ge()
{
	local b=$1 a=$2 min=$3

	if [ "$b" -lt 0 ] || [ "$a" -lt 0 ]; then
		ktap_diag "${4:-counter}: not readable (before $b, after $a)"
		return 1
	fi
	[ $((a - b)) -ge "$min" ] && return 0
	ktap_diag "${4:-counter}: went from $b to $a, expected +$min or more"
	return 1
}

# counter_grew BEFORE MIN COUNTER [VS]: the counter is now at least BEFORE+MIN
counter_grew()
{
	local b=$1 min=$2 a

	shift 2
	a=$(stat_get "$@" 2>/dev/null) || return 1
	[ $((a - b)) -ge "$min" ]
}

# wait_counter SECS BEFORE MIN COUNTER [VS]: waits for a counter that moves
# after the fact (sessions_expired counts when the GC frees the session, up
# to a GC pass after a dump stopped showing it), then reports like delta_ge.
wait_counter()
{
	local secs=$1 b=$2 min=$3

	shift 3
	wait_for "$secs" counter_grew "$b" "$min" "$@" && return 0
	delta_ge "$b" "$(stat_get "$@")" "$min" "$1"
}

# delta_eq BEFORE AFTER N [WHAT]
delta_eq()
{
	local b=$1 a=$2 n=$3

	if [ "$b" -lt 0 ] || [ "$a" -lt 0 ]; then
		ktap_diag "${4:-counter}: not readable (before $b, after $a)"
		return 1
	fi
	[ $((a - b)) -eq "$n" ] && return 0
	ktap_diag "${4:-counter}: went from $b to $a, expected +$n"
	return 1
}

# sessions [FILTER ARGS]: the JSON session list.  A failing lbctl, or a dump
# it warns about (the table changed during the dump: entries may be missing),
# is retried; 1 if no clean list could be had.
# shellcheck disable=SC2120
sessions()
{
	local o="$NFLB_TMP/.sessions.$BASHPID" try

	for try in 1 2 3 4 5; do
		if lb -j session list "$@" >"$o.out" 2>"$o.err" && [ ! -s "$o.err" ]; then
			cat "$o.out"
			rm -f "$o.out" "$o.err"
			return 0
		fi
		ktap_diag "lbctl -j session list (try $try): $(head -c 300 "$o.err")" >&2
		sleep 0.2
	done
	rm -f "$o.out" "$o.err"
	return 1
}

# json_objs JSON: every innermost (flat) object of JSON, one a line; for
# lbctl's lists these are the entries.
json_objs()
{
	local rest=$1

	while [[ $rest =~ \{[^{}]*\} ]]; do
		printf '%s\n' "${BASH_REMATCH[0]}"
		rest=${rest#*"${BASH_REMATCH[0]}"}
	done
}

# obj_get OBJ KEY: the string (unquoted) or scalar value of KEY in a flat
# JSON object; 1 if absent.
obj_get()
{
	local ws='[[:space:]]*'

	[[ $1 =~ \"$2\"$ws:$ws(\"([^\"]*)\"|([-0-9.eE+]+|true|false|null)) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
}

# session_by_port CLIENT_PORT [PROTO]: the (first) session of that client
# port as compact JSON; 1 if there is none, 2 if the list is unavailable.
session_by_port()
{
	local o list ws='[[:space:]]*'

	list=$(sessions) || return 2
	while IFS= read -r o; do
		[[ $o =~ \"client_port\"$ws:$ws$1[^0-9] ]] || continue
		[ -z "${2:-}" ] || [[ $o =~ \"proto\"$ws:$ws\"$2\" ]] || continue
		printf '%s\n' "$o"
		return 0
	done < <(json_objs "$list")
	return 1
}

# session_field CLIENT_PORT FIELD [PROTO]
session_field()
{
	obj_get "$(session_by_port "$1" "${3:-}")" "$2"
}

session_exists()
{
	session_by_port "$@" >/dev/null
}

# session_gone CLIENT_PORT [PROTO]: a clean session list without it
session_gone()
{
	session_by_port "$@" >/dev/null
	[ $? -eq 1 ]
}

# json_is JSON JQ-EXPR: the jq expression is true for that JSON.
json_is()
{
	[ "$(jq -r "$2" <<<"$1" 2>/dev/null)" = true ]
}

# ---------------------------------------------------------------------------
# Packet capture

# cap_start NAME NS IFACE [FILTER...]: tcpdump to $NFLB_TMP/NAME.pcap (its
# snap length CAP_SNAPLEN, default 200 bytes; 0: whole frames).
cap_start()
{
	local name=$1 ns=$2 dev=$3

	shift 3
	bg "cap-$name" "$ns" tcpdump -Z root -i "$dev" -n -s "${CAP_SNAPLEN:-200}" -U --immediate-mode \
		-w "$NFLB_TMP/$name.pcap" "$@"
	wait_for 10 grep -q "listening on" "$NFLB_TMP/cap-$name.out" || {
		ktap_diag "tcpdump on $dev in $ns did not start: $(cat "$NFLB_TMP/cap-$name.out")"
		return 1
	}
}

# cap_sync NAME NS DST: a barrier: ping DST from NS and wait until capture
# NAME holds that ping (request or reply), so whatever NS sent along the same
# path before is in the capture too, if it got there.  Before a check that
# something was NOT captured.  The capture's filter must let the ping through.
cap_sync()
{
	local name=$1 ns=$2 dst=$3 f n

	case $dst in
	*:*) f="icmp6 and (ip6[40] == 128 or ip6[40] == 129) and host $dst" ;;
	*) f="(icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply) and host $dst" ;;
	esac
	n=$(cap_count "$name" "$f")
	in_ns "$ns" ping -c 1 -W 5 "$dst" >/dev/null 2>&1 ||
		{ ktap_diag "cap_sync: no answer from $dst"; return 1; }
	wait_for 10 eval "[ \$(cap_count $name '$f') -gt $n ]" ||
		{ ktap_diag "cap_sync: capture $name did not see the ping to $dst"; return 1; }
}

# cap_stop NAME: stop and flush.
cap_stop()
{
	local pid=${_bg_pids[cap-$1]:-}

	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null
	bg_wait "cap-$1" 10 >/dev/null
	return 0
}

# cap_read NAME [FILTER...]: the captured packets, one line each.
cap_read()
{
	local name=$1

	shift
	tcpdump -n -r "$NFLB_TMP/$name.pcap" "$@" 2>/dev/null
}

# cap_count NAME [FILTER...]
cap_count()
{
	cap_read "$@" | wc -l
}
