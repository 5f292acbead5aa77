#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015,SC2016 # checks run via ktap_check; eval strings
#
# sync_basic: session sync between two load balancers (issue 14,
# Documentation/sync.rst).  lb (node 1) carries the traffic; lb2 (node 2)
# has the same virtual servers and members and is connected to lb by a
# sync segment (a bridge in lb), where a third namespace, fk, plays a
# configured peer whose datagrams the test crafts (tools/sync_craft.py:
# the wire format and its XChaCha20-Poly1305 MAC written independently in
# Python).
# - sync set/show/wait work on both; both become ready; each sees the
#   other up with its node id, and lbctl monitor shows the transition;
# - a connection opened before lb2 joined reaches lb2 by bulk resync, one
#   opened after by live sync: same VS, member, state, owner 1;
# - a flow that goes on without a state change has its timer refreshed on
#   the peer;
# - a session deleted on its owner is deleted on the peer (a delete on the
#   wire), one that runs out there (a UDP flow) is not: it runs out on
#   the peer too;
# - a connection that closes after its record left: a close record on the
#   wire after its session record, and the peer's copy closed too, with
#   the closed state's timer;
# - with 20% of the sync datagrams lost and some reordered (netem), the
#   tables still converge (the refresh pass repairs);
# - records for a VS or member lb2 lacks are counted, not installed;
# - sync over IPv6 works too (set replaces the running sync);
# - from fk: a datagram with the right key is accepted (and its session
#   record installed, owner 3), the same datagram again is a replay, one
#   under a wrong key, a short one and one with a bad record are dropped,
#   each counted by its own counter; a forged record installs nothing;
# - a close record from fk closes its own session on lb, never lb's;
# - wire version 2 (the MAC keyed per direction): a datagram of lb2 to lb
#   reflected to lb2 from lb's address, and one of lb to fk replayed to
#   lb2, fail the MAC and leave lb up on lb2; fk's datagrams claiming lb's
#   or lb2's node id, another id than first heard, or another addressee
#   are refused; a new epoch with a stale timestamp is refused, a fresh
#   one accepted, an older epoch only once the current one went silent;
#   a NACK of ~80 overlapping ranges resends each datagram at most once.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds jq python3
require_tools

ktap_header 36
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"

CRAFT=$TOOLS/sync_craft.py
NS_LB2="$NFLB_PFX-lb2"
NS_FK="$NFLB_PFX-fk"
KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
LB1_IP=10.0.100.1 LB2_IP=10.0.100.2 FK_IP=10.0.100.3

# the sync segment: bridge "sbr" in lb, lb2 and fk on it
sync_topo()
{
	_ns_init "$NS_LB2" && _ns_init "$NS_FK" || return 1
	ip -n "$NS_LB" link add sbr type bridge && ip -n "$NS_LB" link set sbr up &&
		ip -n "$NS_LB" addr add "$LB1_IP"/24 dev sbr || return 1
	_link "$NS_LB" sy2 "$NS_LB2" eth0 && _link "$NS_LB" syf "$NS_FK" eth0 || return 1
	ip -n "$NS_LB" link set sy2 master sbr && ip -n "$NS_LB" link set syf master sbr &&
		ip -n "$NS_LB2" addr add "$LB2_IP"/24 dev eth0 &&
		ip -n "$NS_FK" addr add "$FK_IP"/24 dev eth0
}
sync_topo || ktap_abort "cannot build the sync segment"

lb2() { "$LBCTL" -n "$NS_LB2" "$@"; }

# The same services on both ("hold", "mx" with another member on each) and
# one only on lb ("only1").  lb_service configures $NS_LB.
srv_tcpconn 82 -p 83 -p 84 || ktap_abort "cannot start the servers"
conf_services()
{
	lb_service hold "$VIP4" 82 tcp &&
		lbq pool add mx && lbq member add mx "$(server4 "$1"):84" &&
		lbq vs add mx vip "$VIP4" port 84 proto tcp pool mx
}
conf_services 1 && NS_LB=$NS_LB2 conf_services 2 &&
	lb_service only1 "$VIP4" 83 tcp || ktap_abort "cannot configure nflb"

# sync_num NS KEY: a sync counter (jq path under .stats), -1 if unreadable
sync_num()
{
	local v

	v=$("$LBCTL" -n "$1" -j sync show 2>/dev/null | jq -r ".stats.$2") && [[ $v =~ ^[0-9]+$ ]] &&
		{ echo "$v"; return 0; }
	echo -1
	return 1
}

# sync_grew NS KEY BEFORE: the counter is above BEFORE
sync_grew()
{
	[ "$(sync_num "$1" "$2")" -gt "$3" ]
}

# peer_json NS ADDR: that peer's object of sync show
peer_json()
{
	"$LBCTL" -n "$1" -j sync show | jq -c ".peers[] | select(.addr == \"$2\")"
}

