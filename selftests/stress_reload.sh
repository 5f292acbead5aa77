#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# stress_reload: module unload/reload cycles under traffic.  UDP and TCP
# flows hit the VIPs from the client all the time, lbctl queries (info,
# session dumps) and an event listener run in loops, and the module is
# loaded, configured, checked to balance, and removed again with sessions,
# virtual servers and open netlink sockets live.  Every rmmod must succeed,
# traffic must work in every cycle, and the log stay clean (a leaked
# session shows as "Slab cache still has objects" on unload).
#
# NFLB_RELOAD_CYCLES: cycles (default 5; 50 with NFLB_ROBUST_FULL=1).
. "$(dirname "$0")/lib.sh"

if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	cycles=${NFLB_RELOAD_CYCLES:-50}
else
	cycles=${NFLB_RELOAD_CYCLES:-5}
fi
FLOOD=$NFLB_SELFTESTS/stress_flood
P=5000

ktap_header 5
require_root
require_tools
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"
nflb_load || ktap_abort "cannot load nflb.ko"
topo_create 2 || ktap_abort "cannot build the topology"
nflb_unload || ktap_abort "cannot unload nflb"
dmesg_mark
srv_udpecho $P || ktap_abort "udpecho servers did not start"
srv_tcpconn $P || ktap_abort "tcpconn servers did not start"

cat >"$NFLB_TMP/conf" <<EOF
pool add p
member add p $(server4 1):$P
member add p $(server4 2):$P
member add p [$(server6 1)]:$P
member add p [$(server6 2)]:$P
vs add u4 vip $VIP4 port $P proto udp pool p
vs add u6 vip $VIP6 port $P proto udp pool p sched wrr
vs add t4 vip $VIP4 port $P proto tcp pool p sched lc
vs add t6 vip $VIP6 port $P proto tcp pool p sched mh
EOF

# Traffic that never stops: UDP flows over 500 client ports and TCP SYNs,
# both families, slowly enough for TCG; plus netlink users.
# (slower still on slow kernels: NFLB_TIMEOUT_SCALE)
sc=${NFLB_TIMEOUT_SCALE:-1}
bg f4 "$NS_CL" "$FLOOD" -s "$CL4" -a "$VIP4" -p $P -n 100000000 -k 500 -w $((100000 * sc))
bg f6 "$NS_CL" "$FLOOD" -6 -s "$CL6" -a "$VIP6" -p $P -n 100000000 -k 500 -w $((100000 * sc))
bg ft "$NS_CL" "$FLOOD" -s "$CL4" -a "$VIP4" -p $P -P tcp -b 30000 -n 100000000 -k 500 -w $((200000 * sc))
bg nlq - bash -c "while :; do $LBCTL -n $NS_LB -j info; $LBCTL -n $NS_LB -j session list; sleep 0.2; done"
bg mon - bash -c "while :; do $LBCTL -n $NS_LB -j monitor; sleep 0.2; done"

# rmmod fails with EBUSY while a netlink dump holds the module: retry.
unload()
{
	local i

	for ((i = 0; i < 50; i++)); do
		rmmod "$NFLB_MODNAME" 2>/dev/null && return 0
		sleep 0.2
	done
	nflb_unload
}

# retry CMD: up to 3 tries (a datagram may drown in the flood).
retry()
{
	"$@" || "$@" || "$@"
}

load_fail=0 traffic_fail=0 unload_fail=0
for ((c = 1; c <= cycles; c++)); do
	if ! nflb_load; then
		load_fail=$((load_fail + 1))
		continue
	fi
	# Every third cycle: out again at once, before any configuration.
	if [ $((c % 3)) = 0 ]; then
		unload || unload_fail=$((unload_fail + 1))
		continue
	fi
	if ! lb -batch "$NFLB_TMP/conf" >/dev/null 2>&1; then
		ktap_diag "cycle $c: configuration failed"
		traffic_fail=$((traffic_fail + 1))
	elif ! out=$(retry in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p $P -c 2 -t $((3000 * sc)) 2>&1); then
		ktap_diag "cycle $c: UDP through $VIP4 failed: $out"
		traffic_fail=$((traffic_fail + 1))
	elif ! out=$(retry in_ns "$NS_CL" "$TCPCONN" -6 -a "$VIP6" -p $P -w $((5 * sc)) 2>&1); then
		ktap_diag "cycle $c: TCP through $VIP6 failed: $out"
		traffic_fail=$((traffic_fail + 1))
	fi
	[ $((c % 10)) = 1 ] && ktap_diag "cycle $c: $(lb info 2>/dev/null | tr -s '\n ' ' ')"
	unload || unload_fail=$((unload_fail + 1))
done
ktap_check "$cycles loads" [ $load_fail = 0 ]
ktap_check "traffic through the VIPs in every configured cycle" [ $traffic_fail = 0 ]
ktap_check "$cycles unloads with sessions, objects and sockets live" [ $unload_fail = 0 ]
for j in f4 f6 ft nlq mon; do bg_stop $j; done

final_ok()
{
	nflb_load && lb -batch "$NFLB_TMP/conf" &&
		in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p $P -c 2 -t 3000 &&
		in_ns "$NS_CL" "$TCPCONN" -a "$VIP4" -p $P && unload
}
ktap_check "loads, balances and unloads once more" final_ok
ktap_check "kernel log clean" dmesg_check

ktap_finish
