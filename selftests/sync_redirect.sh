#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks run via ktap_check
#
# sync_redirect: owner redirect between two active load balancers (issue
# 15, Documentation/sync.rst "Owner redirect").  An asymmetric path: the
# client's packets go to lb A, the member's replies come back through lb
# B (static routes), so neither node sees both directions of a flow:
#
#   client 10.0.1.2 (default via A) --- brc --- A c0 10.0.1.1, B c0 10.0.1.3
#   server 10.0.2.10, .11 (default via B) --- brs --- A s0 .2.1, B s0 .2.3
#   sync segment brx: A 10.0.9.1 (node 1), B 10.0.9.2 (node 2),
#                     fk 10.0.9.3 (a configured peer, node 3, that never
#                     syncs: crafts redirects), ev 10.0.9.4 (no peer)
#
# - both nodes ready, each owns half (owner-share 500, its own and the
#   other's as its peer sees it);
# - 20 TCP downloads of 100 KB and 20 UDP flows work byte-exact from their
#   first packet; both nodes created sessions (sum 20: a SYN at A for a
#   flow B owns went to B, which created it), both redirected;
# - once the records arrived, a connection's packets are not redirected;
#   with a batch delay of 1 s, they arrive at once all the same (the
#   redirected packet asks its owner for them);
# - the member's route moves to A mid-download: A, which saw only the
#   client's side of the flows it made, takes their replies far past the
#   window it last saw (the owner tracks such flows liberally, as the
#   synced copies do), every download byte-exact;
# - a spoofed redirect from an address that is no peer, and one from a
#   peer's address with a wrong MAC, are dropped and counted;
# - valid redirects from fk to B: B creates the sessions of the flows it
#   owns, drops (not_owner) the others and redirects none of them again;
# - with redirect off and sync off the same download fails.
{
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_redirect.sh"

require_root
require_cmds jq python3 socat
require_tools

ktap_header 14
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"

CRAFT=$TOOLS/redirect_craft.py
SCRAFT=$TOOLS/sync_craft.py
KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
NSERVERS=1

redir_topo || ktap_abort "cannot build the topology"

# conf NS: the same services on both nodes (Maglev: the same member anywhere)
conf()
{
	local ns=$1 p

	for p in tcp:80 udp:80 tcp:81 tcp:82; do
		"$LBCTL" -n "$ns" pool add "w${p/:/}" &&
			"$LBCTL" -n "$ns" member add "w${p/:/}" "$SV1:${p#*:}" &&
			# udpecho answers from the primary address: SV1 only for UDP
			{ [ "$p" = udp:80 ] || "$LBCTL" -n "$ns" member add "w${p/:/}" "$SV2:${p#*:}"; } &&
			"$LBCTL" -n "$ns" vs add "w${p/:/}" vip "$VIP" port "${p#*:}" proto "${p%:*}" \
				pool "w${p/:/}" sched mh || return 1
	done
}
conf "$NS_A" && conf "$NS_B" || ktap_abort "cannot configure nflb"

DATA=$NFLB_TMP/data
mkdata "$DATA" 100000
bg dl "$NS_SV" socat -U TCP-LISTEN:80,reuseaddr,fork "OPEN:$DATA,rdonly"
BIG=$NFLB_TMP/big
mkdata "$BIG" 1000000
bg big "$NS_SV" socat -U TCP-LISTEN:82,reuseaddr,fork "OPEN:$BIG,rdonly"
bg udp "$NS_SV" "$UDPECHO" -l -p 80 -n sv
bg conn "$NS_SV" "$TCPCONN" -l -p 81
wait_listen "$NS_SV" 80 && wait_listen "$NS_SV" 80 udp && wait_listen "$NS_SV" 81 &&
	wait_listen "$NS_SV" 82 ||
	ktap_abort "cannot start the servers"

sync_on()
{
	la sync set node-id 1 local "$A_X" peer "$B_X" peer "$FK_X" key "$KEY" "$@" &&
		lbb sync set node-id 2 local "$B_X" peer "$A_X" peer "$FK_X" key "$KEY" "$@"
}

halves()
{
	[ "$(snum "$NS_A" .owner_share)" = 500 ] && [ "$(snum "$NS_B" .owner_share)" = 500 ] &&
		[ "$(snum "$NS_A" ".peers[0].owner_share")" = 500 ] &&
		[ "$(snum "$NS_B" ".peers[0].owner_share")" = 500 ] &&
		[ "$(snum "$NS_A" ".peers[1].owner_share")" = 0 ]
}

# 1
start()
{
	sync_on redirect on || return 1
	# on is the default: save leaves it out
	la save | grep "sync set" | grep -vq redirect || { la save; return 1; }
	la sync wait timeout 20 && lbb sync wait timeout 20 || return 1
	wait_for 10 halves || { la sync show; lbb sync show; return 1; }
	la sync show | grep -qx "redirect on owner-share 500 peer-shares $B_X 500 $FK_X 0"
}
ktap_check "sync with redirect: both ready, each owns half of the flows" start

# 2: downloads, 10 at a time, from client ports 20000..20019
A_TX0=$(snum "$NS_A" .stats.tx_redirected) B_TX0=$(snum "$NS_B" .stats.tx_redirected)
A_C0=$(created "$NS_A") B_C0=$(created "$NS_B")
downloads()
{
	local i j ok=0

	for j in 0 10; do
		for ((i = j; i < j + 10; i++)); do
			bg "get$i" "$NS_CL" timeout 40 socat -u "TCP4:$VIP:80,sourceport=$((20000 + i)),reuseaddr" \
				"CREATE:$NFLB_TMP/got$i"
		done
		for ((i = j; i < j + 10; i++)); do
			bg_wait "get$i" 60 && same_file "$DATA" "$NFLB_TMP/got$i" && ok=$((ok + 1))
		done
	done
	[ "$ok" = 20 ] || { ktap_diag "$ok of 20 downloads byte-exact"; la sync show; lbb sync show; return 1; }
}
ktap_check "20 TCP downloads over the asymmetric path, byte-exact" downloads

# 3
split()
{
	local a b ta tb

	a=$(($(created "$NS_A") - A_C0)) b=$(($(created "$NS_B") - B_C0))
	ta=$(($(snum "$NS_A" .stats.tx_redirected) - A_TX0))
	tb=$(($(snum "$NS_B" .stats.tx_redirected) - B_TX0))
	ktap_diag "sessions created: A $a, B $b; redirected: A $ta, B $tb"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ $((a + b)) = 20 ] && [ "$ta" -gt 0 ] && [ "$tb" -gt 0 ] &&
		[ "$(snum "$NS_A" .stats.rx_redirected)" -gt 0 ] &&
		[ "$(snum "$NS_B" .stats.rx_redirected)" -gt 0 ]
}
ktap_check "each node created the sessions of the flows it owns (sum 20), both redirected" split

