#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Instructions nflb's own functions spend per TCP connection, from
# function_graph durations under QEMU -icount (16 ns a guest instruction),
# which repeat to within a few instructions, unlike the connection rate.
# Runs as root in the benchmark VM:
#
#   NFLB_VM_ICOUNT=1 selftests/vm/run.sh bench/ftrace.sh
#
# Same topology and nflb configuration as bench/bench.sh's TCP connection
# phase.  Passes (NFLB_FTRACE_PASSES, "top hooks tree") of NFLB_FTRACE_SECS
# (2) virtual seconds each:
#   top    depth 1 on nflb's entry points (hooks, GC works, RCU callbacks):
#          their whole cost, children included, plus one call of tracing each
#   hooks  depth 1 on nf_hook_slow: all netfilter hooks (defrag and nflb)
#   tree   every nflb function (set_ftrace_filter :mod:nflb), inclusive
#          durations: where inside the hooks it goes (nested tracing inflates
#          the callers, so compare like with like only)
# Prints, per function: calls per connection and instructions per
# connection.  Results also in $NFLB_RESULTS/ftrace.txt, the raw traces in
# $NFLB_RESULTS/trace.{top,tree}.  NFLB_BENCH_KO, NFLB_BENCH_LBCTL: another
# build to trace (e.g. an older commit's, for a comparison).
set -u
here=$(cd "$(dirname "$0")" && pwd)
export TOPO_CSUM_STRICT=0
# shellcheck source=selftests/lib.sh
. "$here/../selftests/lib.sh"

SECS=${NFLB_FTRACE_SECS:-2}
VIP=10.0.0.100
TPORT=8080
OUT=${NFLB_RESULTS:-$TMPDIR}/ftrace.txt
mkdir -p "$TMPDIR/bench-bin" &&
	cp "${NFLB_BENCH_KO:-$NFLB_KO}" "${NFLB_BENCH_LBCTL:-$LBCTL}" "$here/lbbench" "$TMPDIR/bench-bin/" ||
	exit 1
NFLB_KO=$TMPDIR/bench-bin/nflb.ko
LBCTL=$TMPDIR/bench-bin/lbctl
TOOL=$TMPDIR/bench-bin/lbbench

T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs tracefs $T 2>/dev/null || T=/sys/kernel/debug/tracing
[ -e $T/trace ] || { echo "no tracefs" >&2; exit 1; }

for m in veth nf_defrag_ipv4 nf_defrag_ipv6; do modprobe $m; done
nflb_load || exit 1
topo_create 3 || exit 1
vip_local || exit 1
for i in 3 4 5; do ip -n "$NS_CL" addr add "10.0.1.$i/24" dev eth0; done
in_ns "$NS_CL" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
{
	echo "timeout set udp 86400"
	for p in 8080:tcp:rr 9000:udp:rr 5201:tcp:sh; do
		IFS=: read -r port proto sched <<<"$p"
		echo "pool add p$port"
		for s in 10.0.11.2 10.0.12.2 10.0.13.2; do echo "member add p$port $s:$port"; done
		echo "vs add v$port vip $VIP port $port proto $proto pool p$port sched $sched"
	done
} >"$NFLB_TMP/nflb.batch"
lb -batch "$NFLB_TMP/nflb.batch" || exit 1

load()
{
	in_ns "$NS_CL" "$TOOL" tcp -d $VIP -p $TPORT -S "$NS_S1,$NS_S2,$NS_S3" \
		-s 10.0.1.2,10.0.1.3,10.0.1.4,10.0.1.5 -c 32 -t "$1" -w 0.2
}

