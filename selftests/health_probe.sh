#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317 # checks are functions run via ktap_check
#
# health_probe: lbhealthd's parsers (lbhealthd/parse_test: status lines,
# DNS replies, check lines) and its probes without the kernel module (--dry-run,
# checks from a file, health changes on stdout), against real servers in a
# network namespace: tcp up and refused, rise and fall counted, http status
# and body, https (self-signed, with and without verification), udp-dns
# against dnsmasq (up, REFUSED, down when stopped), a server sending an
# endless status line and one that never answers (the daemon must neither
# hang nor crash), SIGHUP re-reading the file, SIGTERM, and the exit status
# of wrong command lines, a missing module and a missing CAP_NET_ADMIN.
. "$(dirname "$0")/lib.sh"

HD=$NFLB_SRC/lbhealthd/lbhealthd
SRV=$NFLB_SELFTESTS/health_server.py
NS=hp$$
IV=500		# interval, ms
FALL=3
RISE=2

[ -x "$HD" ] || ktap_skip_all "$HD not built (make lbhealthd)"
require_root
require_cmds python3 openssl dnsmasq setpriv
ktap_header 23

parse_unit() { "$NFLB_SRC/lbhealthd/parse_test" | grep -E '^not ok|passed'; [ "${PIPESTATUS[0]}" -eq 0 ]; }
ktap_check "parsers: lbhealthd/parse_test" parse_unit

ip netns add "$NS" || ktap_abort "cannot create a namespace"
cleanup_add "ip netns del $NS"
ip -n "$NS" link set lo up

# ---- servers ----
bg tcp1 "$NS" python3 "$SRV" accept 127.0.0.1 8001
bg web "$NS" python3 "$SRV" http 127.0.0.1 8002 200 "i am healthy"
bg busy "$NS" python3 "$SRV" http 127.0.0.1 8003 503 "busy"
bg garbage "$NS" python3 "$SRV" garbage 127.0.0.1 8005
bg silent "$NS" python3 "$SRV" silent 127.0.0.1 8006
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$NFLB_TMP/key.pem" \
	-out "$NFLB_TMP/cert.pem" -days 1 -subj /CN=lbhealthd-test >/dev/null 2>&1 ||
	ktap_abort "cannot make a test certificate"
bg tls "$NS" openssl s_server -accept 8443 -cert "$NFLB_TMP/cert.pem" \
	-key "$NFLB_TMP/key.pem" -www -quiet
# answers example.test itself; with no upstream it refuses everything else
dns_start() {
	bg dns "$NS" dnsmasq -k --no-resolv --no-hosts --bind-interfaces \
		--listen-address=127.0.0.1 --port=5353 --user=root \
		--pid-file="$NFLB_TMP/dnsmasq.pid" --address=/example.test/10.1.2.3
}
dns_start
for p in 8001 8002 8003 8005 8006 8443; do
	wait_listen "$NS" $p tcp || ktap_abort "a test server did not start (port $p)"
done
wait_listen "$NS" 5353 udp || ktap_abort "dnsmasq did not start"

# ---- the daemon ----
C="interval ${IV}ms timeout 400ms rise $RISE fall $FALL"
cat >"$NFLB_TMP/checks" <<EOC
# pool names keep the checks of one member apart
tcp 127.0.0.1:8001 pool tcpup $C
tcp 127.0.0.1:8009 pool refused $C
http 127.0.0.1:8002 pool httpok path /health expect-body healthy $C
http 127.0.0.1:8003 pool http503 $C
http 127.0.0.1:8003 pool range status 500-503 $C
http 127.0.0.1:8002 pool body expect-body "not there" $C
tcp 127.0.0.1:8002 pool tcpexp send "GET / HTTP/1.0\r\n\r\n" expect healthy $C
https 127.0.0.1:8443 pool tls $C
https 127.0.0.1:8443 pool tlsverify tls-verify on $C
udp-dns 127.0.0.1:5353 pool dns query example.test $C
udp-dns 127.0.0.1:5353 pool dnsrefused query other.invalid $C
http 127.0.0.1:8005 pool garbage $C
http 127.0.0.1:8006 pool silent $C
EOC
bg hd "$NS" "$HD" --dry-run --file "$NFLB_TMP/checks"
OUT=$(bg_out hd)

# seen REGEX [SECS]: a transition line matching REGEX appears in time.
seen() { wait_for "${2:-10}" grep -qE "$1" "$OUT" || { ktap_diag "$(cat "$OUT")"; return 1; }; }