# 4: UDP flows from ports 30000..30019, one datagram each way
udp()
{
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP" -p 80 -b 30000 -c 20 -m hello -t 3000 >"$NFLB_TMP/ucl" ||
		{
			ktap_diag "$(grep -v "^reply" "$NFLB_TMP/ucl" | tail -3)"
			ktap_diag "server: $(tail -3 "$(bg_out udp)")"
			la sync show; lbb sync show; la -j stats; lbb -j stats
			la session list; lbb session list
			return 1
		}
	[ "$(grep -c "^reply .* sv len=5 hello" "$NFLB_TMP/ucl")" = 20 ]
}
ktap_check "20 UDP flows answered from their first datagram" udp

ktap_check "with redirect on, the node's own connections to a member work" \
	own_downloads "TCP4:$SV1:80"

# 5: open connections, wait for their records, then send: no redirect
synced()
{
	local i a b

	for i in 0 1 2 3 4 5; do
		bg "keep$i" "$NS_CL" "$TCPCONN" -a "$VIP" -p 81 -b $((21000 + i)) -k 20 -T "$NFLB_TMP/late"
	done
	wait_for 15 eval "[ \$(cat $NFLB_TMP/keep*.out 2>/dev/null | grep -c '^ok') = 6 ]" ||
		{ cat "$NFLB_TMP"/keep*.out; return 1; }
	sleep 1
	a=$(snum "$NS_A" .stats.tx_redirected) b=$(snum "$NS_B" .stats.tx_redirected)
	touch "$NFLB_TMP/late"
	wait_for 15 eval "[ \$(cat $NFLB_TMP/keep*.out | grep -c '^data') = 6 ]" ||
		{ cat "$NFLB_TMP"/keep*.out; return 1; }
	ktap_diag "redirected after the records: A $(($(snum "$NS_A" .stats.tx_redirected) - a)), B $(($(snum "$NS_B" .stats.tx_redirected) - b))"
	[ "$(snum "$NS_A" .stats.tx_redirected)" = "$a" ] && [ "$(snum "$NS_B" .stats.tx_redirected)" = "$b" ]
}
ktap_check "once its records arrived, a connection's packets are not redirected" synced

