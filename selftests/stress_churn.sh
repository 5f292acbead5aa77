#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# stress_churn: configuration churn under traffic.  TCP downloads through
# an IPv4 and an IPv6 VIP run back to back, each checked byte for byte,
# while a loop adds and deletes virtual servers, pools and members (also
# the members serving the downloads: their sessions must carry on),
# changes schedulers, weights, Maglev sizes, priorities, timeouts and flags
# of the downloads' own virtual servers, drains others, deletes sessions.  Every
# configuration command must succeed and every download arrive intact.
#
# NFLB_CHURN_ROUNDS: churn rounds (default 12; 200 with NFLB_ROBUST_FULL=1).
# NFLB_CHURN_MB: download size (default 1; 8 with NFLB_ROBUST_FULL=1).
. "$(dirname "$0")/lib.sh"

if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	rounds=${NFLB_CHURN_ROUNDS:-200} mb=${NFLB_CHURN_MB:-8}
else
	rounds=${NFLB_CHURN_ROUNDS:-12} mb=${NFLB_CHURN_MB:-1}
fi
P=6000

ktap_header 6
require_root
require_tools
require_cmds socat sha256sum
nflb_load || ktap_abort "cannot load nflb.ko"
topo_create 3 || ktap_abort "cannot build the topology"
dmesg_mark
mkdata "$NFLB_TMP/data" $((mb * 1024 * 1024))
want=$(sha "$NFLB_TMP/data")
srv_download $P "$NFLB_TMP/data" || ktap_abort "download servers did not start"
# The churn deletes the members serving the downloads, whose sessions must
# carry on: that is expire-nodest off (by default a deleted member's
# sessions end with it, see hard_session).
lb_service dl4 "$VIP4" $P tcp && lb_service dl6 "$VIP6" $P tcp &&
	lbq global set expire-nodest off ||
	ktap_abort "cannot configure nflb"

# downloads FAMILY VIP: back to back until $NFLB_TMP/stop appears; one line
# "ok N" or "bad N SIZE" per download.
downloads()
{
	local fam=$1 vip=$2 i=0 f

	while [ ! -e "$NFLB_TMP/stop" ]; do
		i=$((i + 1))
		f=$NFLB_TMP/got$fam
		rm -f "$f"
		timeout $((120 * ${NFLB_TIMEOUT_SCALE:-1})) socat -u \
			"$(_socat_tcp "$vip" $P)" "CREATE:$f" 2>/dev/null
		if [ "$(sha "$f" 2>/dev/null)" = "$want" ]; then
			echo "ok $i"
		else
			echo "bad $i $(stat -c %s "$f" 2>/dev/null)"
		fi
	done
}
bg dl4 "$NS_CL" bash -c "$(declare -f downloads sha _socat_tcp); want=$want P=$P NFLB_TMP=$NFLB_TMP; downloads 4 $VIP4"
bg dl6 "$NS_CL" bash -c "$(declare -f downloads sha _socat_tcp); want=$want P=$P NFLB_TMP=$NFLB_TMP; downloads 6 $VIP6"

# One round of churn as a batch (one lbctl process per round).
scheds=(rr wrr lc wlc sh mh)
round()
{
	local r=$1
	local k=$((r % 3 + 1)) prev=$((r - 1))

	echo "pool add cp$r min-active $((r % 3))"
	echo "member add cp$r $(server4 "$k"):$P weight $((r % 7 + 1))"
	echo "member add cp$r [$(server6 "$k")]:$P priority $((r % 4))"
	echo "vs add c4x$r vip 10.0.0.$((150 + r % 50)) port $((7000 + r)) proto tcp pool cp$r sched ${scheds[r % 6]}"
	echo "vs add c6x$r vip fd00::$((r % 200 + 1000)) port $((7000 + r)) proto udp pool cp$r persist 30"
	echo "vs set c6x$r drain on drain-timeout $((r % 5))"
	# the downloads' own services and members
	echo "vs set dl4 sched ${scheds[r % 6]}"
	echo "vs set dl6 sched ${scheds[(r + 3) % 6]}"
	[ "${scheds[(r + 3) % 6]}" = mh ] && echo "vs set dl6 mh-size $(((r % 2) ? 251 : 13))"
	echo "member set dl4 $(server4 "$k"):$P weight $((r % 5))"
	echo "member del dl4 $(server4 "$k"):$P"
	echo "member add dl4 $(server4 "$k"):$P priority $((r % 2))"
	echo "member del dl6 [$(server6 "$k")]:$P"
	echo "member add dl6 [$(server6 "$k")]:$P weight $((r % 3 + 1))"
	echo "timeout set vs dl4 tcp-established $((300 + r)) udp $((r % 9))"
	echo "pool set dl4 min-active $((r % 3))"
	if [ "$prev" -ge 1 ]; then
		echo "session del vs c4x$prev"
		echo "vs del c4x$prev"
		echo "vs del c6x$prev"
		echo "pool del cp$prev"
	fi
}
failed=0
for ((r = 1; r <= rounds; r++)); do
	round "$r" >"$NFLB_TMP/round"
	if ! out=$(lb -batch "$NFLB_TMP/round" 2>&1); then
		failed=$((failed + 1))
		[ $failed -le 3 ] && ktap_diag "round $r: $out"
	fi
done
# Let the current downloads finish.
touch "$NFLB_TMP/stop"
bg_wait dl4 $((300 * ${NFLB_TIMEOUT_SCALE:-1}))
bg_wait dl6 $((300 * ${NFLB_TIMEOUT_SCALE:-1}))
ktap_diag "IPv4 downloads: $(tr '\n' ' ' <"$(bg_out dl4)")"
ktap_diag "IPv6 downloads: $(tr '\n' ' ' <"$(bg_out dl6)")"
ktap_check "$rounds churn rounds, every command succeeded" [ $failed = 0 ]
done_ok()
{
	local f=$1

	grep -q '^ok' "$f" && ! grep -q '^bad' "$f"
}
ktap_check "IPv4 downloads during the churn byte-exact" done_ok "$(bg_out dl4)"
ktap_check "IPv6 downloads during the churn byte-exact" done_ok "$(bg_out dl6)"
left_ok()
{
	json_is "$(lb -j info)" '.vs_count == 2 + 2 and .pool_count == 3'
}
ktap_check "only the last round's objects are left" left_ok
ktap_check "flush with the churned state" lbq flush
ktap_check "kernel log clean" dmesg_check

ktap_finish