# session_on NS CLIENT_PORT: the session of that client port (JSON) or nothing
session_on()
{
	"$LBCTL" -n "$1" -j session list | jq -c ".[] | select(.client_port == $2)"
}

# 1: lb starts syncing alone and is ready after no peer answered
lb1_ready()
{
	lb sync set node-id 1 local "$LB1_IP" peer "$LB2_IP" peer "$FK_IP" key "$KEY" redirect off || return 1
	lb sync wait timeout 20 || { lb sync show; return 1; }
	lb -j sync show | jq -e '.ready == true and .node_id == 1 and .port == 7788 and
		(.peers | length) == 2' >/dev/null || { lb -j sync show; return 1; }
}
ktap_check "sync set; alone, the node becomes ready (sync wait exits 0)" lb1_ready

# 2: a connection before lb2 joins
bg early "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b 41301 -k 120
wait_for 15 grep_out early '^ok' || ktap_diag "early: $(cat "$(bg_out early)")"

# sync wait fails (exit 1, a message) when sync is off
wait_exit()
{
	local rc

	lb2 sync wait timeout 1 2>"$NFLB_TMP/wait.err"
	rc=$?
	cat "$NFLB_TMP/wait.err"
	[ "$rc" -eq 1 ] && grep -q "sync is not configured" "$NFLB_TMP/wait.err"
}
ktap_check "sync wait without sync: exit 1, says why" wait_exit

# lbctl monitor on lb sees lb2 come up: listening once it reported a
# probe change (lb2's first datagram makes it up at once, before a monitor
# started just now may be listening)
bg mon - "$LBCTL" -n "$NS_LB" monitor
for ((i = 0; i < 50; i++)); do
	lbq pool add "mprobe$i" >/dev/null && grep -q "^pool add mprobe$i" "$(bg_out mon)" && break
	sleep 0.2
done

lb2_ready()
{
	lb2 sync set node-id 2 local "$LB2_IP" peer "$LB1_IP" key "$KEY" redirect off || return 1
	lb2 sync wait timeout 30 || { lb2 sync show; return 1; }
	lb2 -j sync show | jq -e '.ready == true' >/dev/null
}
ktap_check "a joining node becomes ready after its bulk resync" lb2_ready

peers_up()
{
	local a b

	a=$(peer_json "$NS_LB" "$LB2_IP") b=$(peer_json "$NS_LB2" "$LB1_IP")
	echo "lb sees: $a"
	echo "lb2 sees: $b"
	json_is "$a" '.state == "up" and .node_id == 2 and .rx_datagrams > 0' &&
		json_is "$b" '.state == "up" and .node_id == 1 and .rx_records > 0' &&
		json_is "$(peer_json "$NS_LB" "$FK_IP")" '.state == "down" and .node_id == 0'
}
ktap_check "peers up with their node ids; a silent peer down" wait_for 10 peers_up

show_text()
{
	lb sync show >"$NFLB_TMP/show.txt" || return 1
	cat "$NFLB_TMP/show.txt"
	grep -q '^node-id 1 local 10\.0\.100\.1 port 7788 rate 100000 delay 50 ready yes$' "$NFLB_TMP/show.txt" &&
		grep -q '^peer 10\.0\.100\.2 node-id 2 state up last-seen-ms [0-9]* lag-ms [0-9]* tx-datagrams [1-9][0-9]* rx-datagrams [1-9][0-9]* rx-records [0-9]*$' "$NFLB_TMP/show.txt" &&
		grep -q '^peer 10\.0\.100\.3 node-id 0 state down last-seen-ms 0 ' "$NFLB_TMP/show.txt" &&
		grep -q '^counters tx-datagrams [0-9]* tx-records [0-9]* tx-errors [0-9]* tx-dropped 0 rx-datagrams [0-9]* .* rx-bad-mac 0 rx-replay 0 rx-malformed 0 ' "$NFLB_TMP/show.txt" &&
		! grep -qi "$KEY" "$NFLB_TMP/show.txt"
}
ktap_check "sync show as text: configuration, a line per peer, counters, never the key" show_text

peer_event()
{
	wait_for 5 grep_out mon '^sync peer 10\.0\.100\.2 node-id 2 state up$' ||
		{ cat "$(bg_out mon)"; return 1; }
}
ktap_check "a peer's transition is an event on lbctl monitor" peer_event

# same_session PORT: lb2 has lb's session of that client port, same member,
# established, owner 1
same_session()
{
	local a b

	a=$(session_on "$NS_LB" "$1") b=$(session_on "$NS_LB2" "$1")
	echo "lb: ${a:-none}"
	echo "lb2: ${b:-none}"
	[ -n "$a" ] && [ -n "$b" ] &&
		[ "$(jq -r .member <<<"$a")" = "$(jq -r .member <<<"$b")" ] &&
		json_is "$a" '.owner == 1 and .state == "established"' &&
		json_is "$b" '.owner == 1 and .state == "established" and .vs == "hold" and
			.member_port == 82 and .expires_ms > 600000'
}
ktap_check "a session from before the join came by bulk resync" wait_for 10 same_session 41301