# 5b: with a batch delay of a second, records still arrive within a few
# milliseconds for flows a peer redirects: the redirected packet (the SYN
# at A of a flow B owns, the SYN-ACK at B of one A owns) makes the owner
# send what it has queued at once.  Right after a connection's handshake
# and first exchange, both nodes have its session (one made it, the other
# has its record).  The refresh pass (the whole of this small table every
# second) may carry a record early too, so 12 tries, every one must find
# both (without the hurry, one in two runs had a try that did not); a
# try that took 0.8 s or more from its connect() proves nothing (the
# delay could have passed).
hurried()
{
	sync_on redirect on delay 1000 || return 1
	la sync wait timeout 20 && lbb sync wait timeout 20 && wait_for 10 halves ||
		{ la sync show; lbb sync show; return 1; }
	la sync show | grep -q "^node-id 1 .* delay 1000 " || { la sync show; return 1; }
	in_ns "$NS_CL" python3 - "$LBCTL" "$NS_A" "$NS_B" "$VIP" <<'PY' | tee "$NFLB_TMP/hurried.log"
import json, socket, subprocess, sys, time
lbctl, na, nb, vip = sys.argv[1:5]


def has(ns, port):
    out = subprocess.run([lbctl, '-n', ns, '-j', 'session', 'list'],
                         capture_output=True, text=True, check=True).stdout
    return any(s.get('client_port') == port for s in json.loads(out or '[]'))


told, keep = 0, []
for port in range(21100, 21112):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('', port))
    t0 = time.monotonic()
    s.connect((vip, 81))
    s.sendall(b'hello\n')
    s.settimeout(10)
    s.recv(100)
    keep.append(s)
    ok = False
    for _ in range(10):
        if has(na, port) and has(nb, port):
            ok = True
            break
        time.sleep(0.02)
    ms = (time.monotonic() - t0) * 1000
    print('client port %d: both nodes have it: %d, %.0f ms after connect()'
          % (port, ok, ms), flush=True)
    if ms >= 800:
        continue
    if not ok:
        sys.exit(1)
    told += 1
if told < 6:
    print('only %d tries within 0.8 s' % told)
    sys.exit(1)
PY
	return "${PIPESTATUS[0]}"
}
ktap_check "with a 1 s batch delay, a redirected flow's record still arrives at once" hurried
ktap_diag "$(cat "$NFLB_TMP/hurried.log" 2>/dev/null)"

# 5c: the return path moves to the owner mid-download (as when the node
# the replies came through dies behind ECMP).  A node that made a flow's
# session saw only the client's side of it, the member's data not at all;
# once the replies come through it, far past the window of the handshake,
# it must pass them, their FIN included (sync.rst: with redirect on, the
# owner tracks TCP liberally).  8 downloads of 1 MB with a small receive
# buffer stop at 256 KiB until the member's route moved to A, then
# finish: every one byte-exact, among them flows A made, and none of
# their segments refused as out of window.  A's copies of B's flows are
# made from records in objects that held UDP sessions last (64 UDP flows,
# flushed): a copy is tracked liberally because it is TCP, whatever the
# object held before.
cat >"$NFLB_TMP/moved.py" <<'PY'
import os, socket, sys, time
vip, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = open(tmp + '/big', 'rb').read()
socks, got = [], []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.bind(('', 21200 + i))
    s.settimeout(20)
    s.connect((vip, 82))
    socks.append(s)
    got.append(bytearray())