ktap_check "tcp: listening member up" seen '^tcpup 127.0.0.1:8001 unknown up$'
ktap_check "tcp: closed port down, reason refused" seen '^refused 127.0.0.1:8009 unknown down refused$'
ktap_check "http: 200 with the expected body up" seen '^httpok 127.0.0.1:8002 unknown up$'
ktap_check "http: 503 down, reason \"http 503\"" seen '^http503 127.0.0.1:8003 unknown down http 503$'
ktap_check "http: 503 up when the status range allows it" seen '^range 127.0.0.1:8003 unknown up$'
ktap_check "http: wrong body down" seen '^body 127.0.0.1:8002 unknown down http body mismatch$'
ktap_check "tcp: send/expect up" seen '^tcpexp 127.0.0.1:8002 unknown up$'
ktap_check "https: self-signed certificate up (no verification)" seen '^tls 127.0.0.1:8443 unknown up$'
ktap_check "https: tls-verify on refuses it" seen '^tlsverify 127.0.0.1:8443 unknown down tls verify'
ktap_check "udp-dns: dnsmasq answers, up" seen '^dns 127.0.0.1:5353 unknown up$'
ktap_check "udp-dns: REFUSED down with the rcode" seen '^dnsrefused 127.0.0.1:5353 unknown down dns REFUSED$'
ktap_check "http: endless status line down, not hung" seen '^garbage 127.0.0.1:8005 unknown down http bad status line$'
ktap_check "http: server that never answers down by the timeout" seen '^silent 127.0.0.1:8006 unknown down response timeout$'

# elapsed_ok REGEX MIN_MS MAX_MS: waits for REGEX; the time since $t0 is in range.
elapsed_ok() {
	seen "$1" 15 || return 1
	local ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	echo "$ms" >"$NFLB_TMP/elapsed"
	[ "$ms" -ge "$2" ] && [ "$ms" -le "$3" ] || { echo "took $ms ms, expected $2..$3"; return 1; }
}
# Down after FALL failed probes: not before FALL-1 intervals, and within
# FALL intervals plus a timeout and scheduling slack.  t0 before the
# listener is stopped: its socket closes before bg_stop has reaped it, and
# a t0 taken after that made three failed probes look closer together
# than the intervals they are (927 ms once, in CI).
t0=${EPOCHREALTIME/./}
bg_stop tcp1
ktap_check "fall: listener gone, down after $FALL failed probes" \
	elapsed_ok '^tcpup 127.0.0.1:8001 up down refused$' $(((FALL - 1) * IV)) $((FALL * IV + 400 + 2000))
ktap_diag "down $(cat "$NFLB_TMP/elapsed" 2>/dev/null) ms after the listener went (interval $IV ms, fall $FALL)"
# t0 before the listener starts: the daemon may see it up before
# wait_listen does, so a t0 taken after it made two good probes look
# closer together than the interval they are (404 ms once, in CI)
t0=${EPOCHREALTIME/./}
bg tcp1 "$NS" python3 "$SRV" accept 127.0.0.1 8001
wait_listen "$NS" 8001 tcp
ktap_check "rise: listener back, up after $RISE good probes" \
	elapsed_ok '^tcpup 127.0.0.1:8001 down up$' $(((RISE - 1) * IV)) $((RISE * IV + 400 + 2000))
ktap_diag "up $(cat "$NFLB_TMP/elapsed" 2>/dev/null) ms after it came back (rise $RISE)"

bg_stop dns
ktap_check "udp-dns: dnsmasq stopped, down" seen '^dns 127.0.0.1:5353 up down (refused|dns timeout)$'

echo "tcp 127.0.0.1:8002 pool added $C" >>"$NFLB_TMP/checks"
kill -HUP "$(bg_pid hd)"
ktap_check "SIGHUP: the file is read again, the new check runs" seen '^added 127.0.0.1:8002 unknown up$'
ktap_check "the daemon is still running after the hostile servers" kill -0 "$(bg_pid hd)"

# (bg_wait outside ktap_check: only this shell can wait for the daemon)
kill -TERM "$(bg_pid hd)"
bg_wait hd 10
rc=$?
ktap_check "SIGTERM: exits with status 0" [ "$rc" -eq 0 ]

# exits RC REGEX CMD...: CMD exits RC and says REGEX on stderr.
exits() {
	local want=$1 re=$2 rc

	shift 2
	"$@" >"$NFLB_TMP/x.out" 2>"$NFLB_TMP/x.err" </dev/null
	rc=$?
	[ "$rc" -eq "$want" ] && grep -qE "$re" "$NFLB_TMP/x.err" && return 0
	echo "exit $rc (want $want): $(cat "$NFLB_TMP/x.err")"
	return 1
}
usage_errors() {
	exits 2 'needs --check or --file' "$HD" --dry-run &&
	exits 2 "unknown check type 'smtp'" "$HD" --dry-run --check "smtp 10.0.0.1:25" &&
	exits 2 'timeout must be' "$HD" --dry-run --check "tcp 10.0.0.1:25 interval 1 timeout 3" &&
	exits 2 'need --dry-run' "$HD" --check "tcp 10.0.0.1:25"
}
ktap_check "usage errors: exit 2 with what to fix" usage_errors
no_cap() {
	exits 1 'CAP_NET_ADMIN' setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$HD"
}
ktap_check "without CAP_NET_ADMIN: exit 1, says so" no_cap
if nflb_loaded 2>/dev/null; then
	ktap_skip "without the module: exit 1, says to load it" "nflb is loaded"
else
	ktap_check "without the module: exit 1, says to load it" exits 1 'module loaded' "$HD"
fi
ktap_finish