bg late "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b 41302 -k 120 -T "$NFLB_TMP/late.go"
wait_for 15 grep_out late '^ok' || ktap_diag "late: $(cat "$(bg_out late)")"
ktap_check "a new connection's session reaches the peer" wait_for 10 same_session 41302

# The flow goes on (one more segment each way) without a state change: the
# owner's timer starts over, and the refresh carries that to the peer.
expires_on() { jq -r .expires_ms <<<"$(session_on "$1" "$2")"; }
refreshed()
{
	local e1

	sleep 3
	e1=$(expires_on "$NS_LB2" 41302)
	echo "lb2 expires in $e1 ms before the segment"
	touch "$NFLB_TMP/late.go"
	wait_for 10 grep_out late '^sent late' || return 1
	wait_for 10 eval '[ "$(expires_on "$NS_LB2" 41302)" -gt $((e1 + 1500)) ]' ||
		{ echo "lb2 expires in $(expires_on "$NS_LB2" 41302) ms, lb in $(expires_on "$NS_LB" 41302) ms"; return 1; }
}
ktap_check "a busy flow's timer is refreshed on the peer" refreshed

# What goes on the wire when sessions end, seen in lb's datagrams to fk
# (whole datagrams: tools/sync_records.py lists their records).  A UDP flow
# to "brief" (a 2-second timeout on both nodes) runs out on lb in the
# state its record told lb2; the flush below ends hold's sessions early.
brief_flow()
{
	local ns

	srv_udpecho 86 || return 1
	for ns in "$NS_LB" "$NS_LB2"; do
		"$LBCTL" -n "$ns" pool add brief &&
			"$LBCTL" -n "$ns" member add brief "$(server4 1):86" &&
			"$LBCTL" -n "$ns" vs add brief vip "$VIP4" port 86 proto udp pool brief &&
			"$LBCTL" -n "$ns" timeout set vs brief udp 2 || return 1
	done
	CAP_SNAPLEN=0 cap_start rec "$NS_FK" eth0 "udp port 7788 or icmp" || return 1
	ip netns exec "$NS_CL" python3 -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('10.0.1.2', 41310))
s.sendto(b'x', ('$VIP4', 86))" || return 1
	wait_for 10 eval '[ -n "$(session_on "$NS_LB2" 41310)" ]'
}
brief_flow || ktap_diag "cannot start the brief UDP flow"

# A connection that lasts longer than the batch delay (50 ms) and closes:
# its session record leaves first, its close as a close record; lb2's copy
# closes as lb's did, with the closed state's timer (TIME_WAIT 120 s, not
# ESTABLISHED's 900 s).
closed_on_peer()
{
	local a b

	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b 41309 -k 1 >/dev/null ||
		{ echo "connection from 41309 failed"; return 1; }
	both_closed()
	{
		a=$(session_on "$NS_LB" 41309) b=$(session_on "$NS_LB2" 41309)
		[ -n "$a" ] && [ -n "$b" ] &&
			json_is "$a" '.state == "time-wait" or .state == "close"' &&
			[ "$(jq -r .state <<<"$a")" = "$(jq -r .state <<<"$b")" ] &&
			json_is "$b" '.owner == 1 and .expires_ms <= 120000'
	}
	wait_for 10 both_closed || { echo "lb: ${a:-none}"; echo "lb2: ${b:-none}"; return 1; }
}
ktap_check "a connection's close reaches the peer, its copy closes" closed_on_peer

# deletion on the owner propagates
deleted()
{
	lb session flush vs hold client 10.0.1.2 || return 1
	wait_for 10 eval '[ -z "$(session_on "$NS_LB2" 41302)" ] && [ -z "$(session_on "$NS_LB2" 41301)" ]' ||
		{ lb2 session list; return 1; }
}
ktap_check "sessions deleted on their owner are deleted on the peer" deleted

# A session that runs out on its owner in a state its peers were told of
# runs out on them too: no delete for it, only its creation; the flushed
# ones (ended early) had their deletes.
ends_on_wire()
{
	local recs

	wait_for 15 eval '[ -z "$(session_on "$NS_LB" 41310)" ] && [ -z "$(session_on "$NS_LB2" 41310)" ]' ||
		{ echo "41310 still on lb: $(session_on "$NS_LB" 41310); on lb2: $(session_on "$NS_LB2" 41310)"; return 1; }
	cap_sync rec "$NS_LB" "$FK_IP" && cap_stop rec || return 1
	recs=$("$TOOLS/sync_records.py" "$NFLB_TMP/rec.pcap" "$LB1_IP") || return 1
	grep -E ' (41302|41309|41310)( |$)' <<<"$recs"
	# 41309: its session record (the refresh may send it again), then its
	# close record, then the flush's delete
	grep -E '^[a-z]+ tcp 41309( |$)' <<<"$recs" | cut -d' ' -f1 | tr '\n' ' ' |
		grep -qxE '(session )+close delete ' &&
		grep -qx 'session udp 41310 [0-9]*' <<<"$recs" &&
		! grep -q '^delete udp 41310$' <<<"$recs" &&
		grep -qx 'delete tcp 41302' <<<"$recs"
}
ktap_check "a session that runs out is not deleted on the wire; one ended early is" ends_on_wire
bg_stop early
bg_stop late

