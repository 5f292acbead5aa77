#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark proper: runs as root inside the benchmark VM (bench/run.sh boots
# it with one vCPU under QEMU -icount, where the guest clock counts instructions).
# Writes raw figures, one JSON object a line, to $BENCH_OUT/raw.jsonl; the host
# (bench/report.py) turns them into the table, the JSON and the chart.
#
# Topology (selftests/lib.sh topo_create 3): client -> lb -> server 1..3; for
# session sync, lb2 (node 2) on a veth pair from lb (node 1), the sync link;
# for owner redirect (phase redirect) also a link client -> lb2, and for a
# while lb3 (node 3, linked to lb and to the client).
# Methods, one active at a time, in interleaved rounds:
#   plain  client to a server address, plain routing (the floor)
#   ipvs   IPVS NAT, rr (ipvsadm)
#   nft    nftables DNAT, numgen inc mod 3, conntrack
#   nflb   nflb, rr
#   nflbsync  nflb, rr, with session sync to a second node (namespace lb2,
#          node 2, on a veth "sync link" from lb): TCP connections only
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
#   NFLB_BENCH_CONC      TCP connections at a time in the rounds (1).  With
#                        32, connections on one CPU move in waves whose
#                        batching settles into modes a few % apart, round
#                        by round; one at a time has no waves
#   NFLB_BENCH_LINGER    a TCP connection that got its reply is closed once
#                        this many more did (32): it lives about 100 ms, as
#                        real ones outlive sync's 50 ms batch delay, and
#                        its close is a record of its own (0: at once)
#   NFLB_BENCH_BUDGET    real seconds this script may use (780); rounds that
#                        would not fit are left out, other phases skipped, and
#                        the results say so
#   NFLB_BENCH_RESERVE   real seconds kept for the phases after the rounds (360)
#   NFLB_BENCH_TABLE     session counts of the table-size curve
#                        ("1000 100000 1000000")
#   NFLB_BENCH_METHODS   methods of the rounds ("bare plain other ipvs nft nflb
#                        nflbsync")
#   NFLB_BENCH_PHASES    what to measure (default all: "memory tcp udp udp_reply
#                        bulk control sync redirect table"); e.g. "tcp" with
#                        NFLB_BENCH_METHODS="plain ipvs nflb" for the TCP
#                        connection rate alone; "sync_bulk" (with
#                        NFLB_BENCH_ROUNDS=0): the sync phase's two bulk
#                        resyncs alone, the big one filled for it
#   NFLB_BENCH_SYNC_BULK sessions of the bulk resync measurement (1000000);
#                        when the table phase has built at least that many,
#                        its table is the one resynced, else the sync phase
#                        fills its own
#   NFLB_BENCH_SYNC_BULK_SMALL  sessions of a second, small bulk resync (20000;
#                        0: none), one that fits the receiver's queue
#   NFLB_BENCH_SYNC_ATTRIB  more functions to trace in the sync phase's TCP
#                        run, to attribute the sync cost (see SYNC_TRACED)
#   NFLB_BENCH_SYNC_WAIT real seconds a bulk resync may take before it is
#                        given up and what arrived is reported (120)
#   NFLB_BENCH_PERF      1: a perf profile (cpu-clock) of the whole guest during
#                        each TCP load, its symbols in $BENCH_OUT/perf.METHOD.ROUND.txt
#                        (attribution only: perf's own work lowers the rates)
#   NFLB_BENCH_SYNC_PEER node 2 is not namespace lb2 in this guest but the VM of
#                        bench/syncpeer.sh, whose request files are in this
#                        dir; the sync link is this guest's virtio NIC
#                        (bench/run.sh's two-VM measurement, phase "syncvm":
#                        the nflbsync rounds alone, no sync phase)
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
CONC=${NFLB_BENCH_CONC:-1}
LINGER=${NFLB_BENCH_LINGER:-32}
BUDGET=${NFLB_BENCH_BUDGET:-780}
RESERVE=${NFLB_BENCH_RESERVE:-360}
TABLE=${NFLB_BENCH_TABLE:-1000 100000 1000000}
RAW=$OUT/raw.jsonl
: >"$RAW"
TIMED_EXTRA=()

# shellcheck source=bench/vs.sh
. "$here/vs.sh"		# VIP, SRV, TPORT, UPORT, BPORT, SYNC1, SYNC2, vs_batch
FILLVIP=10.0.0.101
SRVS=10.0.11.2,10.0.12.2,10.0.13.2
FPORT=7
METHODS=${NFLB_BENCH_METHODS:-bare plain other ipvs nft nflb nflbsync}
PHASES=" ${NFLB_BENCH_PHASES:-memory tcp udp udp_reply bulk control sync redirect table} "

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
	# Eight client addresses: TCP sources rotate, so no 4-tuple repeats in a
	# run; src_of() says which four a method uses.
	for i in 3 4 5 10 11 12 13; do
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
	# No TIME_WAIT at the servers, which close first: a TIME_WAIT's expiry,
	# a minute later, would add its work to whichever round runs then, and
	# a client port reused through the VIP would meet it (src_of()).  The
	# balancer's cost is what is measured, not the servers'.
	for i in 1 2 3; do
		in_ns "$(server_ns $i)" sysctl -qw net.ipv4.tcp_max_tw_buckets=0 || die "tw buckets"
	done
	sync_topo || die "sync link"
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
	local f=$NFLB_TMP/nflb.batch

	vs_batch >"$f" && lb -batch "$f"
}

nflb_down()
{
	lb flush
}

# nflb with session sync: lb is node 1, lb2 (same virtual servers) node 2;
# both ready (each has done its bulk resync of the other's empty table).
nflbsync_up()
{
	if [ -n "$SYNC_PEER" ]; then
		# node 2 in the peer VM keeps its virtual servers and sync on
		nflb_up && lb sync set node-id 1 local $SYNC1 peer $SYNC2 key "$SYNC_KEY" redirect off &&
			lb sync wait timeout 30 || return 1
		SYNC_B0=$(lb2 -j sync show) || return 1
	else
		nflb_up && NS_LB=$NS_LB2 nflb_up && sync_on || return 1
	fi
	SYNC_LINK0="$(link_stat tx_bytes) $(link_stat tx_packets)"
}

