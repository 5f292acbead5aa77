#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_pool: pool changes never disturb established sessions, and lbctl
# shows the scheduler and pool details.
#
# - A 12 MB download through the VIP (lb's link to the client shaped to
#   1 Mbit/s while the changes are made, so that it lasts) while the pool and virtual server change
#   under it: members added, reweighted, drained, set down, the scheduler
#   switched through wrr/lc/wlc/sh/mh/rr, min-active changed, other members
#   deleted and finally the member carrying the download deleted.  The
#   download is still running after all that, then completes byte-exact
#   (sha256), and new connections work in between.
# - lbctl -j member show: weight, state, max_conns, priority,
#   drain_timeout, active (2 live sessions) and the stats as configured;
#   member show text has the same in its columns; vs show -j has sched,
#   flags (with drain), drain_timeout, mh_size, persist, max_sessions;
#   pool show has expire_on_down and min_active.
# - lbctl save prints all of it and restore rebuilds the same configuration.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools
require_cmds socat tc python3

D=$NFLB_TMP
SIZE=$((12 * 1024 * 1024))

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 4 || ktap_abort "cannot build the topology"
mkdata "$D/big" "$SIZE"
srv_download 8000 "$D/big" && srv_tcpconn 80 || ktap_abort "cannot start the servers"
in_ns "$NS_LB" tc qdisc add dev cl0 root tbf rate 1mbit burst 32kb latency 300ms ||
	ktap_abort "cannot shape lb's link to the client"
mb() { echo "$(server4 "$1"):8000"; }
# Deleting a member ends its sessions by default (expire-nodest); this test
# keeps them, to see the download outlive its member's deletion.
lbbatch <<EOF || ktap_abort "cannot configure nflb"
global set expire-nodest off
pool add px
member add px $(mb 1)
member add px $(mb 2)
member add px $(mb 3)
vs add xfer vip $VIP4 port 8000 proto tcp pool px sched rr
EOF

XFER_TIMEOUT=120
bg dl "$NS_CL" timeout "$XFER_TIMEOUT" socat -u "TCP4:$VIP4:8000,sourceport=34567,reuseaddr" "CREATE:$D/got"
dl_session() { vs_sessions xfer | awk '$1 == 34567' | grep -q .; }
wait_for 20 dl_session || ktap_diag "no session for the download"
CARRY=$(vs_sessions xfer | awk '$1 == 34567 { print $2 }')
others=()
for i in 1 2 3; do [ "$(mb $i)" = "$CARRY" ] || others+=("$(mb $i)"); done

# new_conn: a new connection through the same pool works (the servers on
# 8000 send the file: reading its first bytes is enough).
newconn_fail=0
new_conn()
{
	in_ns "$NS_CL" timeout 10 socat -u "TCP4:$VIP4:8000" - 2>/dev/null | head -c 1000 | wc -c |
		grep -qx 1000 || newconn_fail=$((newconn_fail + 1))
}

