#!/bin/bash
# `make demo`: show nflb balancing HTTP requests over three servers. Runs as root
# where nflb.ko can be loaded (make demo runs it inside the test VM). Everything it
# creates (network namespaces, servers, the loaded module) is removed on exit.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=selftests/lib.sh
. "$repo/selftests/lib.sh"

say() { printf '\n==> %s\n' "$*"; }
# run CMD...: show a command the way a user would type it, then run it.
run() {
	echo "    \$ $*"
	"$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}
lbctl() { ip netns exec "$NS_LB" "$LBCTL" "$@"; }
die() { echo "demo: $*" >&2; exit 1; }

say "Building a small network out of network namespaces: a client, a load balancer"
echo "    (lb) and three web servers. The client reaches the servers only through lb,"
echo "    and lb is the servers' default gateway, as for a real NAT-mode load balancer."
topo_create 3 || die "could not build the topology"
echo "    client 10.0.1.2  ->  lb 10.0.1.1  ->  server-1 10.0.11.2"
echo "                                          server-2 10.0.12.2"
echo "                                          server-3 10.0.13.2"

say "Starting a tiny web server in each server namespace; each answers with its own name."
for i in 1 2 3; do
	mkdir -p "$NFLB_TMP/www$i"
	echo "server-$i" >"$NFLB_TMP/www$i/index.html"
	bg "httpd$i" "$(server_ns "$i")" busybox httpd -f -p 80 -h "$NFLB_TMP/www$i"
	wait_listen "$(server_ns "$i")" 80 tcp || die "server-$i did not start"
done
echo "    3 web servers listening on port 80."

say "Loading the nflb kernel module (after the defrag, UDP tunnel and crypto modules it uses)."
echo "    \$ insmod kmod/nflb.ko        (once installed: modprobe nflb)"
nflb_load || die "could not load $NFLB_KO"

say "Configuring it with lbctl, on lb: a pool of the three servers, and a virtual"
echo "    server: TCP port 80 of the virtual IP 10.0.0.100, spread round-robin over the pool."
run lbctl pool add web-pool || die "lbctl failed"
for i in 1 2 3; do
	run lbctl member add web-pool "10.0.1$i.2:80" || die "lbctl failed"
done
run lbctl vs add web vip 10.0.0.100 port 80 proto tcp pool web-pool sched rr || die "lbctl failed"
run lbctl vs show

say "Sending 12 HTTP requests from the client to http://10.0.0.100/ (the virtual IP)."
echo "    lb rewrites each new connection to a server and the reply back to 10.0.0.100."
declare -A count=()
failed=0
for r in $(seq 1 12); do
	answer=$(in_ns "$NS_CL" curl -s --max-time 5 http://10.0.0.100/)
	if [ -n "$answer" ]; then
		printf '    request %2d: answered by %s\n' "$r" "$answer"
		count[$answer]=$((${count[$answer]:-0} + 1))
	else
		printf '    request %2d: no answer\n' "$r"
		failed=$((failed + 1))
	fi
done

say "The session table: one entry per connection (client port -> chosen server)."
echo "    Closed connections stay a little while in time-wait, as in conntrack."
run lbctl session list

say "Counters: packets and bytes in both directions, sessions created, drops."
run lbctl stats

say "Requests per server:"
for i in 1 2 3; do
	printf '    server-%d: %d\n' "$i" "${count[server-$i]:-0}"
done
[ "$failed" -eq 0 ] || printf '    no answer: %d\n' "$failed"

say "Cleaning up: removing the configuration, the namespaces and the module."
run lbctl flush
bg_stop_all
topo_destroy
nflb_unload
[ "$failed" -eq 0 ]
