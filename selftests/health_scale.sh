#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# health_scale: one lbhealthd checks 2,000 members every second (tcp,
# --dry-run: no module needed).  The members are 2,000 addresses of a
# prefix routed locally in a server namespace, all served by one listener;
# the daemon runs in another namespace behind a veth pair, as it would on
# a load balancer (on loopback it would also pay the servers' side of
# every handshake).
# Asserts correctness only: every member reported up, then every member
# down once the listener is gone, and the daemon still running.  Prints
# the daemon's CPU use (utime + stime from /proc over HEALTH_SCALE_SECS,
# default 10; the figures of record are over 30) as a diagnostic; the figure is recorded in
# Documentation/performance.rst, it is not a pass/fail criterion.
# HEALTH_SCALE_PERF=1 (with perf installed) then samples the daemon's
# call graphs for 10 s more and prints whose work its context did: the
# servers' side of the handshakes, the IPI of the RPS steering, the rest.
. "$(dirname "$0")/lib.sh"

HD=$NFLB_SRC/lbhealthd/lbhealthd
SRV=$NFLB_SELFTESTS/health_server.py
NS=hs$$
NSS=hss$$
N=${HEALTH_SCALE_N:-2000}
SECS=${HEALTH_SCALE_SECS:-10}

[ -x "$HD" ] || ktap_skip_all "$HD not built (make lbhealthd)"
require_root
require_cmds python3
ktap_header 4

setup() {
	ip netns add "$NS" && cleanup_add "ip netns del $NS" &&
	ip netns add "$NSS" && cleanup_add "ip netns del $NSS" &&
	ip -n "$NS" link set lo up && ip -n "$NSS" link set lo up &&
	ip -n "$NS" link add hd0 type veth peer name srv0 netns "$NSS" &&
	ip -n "$NS" addr add 10.76.0.1/24 dev hd0 && ip -n "$NS" link set hd0 up &&
	ip -n "$NSS" addr add 10.76.0.2/24 dev srv0 && ip -n "$NSS" link set srv0 up &&
	ip -n "$NS" route add 10.77.0.0/16 via 10.76.0.2 &&
	ip -n "$NSS" route add local 10.77.0.0/16 dev lo
}
setup || ktap_abort "cannot build the namespaces"
# With two CPUs or more, the servers' side of each handshake is steered to
# CPU 1 (RPS on their veth end) and the daemon kept on CPU 0: otherwise
# veth processes the servers' packets in the sender's context and their
# cost is counted as the daemon's (a third of it, by perf's call graphs).
# The steering has its own price in the daemon's context: the IPI that
# wakes CPU 1 for the packets it sends (a tenth of its time, more in a VM).
# HEALTH_SCALE_RPS=0 leaves it out, to see the servers' share.
PIN=()
if [ "${HEALTH_SCALE_RPS:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] &&
	in_ns "$NSS" sh -c 'echo 2 >/sys/class/net/srv0/queues/rx-0/rps_cpus' 2>/dev/null; then
	PIN=(taskset -c 0)
fi
bg srv "$NSS" python3 "$SRV" accept 0.0.0.0 8080
wait_listen "$NSS" 8080 tcp || ktap_abort "the listener did not start"

for ((i = 0; i < N; i++)); do
	echo "tcp 10.77.$((i / 250)).$((i % 250 + 1)):8080 pool scale interval 1 timeout 500ms rise 1 fall 2"
done >"$NFLB_TMP/checks"
bg hd "$NS" "${PIN[@]}" "$HD" --dry-run --file "$NFLB_TMP/checks"
OUT=$(bg_out hd)

count() { grep -cE "^scale 10\.77\.[0-9.]+:8080 $1$" "$OUT"; }
all() { [ "$(count "$1")" -eq "$N" ]; }

ktap_check "all $N members reported up" wait_for 30 all "unknown up"

# CPU over SECS seconds: utime and stime, fields 14 and 15 of /proc/PID/stat
pid=$(bg_pid hd)
hz=$(getconf CLK_TCK)
read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
t0=${EPOCHREALTIME/./}
sleep "$SECS"
read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
t1=${EPOCHREALTIME/./}
# percent of one core, in hundredths
pct() { local p=$(($1 * 100 * 100 * 1000000 / hz / (t1 - t0))); printf '%d.%02d%%' $((p / 100)) $((p % 100)); }
where=""
[ ${#PIN[@]} -gt 0 ] && where=" (daemon on CPU 0, the servers' side on CPU 1)"
ktap_diag "lbhealthd$where: $N members every 1 s: $(pct $((u1 - u0 + s1 - s0))) of one core" \
	"(user $(pct $((u1 - u0))), system $(pct $((s1 - s0)))) over $SECS s"
# perf_shares FILE: the daemon's samples by whose work they are.  Server
# code is named by its functions; other packet input not for the daemon's
# own sockets (their SYN-ACK is queued with tcp_add_backlog) is the
# servers' too.
perf_shares() {
	perf script -i "$1" -F ip,sym,dso 2>/dev/null | awk '
	function flush() {
		if (!nsym)
			return
		total++
		if (!kernel)
			shares["user space"]++
		else if (st ~ / net_rps_send_ipi /)
			shares["RPS IPI"]++
		else if (st ~ / (tcp_conn_request|tcp_check_req|tcp_child_process|tcp_v4_syn_recv_sock) / ||
			 (st ~ / process_backlog / && st !~ / (tcp_add_backlog|tcp_rcv_synsent_state_process) /))
			shares["servers'\'' side"]++
		else
			shares["daemon'\''s kernel work"]++
		nsym = 0
		st = " "
	}
	BEGIN { st = " " }
	/^[[:space:]]*$/ { flush(); next }
	{
		sym = $2
		sub(/\+0x[0-9a-f]+$/, "", sym)
		if (!nsym++)
			kernel = $0 ~ /kernel\.kallsyms/
		st = st sym " "
	}
	END {
		flush()
		n = split("servers'\''_side RPS_IPI daemon'\''s_kernel_work user_space", order, " ")
		for (i = 1; i <= n; i++) {
			k = order[i]
			gsub(/_/, " ", k)
			printf "%s %.0f%%, ", k, total ? 100 * shares[k] / total : 0
		}
		printf "of %d samples\n", total
	}'
}
if [ "${HEALTH_SCALE_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	perf record -q -g -p "$pid" -o "$NFLB_TMP/perf.data" -- sleep 10 >/dev/null 2>&1
	ktap_diag "the daemon's context by perf: $(perf_shares "$NFLB_TMP/perf.data")"
fi
ktap_check "no member changed health while all were up" [ "$(grep -c ' up down' "$OUT")" -eq 0 ]

bg_stop srv
ktap_check "all $N members reported down once the listener is gone" wait_for 30 all "up down refused"
ktap_check "the daemon still runs" kill -0 "$pid"
ktap_finish