def read(i, upto):
    while len(got[i]) < upto:
        b = socks[i].recv(65536)
        if not b:
            return
        got[i] += b


for i in range(n):
    read(i, 256 * 1024)
open(tmp + '/moved.half', 'w').close()
while not os.path.exists(tmp + '/moved.gate'):
    time.sleep(0.05)
bad = 0
for i in range(n):
    try:
        read(i, len(want) + 1)
    except socket.timeout:
        print('client port %d: stalled at %d bytes' % (21200 + i, len(got[i])))
    if got[i] != want:
        bad += 1
print('%d of %d downloads byte-exact' % (n - bad, n))
sys.exit(1 if bad else 0)
PY
moved()
{
	local own rc w0 w

	sync_on redirect on && la sync wait timeout 20 && lbb sync wait timeout 20 &&
		wait_for 10 halves || { la sync show; lbb sync show; return 1; }
	# A's free session objects held UDP flows last: the copies A makes
	# of B's flows, from records, reuse them, and are TCP all the same
	in_ns "$NS_CL" "$UDPECHO" -a "$VIP" -p 80 -b 30100 -c 64 -m hello -t 3000 >/dev/null &&
		la session flush && sleep 1 || return 1
	w0=$(json_num "$(la -j stats)" drop_out_of_window)
	rm -f "$NFLB_TMP/moved.half" "$NFLB_TMP/moved.gate"
	bg moved "$NS_CL" python3 "$NFLB_TMP/moved.py" "$VIP" "$NFLB_TMP" 8
	wait_for 60 test -e "$NFLB_TMP/moved.half" ||
		{ bg_stop moved; cat "$(bg_out moved)"; return 1; }
	own=$(la -j session list | jq '[.[] | select(.vip_port == 82 and .owner == 1)] | length')
	ip -n "$NS_SV" route replace default via 10.0.2.1
	touch "$NFLB_TMP/moved.gate"
	bg_wait moved 90
	rc=$?
	ip -n "$NS_SV" route replace default via 10.0.2.3
	w=$(($(json_num "$(la -j stats)" drop_out_of_window) - w0))
	echo "$(cat "$(bg_out moved)"); A made $own of them, has copies of the rest;" \
		"A dropped $w out of window" >"$NFLB_TMP/moved.log"
	# none made by A: the check proves nothing (1 in 256).  A drop: a
	# segment (a FIN) refused until a refresh made the copy liberal
	[ "$rc" = 0 ] && [ "${own:-0}" -gt 0 ] && [ "$w" = 0 ]
}
ktap_check "the return path moves to the owner mid-download: every download byte-exact" moved
ktap_diag "$(cat "$NFLB_TMP/moved.log" 2>/dev/null)"

# 6
spoofed()
{
	local np bm mf c

	np=$(snum "$NS_B" .stats.redirect_drop_not_peer) bm=$(snum "$NS_B" .stats.redirect_drop_bad_mac)
	mf=$(snum "$NS_B" .stats.redirect_drop_malformed)
	c=$(created "$NS_B")
	in_ns "$NS_EV" python3 "$CRAFT" --key "$KEY" --src "$EV_X" --dst "$B_X" \
		--client "$CL" --vip "$VIP" --vport 80 40000 40001 40002 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X" --dst "$B_X" --bad-mac \
			--client "$CL" --vip "$VIP" --vport 80 40003 40004 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X" --dst "$B_X" \
			--label "nflb sync" --client "$CL" --vip "$VIP" --vport 80 40005 &&
		in_ns "$NS_FK" python3 "$CRAFT" --key "$KEY" --src "$FK_X" --dst "$B_X" \
			--version 1 --label "nflb sync" --client "$CL" --vip "$VIP" --vport 80 40006 ||
		return 1
	wait_for 5 eval "[ \$(snum $NS_B .stats.redirect_drop_not_peer) = $((np + 3)) ] &&
		[ \$(snum $NS_B .stats.redirect_drop_bad_mac) = $((bm + 3)) ] &&
		[ \$(snum $NS_B .stats.redirect_drop_malformed) = $((mf + 1)) ]" ||
		{ lbb sync show; return 1; }
	[ "$(created "$NS_B")" = "$c" ]
}
ktap_check "redirects from no peer, with a wrong MAC, under sync's key or of version 1 are dropped and counted" spoofed