changes=(
	"member add px $(mb 4)"
	"member set px $CARRY weight 7"
	"vs set xfer sched wrr"
	"member set px ${others[0]} weight 0"
	"vs set xfer sched lc"
	"member set px ${others[1]} state down"
	"vs set xfer sched wlc"
	"pool set px min-active 2"
	"member set px ${others[1]} state up priority 5"
	"vs set xfer sched sh"
	"member del px ${others[0]}"
	"vs set xfer sched mh"
	"member set px $CARRY max-conns 1"
	"pool set px expire-on-down off min-active 0"
	"vs set xfer sched rr"
	"member set px $CARRY state down"
	"member del px $CARRY"
)
failed_changes=0
tried=0
for ((i = 0; i < ${#changes[@]}; i++)); do
	# shellcheck disable=SC2086 # the change is a word list
	lbq ${changes[i]} || failed_changes=$((failed_changes + 1))
	# a new connection after every third change and after the last
	if ((i % 3 == 2 || i == ${#changes[@]} - 1)); then
		new_conn
		tried=$((tried + 1))
	fi
done
still=0
bg_running dl && still=1
got_mid=$(stat -c %s "$D/got" 2>/dev/null || echo 0)
in_ns "$NS_LB" tc qdisc del dev cl0 root	# the rest at full speed

during()
{
	echo "${#changes[@]} changes ($failed_changes refused) with the download on $CARRY; $got_mid of $SIZE bytes by then; still running: $still"
	[ "$failed_changes" -eq 0 ] && [ "$still" -eq 1 ]
}
ktap_measure "17 pool and scheduler changes, including deleting the carrying member, while the download runs" during
newconn_ok() { echo "$newconn_fail of $tried failed"; [ "$newconn_fail" -eq 0 ]; }
ktap_measure "new connections worked between the changes" newconn_ok
bg_wait dl "$XFER_TIMEOUT"
dl_rc=$?
xfer_ok()
{
	[ "$dl_rc" -eq 0 ] || { echo "download: exit $dl_rc: $(cat "$(bg_out dl)")"; return 1; }
	same_file "$D/big" "$D/got" && echo "12 MB download byte-exact (sha256 $(sha "$D/got" | cut -c1-16)...)"
}
ktap_measure "the download completes byte-exact" xfer_ok

# --- lbctl output ---------------------------------------------------------
lbbatch <<EOF || ktap_diag "configuration for the output checks failed"
flush
pool add show expire-on-down on min-active 2
member add show $(server4 1):80 weight 3 max-conns 10 priority 5 drain-timeout 7
member add show $(server4 2):80 weight 0
member add show $(server4 3):80 state down priority 5
vs add shown vip $VIP4 port 80 proto tcp pool show sched mh mh-size 251 persist 60 mask4 16 max-sessions 1000 reset-on-expiry
vs add shown2 vip $VIP4 port 53 proto udp pool show sched wlc drain
EOF
# Two connections kept open: a member's "active" counts live connections
# (not TIME_WAIT).
bg k35001 "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 35001 -k 120
bg k35002 "$NS_CL" "$TCPCONN" -a "$VIP4" -p 80 -b 35002 -k 120
wait_for 10 grep_out k35001 '^ok' && wait_for 10 grep_out k35002 '^ok' ||
	ktap_diag "the two kept connections did not start"

json_ok()
{
	local m v p
	m=$(member_objs show | tr '\n' ' ')
	v=$(lb -j vs show)
	p=$(lb -j pool show show)
	echo "members: $m"
	echo "pool: $p"
	[[ $m == *'{"pool":"show","addr":"10.0.11.2","port":80,"weight":3,"state":"up","max_conns":10,"priority":5,"drain_timeout":7,"active":2,'* ]] &&
		[[ $m == *'"addr":"10.0.12.2","port":80,"weight":0,"state":"up","max_conns":0,"priority":0,"drain_timeout":0,"active":0,'* ]] &&
		[[ $m == *'"addr":"10.0.13.2","port":80,"weight":1,"state":"down","max_conns":0,"priority":5,'* ]] || return 1
	[[ $p == *'"expire_on_down":true,"min_active":2'* ]] || return 1
	python3 - "$v" <<'EOF'
import json, sys
d = {v["name"]: v for v in json.loads(sys.argv[1])}
a, b = d["shown"], d["shown2"]
print("shown:", {k: a[k] for k in ("sched", "flags", "mh_size", "max_sessions", "persist", "drain_timeout", "active")})
print("shown2:", {k: b[k] for k in ("sched", "flags", "drain_timeout")})
assert a["sched"] == "mh" and a["flags"] == ["reset-on-expiry"] and a["mh_size"] == 251
assert a["max_sessions"] == 1000 and a["persist"] == {"timeout": 60, "mask4": 16, "mask6": 128}
assert a["drain_timeout"] == 0 and a["active"] == 2 and a["stats"]["sessions_created"] == 2
assert b["sched"] == "wlc" and b["flags"] == ["drain"] and b["drain_timeout"] == 0
EOF
}
ktap_measure "lbctl -j member/vs/pool show: weights, state, limits, priority, drain, active" json_ok

text_ok()
{
	# (the first 8 columns; health has its own test, health_kernel)
	lb member show show | tr -s ' ' | cut -d ' ' -f 1-8 >"$D/mtext"
	cat "$D/mtext"
	grep -qx 'POOL MEMBER WEIGHT STATE MAX-CONNS PRIORITY ACTIVE DRAIN-TIMEOUT' "$D/mtext" &&
		grep -qx "show $(server4 1):80 3 up 10 5 2 7" "$D/mtext" &&
		grep -qx "show $(server4 2):80 0 up 0 0 0 0" "$D/mtext" &&
		grep -qx "show $(server4 3):80 1 down 0 5 0 0" "$D/mtext"
}
ktap_measure "lbctl member show (text): the same values in its columns" text_ok

# drain-timeout shown while a drain deadline counts down
lbq vs set shown2 drain-timeout 500
countdown_ok()
{
	local t
	t=$(lb vs show shown2)
	echo "$t"
	[[ $t =~ drain-timeout\ (4[0-9][0-9]|500) ]] && [[ $t == *" drain "* ]]
}
ktap_measure "vs show (text): drain flag and the drain-timeout countdown" countdown_ok
lbq vs set shown2 drain-timeout 0

roundtrip()
{
	lb save >"$D/save1" || return 1
	cat "$D/save1"
	grep -q "member add show $(server4 1):80 weight 3 max-conns 10 priority 5 drain-timeout 7" "$D/save1" &&
		grep -q 'vs add shown2 .* drain' "$D/save1" || { echo "save lacks options"; return 1; }
	lbq flush && lb restore <"$D/save1" && lb save >"$D/save2" || return 1
	diff "$D/save1" "$D/save2" && echo "save -> flush -> restore -> save: identical"
}
ktap_measure "lbctl save/restore round-trips priority, max-conns, drain-timeout, drain, persist, mh-size" roundtrip

ktap_check "no kernel warnings" dmesg_check
ktap_finish