# lbctl flush stops sync on lb (Documentation/sync.rst) and empties its table.
nflbsync_down()
{
	lb flush
	if [ -n "$SYNC_PEER" ]; then
		lb2 session flush
		return
	fi
	lb2 sync del
	lb2 flush
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

# TCP sources of a method's connections.  The client picks its ports per
# destination, so connections to the VIP could reuse the (client, port,
# server) 4-tuples of plain routing's recent ones at the servers; a
# server that still kept state for one (a TIME_WAIT, before setup() turned
# them off) answered the SYN with an old ACK, then a reset and a
# retransmission a second later.  Plain routing (and bare, other) use four
# addresses of their own, so the methods never share a 4-tuple whatever
# the servers keep (10.0.1.6 is lb3_up's).
src_of()
{
	case $1 in
	plain | bare | other) echo 10.0.1.10,10.0.1.11,10.0.1.12,10.0.1.13 ;;
	*) echo 10.0.1.2,10.0.1.3,10.0.1.4,10.0.1.5 ;;
	esac
}

# ---------------------------------------------------------------------------
# Measurements

m_tcp()
{
	local m=$1 r=$2 out pp=""

	# NFLB_BENCH_PERF=1: a profile of the whole guest (perf, cpu-clock) during
	# each TCP load, for attribution only (perf's own work is in the rate)
	if [ "${NFLB_BENCH_PERF:-0}" = 1 ]; then
		perf record -q -a -e cpu-clock -F 20000 -o "$TMPDIR/perf.data" -- sleep "$((SECS + 1))" \
			>/dev/null 2>&1 &
		pp=$!
	fi
	out=$(in_ns "$NS_CL" "$TOOL" tcp -d "$(dst_of "$m")" -p $TPORT -S "$NS_S1,$NS_S2,$NS_S3" \
		-s "$(src_of "$m")" -c "$CONC" -L "$LINGER" -t "$SECS" -w 0.5) ||
		die "$m: tcp load failed"
	if [ -n "$pp" ]; then
		wait "$pp"
		perf report -q -i "$TMPDIR/perf.data" --stdio --sort sym 2>/dev/null |
			head -n 400 >"$OUT/perf.$m.$r.txt"
	fi
	rec phase=rounds metric=tcp_cps method="$m" round="$r" value="$(kv_get "$out" rate)" \
		conns="$(kv_get "$out" conns)" fails="$(kv_get "$out" fails)" \
		secs="$(kv_get "$out" secs)" idle="$(kv_get "$out" idle)"
	log "$m round $r: tcp $out"
	[ "$m" = nflbsync ] && sync_records "$r" "$(kv_get "$out" conns)"
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
	n=$(sessions_of nflb)
	# the bulk resync of this table (within 1% of NFLB_BENCH_SYNC_BULK)
	if want sync && [ $((n * 100)) -ge $((SYNC_BULK * 99)) ]; then
		if have_time $((SYNC_WAIT + 90)); then
			sync_bulk "$NFLB_TMP/fill.batch" big
		else
			SYNC_BULK_DONE=1
			rec phase=sync metric=bulk size=big skipped=budget
		fi
		n=$(sessions_of nflb)
	fi
	t0=${EPOCHREALTIME/./}
	lb flush
	t1=${EPOCHREALTIME/./}
	rec phase=table metric=flush sessions="$n" guest_secs="$(usecs_to_secs $((t1 - t0)))"
}

# ---------------------------------------------------------------------------
# Session sync (issue 14).  lb is node 1; lb2, a namespace with the same
# virtual servers, is node 2, on a veth pair from lb (the sync link).  Both
# nodes run in this one guest, so a whole-guest count includes both.

NS_LB2="$NFLB_PFX-lb2"
SYNC_KEY=${NFLB_BENCH_SYNC_KEY:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}
SYNC_BULK=${NFLB_BENCH_SYNC_BULK:-1000000}
SYNC_BULK_SMALL=${NFLB_BENCH_SYNC_BULK_SMALL:-20000}
SYNC_WAIT=${NFLB_BENCH_SYNC_WAIT:-120}
SYNC_BULK_DONE=0
SYNC_LINK0="0 0"	# the sync link's tx bytes and packets when nflbsync came up
SYNC_PEER=${NFLB_BENCH_SYNC_PEER:-}
SYNC_B0=""		# lb2's sync show when nflbsync came up (peer VM: its
			# counters run on from round to round)
T=/sys/kernel/tracing

lb2()
{
	if [ -n "$SYNC_PEER" ]; then
		peer_lbctl "$@"
	else
		"$LBCTL" -n "$NS_LB2" "$@"
	fi
}

# peer_lbctl ARGS...: lbctl ARGS run on node 2 in the peer VM
# (bench/syncpeer.sh): its output, and its exit status.  Requests are
# numbered in a file, as callers may be subshells ($(lb2 ...)).
peer_lbctl()
{
	local out i rc n=0 nap

	[ -s "$NFLB_TMP/peer.n" ] && n=$(<"$NFLB_TMP/peer.n")
	n=$((n + 1))
	echo $n >"$NFLB_TMP/peer.n"
	out=$SYNC_PEER/out.$n
	echo "$*" >"$SYNC_PEER/req.$n.tmp" &&
		mv "$SYNC_PEER/req.$n.tmp" "$SYNC_PEER/req.$n" || return 1
	exec {nap}<> <(:)
	for ((i = 0; i < 3000; i++)); do
		[ -e "$out" ] && break
		read -r -t 0.01 -u "$nap"
	done
	exec {nap}<&-
	[ -e "$out" ] || die "peer VM: no answer to lbctl $*"
	rc=$(tail -n 1 "$out")
	head -n -1 "$out"
	return "${rc#rc=}"
}

# The peer VM's NIC is the sync link: lb's end is this guest's.
sync_topo_peer()
{
	local nic="" d i

	modprobe virtio_net || return 1
	for ((i = 0; i < 100; i++)); do
		for d in /sys/class/net/*/device; do
			[ -e "$d" ] && nic=${d%/device} && nic=${nic##*/} && break
		done
		[ -n "$nic" ] && break
		sleep 0.1
	done
	[ -n "$nic" ] && ip link set "$nic" netns "$NS_LB" name sy2 &&
		ip -n "$NS_LB" addr add $SYNC1/24 dev sy2 && ip -n "$NS_LB" link set sy2 up || return 1
	for ((i = 0; i < 1200; i++)); do
		[ "$(cat "$SYNC_PEER/state" 2>/dev/null)" = up ] && return 0
		sleep 0.1
	done
	log "peer VM: $(cat "$SYNC_PEER/state" 2>/dev/null || echo "not up")"
	return 1
}