# Sync datagrams to lb2 lost (20%) and reordered: the refresh repairs what
# is lost, the tables converge.
lossy()
{
	local p a b n=0 nacks resent

	nacks=$(sync_num "$NS_LB2" tx_nacks) resent=$(sync_num "$NS_LB" tx_resent)
	in_ns "$NS_LB" tc qdisc add dev sy2 root netem loss 20% delay 10ms reorder 25% 50% ||
		{ echo "tc netem failed"; return 1; }
	for p in $(seq 41310 41329); do
		in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b "$p" >/dev/null || echo "connection from $p failed"
	done
	converged()
	{
		for p in $(seq 41310 41329); do
			a=$(session_on "$NS_LB" "$p") b=$(session_on "$NS_LB2" "$p")
			[ -n "$a" ] && [ -n "$b" ] &&
				[ "$(jq -r '.member + .state' <<<"$a")" = "$(jq -r '.member + .state' <<<"$b")" ] ||
				return 1
		done
	}
	wait_for 60 converged || n=1
	in_ns "$NS_LB" tc qdisc del dev sy2 root
	echo "lb2 received $(sync_num "$NS_LB2" rx_datagrams) datagrams, sent $(sync_num "$NS_LB2" tx_nacks) NACKs, lost $(sync_num "$NS_LB2" rx_lost)"
	echo "lb resent $(sync_num "$NS_LB" tx_resent) datagrams"
	[ "$n" = 0 ] || { echo "not converged"; lb2 session list; return 1; }
	# the losses were noticed and repaired by resending
	sync_grew "$NS_LB2" tx_nacks "$nacks" && sync_grew "$NS_LB" tx_resent "$resent"
}
if in_ns "$NS_LB" tc qdisc add dev lo root netem delay 0ms 2>/dev/null &&
	in_ns "$NS_LB" tc qdisc del dev lo root; then
	ktap_check "20 connections, 20% of sync datagrams lost, some reordered: NACKed, resent, the tables converge" lossy
else
	ktap_skip "20 connections with 20% of sync datagrams lost: the tables converge" "no netem (sch_netem)"
fi

unknown_vs()
{
	local b

	b=$(sync_num "$NS_LB2" rx_unknown_vs)
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 83 -b 41303 || return 1
	wait_for 10 sync_grew "$NS_LB2" rx_unknown_vs "$b" || { lb2 sync show; return 1; }
	[ -z "$(session_on "$NS_LB2" 41303)" ]
}
ktap_check "a record for a VS the peer lacks: rx_unknown_vs, not installed" unknown_vs

unknown_member()
{
	local b

	b=$(sync_num "$NS_LB2" rx_unknown_member)
	in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p 84 -b 41304 || return 1
	wait_for 10 sync_grew "$NS_LB2" rx_unknown_member "$b" || { lb2 sync show; return 1; }
	[ -z "$(session_on "$NS_LB2" 41304)" ]
}
ktap_check "a record for a member the peer lacks: rx_unknown_member, not installed" unknown_member

# --- crafted datagrams from fk (node 3) -------------------------------------
EPOCH=$(python3 -c 'import time; print(time.time_ns())')
craft() { in_ns "$NS_FK" python3 "$CRAFT" "$FK_IP" "$LB1_IP" "$KEY" 3 "$EPOCH" "$@"; }

valid_then_replay()
{
	local r d

	d=$(jq -r .rx_datagrams <<<"$(peer_json "$NS_LB" "$FK_IP")")
	r=$(sync_num "$NS_LB" rx_replay)
	craft heartbeat 1 "$NFLB_TMP/hb1" || return 1
	wait_for 10 eval 'json_is "$(peer_json "$NS_LB" "$FK_IP")" ".rx_datagrams == $((d + 1)) and .node_id == 3"' ||
		{ echo "crafted heartbeat not accepted"; lb sync show; return 1; }
	craft replay "$NFLB_TMP/hb1" || return 1
	wait_for 10 sync_grew "$NS_LB" rx_replay "$r" || { lb sync show; return 1; }
	json_is "$(peer_json "$NS_LB" "$FK_IP")" ".rx_datagrams == $((d + 1))"
}
ktap_check "a well-keyed datagram is accepted; the same again is a replay (rx_replay)" valid_then_replay

