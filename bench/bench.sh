#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark proper: runs as root inside the benchmark VM (bench/run.sh boots
# it with one vCPU under QEMU -icount, where the guest clock counts instructions).
# Writes raw figures, one JSON object a line, to $BENCH_OUT/raw.jsonl; the host
# (bench/report.py) turns them into the table, the JSON and the chart.
#
# Topology (selftests/lib.sh topo_create 3): client -> lb -> server 1..3.
# Methods, one active at a time, in interleaved rounds:
#   plain  client to a server address, plain routing (the floor)
#   ipvs   IPVS NAT, rr (ipvsadm)
#   nft    nftables DNAT, numgen inc mod 3, conntrack
#   nflb   nflb, rr
# and, as a reference for the floor itself,
#   bare   plain routing with nflb.ko not loaded: nflb loaded but without a
#          virtual server in a namespace should cost nothing there
#   other  plain routing while nflb has a virtual server for another VIP:
#          what nflb costs packets that are not its own (UDP only)
#
# Environment (all optional):
#   BENCH_OUT            results dir (default $NFLB_RESULTS)
#   NFLB_BENCH_ROUNDS    interleaved rounds (6)
#   NFLB_BENCH_SECS      virtual seconds per rate measurement (3)
#   NFLB_BENCH_BUDGET    real seconds this script may use (480); rounds that
#                        would not fit are left out, other phases skipped, and
#                        the results say so
#   NFLB_BENCH_RESERVE   real seconds kept for the phases after the rounds (130)
#   NFLB_BENCH_TABLE     session counts of the table-size curve
#                        ("1000 100000 1000000")
#   NFLB_BENCH_METHODS   methods of the rounds ("bare plain other ipvs nft nflb")
#   NFLB_BENCH_PHASES    what to measure (default all: "memory tcp udp udp_reply
#                        bulk control table"); e.g. "tcp" with
#                        NFLB_BENCH_METHODS="plain ipvs nflb" for the TCP
#                        connection rate alone
#   NFLB_BENCH_KO, NFLB_BENCH_LBCTL, NFLB_BENCH_TOOL: binaries to use (bench/run.sh
#                        passes snapshots, so a rebuild on the host cannot change
#                        them under a running benchmark)
set -u
here=$(cd "$(dirname "$0")" && pwd)
export TOPO_CSUM_STRICT=0	# veth offloads as shipped: what a real box does
# shellcheck source=selftests/lib.sh
. "$here/../selftests/lib.sh"

OUT=${BENCH_OUT:-${NFLB_RESULTS:-$TMPDIR}}
# Our binaries run from the guest's tmpfs: pages faulted in over 9p would make
# the guest idle while the host reads, and idle time warps the virtual clock.
mkdir -p "$TMPDIR/bench-bin" || exit 1
cp "${NFLB_BENCH_KO:-$NFLB_KO}" "${NFLB_BENCH_LBCTL:-$LBCTL}" "${NFLB_BENCH_TOOL:-$here/lbbench}" \
	"$TMPDIR/bench-bin/" || exit 1
NFLB_KO=$TMPDIR/bench-bin/$(basename "${NFLB_BENCH_KO:-$NFLB_KO}")
LBCTL=$TMPDIR/bench-bin/lbctl
TOOL=$TMPDIR/bench-bin/lbbench
ROUNDS=${NFLB_BENCH_ROUNDS:-6}
SECS=${NFLB_BENCH_SECS:-3}
BUDGET=${NFLB_BENCH_BUDGET:-480}
RESERVE=${NFLB_BENCH_RESERVE:-130}
TABLE=${NFLB_BENCH_TABLE:-1000 100000 1000000}
RAW=$OUT/raw.jsonl
: >"$RAW"
TIMED_EXTRA=()

VIP=10.0.0.100
FILLVIP=10.0.0.101
SRV="10.0.11.2 10.0.12.2 10.0.13.2"
SRVS=10.0.11.2,10.0.12.2,10.0.13.2
TPORT=8080 UPORT=9000 BPORT=5201 FPORT=7
METHODS=${NFLB_BENCH_METHODS:-bare plain other ipvs nft nflb}
PHASES=" ${NFLB_BENCH_PHASES:-memory tcp udp udp_reply bulk control table} "