# 7: 16 valid redirects of SYNs, from fk to B: B owns about half
# shellcheck disable=SC2046 # the ports, a word each
ktap_check "a redirect to a node that does not own the flow is dropped, not sent back" \
	crafted_split --src "$FK_X" --dst "$B_X" --client "$CL" --vip "$VIP" --vport 80 \
	$(seq 41000 41015)

# 8: the REDIRECT flag of redirect version 1 (bit 3) makes no owner; that
# of version 2 (bit 4) does: fk's heartbeats, crafted (sync_craft.py)
fk_state() { "$LBCTL" -n "$NS_B" -j sync show | jq -r '.peers[1].state'; }
fk_owner() { [ "$(fk_state)" = up ] && [ "$(snum "$NS_B" ".peers[1].owner_share")" = "$1" ]; }
fk_up() { [ "$(fk_state)" = up ]; }
fk_gone() { [ "$(fk_state)" = down ] && [ "$(snum "$NS_B" .owner_share)" = 500 ]; }
redirect_flags()
{
	local e=$((RANDOM + 1000)) i hb=()

	# From one process (a start of python is slow on a debug kernel, and fk
	# must not fall silent for the peer TTL, 3 s, between two): heartbeats
	# every 0.5 s, READY and bit 3 for 4 s, then READY and bit 4 for 4 s
	for i in $(seq 1 16); do
		hb+=(heartbeat "$i" "$NFLB_TMP/hb" "flags=$((i <= 8 ? 9 : 17))" + sleep 0.5 +)
	done
	bg fkhb "$NS_FK" python3 "$SCRAFT" "$FK_X" "$B_X" "$KEY" 3 "$e" "${hb[@]}" sleep 0
	# up, and a tick of B's (owners are computed every second) after it
	wait_for 10 fk_up && sleep 1.5 &&
		fk_owner 0 && [ "$(snum "$NS_B" .owner_share)" = 500 ] ||
		{ bg_stop fkhb; lbb -j sync show; return 1; }
	wait_for 6 fk_owner 333 || { bg_stop fkhb; lbb -j sync show; return 1; }
	bg_wait fkhb 20 || return 1
	# silent, fk is down after the peer TTL and owns nothing again
	wait_for 12 fk_gone || { lbb -j sync show; return 1; }
}
ktap_check "a peer whose heartbeats say redirect of version 1 owns no flow; of version 2 it does" \
	redirect_flags

# 9: redirect is on by default; off is saved and shown, and a node that
# runs with it off owns nothing, also in the view of a peer that has it on
saved()
{
	sync_on || return 1
	la sync show | grep -q "^redirect on " || { la sync show; return 1; }
	lbb sync set node-id 2 local "$B_X" peer "$A_X" peer "$FK_X" key "$KEY" redirect off &&
		lbb sync wait timeout 20 && la sync wait timeout 20 || return 1
	lbb save | grep -q "sync set .* redirect off key HEX" &&
		lbb sync show | grep -qx "redirect off owner-share 0 peer-shares $A_X 0 $FK_X 0" ||
		{ lbb save; lbb sync show; return 1; }
	# B is ready and heard so: A's owner set is computed every second;
	# three ticks later it would have taken B in, were B an owner
	sleep 3
	[ "$(snum "$NS_A" .owner_share)" = 1000 ] &&
		[ "$(snum "$NS_A" ".peers[0].owner_share")" = 0 ] ||
		{ la sync show; return 1; }
}
ktap_check "redirect on by default; redirect off saved, shown, and owning nothing for a peer with it on" saved

# 10
ktap_check "without sync and redirect, the same download fails" \
	sync_off_fails "TCP4:$VIP:80,sourceport=22000,reuseaddr"

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