wrong_key()
{
	local b

	b=$(sync_num "$NS_LB" rx_bad_mac)
	craft wrongkey 2 || return 1
	craft session 3 10.0.1.2 41399 "$VIP4" 82 "$(server4 1)" 82 wrongkey || return 1
	wait_for 10 eval '[ "$(sync_num "$NS_LB" rx_bad_mac)" -ge $((b + 2)) ]' || { lb sync show; return 1; }
	[ -z "$(session_on "$NS_LB" 41399)" ]
}
ktap_check "datagrams under a wrong key are dropped (rx_bad_mac), a forged session is not installed" wrong_key

malformed()
{
	local b

	b=$(sync_num "$NS_LB" rx_malformed)
	craft short + big + badrec 4 || return 1
	wait_for 10 eval '[ "$(sync_num "$NS_LB" rx_malformed)" -ge $((b + 3)) ]' || { lb sync show; return 1; }
}
ktap_check "a short datagram, an oversize one and a malformed record are dropped (rx_malformed)" malformed

# Wire version 3 authenticates with XChaCha20-Poly1305: a version 2 node's
# datagram (its keyed BLAKE2s MAC, right for a version 2 peer) fails the MAC;
# one whose version byte says 2 under a valid MAC is refused by the version
# check (rx_malformed).  Neither reaches fk's peer state.
old_version()
{
	local m b d

	d=$(jq -r .rx_datagrams <<<"$(peer_json "$NS_LB" "$FK_IP")")
	m=$(sync_num "$NS_LB" rx_bad_mac)
	b=$(sync_num "$NS_LB" rx_malformed)
	craft v2 20 || return 1
	wait_for 10 sync_grew "$NS_LB" rx_bad_mac "$m" || { lb sync show; return 1; }
	craft badversion 21 || return 1
	wait_for 10 sync_grew "$NS_LB" rx_malformed "$b" || { lb sync show; return 1; }
	json_is "$(peer_json "$NS_LB" "$FK_IP")" ".rx_datagrams == $d"
}
ktap_check "a version 2 datagram fails the MAC (rx_bad_mac); version 2 under a valid MAC is refused (rx_malformed)" old_version

installed()
{
	local s

	craft session 5 10.0.1.2 41398 "$VIP4" 82 "$(server4 2)" 82 || return 1
	wait_for 10 eval '[ -n "$(session_on "$NS_LB" 41398)" ]' || { lb sync show; return 1; }
	s=$(session_on "$NS_LB" 41398)
	echo "$s"
	json_is "$s" ".owner == 3 and .state == \"established\" and .member == \"$(server4 2)\""
}
ktap_check "a session record from a peer is installed as it says (owner 3)" installed

# A window scale the datapath never makes (above 14) would shift a u32 by
# up to 254 bits on every segment of the installed session.
bad_wscale()
{
	local b

	b=$(sync_num "$NS_LB" rx_malformed)
	craft session 6 10.0.1.2 41397 "$VIP4" 82 "$(server4 2)" 82 wscale=15 || return 1
	wait_for 10 eval '[ "$(sync_num "$NS_LB" rx_malformed)" -gt "$b" ]' || { lb sync show; return 1; }
	[ -z "$(session_on "$NS_LB" 41397)" ] || { echo "installed: $(session_on "$NS_LB" 41397)"; return 1; }
}
ktap_check "a record with a window scale above 14 is refused (rx_malformed), nothing installed" bad_wscale

# Split brain: a peer (node 3) sends its record of a session this node (1)
# made with the same member.  The lower id stays the owner on both, or
# neither node refreshes the session on the other.
lower_owner()
{
	local s m rx0

	bg own "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b 41396 -k 60 -T "$NFLB_TMP/own.go"
	wait_for 15 grep_out own '^ok' || { cat "$(bg_out own)"; return 1; }
	s=$(session_on "$NS_LB" 41396)
	json_is "$s" '.owner == 1' || { echo "before: $s"; return 1; }
	m=$(jq -r .member <<<"$s")
	# shellcheck disable=SC2034 # read by the eval string below
	rx0=$(jq -r .rx_records <<<"$(peer_json "$NS_LB" "$FK_IP")")
	craft session 7 10.0.1.2 41396 "$VIP4" 82 "$m" 82 || return 1
	wait_for 10 eval '[ "$(jq -r .rx_records <<<"$(peer_json "$NS_LB" "$FK_IP")")" -gt "$rx0" ]' ||
		{ lb sync show; return 1; }
	s=$(session_on "$NS_LB" 41396)
	echo "after: $s"
	json_is "$s" ".owner == 1 and .member == \"$m\""
}
ktap_check "a peer's record of a session made here keeps the lower node id as its owner" lower_owner