# want PHASE: whether NFLB_BENCH_PHASES asks for PHASE.
want() { [[ $PHASES == *" $1 "* ]]; }

log() { printf '[%6.1fs host, %8.1fs guest] %s\n' "$(host_elapsed)" "$(guest_elapsed)" "$*" >&2; }
die() { log "FATAL: $*"; rec phase=error msg="$*"; exit 1; }

# ---------------------------------------------------------------------------
# Clocks.  Guest time (virtual, counts instructions) comes from the kernel;
# the host's wall clock is written to $OUT/hostclock every 200 ms by bench/run.sh
# (absent when run by hand: then the guest clock stands in).

_g0=${EPOCHREALTIME/./}
guest_elapsed()
{
	local t=${EPOCHREALTIME/./}

	printf '%d.%03d' $(((t - _g0) / 1000000)) $(((t - _g0) / 1000 % 1000))
}

host_ms()
{
	local v

	if [ -r "$OUT/hostclock" ] && read -r v <"$OUT/hostclock" 2>/dev/null && [ -n "$v" ]; then
		echo "$v"
	else
		local t=${EPOCHREALTIME/./}

		echo $((t / 1000))
	fi
}
_h0=$(host_ms)
host_elapsed()
{
	local t

	t=$(host_ms)
	printf '%d.%d' $(((t - _h0) / 1000)) $(((t - _h0) / 100 % 10))
}
# have_time SECS: at least SECS real seconds left in the budget.
have_time()
{
	local t

	t=$(host_ms)
	[ $(((t - _h0) / 1000 + $1)) -le "$BUDGET" ]
}

