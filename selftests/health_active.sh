#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317 # checks are functions run via ktap_check
#
# health_active: lbhealthd end to end.  Three servers behind a VIP, a pool
# check (set with `lbctl pool set ... check`), the daemon in lb's namespace:
#
# - tcp: server 1's listener killed -> its member's health down (reason
#   refused) within interval x fall plus slack; then no new connection goes
#   to it (every one of 6 round-robin connections works, 2 of which would
#   have gone to the dead server), and the idle connections to servers 2
#   and 3 still carry data; the listener back -> health up after rise;
# - http (check port 8080): 200 with the body up, 503 down "http 503", 200
#   with the wrong body down "http body mismatch";
# - https (openssl s_server, self-signed certificate made here): down while
#   nothing listens, up once it runs;
# - udp-dns against dnsmasq: down without it, up once it answers, down when
#   it is stopped.
# The kernel's health is read with `lbctl -j member show`; only transitions are
# reported, so a member already down keeps its first reason.
. "$(dirname "$0")/lib.sh"

HD=$NFLB_SRC/lbhealthd/lbhealthd
SRV=$NFLB_SELFTESTS/health_server.py
D=$NFLB_TMP
IV=1000 FALL=2 RISE=2

[ -x "$HD" ] || ktap_skip_all "$HD not built (make lbhealthd)"
require_root
require_tools
require_cmds python3 openssl dnsmasq jq
ktap_header 13
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
srv_tcpconn 80 || ktap_abort "cannot start the servers"
lb_service web "$VIP4" 80 tcp || ktap_abort "cannot configure nflb"

S1=$(server4 1):80 S2=$(server4 2):80 S3=$(server4 3):80

# check TYPE [KEY VALUE]...: the pool's check (times in ms)
check()
{
	local a=("$1") k

	shift
	while [ $# -gt 1 ]; do
		k=$1
		case $k in
		interval | timeout) a+=("$k" "$(awk -v ms="$2" 'BEGIN { printf "%g", ms / 1000 }')") ;;
		*) a+=("$k" "$2") ;;
		esac
		shift 2
	done
	lbq pool set web check "${a[@]}"
}
# health MEMBER: "up", "down REASON", ... as the kernel has it
health()
{
	lb -j member show web | jq -r --arg m "$1" '.. | objects | select(has("addr") and has("port")) |
		select("\(.addr):\(.port)" == $m) | "\(.health) \(.health_reason // "")"' | sed 's/ *$//'
}
# health_is MEMBER "STATE [REASON]" [SECS]
health_eq() { [ "$(health "$1")" = "$2" ]; }
health_is() {
	local got
	wait_for "${3:-15}" health_eq "$1" "$2" && return 0
	got=$(health "$1")
	echo "$1: health '$got', expected '$2'"
	tail -n 20 "$(bg_out hd)"
	return 1
}

check tcp interval $IV timeout 500 rise $RISE fall $FALL || ktap_abort "cannot set the pool's check"
bg hd "$NS_LB" "$HD"
ktap_check "lbhealthd reads the pool: 3 members checked" \
	wait_for 20 grep_out hd 'lbhealthd: 3 members checked'

# three idle connections, one to each server (rr); touching $D/NAME.late
# makes one send "late\n", echoed back as "data 5"
for i in 1 2 3; do
	bg "c$i" "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b $((31000 + i)) -k 120 -T "$D/c$i.late"
	wait_for 15 grep_out "c$i" '^ok$' || ktap_abort "connection c$i did not work"
done
# the connection server 1 serves: its client port is in server 1's log
on_s1=""
for i in 1 2 3; do grep_out tcp80-s1 "^accept 10\.0\.1\.2 $((31000 + i))\$" && on_s1=$i; done

bg_stop tcp80-s1
t0=${EPOCHREALTIME/./}
ktap_check "tcp: listener killed -> down (refused)" health_is "$S1" "down refused" 15
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
ktap_diag "down after $ms ms (interval $IV ms x fall $FALL)"
ktap_check "tcp: down within interval x fall + 3 s" [ "$ms" -le $((IV * FALL + 3000)) ]

new_conns() {
	local i ok=0
	for i in 1 2 3 4 5 6; do
		in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b $((31100 + i)) -w 3 >/dev/null 2>&1 && ok=$((ok + 1))
	done
	echo "$ok/6 new connections worked"
	[ "$ok" -eq 6 ]
}
ktap_check "no new connection goes to the down member (6/6 work)" new_conns
others_alive() {
	local i
	for i in 1 2 3; do
		[ "$i" = "$on_s1" ] && continue
		touch "$D/c$i.late"
		wait_for 10 grep_out "c$i" '^data 5$' || { echo "c$i: $(cat "$(bg_out "c$i")")"; return 1; }
	done
}
ktap_check "the other members' existing connections are untouched" others_alive

bg tcp80-s1 "$(server_ns 1)" "$TCPCONN" -l -p 80
wait_listen "$(server_ns 1)" 80
ktap_check "tcp: listener back -> up after rise" health_is "$S1" "up" 15

# http on port 8080: server 1 good, 2 busy, 3 the wrong body
bg web1 "$(server_ns 1)" python3 "$SRV" http 0.0.0.0 8080 200 "all ok"
bg web2 "$(server_ns 2)" python3 "$SRV" http 0.0.0.0 8080 503 "busy"
bg web3 "$(server_ns 3)" python3 "$SRV" http 0.0.0.0 8080 200 "not yet"
for i in 1 2 3; do wait_listen "$(server_ns $i)" 8080 || ktap_abort "http server $i"; done
check http port 8080 path /health expect-body ok || ktap_abort "cannot set the http check"
http_all() {
	health_is "$S2" "down http 503" 15 && health_is "$S3" "down http body mismatch" 15 &&
		health_is "$S1" "up" 5
}
ktap_check "http: 503 down \"http 503\", wrong body down, good one up" http_all

# https and udp-dns: the check is set while nothing answers (server 1
# goes down), then the server starts (server 1 comes up): the up is the
# new check passing, not the old one's health kept
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" \
	-days 1 -subj /CN=health-active >/dev/null 2>&1 || ktap_abort "cannot make a certificate"
check https port 8443 expect-body "<pre>" || ktap_abort "cannot set the https check"
ktap_check "https: down while nothing listens" health_is "$S1" "down refused" 15
bg tls1 "$(server_ns 1)" openssl s_server -accept 8443 -cert "$D/cert.pem" \
	-key "$D/key.pem" -www -quiet
ktap_check "https: up with a self-signed server" health_is "$S1" "up" 15

check udp-dns port 53 query example.test || ktap_abort "cannot set the udp-dns check"
ktap_check "udp-dns: down without a server" health_is "$S1" "down refused" 15
bg dns1 "$(server_ns 1)" dnsmasq -k --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$(server4 1)" --port=53 --user=root \
	--pid-file="$D/dnsmasq.pid" --address=/example.test/10.1.2.3
ktap_check "udp-dns: up once dnsmasq answers" health_is "$S1" "up" 15
bg_stop dns1
ktap_check "udp-dns: dnsmasq stopped -> down" health_is "$S1" "down refused" 15
ktap_check "no kernel warnings" dmesg_check
ktap_finish