# Records apply in the order their owner sent them: fk's delete (seq 9)
# arrives before the create it follows (seq 8, as if resent after a loss);
# applied as they come, the create would leave a session nobody deletes.
in_order()
{
	local n

	craft delete 9 10.0.1.2 41395 "$VIP4" 82 + \
		session 8 10.0.1.2 41395 "$VIP4" 82 "$(server4 2)" 82 || return 1
	wait_for 10 eval '[ "$(jq -r .rx_datagrams <<<"$(peer_json "$NS_LB" "$FK_IP")")" -ge $((rx_before + 2)) ]' ||
		{ lb sync show; return 1; }
	sleep 1
	n=$(session_on "$NS_LB" 41395)
	[ -z "$n" ] || { echo "the create outlived its delete: $n"; return 1; }
}
# shellcheck disable=SC2034 # read by in_order's eval string
rx_before=$(jq -r .rx_datagrams <<<"$(peer_json "$NS_LB" "$FK_IP")")
ktap_check "records apply in their sender's order: a delete that overtook its create wins" in_order

# Close records (type 3): only the owner closes its session on a peer.  fk
# (node 3) closing lb's own session 41396, in its own name or in lb's, is
# ignored; closing its own 41398 (installed above) closes lb's copy, with
# the closed state's timer.
peer_closes()
{
	local s

	craft close 10 10.0.1.2 41396 "$VIP4" 82 + close 11 10.0.1.2 41396 "$VIP4" 82 owner=1 + \
		close 12 10.0.1.2 41398 "$VIP4" 82 || return 1
	wait_for 10 eval 'json_is "$(session_on "$NS_LB" 41398)" ".state == \"time-wait\""' ||
		{ echo "41398: $(session_on "$NS_LB" 41398)"; lb sync show; return 1; }
	s=$(session_on "$NS_LB" 41398)
	echo "41398: $s"
	json_is "$s" '.owner == 3 and .expires_ms <= 60000' || return 1
	s=$(session_on "$NS_LB" 41396)
	echo "41396: $s"
	json_is "$s" '.owner == 1 and .state == "established" and .expires_ms > 120000'
}
ktap_check "a close record closes the sender's own session only" peer_closes

# sync_atleast NS KEY N: the counter is at least N
sync_atleast() { [ "$(sync_num "$1" "$2")" -ge "$3" ]; }
peer_rx() { jq -r .rx_datagrams <<<"$(peer_json "$1" "$2")"; }

# lb1 stays up on lb2 and its datagrams keep being accepted
lb1_fine_on_lb2()
{
	local d

	d=$(peer_rx "$NS_LB2" "$LB1_IP")
	# a few more heartbeats (one a second) accepted, however slow the kernel
	wait_for 20 eval 'json_is "$(peer_json "$NS_LB2" "$LB1_IP")" ".state == \"up\" and .rx_datagrams > $((d + 2))"' ||
		{ echo "lb2 no longer accepts lb's datagrams:"; lb2 sync show; return 1; }
}

# lb2's newer epoch sent back to lb2 as if from lb: version 1 took it for
# lb restarted, and refused all of lb's real datagrams from then on.
reflected()
{
	local b

	b=$(sync_num "$NS_LB2" rx_bad_mac)
	in_ns "$NS_LB" python3 "$CRAFT" 0 0 "$KEY" 0 0 capture sy2 "$LB2_IP" "$LB1_IP" "$NFLB_TMP/d21" ||
		return 1
	in_ns "$NS_FK" python3 "$CRAFT" 0 "$LB2_IP" "$KEY" 0 0 spoof "$LB1_IP" "$NFLB_TMP/d21" || return 1
	wait_for 10 sync_grew "$NS_LB2" rx_bad_mac "$b" || { lb2 sync show; return 1; }
	lb1_fine_on_lb2
}
ktap_check "lb2's datagram reflected to lb2 from lb's address: bad MAC, lb stays up on lb2" reflected

# lb's datagram to fk replayed to lb2 (another seq space of lb's)
other_addressee()
{
	local b

	b=$(sync_num "$NS_LB2" rx_bad_mac)
	in_ns "$NS_LB" python3 "$CRAFT" 0 0 "$KEY" 0 0 capture syf "$LB1_IP" "$FK_IP" "$NFLB_TMP/d13" ||
		return 1
	in_ns "$NS_FK" python3 "$CRAFT" 0 "$LB2_IP" "$KEY" 0 0 spoof "$LB1_IP" "$NFLB_TMP/d13" || return 1
	wait_for 10 sync_grew "$NS_LB2" rx_bad_mac "$b" || { lb2 sync show; return 1; }
	lb1_fine_on_lb2
}
ktap_check "lb's datagram to fk replayed to lb2: bad MAC, lb stays up on lb2" other_addressee