# rec key=value...: one JSON object into raw.jsonl; numbers stay numbers.
rec()
{
	local kv k v sep="" line="{"

	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
			line+="$sep\"$k\":$v"
		else
			v=${v//\\/\\\\} v=${v//\"/\\\"}
			line+="$sep\"$k\":\"$v\""
		fi
		sep=","
	done
	printf '%s}\n' "$line" >>"$RAW"
}

# kv_get "a=1 b=2" KEY
kv_get()
{
	local w

	for w in $1; do
		[ "${w%%=*}" = "$2" ] && { echo "${w#*=}"; return 0; }
	done
	return 1
}

# ---------------------------------------------------------------------------
# Setup

setup()
{
	local m i

	for m in veth nf_defrag_ipv4 nf_defrag_ipv6 nf_conntrack nf_conntrack_netlink nf_nat \
		nf_tables nft_chain_nat nft_nat nft_numgen nft_hash; do
		modprobe "$m" || die "modprobe $m"
	done
	nflb_load || die "cannot load $NFLB_KO"
	sysctl -qw net.core.netdev_max_backlog=10000
	topo_create 3 || die "topology"
	vip_local || die "vip on lb"
	# Four client addresses: TCP sources rotate, so no 4-tuple repeats in a run.
	for i in 3 4 5; do
		ip -n "$NS_CL" addr add "10.0.1.$i/24" dev eth0 || die "client address"
	done
	in_ns "$NS_CL" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	# Long UDP timeouts everywhere: idle sessions must outlive the phase that
	# counts them (and the virtual clock leaps while the guest waits on 9p).
	in_ns "$NS_LB" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=86400 \
		net.netfilter.nf_conntrack_udp_timeout_stream=86400 || die "conntrack timeouts"
	# Members of the table-fill virtual server: dropped by lb's routing.
	ip -n "$NS_LB" route add blackhole 10.9.0.0/24 || die "blackhole"
	# Reply-direction flows: the client owns 10.1.0.0/16 (and answers on it).
	ip -n "$NS_CL" route add local 10.1.0.0/16 dev lo || die "client local route"
	ip -n "$NS_LB" route add 10.1.0.0/16 via 10.0.1.2 || die "lb route to 10.1/16"
	# Other sources (10.64/10.128, new flows) are not routed back: nothing answers them.
	# (The TCP and UDP servers live in the load generator's process: lbbench
	# tcp -S / udp -n; one event loop, so no scheduler hand-offs shape the work.)
	for i in 1 2 3; do
		bg "iperf$i" "$(server_ns $i)" iperf3 -s -p $BPORT
	done
	for i in 1 2 3; do
		wait_listen "$(server_ns $i)" $BPORT tcp || die "iperf3 server $i"
	done
}

# ---------------------------------------------------------------------------
# Methods: <m>_up / <m>_down.  Only one is active at a time; check_clean verifies.

ipvs_up()
{
	local s p

	for s in ip_vs ip_vs_rr ip_vs_sh; do
		modprobe "$s" || return 1
	done
	{
		echo "-A -t $VIP:$TPORT -s rr"
		echo "-A -u $VIP:$UPORT -s rr"
		echo "-A -t $VIP:$BPORT -s sh"
		for s in $SRV; do
			for p in "-t $VIP:$TPORT -r $s:$TPORT" "-u $VIP:$UPORT -r $s:$UPORT" \
				"-t $VIP:$BPORT -r $s:$BPORT"; do
				echo "-a $p -m"
			done
		done
		echo "--set 900 120 86400"
	} | in_ns "$NS_LB" ipvsadm -R
}

# Unloading IPVS also drops its connection table, so every round starts empty.
ipvs_down()
{
	in_ns "$NS_LB" ipvsadm -C
	modprobe -r ip_vs_rr ip_vs_sh ip_vs
}

nft_up()
{
	local map="{ 0 : 10.0.11.2, 1 : 10.0.12.2, 2 : 10.0.13.2 }"

	in_ns "$NS_LB" nft -f - <<-EOF
	table ip nflbbench {
		chain pre {
			type nat hook prerouting priority dstnat; policy accept;
			ip daddr $VIP tcp dport $TPORT dnat to numgen inc mod 3 map $map
			ip daddr $VIP udp dport $UPORT dnat to numgen inc mod 3 map $map
			ip daddr $VIP tcp dport $BPORT dnat to jhash ip saddr mod 3 map $map
		}
	}
	EOF
}

nft_down()
{
	in_ns "$NS_LB" nft delete table ip nflbbench
	in_ns "$NS_LB" "$TOOL" ctflush
}

nflb_up()
{
	local f=$NFLB_TMP/nflb.batch p s

	{
		echo "timeout set udp 86400"
		for p in $TPORT:tcp:rr $UPORT:udp:rr $BPORT:tcp:sh; do
			IFS=: read -r port proto sched <<<"$p"
			echo "pool add p$port"
			for s in $SRV; do
				echo "member add p$port $s:$port"
			done
			echo "vs add v$port vip $VIP port $port proto $proto pool p$port sched $sched"
		done
	} >"$f"
	lb -batch "$f"
}

nflb_down()
{
	lb flush
}

plain_up() { :; }
plain_down() { :; }
bare_up() { nflb_unload; }
bare_down() { nflb_load; }
other_up()
{
	lb pool add other && lb member add other 10.0.11.2:9999 &&
		lb vs add other vip 10.0.0.200 port 9999 proto udp pool other
}
other_down() { lb flush; }

check_clean()
{
	local out

	out=$(in_ns "$NS_LB" nft list tables 2>&1)
	[ -z "$out" ] || die "nftables still active: $out"
	grep -q '^ip_vs ' /proc/modules && die "ip_vs still loaded"
	out=$(lb -j info 2>&1)
	[[ $out =~ \"vs_count\":[[:space:]]*0[^0-9] ]] || die "nflb still has virtual servers: $out"
	[[ $out =~ \"sessions\":[[:space:]]*0[^0-9] ]] || die "nflb still has sessions: $out"
	out=$(sessions_of nft)
	[ "$out" = 0 ] || die "conntrack still has $out entries in lb"
	return 0
}

method_up()
{
	check_clean
	"$1_up" || die "$1: setup failed"
	log "$1: up"
}

method_down()
{
	"$1_down" >/dev/null 2>&1
	log "$1: down"
}

# Destinations of a method's traffic.
dst_of()
{
	case $1 in
	plain | bare | other) echo "$SRVS" ;;
	*) echo "$VIP" ;;
	esac
}

# ---------------------------------------------------------------------------
# Measurements

m_tcp()
{
	local m=$1 r=$2 out

	out=$(in_ns "$NS_CL" "$TOOL" tcp -d "$(dst_of "$m")" -p $TPORT -S "$NS_S1,$NS_S2,$NS_S3" \
		-s 10.0.1.2,10.0.1.3,10.0.1.4,10.0.1.5 -c 32 -t "$SECS" -w 0.5) ||
		die "$m: tcp load failed"
	rec phase=rounds metric=tcp_cps method="$m" round="$r" value="$(kv_get "$out" rate)" \
		conns="$(kv_get "$out" conns)" fails="$(kv_get "$out" fails)" \
		secs="$(kv_get "$out" secs)" idle="$(kv_get "$out" idle)"
	log "$m round $r: tcp $out"
	if [ "$m" = nflb ]; then
		# Packets per connection in each direction (the VS is fresh each round).
		out=$(lb -j stats)
		rec phase=rounds metric=nflb_tcp_stats round="$r" \
			pkts_in="$(json_num "$out" pkts_in v$TPORT)" \
			pkts_out="$(json_num "$out" pkts_out v$TPORT)" \
			sessions="$(json_num "$out" sessions_created v$TPORT)"
	fi
}

m_udp()
{
	local m=$1 r=$2 out

	out=$(in_ns "$NS_CL" "$TOOL" udp -n "$NS_S1,$NS_S2,$NS_S3" -d "$(dst_of "$m")" \
		-p $UPORT -s 10.0.1.2 -f 1024 -t "$SECS" -w 0.5) ||
		die "$m: udp load failed"
	rec phase=rounds metric=udp_pps method="$m" round="$r" value="$(kv_get "$out" rate)" \
		sent="$(kv_get "$out" sent)" delivered="$(kv_get "$out" delivered)" \
		lost="$(kv_get "$out" lost)" secs="$(kv_get "$out" secs)" idle="$(kv_get "$out" idle)"
	log "$m round $r: udp $out"
}

# The reply direction: servers to 1,024 client flows that first went through lb.
m_udp_reply()
{
	local m=$1 r=$2 out

	out=$(in_ns "$NS_CL" "$TOOL" udp -R -n "$NS_S1,$NS_S2,$NS_S3" -d "$(dst_of "$m")" \
		-p $UPORT -s 10.1.$((r * 8)).0 -f 1024 -t "$SECS" -w 0.5) ||
		die "$m: udp reply load failed"
	rec phase=rounds metric=udp_reply_pps method="$m" round="$r" value="$(kv_get "$out" rate)" \
		sent="$(kv_get "$out" sent)" delivered="$(kv_get "$out" delivered)" \
		lost="$(kv_get "$out" lost)" secs="$(kv_get "$out" secs)" idle="$(kv_get "$out" idle)" \
		setup="$(kv_get "$out" setup)"
	log "$m round $r: udp reply $out"
}

m_bulk()
{
	local m=$1 r=$2 dst=$VIP j bps

	[ "$m" = plain ] || [ "$m" = bare ] && dst=10.0.11.2
	j=$(in_ns "$NS_CL" iperf3 -c "$dst" -p $BPORT -t "$SECS" -O 1 -J 2>&1)
	# iperf3's server takes one test at a time and may still be closing the last
	if ! grep -q '"sum_received"' <<<"$j"; then
		sleep 1
		j=$(in_ns "$NS_CL" iperf3 -c "$dst" -p $BPORT -t "$SECS" -O 1 -J 2>&1)
	fi
	# sum_received.bits_per_second, without jq (slow to start here)
	bps=$(sed -n '/"sum_received"/,/}/s/.*"bits_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' \
		<<<"$j" | head -n 1)
	if [ -z "$bps" ]; then
		log "$m round $r: iperf3 failed: $(tail -n 5 <<<"$j")"
		rec phase=rounds metric=bulk_bps method="$m" round="$r" error=iperf3
		return 0
	fi
	bps=$(printf '%.0f' "$bps")
	rec phase=rounds metric=bulk_bps method="$m" round="$r" value="$bps"
	log "$m round $r: bulk $((bps / 1000000)) Mbit/s"
}

# ---------------------------------------------------------------------------
# Memory per session

# slab_get CACHE: "objects slab_size object_size" from /sys/kernel/slab (SLUB
# merges small caches with others of the same size, so /proc/slabinfo may not
# list a cache by its own name; sysfs always does).
slab_get()
{
	local d=/sys/kernel/slab/$1 o

	if [ -r "$d/objects" ]; then
		read -r o _ <"$d/objects"
		echo "$o $(<"$d/slab_size") $(<"$d/object_size")"
	else
		awk -v c="$1" '$1 == c { print $2, $4, $4; f = 1 } END { if (!f) print 0, 0, 0 }' \
			/proc/slabinfo
	fi
}

# Bytes held by all slab caches (sum of active objects x object size).
slab_total()
{
	awk 'NR > 2 { t += $2 * $4 } END { printf "%d\n", t }' /proc/slabinfo
}

sessions_of()
{
	local out

	case $1 in
	plain | bare | other) echo 0 ;;
	ipvs) in_ns "$NS_LB" awk 'NR > 1 { n++ } END { print n + 0 }' /proc/net/ip_vs_conn ;;
	nft) in_ns "$NS_LB" cat /proc/sys/net/netfilter/nf_conntrack_count ;;
	nflb)
		out=$(lb -j info)
		[[ $out =~ \"sessions\":[[:space:]]*([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
		;;
	esac
}

memory_phase()
{
	local m cache n=${NFLB_BENCH_MEM_FLOWS:-20000} b a s0 s1 t0 t1 objs size osize out
	local off=0

	for m in plain ipvs nft nflb; do
		have_time 40 || { rec phase=memory method="$m" skipped=budget; continue; }
		case $m in
		plain) cache=nf_conntrack ;;
		ipvs) cache=ip_vs_conn ;;
		nft) cache=nf_conntrack ;;
		nflb) cache=nflb_session4 ;;
		esac
		method_up "$m"
		b=$(slab_get $cache) t0=$(slab_total) s0=$(sessions_of "$m")
		# N new flows, one datagram each, delivered to the servers.
		out=$(in_ns "$NS_CL" "$TOOL" udp -n "$NS_S1,$NS_S2,$NS_S3" -d "$(dst_of "$m")" \
			-p $UPORT -s 10.64.0.0 -N "$n" -o $off -t 60) || die "$m: new flows failed"
		a=$(slab_get $cache) t1=$(slab_total) s1=$(sessions_of "$m")
		off=$((off + n))
		read -r objs size osize <<<"$a"
		objs=$((objs - ${b%% *}))
		rec phase=memory method="$m" cache="$cache" flows="$n" sessions=$((s1 - s0)) \
			objects="$objs" slab_size="$size" object_size="$osize" \
			slab_total_delta=$((t1 - t0)) new_flow_rate="$(kv_get "$out" rate)" \
			delivered="$(kv_get "$out" delivered)" idle="$(kv_get "$out" idle)"
		log "memory $m: $((s1 - s0)) sessions, +$objs $cache objects of $size bytes, all slabs +$((t1 - t0)) bytes; new flows: $out"
		method_down "$m"
	done
}