# pass NAME: trace one load run; prints "conns" then per-function sums.
pass()
{
	local name=$1 out conns

	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 65536 >$T/buffer_size_kb
	echo function_graph >$T/current_tracer
	echo 1 >$T/options/funcgraph-tail 2>/dev/null
	echo 1 >$T/tracing_on
	out=$(load "$SECS")
	echo 0 >$T/tracing_on
	conns=$(kv_get_conns "$out")
	echo "== $name: $out"
	cp $T/trace "${NFLB_RESULTS:-$TMPDIR}/trace.$name" 2>/dev/null
	# Leaves: "  1.234 us    |  fn();"  closers: "  5.678 us    |  } /* fn */"
	awk -v conns="$conns" -v name="$name" '
		/\|/ {
			d = ""; f = ""
			if (match($0, /[0-9]+\.[0-9]+ us/))
				d = substr($0, RSTART, RLENGTH - 3)
			sub(/ \[[a-z0-9_]+\]/, "")
			if (match($0, /\} \/\* [A-Za-z0-9_.]+ \*\//))
				f = substr($0, RSTART + 5, RLENGTH - 8)
			else if (match($0, /[A-Za-z0-9_.]+\(\);/))
				f = substr($0, RSTART, RLENGTH - 3)
			if (d != "" && f != "") { n[f]++; t[f] += d }
		}
		END {
			for (f in n)
				printf "%-8s %-32s %8.2f calls/conn %9.0f instr/conn %7.0f instr/call\n",
					name, f, n[f] / conns, t[f] * 1000 / 16 / conns,
					t[f] * 1000 / 16 / n[f] | "sort -k5 -n -r"
		}' $T/trace
	# The commonest durations of the first function: packet kinds.
	awk '/\|/ && match($0, /[0-9]+\.[0-9]+ us/) {
		print substr($0, RSTART, RLENGTH - 3) }' $T/trace |
		sort | uniq -c | sort -k1 -n -r | head -n 12 |
		awk -v name="$name" '{ printf "%-8s mode %6d x %7.0f instr\n", name, $1, $2 * 1000 / 16 }'

	echo nop >$T/current_tracer
}

# After the classes pass: nflb_hook_pre's calls grouped by the traced
# functions they called (SYN: pre_new; replies: route_reply; SYN and
# SYN-ACK: tcp_wscale), with the median duration of each group, less the
# nested calls' tracing (measured as a nested call's own minimum cost).
classes()
{
	awk '
		/nflb_hook_pre.*\{/ { kids = ""; next }
		/\|/ && !/nflb_hook_pre/ {
			if (match($0, /[a-z_0-9.]+ \[nflb\]\(\)/))
				kids = kids "+" substr($0, RSTART, RLENGTH - 9)
			next
		}
		/nflb_hook_pre/ && match($0, /[0-9]+\.[0-9]+ us/) {
			d = int(substr($0, RSTART, RLENGTH - 3) * 1000 / 16)
			k = kids == "" ? "(none)" : kids
			print k, d
			kids = ""
		}' $T/trace | sort -k1,1 -k2n |
		awk '{ n[$1]++; v[$1, n[$1]] = $2 }
		END { for (k in n) printf "class %-60s %6d calls  median %6d instr\n",
			k, n[k], v[k, int((n[k] + 1) / 2)] }' | sort -k3 -n -r
}

kv_get_conns()
{
	local w

	for w in $1; do
		[ "${w%%=*}" = conns ] && { echo "${w#*=}"; return; }
	done
	echo 1
}

# filter FUNC...: trace these (those that exist in this build).
filter()
{
	local f

	: >$T/set_ftrace_filter
	for f in "$@"; do
		echo "$f" >>$T/set_ftrace_filter 2>/dev/null
	done
}

load 1 >/dev/null	# warm-up: table_perturb, slab pages, rhashtable growth
{
	for p in ${NFLB_FTRACE_PASSES:-top hooks tree}; do
		echo 0 >$T/max_graph_depth
		case $p in
		top)
			filter nflb_hook_pre nflb_hook_local nflb_hook_post nflb_gc_work \
				nflb_persist_gc_work nflb_session_free_rcu
			;;
		hooks)	# all of netfilter's work, every hook included
			filter nf_hook_slow nflb_gc_work nflb_persist_gc_work \
				nflb_session_free_rcu
			echo 1 >$T/max_graph_depth
			;;
		tree)
			filter ':mod:nflb'
			;;
		classes)	# nflb_hook_pre by the calls it makes (see classes())
			filter nflb_hook_pre nflb_pre_new nflb_route_reply.constprop.0 \
				nflb_route_reply nflb_tcp_wscale nflb_reply_too_big \
				nflb_session_create
			;;
		hooks2)	# which hook functions nf_hook_slow calls
			filter nf_hook_slow
			echo nf_hook_slow >$T/set_graph_function
			echo 2 >$T/max_graph_depth
			: >$T/set_ftrace_filter
			;;
		esac
		pass "$p"
		[ "$p" = classes ] && classes
	done
} | tee "$OUT"