# fk was heard as node 3: its address keeps that id; no peer may use lb's
# own id or lb2's, nor address another node
node_ids()
{
	local u d

	u=$(sync_num "$NS_LB" rx_unknown_peer) d=$(peer_rx "$NS_LB" "$FK_IP")
	craft heartbeat 13 "$NFLB_TMP/x" node=1 + heartbeat 14 "$NFLB_TMP/x" node=2 + \
		heartbeat 15 "$NFLB_TMP/x" node=4 + heartbeat 16 "$NFLB_TMP/x" to=2 || return 1
	wait_for 10 sync_atleast "$NS_LB" rx_unknown_peer $((u + 4)) || { lb sync show; return 1; }
	json_is "$(peer_json "$NS_LB" "$FK_IP")" ".node_id == 3 and .rx_datagrams == $d" || return 1
	# the first conflict is logged
	dmesg_new | grep "nflb: sync peer $FK_IP uses this node's id 1 (this node is 1)" ||
		{ dmesg_new | tail -n 5; return 1; }
	# the pinned id and the right addressee still work
	craft heartbeat 17 "$NFLB_TMP/x" to=1 || return 1
	wait_for 10 eval 'json_is "$(peer_json "$NS_LB" "$FK_IP")" ".rx_datagrams == $((d + 1))"'
}
ktap_check "node ids: lb's own, lb2's, a changed one and another addressee are refused (rx_unknown_peer)" node_ids

# A peer's copy of a TCP session is tracked liberally from the record that
# made it (sync.rst): the owner's windows are behind the flow by then, and
# the packets this node sees of it (a path that moved here) may be far
# ahead.  fk never refreshes the copy it sent, so a client FIN far outside
# the record's window is passed, and closes the copy, only because the
# record itself made the copy liberal (it did not while the record was
# taken before the session's tuple was written: its protocol read 0).
liberal_copy()
{
	local w s

	w=$(json_num "$(lb -j stats)" drop_out_of_window)
	craft session 18 10.0.1.2 41394 "$VIP4" 82 "$(server4 2)" 82 || return 1
	wait_for 10 eval '[ -n "$(session_on "$NS_LB" 41394)" ]' || { lb sync show; return 1; }
	in_ns "$NS_CL" "$PKTCRAFT" -s 10.0.1.2 -d "$VIP4" -P tcp -S 41394 -D 82 -f FA \
		--seq 50000000 --ack 2000 || return 1
	# fin-wait, or close once the member's RST for it came back
	wait_for 5 eval 'json_is "$(session_on "$NS_LB" 41394)" \
		".state == \"fin-wait\" or .state == \"close\""' ||
		{ echo "41394: $(session_on "$NS_LB" 41394)"; lb -j stats; return 1; }
	s=$(json_num "$(lb -j stats)" drop_out_of_window)
	[ "$s" = "$w" ] || { echo "drop_out_of_window $w -> $s"; return 1; }
}
ktap_check "a synced TCP copy is tracked liberally: a FIN far outside its record's window closes it" liberal_copy

# a new epoch must be fresh; an older one only once the current is silent
epochs()
{
	local r d e2=$((EPOCH + 1000000)) e0=$((EPOCH - 1000000))

	r=$(sync_num "$NS_LB" rx_replay) d=$(peer_rx "$NS_LB" "$FK_IP")
	craft heartbeat 1 "$NFLB_TMP/x" epoch=$e2 age=60 + heartbeat 2 "$NFLB_TMP/x" epoch=$e2 age=-60 ||
		return 1
	wait_for 10 sync_atleast "$NS_LB" rx_replay $((r + 2)) || { lb sync show; return 1; }
	[ "$(peer_rx "$NS_LB" "$FK_IP")" = "$d" ] || { echo "a stale new epoch was accepted"; return 1; }
	# a fresh new epoch is accepted; the old one, while the new is live, not
	craft heartbeat 1 "$NFLB_TMP/x" epoch=$e2 + heartbeat 20 "$NFLB_TMP/x" epoch=$e0 || return 1
	wait_for 10 sync_atleast "$NS_LB" rx_replay $((r + 3)) || { lb sync show; return 1; }
	[ "$(peer_rx "$NS_LB" "$FK_IP")" = $((d + 1)) ] || { lb sync show; return 1; }
	# once fk's epoch went silent (down), a restart with a lower epoch (a
	# clock stepped back) is accepted
	wait_for 10 eval 'json_is "$(peer_json "$NS_LB" "$FK_IP")" ".state == \"down\""' || return 1
	# (sync show says down only once fk was silent for 3 s: a datagram
	# accepted makes its peer up at once, not at the next tick)
	craft heartbeat 2 "$NFLB_TMP/x" epoch=$e0 || return 1
	wait_for 10 eval '[ "$(peer_rx "$NS_LB" "$FK_IP")" = $((d + 2)) ]' || { lb sync show; return 1; }
	[ "$(sync_num "$NS_LB" rx_replay)" = $((r + 3)) ] || { echo "the lower epoch counted as a replay"; lb sync show; return 1; }
}
ktap_check "a new epoch sent 60 s ago or ahead is refused (rx_replay); a lower one only once the peer is down" epochs