sync_topo()
{
	[ -z "$SYNC_PEER" ] || { sync_topo_peer; return; }
	_ns_init "$NS_LB2" && _link "$NS_LB" sy2 "$NS_LB2" eth0 &&
		ip -n "$NS_LB" addr add $SYNC1/24 dev sy2 &&
		ip -n "$NS_LB2" addr add $SYNC2/24 dev eth0
}

# sync_on: sync on both nodes, both ready; redirect off (said, not left to
# the default, which may change).
sync_on()
{
	lb sync set node-id 1 local $SYNC1 peer $SYNC2 key "$SYNC_KEY" redirect off &&
		lb2 sync set node-id 2 local $SYNC2 peer $SYNC1 key "$SYNC_KEY" redirect off &&
		lb sync wait timeout 30 && lb2 sync wait timeout 30
}

# sync_stat JSON KEY: a counter of the "stats" object of lbctl -j sync show
sync_stat()
{
	local ws='[[:space:]]*'

	[[ $1 =~ \"stats\"$ws:$ws(\{[^{}]*\}) ]] || { echo -1; return 1; }
	[[ ${BASH_REMATCH[1]} =~ \"$2\"$ws:$ws([0-9]+) ]] || { echo -1; return 1; }
	echo "${BASH_REMATCH[1]}"
}

# link_stat NAME: a counter of the sync link's lb end (sy2)
link_stat()
{
	in_ns "$NS_LB" cat "/sys/class/net/sy2/statistics/$1"
}

# lb2_rx KEY [JSON]: lb2's sync counter KEY (from JSON, or asked) since
# nflbsync came up.
lb2_rx()
{
	local v b0=0

	v=$(sync_stat "${2:-$(lb2 -j sync show)}" "$1")
	[ -z "$SYNC_B0" ] || b0=$(sync_stat "$SYNC_B0" "$1")
	echo $((v - b0))
}

# sync_drain: wait (at most ~100 polls) until lb2 received as many records
# as lb had sent when called (the refresh goes on sending meanwhile); prints
# the guest seconds it took.
sync_drain()
{
	local a i t0=${EPOCHREALTIME/./}

	a=$(sync_stat "$(lb -j sync show)" tx_records)
	for ((i = 0; i < 100; i++)); do
		[ "$(lb2_rx rx_records)" -ge "$a" ] && break
		sleep 0.02
	done
	usecs_to_secs $((${EPOCHREALTIME/./} - t0))
}

# sync_records ROUND: after a TCP run with sync, the records it made.
sync_records()
{
	local r=$1 d a b st

	d=$(sync_drain)
	a=$(lb -j sync show) b=$(lb2 -j sync show) st=$(lb -j stats)
	rec phase=rounds metric=sync_tcp round="$r" drain_secs="$d" \
		sessions="$(json_num "$st" sessions_created v$TPORT)" \
		tx_records="$(sync_stat "$a" tx_records)" tx_datagrams="$(sync_stat "$a" tx_datagrams)" \
		tx_dropped="$(sync_stat "$a" tx_dropped)" rx_records="$(lb2_rx rx_records "$b")" \
		rx_datagrams="$(lb2_rx rx_datagrams "$b")" rx_lost="$(lb2_rx rx_lost "$b")" \
		tx_bytes=$(($(link_stat tx_bytes) - ${SYNC_LINK0% *})) \
		tx_packets=$(($(link_stat tx_packets) - ${SYNC_LINK0#* }))
	log "nflbsync round $r: $(sync_stat "$a" tx_records) records in $(sync_stat "$a" tx_datagrams) datagrams sent, $(lb2_rx rx_records "$b") received, drained in $d s"
}

# trace_on FUNCTION...: function_graph on these functions alone (durations
# include what they call; under -icount 16 ns is one instruction).  A name
# starting with "?" is optional: left out when it cannot be traced.
trace_on()
{
	local f

	[ -e $T/trace ] || mount -t tracefs tracefs $T 2>/dev/null || T=/sys/kernel/debug/tracing
	[ -e $T/trace ] || return 1
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo >$T/trace
	echo 65536 >$T/buffer_size_kb
	echo 0 >$T/max_graph_depth
	: >$T/set_ftrace_filter
	for f in "$@"; do
		if [ "${f#\?}" != "$f" ]; then
			# optional (attribution): a function inlined away is left out
			echo "${f#\?}" >>$T/set_ftrace_filter 2>/dev/null || log "trace: no ${f#\?}"
		else
			echo "$f" >>$T/set_ftrace_filter || return 1
		fi
	done
	echo function_graph >$T/current_tracer || return 1
	echo 1 >$T/options/funcgraph-tail 2>/dev/null
	# a duration leaves out the time the task was switched out (a worker's
	# cond_resched(), a mutex): what runs meanwhile is counted where it runs
	echo 0 >$T/options/sleep-time 2>/dev/null
	echo 1 >$T/tracing_on
}

# trace_sums NAME: "FUNCTION_calls=N FUNCTION_instr=N ..." of the trace (a call's
# duration includes what it calls), then stops tracing; the trace is kept
# as $OUT/trace.NAME.
trace_sums()
{
	echo 0 >$T/tracing_on
	awk '
		/\|/ {
			d = ""; f = ""
			# (a second or more is printed without decimals)
			if (match($0, /[0-9]+(\.[0-9]+)? us/))
				d = substr($0, RSTART, RLENGTH - 3)
			sub(/ \[[a-z0-9_]+\]/, "")
			if (match($0, /\} \/\* [A-Za-z0-9_.]+ \*\//))
				f = substr($0, RSTART + 5, RLENGTH - 8)
			else if (match($0, /[A-Za-z0-9_.]+\(\);/))
				f = substr($0, RSTART, RLENGTH - 3)
			if (d != "" && f != "") {
				n[f]++; t[f] += d
				# the other node: UDP receive nested in a send of the
				# sync workers or timer (1 vCPU: one stack)
				if (f == "udp_rcv" && intx) tx_rcv += d
			}
			if (match($0, /[A-Za-z0-9_.]+\(\) \{/)) {
				o = substr($0, RSTART, RLENGTH - 4)
				stk[++sp] = o
				if (o ~ /^nflb_sync_(tx_|tick|nack_work)/) intx++
			} else if (f != "" && sp > 0 && $0 ~ /\} \/\*/) {
				if (stk[sp] ~ /^nflb_sync_(tx_|tick|nack_work)/) intx--
				sp--
			}
		}
		/LOST/ { lost = 1 }
		match($0, /entries-written: [0-9]+\/[0-9]+/) {
			split(substr($0, RSTART + 17, RLENGTH - 17), e, "/")
			if (e[1] != e[2]) lost = 1
		}
		END {
			for (f in n)
				printf "%s_calls=%d %s_instr=%.0f ", f, n[f], f, t[f] * 1000 / 16
			printf "udp_rcv_in_tx_instr=%.0f ", tx_rcv * 1000 / 16
			printf "trace_lost=%d\n", lost
		}' $T/trace
	[ "$1" = tcp ] && cp $T/trace "$OUT/trace.$1" 2>/dev/null
	echo nop >$T/current_tracer
	echo 1 >$T/options/sleep-time 2>/dev/null
	: >$T/set_ftrace_filter
	echo 1408 >$T/buffer_size_kb
}

# The receiving node's work: the UDP receive of the sync datagram
# (udp_rcv, with nflb's encap_rcv queueing it) and the receive worker
# (MAC, replay window, records installed).  The creating node's: the
# notice (in the datapath), the transmit timer and the send workers
# (records, MAC, UDP send; the IP receive up to udp_rcv of a datagram sent
# from a worker runs nested in it, in softirq, and counts with it, less
# udp_rcv: trace_sums' udp_rcv_in_tx) and the tick (heartbeat, refresh).
SYNC_TRACED="udp_rcv nflb_sync_rx_work nflb_sync_tx_timer nflb_sync_tx_work nflb_sync_tx_later nflb_sync_tick nflb_sync_nack_work"
# NFLB_BENCH_SYNC_ATTRIB: more functions traced in the TCP run, to see where
# the sync cost goes (each is nested in one of the above or in the datapath,
# and tracing it adds the tracer's own work to what encloses it: not for the
# figures of record), e.g. "nflb_session_changed xchacha20poly1305_encrypt
# kernel_sendmsg".
SYNC_ATTRIB=${NFLB_BENCH_SYNC_ATTRIB:-}

# TCP connections with sync, traced: the receiving node's share.
sync_traced_tcp()
{
	local a0 b0 a b out sums f extra=()

	method_up nflbsync
	a0=$(lb -j sync show) b0=$(lb2 -j sync show)
	for f in $SYNC_ATTRIB; do extra+=("?$f"); done
	# shellcheck disable=SC2086
	trace_on $SYNC_TRACED "${extra[@]}" ||
		{ log "sync: no function_graph"; method_down nflbsync; return 1; }
	out=$(in_ns "$NS_CL" "$TOOL" tcp -d $VIP -p $TPORT -S "$NS_S1,$NS_S2,$NS_S3" \
		-s 10.0.1.2,10.0.1.3,10.0.1.4,10.0.1.5 -c 32 -t 2 -w 0.5) || die "sync: tcp load failed"
	sync_drain >/dev/null
	sums=$(trace_sums tcp)
	a=$(lb -j sync show) b=$(lb2 -j sync show)
	# shellcheck disable=SC2046,SC2086
	rec phase=sync metric=traced_tcp sessions="$(json_num "$(lb -j stats)" sessions_created v$TPORT)" \
		tx_records=$(($(sync_stat "$a" tx_records) - $(sync_stat "$a0" tx_records))) \
		tx_datagrams=$(($(sync_stat "$a" tx_datagrams) - $(sync_stat "$a0" tx_datagrams))) \
		rx_records=$(($(sync_stat "$b" rx_records) - $(sync_stat "$b0" rx_records))) \
		rx_datagrams=$(($(sync_stat "$b" rx_datagrams) - $(sync_stat "$b0" rx_datagrams))) \
		$sums
	log "sync traced tcp: $out; $sums"
	method_down nflbsync
}

# Sync lag: 20 new UDP flows, one at a time, with the function tracer on
# the session's creation on lb and its install on lb2: lag = install -
# create, in the guest's clock (virtual time: instructions x 16 ns).
sync_lag()
{
	local i lags

	method_up nflbsync
	[ -e $T/trace ] || mount -t tracefs tracefs $T 2>/dev/null || T=/sys/kernel/debug/tracing
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo >$T/trace
	printf '%s\n' nflb_session_create nflb_session_install >$T/set_ftrace_filter ||
		{ log "sync: cannot trace the lag"; method_down nflbsync; return 1; }
	echo function >$T/current_tracer
	echo 1 >$T/tracing_on
	for ((i = 0; i < 20; i++)); do
		in_ns "$NS_CL" "$TOOL" udp -n "$NS_S1,$NS_S2,$NS_S3" -d $VIP -p $UPORT \
			-s 10.80.0.0 -N 1 -o "$i" -t 5 >/dev/null || die "sync: lag flow failed"
		sleep 0.2
	done
	sync_drain >/dev/null
	echo 0 >$T/tracing_on
	lags=$(awk '
		match($0, /[0-9]+\.[0-9]+: /) { t = substr($0, RSTART, RLENGTH - 2) }
		/nflb_session_create/ { c = t; next }
		/nflb_session_install/ && c != "" { printf "%s%.0f", s, (t - c) * 1e6; s = ","; c = "" }
	' $T/trace)
	echo nop >$T/current_tracer
	: >$T/set_ftrace_filter
	rec phase=sync metric=lag lags_us="$lags"
	log "sync lag (us): $lags"
	method_down nflbsync
}

sync_phase()
{
	have_time 60 || { rec phase=sync skipped=budget; return 0; }
	sync_traced_tcp
	sync_lag
	[ "$SYNC_BULK_SMALL" -gt 0 ] && sync_bulk_alone "$SYNC_BULK_SMALL" small
}

# sessions_of_ns NS: nflb's session count there
sessions_of_ns()
{
	local out

	out=$("$LBCTL" -n "$1" -j info)
	[[ $out =~ \"sessions\":[[:space:]]*([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# sync_bulk BATCH SIZE: bulk resync of lb's whole table (the fill virtual server
# of BATCH and the main ones) to lb2, which starts empty with the same
# virtual servers: lb syncs first, alone; then lb2 starts and asks lb for
# its table.  Measured from lb2's sync set until it is ready, or until
# NFLB_BENCH_SYNC_WAIT real seconds passed: then what arrived is reported.
# lb's counters and the link's are read then; lb2's (and the trace) once
# lb stopped and lb2 worked off its queue.
sync_bulk()
{
	local batch=$1 size=$2 n a0 a b c0 c1 c2 t0 t1 t2 h0 ready=0 txb txp sums i j k p
	local t50='' t90='' t100=''

	[ "$size" = big ] && SYNC_BULK_DONE=1
	n=$(sessions_of nflb)
	NS_LB=$NS_LB2 nflb_up && lb2 -batch "$batch" && lb2 global set max-sessions 4000000 ||
		die "sync: lb2 setup"
	lb sync set node-id 1 local $SYNC1 peer $SYNC2 key "$SYNC_KEY" redirect off &&
		lb sync wait timeout 30 ||
		die "sync: lb not ready"
	a0=$(lb -j sync show)
	txb=$(link_stat tx_bytes) txp=$(link_stat tx_packets)
	# shellcheck disable=SC2086
	trace_on $SYNC_TRACED || log "sync: no function_graph for the bulk"
	log "sync bulk: $n sessions"
	h0=$(host_ms) c0=$(cpu_times) t0=${EPOCHREALTIME/./}
	lb2 sync set node-id 2 local $SYNC2 peer $SYNC1 key "$SYNC_KEY" redirect off ||
		die "sync: lb2 sync set"
	while :; do
		sleep 0.5
		j=$(lb2 -j sync show) k=$(sessions_of_ns "$NS_LB2")
		k=${k:-0}
		p=${EPOCHREALTIME/./}
		[ "$((k * 2))" -ge "$n" ] && [ -z "$t50" ] && t50=$(usecs_to_secs $((p - t0)))
		[ "$((k * 10))" -ge "$((n * 9))" ] && [ -z "$t90" ] && t90=$(usecs_to_secs $((p - t0)))
		[ "$k" -ge "$n" ] && [ -z "$t100" ] && t100=$(usecs_to_secs $((p - t0)))
		[[ $j =~ \"ready\":[[:space:]]*true ]] && { ready=1; break; }
		[ $((($(host_ms) - h0) / 1000)) -ge "$SYNC_WAIT" ] && break
	done
	t1=${EPOCHREALTIME/./} c1=$(cpu_times)
	# Node 1 stops (no more refresh records); node 2 works off its receive
	# queue: done when its record count stays the same for 0.5 virtual s.
	a=$(lb -j sync show) txb=$(($(link_stat tx_bytes) - txb)) txp=$(($(link_stat tx_packets) - txp))
	lb sync del
	k=-1
	for ((i = 0; i < 120; i++)); do
		j=$(sync_stat "$(lb2 -j sync show)" rx_records)
		[ "$j" = "$k" ] && break
		k=$j
		sleep 0.5
	done
	t2=${EPOCHREALTIME/./} c2=$(cpu_times)
	sums=$(trace_sums bulk)
	b=$(lb2 -j sync show)
	# shellcheck disable=SC2046,SC2086
	rec phase=sync metric=bulk size="$size" sessions="$n" ready="$ready" t50="${t50:--1}" t90="${t90:--1}" \
		t100="${t100:--1}" \
		guest_secs="$(usecs_to_secs $((t1 - t0)))" \
		busy_secs="$(awk -v a="$(ticks_secs "$c0" "$c1" 1)" -v b="$(ticks_secs "$c0" "$c1" 2)" \
			-v c="$(ticks_secs "$c0" "$c1" 3)" 'BEGIN { printf "%.2f", a + b + c }')" \
		settle_secs="$(usecs_to_secs $((t2 - t1)))" \
		busy_settled_secs="$(awk -v a="$(ticks_secs "$c0" "$c2" 1)" -v b="$(ticks_secs "$c0" "$c2" 2)" \
			-v c="$(ticks_secs "$c0" "$c2" 3)" 'BEGIN { printf "%.2f", a + b + c }')" \
		host_secs="$(usecs_to_secs $((($(host_ms) - h0) * 1000)))" \
		lb2_sessions="$(sessions_of_ns "$NS_LB2")" \
		tx_records=$(($(sync_stat "$a" tx_records) - $(sync_stat "$a0" tx_records))) \
		tx_datagrams=$(($(sync_stat "$a" tx_datagrams) - $(sync_stat "$a0" tx_datagrams))) \
		tx_resent=$(($(sync_stat "$a" tx_resent) - $(sync_stat "$a0" tx_resent))) \
		link_bytes="$txb" link_packets="$txp" \
		rx_records="$(sync_stat "$b" rx_records)" rx_datagrams="$(sync_stat "$b" rx_datagrams)" \
		rx_lost="$(sync_stat "$b" rx_lost)" rx_queue_full="$(sync_stat "$b" rx_queue_full)" \
		tx_nacks="$(sync_stat "$b" tx_nacks)" rx_install_failed="$(sync_stat "$b" rx_install_failed)" \
		$sums
	log "sync bulk: ready $ready after $(usecs_to_secs $((t1 - t0))) guest s; lb2 has $(sessions_of_ns "$NS_LB2") sessions; lb: $(sync_stat "$a" tx_records) records sent; lb2: $(sync_stat "$b" rx_records) received, rx_lost $(sync_stat "$b" rx_lost), rx_queue_full $(sync_stat "$b" rx_queue_full)"
	lb2 sync del
	lb2 flush
}

# sync_bulk_alone COUNT SIZE: the bulk resync of COUNT new sessions (the
# big one when the table phase did not build its table).
sync_bulk_alone()
{
	local i out count=$1 size=$2

	have_time $((60 + count / 12000)) || { rec phase=sync metric=bulk size="$size" skipped=budget; return 0; }
	check_clean
	nflb_up && lb global set max-sessions 4000000 || die "sync: nflb setup"
	{
		echo "pool add fill"
		for i in 1 2 3; do echo "member add fill 10.9.0.$i:$FPORT"; done
		echo "vs add fill vip $FILLVIP port $FPORT proto udp pool fill sched rr"
		echo "timeout set vs fill udp 86400"
	} >"$NFLB_TMP/fill.batch"
	lb -batch "$NFLB_TMP/fill.batch" || die "sync: fill vs"
	out=$(in_ns "$NS_CL" "$TOOL" fill -s 10.128.0.0 -d $FILLVIP -p $FPORT -N "$count" -b 64) ||
		die "sync: fill failed"
	log "sync: filled $count ($out)"
	sync_bulk "$NFLB_TMP/fill.batch" "$size"
	lb flush
}

# ---------------------------------------------------------------------------
# Owner redirect (issue 15, Documentation/sync.rst "Owner redirect").  lb
# (node 1) and lb2 (node 2) as for sync, with redirect on: each owns half of
# the flows.  lb2 gets a link of its own to the client (lb2 rd0 10.0.101.1,
# client rd0 10.0.101.2) and reaches the servers through lb over the sync
# link: the servers' gateway stays lb, so every reply comes back through lb,
# whichever node the request took (the asymmetric path of
# selftests/sync_redirect.sh).  The link exists during this phase only.

RD1=10.0.101.1 RD2=10.0.101.2
# The ECMP router's stand-in: the client's sources it sends through lb2
# (policy routing by source; lbbench spreads flows over the sources, so a
# flow's node does not depend on its owner).
RD_VIA_LB2="10.0.1.4 10.0.1.5"
RD_SRCS=10.0.1.2,10.0.1.4,10.0.1.3,10.0.1.5
# Traced for the cost of a redirected packet: the redirecting node's send
# (MAC, encapsulation, UDP/IP output), the owner's UDP receive of it (with
# nflb_hooks_redirected: MAC check, decapsulation, nflb, routing, and the
# inner packet's forwarding, ip_forward), and nflb_session_create, which
# tells the first packets of flows (a SYN, a first datagram) from the rest;
# nflb_redir_decap (in nflb_hooks_redirected: the MAC check and the
# decapsulation) splits what redirect adds on the owner from nflb's and the
# forwarding's work, which the packet costs there anyway.
REDIR_TRACED="nflb_redir_send udp_rcv nflb_hooks_redirected nflb_redir_decap nflb_session_create ip_forward"

redirect_topo_up()
{
	local i

	_link "$NS_LB2" rd0 "$NS_CL" rd0 && _forwarding "$NS_LB2" &&
		ip -n "$NS_LB2" addr add $RD1/24 dev rd0 && ip -n "$NS_CL" addr add $RD2/24 dev rd0 &&
		ip -n "$NS_LB2" route add 10.0.1.0/24 via $RD2 || return 1
	for i in 1 2 3; do
		ip -n "$NS_LB2" route add "10.0.1$i.0/24" via $SYNC1 || return 1
	done
}

redirect_topo_down()
{
	local i

	ip -n "$NS_CL" link del rd0
	for i in 1 2 3; do
		ip -n "$NS_LB2" route del "10.0.1$i.0/24" via $SYNC1
	done
}

# ecmp on|off: the client's flows from RD_VIA_LB2 go to the VIP through lb2
# (lb3's source gets its route with lb3)
ecmp()
{
	local s op=add

	[ "$1" = on ] || op=del
	for s in $RD_VIA_LB2; do
		ip -n "$NS_CL" rule $op from "$s" lookup 102 pref 102 || return 1
	done
	ip -n "$NS_CL" route $op $VIP via $RD1 dev rd0 table 102
}

# owner_share NS: this node's share of the flows (per mille)
owner_share()
{
	local out

	out=$("$LBCTL" -n "$1" -j sync show)
	[[ $out =~ \"owner_share\":[[:space:]]*([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# The nodes of the redirect measurements (set by redirect_phase): their
# namespaces, and their sync addresses.
RD_NS=() RD_SYNC=()

# rd_shared: every node owns its share of the flows (1000 / nodes per mille)
rd_shared()
{
	local ns

	for ns in "${RD_NS[@]}"; do
		[ "$(owner_share "$ns")" = $((1000 / ${#RD_NS[@]})) ] || return 1
	done
}

# The nodes' virtual servers, sync with redirect on in a full mesh, every
# node ready and the owner of its share of the flows.
redirect_up()
{
	local n=${#RD_NS[@]} i j peers ns

	check_clean
	for ns in "${RD_NS[@]}"; do
		NS_LB=$ns nflb_up || return 1
	done
	for ((i = 0; i < n; i++)); do
		peers=()
		for ((j = 0; j < n; j++)); do
			[ "$j" = "$i" ] || peers+=(peer "${RD_SYNC[j]}")
		done
		"$LBCTL" -n "${RD_NS[i]}" sync set node-id $((i + 1)) local "${RD_SYNC[i]}" "${peers[@]}" \
			key "$SYNC_KEY" redirect on || return 1
	done
	for ns in "${RD_NS[@]}"; do
		"$LBCTL" -n "$ns" sync wait timeout 30 || return 1
	done
	for ((i = 0; i < 100; i++)); do
		rd_shared && return 0
		sleep 0.1
	done
	for ns in "${RD_NS[@]}"; do
		log "redirect: $ns owns $(owner_share "$ns") per mille, not $((1000 / n))"
	done
	return 1
}

# (lbctl flush stops sync, as well)
redirect_down()
{
	local ns

	for ns in "${RD_NS[@]}"; do
		"$LBCTL" -n "$ns" flush
	done
}

# rd_names: the names of rd_snap's figures, in its order
rd_names()
{
	local i k out="drops errors handled"

	for k in tx rx made; do
		for ((i = 1; i <= ${#RD_NS[@]}; i++)); do
			out+=" $k$i"
		done
	done
	echo "$out"
}

# rd_snap VS: the nodes' counters, in rd_names' order: redirects dropped
# (drops: every redirect_drop_* of every node), redirects not sent
# (errors), packets that reached a node from the client or a server
# (handled: lb's cl0 and s1..s3, the other nodes' rd0; not the sync
# links, which carry the redirects, and the other nodes' packets to the
# servers), then for node 1, 2...: packets redirected (tx), redirects
# processed (rx), sessions virtual server VS created (made).
rd_snap()
{
	local i j k ns drops=0 errors=0 in=0 tx="" rx="" made="" devs files

	for ((i = 0; i < ${#RD_NS[@]}; i++)); do
		ns=${RD_NS[i]}
		j=$("$LBCTL" -n "$ns" -j sync show)
		for k in not_peer bad_mac malformed not_ours not_owner; do
			drops=$((drops + $(sync_stat "$j" "redirect_drop_$k")))
		done
		errors=$((errors + $(sync_stat "$j" tx_redirect_errors)))
		tx+=" $(sync_stat "$j" tx_redirected)" rx+=" $(sync_stat "$j" rx_redirected)"
		made+=" $(json_num "$("$LBCTL" -n "$ns" -j stats)" sessions_created "$1")"
		devs=(rd0) files=()
		[ "$i" = 0 ] && devs=(cl0 s1 s2 s3)
		for k in "${devs[@]}"; do
			files+=("/sys/class/net/$k/statistics/rx_packets")
		done
		# shellcheck disable=SC2016
		in=$((in + $(in_ns "$ns" awk '{ n += $1 } END { print n }' "${files[@]}")))
	done
	echo "$drops $errors $in$tx$rx$made"
}

# rd_delta BEFORE AFTER: "NAME=AFTER-BEFORE ..." of two rd_snap
rd_delta()
{
	awk -v n="$(rd_names)" -v a="$1" -v b="$2" 'BEGIN {
		k = split(n, N, " "); split(a, A, " "); split(b, B, " ")
		for (i = 1; i <= k; i++)
			printf "%s%s=%d", (i > 1 ? " " : ""), N[i], B[i] - A[i]
	}'
}

# redirect_trace_sums: the trace of REDIR_TRACED, calls and instructions
# ("KIND_calls=N KIND_instr=N ...") by kind of call, told apart by what
# was traced inside it: send (nflb_redir_send), own_new and own_known (the
# owner's udp_rcv of a redirect whose processing created a session, or
# did not), hook_new and hook_known (nflb_hooks_redirected within them),
# decap (nflb_redir_decap within those),
# fwd_inner (the redirected packet's ip_forward on the owner), fwd (every
# other ip_forward: a packet of a session this node has, and lb2's
# packets lb forwards to the servers), sync_rcv (udp_rcv of the sync
# datagrams); then stops tracing.  The trace is kept as $OUT/trace.redirect.
redirect_trace_sums()
{
	echo 0 >$T/tracing_on
	cp $T/trace "$OUT/trace.redirect" 2>/dev/null
	awk '
		function add(k, d) { n[k]++; t[k] += d }
		function in_redirect(i) {
			for (i = 1; i <= sp; i++)
				if (S[i] == "nflb_hooks_redirected")
					return 1
			return 0
		}
		function done(f, d, h) {
			if (f == "nflb_redir_send")
				add("send", d)
			else if (f == "udp_rcv" && h ~ / nflb_hooks_redirected/)
				add(h ~ / nflb_session_create/ ? "own_new" : "own_known", d)
			else if (f == "udp_rcv")
				add("sync_rcv", d)
			else if (f == "nflb_hooks_redirected")
				add(h ~ / nflb_session_create/ ? "hook_new" : "hook_known", d)
			else if (f == "nflb_redir_decap")
				add("decap", d)
			else if (f == "ip_forward")
				add(in_redirect() ? "fwd_inner" : "fwd", d)
		}
		/\|/ {
			d = 0; f = ""
			if (match($0, /[0-9]+(\.[0-9]+)? us/))
				d = substr($0, RSTART, RLENGTH - 3)
			sub(/ \[[a-z0-9_]+\]/, "")
			if (match($0, /\} \/\* [A-Za-z0-9_.]+ \*\//)) {
				f = substr($0, RSTART + 5, RLENGTH - 8)
				# a call begun before the trace: its children are lost too
				if (sp < 1 || S[sp] != f) { sp = 0; next }
				h = H[sp--]
			} else if (match($0, /[A-Za-z0-9_.]+\(\) \{/)) {
				S[++sp] = substr($0, RSTART, RLENGTH - 4)
				H[sp] = ""
				next
			} else if (match($0, /[A-Za-z0-9_.]+\(\);/)) {
				f = substr($0, RSTART, RLENGTH - 3)
				h = ""
			} else
				next
			done(f, d, h)
			if (sp > 0)
				H[sp] = H[sp] " " f h
		}
		/LOST/ { lost = 1 }
		END {
			for (k in n)
				printf "%s_calls=%d %s_instr=%.0f ", k, n[k], k, t[k] * 1000 / 16
			printf "trace_lost=%d\n", lost
		}' $T/trace
	echo nop >$T/current_tracer
	echo 1 >$T/options/sleep-time 2>/dev/null
	: >$T/set_ftrace_filter
	echo 1408 >$T/buffer_size_kb
}

# The cost of a redirected packet: every flow enters at lb, half are
# lb2's; TCP connections (lb redirects a SYN, and the connection's packets
# and the members' replies until lb has the record), then new UDP flows
# (one datagram each: lb redirects lb2's first datagrams), small and
# full-size.  Traced.
redirect_cost()
{
	local load=$1 vs s0 s1 out sums src

	redirect_up || die "redirect: setup failed"
	# shellcheck disable=SC2086
	trace_on $REDIR_TRACED || { log "redirect: no function_graph"; redirect_down; return 1; }
	if [ "$load" = tcp ]; then
		vs=v$TPORT s0=$(rd_snap $vs)
		out=$(in_ns "$NS_CL" "$TOOL" tcp -d $VIP -p $TPORT -S "$NS_S1,$NS_S2,$NS_S3" \
			-s 10.0.1.2,10.0.1.3 -c 32 -t 1 -w 0.2) || die "redirect: tcp load failed"
	else
		# udp: 16-byte datagrams; udp1400: full-size ones (1,428 bytes
		# inside, 1,480 outside: no fragments), for the MAC's cost a byte
		# (new flows: a source of its own for each load)
		vs=v$UPORT s0=$(rd_snap $vs) src=10.72.1.0
		[ "$load" = udp16 ] || src=10.72.2.0
		out=$(in_ns "$NS_CL" "$TOOL" udp -n "$NS_S1,$NS_S2,$NS_S3" -d $VIP -p $UPORT \
			-s $src -N 2000 -l "${load#udp}" -t 30) || die "redirect: udp flows failed"
	fi
	sums=$(redirect_trace_sums)
	s1=$(rd_snap $vs)
	# shellcheck disable=SC2046,SC2086
	rec phase=redirect metric=cost load="$load" $(rd_delta "$s0" "$s1") $sums
	log "redirect cost, $load: $out; $(rd_delta "$s0" "$s1"); $sums"
	redirect_down
}

# rd_share LOAD WINDOW BEFORE AFTER [KEY=VALUE...]: one share record
rd_share()
{
	local load=$1 window=$2 d

	d=$(rd_delta "$3" "$4")
	shift 4
	# shellcheck disable=SC2086
	rec phase=redirect metric=share load="$load" window="$window" nodes=${#RD_NS[@]} $d "$@"
	log "redirect share, ${#RD_NS[@]} nodes, $load, $window: $d $*"
}

# rd_share_tcp SRCS CONC: short TCP connections (the bench's
# request/response) from SRCS, CONC at a time
rd_share_tcp()
{
	local s0 s1 out

	s0=$(rd_snap v$TPORT)
	out=$(in_ns "$NS_CL" "$TOOL" tcp -d $VIP -p $TPORT -S "$NS_S1,$NS_S2,$NS_S3" \
		-s "$1" -c "$2" -t 2 -w 0.5) || die "redirect: tcp load failed"
	s1=$(rd_snap v$TPORT)
	rd_share "tcp_c$2" all "$s0" "$s1" conns="$(kv_get "$out" conns)" \
		fails="$(kv_get "$out" fails)" rate="$(kv_get "$out" rate)" conc="$2"
}

# rd_share_udp SRCS: 32 long UDP flows from SRCS, their first 20 virtual ms
# (a packet or two each, before their records can have arrived: a
# redirected packet makes its owner send the record at once, which
# still takes a few virtual ms here), apart from the 2 s after
rd_share_udp()
{
	local s0 s1 s2 out g0 g1 udp

	udp=(in_ns "$NS_CL" "$TOOL" udp -n "$NS_S1,$NS_S2,$NS_S3" -d "$VIP" -p "$UPORT" -s "$1" -f 32 -w 0)
	s0=$(rd_snap v$UPORT)
	out=$("${udp[@]}" -t 0.02) || die "redirect: udp load failed"
	g0=${EPOCHREALTIME/./} s1=$(rd_snap v$UPORT)
	rd_share udp_long first "$s0" "$s1" sent="$(kv_get "$out" sent)" \
		delivered="$(kv_get "$out" delivered)" secs="$(kv_get "$out" secs)" flows=32
	g1=${EPOCHREALTIME/./}
	out=$("${udp[@]}" -t 2) || die "redirect: udp load failed"
	s2=$(rd_snap v$UPORT)
	rd_share udp_long after "$s1" "$s2" sent="$(kv_get "$out" sent)" \
		delivered="$(kv_get "$out" delivered)" secs="$(kv_get "$out" secs)" flows=32 \
		gap_secs="$(usecs_to_secs $((g1 - g0)))"
}

# The share of packets redirected with flows spread over the nodes
# regardless of their owner (ecmp on).  Two nodes: TCP connections one at
# a time (each ~5 virtual ms: over before its records are sent, as a
# request/response on real hardware is) and 32 at a time (each ~140
# virtual ms in this slow guest: its records arrive while it runs), and
# the long UDP flows.  Then with lb3 as a third node: the connections one
# at a time and the UDP flows again.
redirect_share()
{
	redirect_up || die "redirect: setup failed"
	ecmp on || die "redirect: ecmp routes"
	rd_share_tcp "$RD_SRCS" 1
	rd_share_tcp "$RD_SRCS" 32
	rd_share_udp "$RD_SRCS"
	redirect_down
	lb3_up || die "redirect: lb3"
	RD_NS+=("$NS_LB3") RD_SYNC+=("$SYNC3")
	redirect_up || die "redirect: setup with 3 nodes failed"
	rd_share_tcp "$RD_SRCS3" 1
	rd_share_udp "$RD_SRCS3"
	redirect_down
	ecmp off
}

# lb3, a third node: a veth from lb for sync (lb sy3 10.0.102.1, lb3 eth0
# SYNC3), one to the client (lb3 rd0 10.0.103.1, client rd3 10.0.103.2);
# everything else through lb, as for lb2.  The client's source 10.0.1.6
# goes to the VIP through lb3.
NS_LB3="$NFLB_PFX-lb3"
SYNC3=10.0.102.2
RD_SRCS3=10.0.1.2,10.0.1.4,10.0.1.6

lb3_up()
{
	_ns_init "$NS_LB3" && _forwarding "$NS_LB3" &&
		_link "$NS_LB" sy3 "$NS_LB3" eth0 && _link "$NS_LB3" rd0 "$NS_CL" rd3 &&
		ip -n "$NS_LB" addr add 10.0.102.1/24 dev sy3 && ip -n "$NS_LB3" addr add $SYNC3/24 dev eth0 &&
		ip -n "$NS_LB3" addr add 10.0.103.1/24 dev rd0 && ip -n "$NS_CL" addr add 10.0.103.2/24 dev rd3 &&
		ip -n "$NS_LB3" route add default via 10.0.102.1 &&
		ip -n "$NS_LB3" route add 10.0.1.0/24 via 10.0.103.2 &&
		ip -n "$NS_LB2" route add 10.0.102.0/24 via $SYNC1 &&
		ip -n "$NS_CL" addr add 10.0.1.6/24 dev eth0 &&
		ip -n "$NS_CL" rule add from 10.0.1.6 lookup 103 pref 103 &&
		ip -n "$NS_CL" route add $VIP via 10.0.103.1 dev rd3 table 103
}

# lb3 goes (its links with it); the client's and lb2's routes to it too
lb3_down()
{
	ip -n "$NS_CL" rule del from 10.0.1.6 lookup 103 pref 103
	ip -n "$NS_CL" addr del 10.0.1.6/24 dev eth0
	ip -n "$NS_LB2" route del 10.0.102.0/24 via $SYNC1
	ip netns del "$NS_LB3"
}

redirect_phase()
{
	have_time 90 || { rec phase=redirect skipped=budget; return 0; }
	RD_NS=("$NS_LB" "$NS_LB2") RD_SYNC=("$SYNC1" "$SYNC2")
	redirect_topo_up || die "redirect: topology"
	redirect_cost tcp
	redirect_cost udp16
	redirect_cost udp1400
	redirect_share
	lb3_down
	redirect_topo_down
}

# ---------------------------------------------------------------------------

main()
{
	local r m t_round=0 h

	rec phase=meta kernel="$(uname -r)" rounds="$ROUNDS" secs="$SECS" budget="$BUDGET" \
		tcp_conc="$CONC" tcp_linger="$LINGER" \
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
			[ "$m" = nflbsync ] && ! want sync && ! want syncvm && continue
			method_up "$m"
			if [ "$m" = other ]; then
				want udp && m_udp "$m" "$r"
				method_down "$m"
				continue
			fi
			if [ "$m" = nflbsync ]; then
				want tcp && m_tcp "$m" "$r"
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
	want sync && sync_phase
	want redirect && redirect_phase
	want table && table_phase
	want sync && [ "$SYNC_BULK_DONE" = 0 ] && sync_bulk_alone "$SYNC_BULK" big
	if want sync_bulk && ! want sync; then
		[ "$SYNC_BULK_SMALL" -gt 0 ] && sync_bulk_alone "$SYNC_BULK_SMALL" small
		sync_bulk_alone "$SYNC_BULK" big
	fi
	rec phase=done host_secs="$(host_elapsed)" guest_secs="$(guest_elapsed)"
	log "done"
}

main