# ---------------------------------------------------------------------------
# nflb control plane: 1,000 virtual servers with 10 members each.

# cpu_times: "user system softirq" of the CPU since boot, in USER_HZ ticks (1/100 s).
cpu_times()
{
	local _c us ni sy _id _io irq sirq _rest

	read -r _c us ni sy _id _io irq sirq _rest </proc/stat
	echo "$((us + ni)) $((sy + irq)) $sirq"
}

# ticks_secs T0 T1 N: the Nth field's difference, in seconds.
ticks_secs()
{
	local a b

	a=$(cut -d' ' -f"$3" <<<"$1") b=$(cut -d' ' -f"$3" <<<"$2")
	printf '%d.%02d' $(((b - a) / 100)) $(((b - a) % 100))
}

# usecs_to_secs US: seconds with 6 decimals.
usecs_to_secs()
{
	printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
}

# timed TAG CMD...: run CMD, record guest/busy/user/system/host time as phase=control mode=TAG.
timed()
{
	local tag=$1 t0 t1 c0 c1 h0 h1 rc u sy si

	shift
	h0=$(host_ms) c0=$(cpu_times) t0=${EPOCHREALTIME/./}
	"$@"
	rc=$?
	t1=${EPOCHREALTIME/./} c1=$(cpu_times) h1=$(host_ms)
	u=$(ticks_secs "$c0" "$c1" 1) sy=$(ticks_secs "$c0" "$c1" 2) si=$(ticks_secs "$c0" "$c1" 3)
	rec phase=control mode="$tag" rc=$rc guest_secs="$(usecs_to_secs $((t1 - t0)))" \
		user_secs="$u" system_secs="$sy" softirq_secs="$si" \
		busy_secs="$(awk -v a="$u" -v b="$sy" -v c="$si" 'BEGIN { printf "%.2f", a + b + c }')" \
		host_secs="$(usecs_to_secs $(((h1 - h0) * 1000)))" "${TIMED_EXTRA[@]}"
	log "control $tag: rc $rc, $(usecs_to_secs $((t1 - t0))) s guest (user $u, system $sy, softirq $si), $((h1 - h0)) ms host"
	return $rc
}