# One NACK of ~80 overlapping ranges over lb's history to fk: each datagram
# is resent at most once (version 1 resent every range: ~10,000).
nack_flood()
{
	local t

	t=$(sync_num "$NS_LB" tx_resent)
	craft nackflood 50 epoch=$((EPOCH - 1000000)) || return 1
	# the resends of one NACK are made under the lock sync show takes
	wait_for 10 sync_grew "$NS_LB" tx_resent "$t" || { lb sync show; return 1; }
	echo "lb resent $(( $(sync_num "$NS_LB" tx_resent) - t )) datagrams"
	sync_grew "$NS_LB" tx_resent "$t" &&
		[ "$(sync_num "$NS_LB" tx_resent)" -le $((t + 128)) ]
}
ktap_check "a NACK of overlapping ranges: each datagram resent at most once" nack_flood

# BULK_REQ is bounded: one walk a peer at a time, then a gap of at least
# 5 s; the requests of fk within it are refused, not walked again.  (Of
# lb's own sessions, flags=4: fk's return after it was down may have made
# lb, which carried no traffic meanwhile, not ready, pulling from fk, and a
# node not ready refuses to give the whole table.)
bulk_req_bounded()
{
	local w f

	w=$(sync_num "$NS_LB" bulk_walks) f=$(sync_num "$NS_LB" bulk_refused)
	craft bulkreq 60 epoch=$((EPOCH - 1000000)) flags=4 + \
		bulkreq 61 epoch=$((EPOCH - 1000000)) flags=4 || return 1
	wait_for 10 sync_atleast "$NS_LB" bulk_refused $((f + 1)) || { lb sync show; return 1; }
	craft bulkreq 62 epoch=$((EPOCH - 1000000)) flags=4 || return 1
	wait_for 10 sync_atleast "$NS_LB" bulk_refused $((f + 2)) || { lb sync show; return 1; }
	echo "lb: bulk_walks $w -> $(sync_num "$NS_LB" bulk_walks), bulk_refused $f -> $(sync_num "$NS_LB" bulk_refused)"
	[ "$(sync_num "$NS_LB" bulk_walks)" = $((w + 1)) ]
}
ktap_check "BULK_REQ again within 5 s of a peer's walk: refused (bulk_refused), no second walk" bulk_req_bounded

# A node that is not ready (lb restarted its sync; fk says it is ready, so
# lb asks fk, which never answers) refuses a BULK_REQ for the whole table,
# and serves one for its own sessions
not_ready_refuses()
{
	lb2 sync del &&
		lb sync set node-id 1 local "$LB1_IP" peer "$LB2_IP" peer "$FK_IP" key "$KEY" redirect off || return 1
	craft heartbeat 1 "$NFLB_TMP/x" flags=1 + bulkreq 2 + bulkreq 3 flags=4 || return 1
	wait_for 10 sync_atleast "$NS_LB" bulk_walks 1 || { lb sync show; return 1; }
	lb -j sync show | jq -e '.stats.bulk_refused == 1 and .stats.bulk_walks == 1' >/dev/null ||
		{ lb sync show; return 1; }
}
ktap_check "a node not ready refuses a BULK_REQ of the whole table, serves one of its own sessions" not_ready_refuses

# The same over IPv6: sync set replaces the running sync (a new socket, not
# ready until the next bulk resync).
over_ipv6()
{
	ip -n "$NS_LB" -6 addr add fd00:100::1/64 dev sbr nodad &&
		ip -n "$NS_LB2" -6 addr add fd00:100::2/64 dev eth0 nodad || return 1
	lb sync set node-id 1 local fd00:100::1 peer fd00:100::2 key "$KEY" redirect off &&
		lb2 sync set node-id 2 local fd00:100::2 peer fd00:100::1 key "$KEY" redirect off || return 1
	lb -j sync show | jq -e '.local == "fd00:100::1" and .peers[0].addr == "fd00:100::2"' >/dev/null ||
		{ lb -j sync show; return 1; }
	lb sync wait timeout 30 && lb2 sync wait timeout 30
}
ktap_check "sync over IPv6: set replaces the running sync, both ready again" over_ipv6
bg v6 "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -b 41305 -k 120
wait_for 15 grep_out v6 '^ok' || ktap_diag "v6: $(cat "$(bg_out v6)")"
ktap_check "over IPv6, a new connection's session reaches the peer" wait_for 10 same_session 41305
bg_stop v6

del_off()
{
	lb sync del && lb2 sync del || return 1
	! lb sync show 2>/dev/null && ! lb sync del 2>/dev/null &&
		wait_for 5 grep_out mon '^sync del$' || { cat "$(bg_out mon)"; return 1; }
}
ktap_check "sync del (an event on lbctl monitor); then show and del fail (exit 1)" del_off

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