control_phase()
{
	local f=$NFLB_TMP/cp.batch v i m q

	have_time 60 || { rec phase=control skipped=budget; return 0; }
	check_clean
	for ((v = 0; v < 1000; v++)); do
		echo "pool add cp$v"
		for ((i = 1; i <= 10; i++)); do
			echo "member add cp$v 10.20.$((v / 100)).$((v % 100 * 2 + 1)):$((8000 + i))"
		done
		echo "vs add cv$v vip 10.30.$((v / 250)).$((v % 250 + 1)) port 80 proto tcp pool cp$v sched rr"
	done >"$f"
	TIMED_EXTRA=(vs=1000 members=10000 lines="$(wc -l <"$f")")
	timed batch lb -batch "$f"
	m=$(lb -j info)
	[[ $m =~ \"member_count\":[[:space:]]*([0-9]+) ]] && m=${BASH_REMATCH[1]}
	[ "$m" = 10000 ] || die "control: $m members configured, not 10000"
	TIMED_EXTRA=()
	timed flush-after-batch lb flush
	TIMED_EXTRA=(vs=1000 members=10000 lines="$(wc -l <"$f")")
	timed force lb -batch "$f" -force
	TIMED_EXTRA=()
	timed flush-after-force lb flush
	# The same in four quarters: does the 1,000th virtual server cost more
	# than the first?
	split -n l/4 -d "$f" "$NFLB_TMP/cpq."
	for q in 0 1 2 3; do
		TIMED_EXTRA=(quarter=$((q + 1)) lines="$(wc -l <"$NFLB_TMP/cpq.0$q")")
		timed "quarter$((q + 1))" lb -batch "$NFLB_TMP/cpq.0$q"
	done
	lb flush
	# By kind of request: the pools, then the members, then the virtual servers.
	grep '^pool ' "$f" >"$NFLB_TMP/cp.pools"
	grep '^member ' "$f" >"$NFLB_TMP/cp.members"
	grep '^vs ' "$f" >"$NFLB_TMP/cp.vs"
	for q in pools members vs; do
		TIMED_EXTRA=(lines="$(wc -l <"$NFLB_TMP/cp.$q")")
		timed "kind-$q" lb -batch "$NFLB_TMP/cp.$q"
	done
	lb flush
	# 12,000 requests that change nothing: the cost of a request as such.
	for ((i = 0; i < 12000; i++)); do echo "global show"; done >"$NFLB_TMP/cp.null"
	TIMED_EXTRA=(lines=12000)
	timed null lb -batch "$NFLB_TMP/cp.null" >/dev/null
	TIMED_EXTRA=()
	lb flush
}

# ---------------------------------------------------------------------------
# nflb's rate against the size of its session table.

table_phase()
{
	local target have fill out r i spin n t0 t1 h0 fill_rate=15000
	local flows=1000

	check_clean
	nflb_up || die "nflb setup"
	lb global set max-sessions 4000000 || die "max-sessions"
	# Idle fill sessions: their own virtual server, members dropped by lb's
	# routing (blackhole), so a fill datagram costs as little as possible.
	{
		echo "pool add fill"
		for i in 1 2 3; do echo "member add fill 10.9.0.$i:$FPORT"; done
		echo "vs add fill vip $FILLVIP port $FPORT proto udp pool fill sched rr"
		echo "timeout set vs fill udp 86400"
	} >"$NFLB_TMP/fill.batch"
	lb -batch "$NFLB_TMP/fill.batch" || die "fill vs"
	have=0
	for target in $TABLE; do
		fill=$((target - flows - have))
		if [ "$fill" -gt 0 ]; then
			# fill datagrams go at ~15,000 per host second here (measured
			# by the previous fill once there was one)
			if ! have_time $((30 + fill / fill_rate)); then
				rec phase=table sessions_target="$target" skipped=budget
				log "table: $target sessions skipped (time budget)"
				continue
			fi
			h0=$(host_ms)
			out=$(in_ns "$NS_CL" "$TOOL" fill -s 10.128.0.0 -d $FILLVIP -p $FPORT \
				-N "$fill" -o "$have" -b 64) || die "fill failed"
			fill_rate=$((fill * 800 / ($(host_ms) - h0 + 1) + 1))	# the GC slows later fills
			have=$((have + fill))
			rec phase=table metric=fill sessions_added="$fill" \
				secs="$(kv_get "$out" secs)"
			log "table: filled $fill ($out)"
		fi
		n=$(sessions_of nflb)
		# The same 1,000 flows every time (their sessions are part of the
		# count).  The GC visits 16,384 entries per 100 ms and pauses 1 s
		# after a pass: a pass over a million sessions takes ~13 s, so the
		# rounds and the CPU measurement below each span at least one pass.
		for ((r = 1; r <= 3; r++)); do
			out=$(in_ns "$NS_CL" "$TOOL" udp -n "$NS_S1,$NS_S2,$NS_S3" -d $VIP \
				-p $UPORT -s 10.0.1.2 -f $flows -t 5 -w 0.2) || die "udp failed"
			rec phase=table metric=udp_pps sessions_target="$target" sessions="$n" \
				round="$r" value="$(kv_get "$out" rate)" lost="$(kv_get "$out" lost)" \
				idle="$(kv_get "$out" idle)" delivered="$(kv_get "$out" delivered)" \
				secs="$(kv_get "$out" secs)"
			log "table $target ($n sessions) round $r: $out"
			n=$(sessions_of nflb)
		done
		# CPU left to a busy loop: the rest goes to background work (GC).
		spin=$("$TOOL" spin -t 14)
		rec phase=table metric=spin sessions_target="$target" sessions="$n" \
			value="$(kv_get "$spin" loops_per_sec)" \
			buckets="$(awk '/bucket_table_alloc/ { printf "%s%d", s, $2; s = "+" }' /proc/vmallocinfo)"
		log "table $target: spin $spin"
	done
	rec phase=table metric=slab cache=nflb_session4 sessions="$(sessions_of nflb)" \
		slab="$(slab_get nflb_session4)" meminfo_slab_kb="$(awk '/^Slab:/ { print $2 }' /proc/meminfo)"
	t0=${EPOCHREALTIME/./}
	lb flush
	t1=${EPOCHREALTIME/./}
	rec phase=table metric=flush sessions="$n" guest_secs="$(usecs_to_secs $((t1 - t0)))"
}

# ---------------------------------------------------------------------------

main()
{
	local r m t_round=0 h

	rec phase=meta kernel="$(uname -r)" rounds="$ROUNDS" secs="$SECS" budget="$BUDGET" \
		nflb_version="$(lb -j info 2>/dev/null | sed -n 's/.*"version":[[:space:]]*"\([^"]*\)".*/\1/p')"
	setup
	rec phase=meta nflb_version="$(lb -j info | sed -n 's/.*"version":[[:space:]]*"\([^"]*\)".*/\1/p')" \
		session_size4="$(lb -j info | sed -n 's/.*"session_size4":[[:space:]]*\([0-9]*\).*/\1/p')"
	log "setup done"
	want memory && memory_phase
	for ((r = 1; r <= ROUNDS; r++)); do
		# Another round only if it fits (as long as the last one took).
		if [ "$r" -gt 1 ] && ! have_time $((RESERVE + t_round)); then
			rec phase=rounds skipped=budget from_round="$r"
			log "rounds: stopping after round $((r - 1)) (time budget)"
			break
		fi
		h=$(host_ms)
		for m in $METHODS; do
			method_up "$m"
			if [ "$m" = other ]; then
				want udp && m_udp "$m" "$r"
				method_down "$m"
				continue
			fi
			want tcp && m_tcp "$m" "$r"
			want udp && m_udp "$m" "$r"
			want udp_reply && m_udp_reply "$m" "$r"
			[ "$m" = bare ] || ! want bulk || m_bulk "$m" "$r"
			method_down "$m"
		done
		t_round=$((($(host_ms) - h) / 1000))
	done
	want control && control_phase
	want table && table_phase
	rec phase=done host_secs="$(host_elapsed)" guest_secs="$(guest_elapsed)"
	log "done"
}

main
