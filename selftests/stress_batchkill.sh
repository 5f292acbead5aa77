#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# stress_batchkill: lbctl killed with SIGKILL in the middle of a big batch,
# stopping at the first error (-batch) and with -force, at several points.
# Each time the kernel's state must be consistent: every request is applied
# whole or not at all, in order, so the objects are exactly those of a
# prefix of the batch; `lbctl -j info` counts match `vs/pool/member show`;
# `lbctl save` succeeds and its output, restored into a fresh namespace,
# rebuilds the same counts.
#
# NFLB_BATCHKILL_KILLS: kills per mode (default 2; 5 with NFLB_ROBUST_FULL=1).
. "$(dirname "$0")/lib.sh"

if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	kills=${NFLB_BATCHKILL_KILLS:-5} n=1500
else
	kills=${NFLB_BATCHKILL_KILLS:-2} n=400
fi

ktap_header 5
require_root
require_cmds jq
nflb_load || ktap_abort "cannot load nflb.ko"
topo_create 1 || ktap_abort "cannot build the topology"
dmesg_mark
NS2="$NFLB_PFX-restore"
ip netns add "$NS2" || ktap_abort "cannot create $NS2"
cleanup_add ip netns del "$NS2"

# The batch: n groups of pool, 4 members, a virtual server and its timeouts.
scheds=(rr wrr lc wlc sh mh)
for ((i = 0; i < n; i++)); do
	a=$((i / 250)) b=$((i % 250 + 1))
	echo "pool add p$i min-active $((i % 3))"
	echo "member add p$i 10.1.$a.$b:80 weight $((i % 9 + 1))"
	echo "member add p$i 10.2.$a.$b:80 priority $((i % 4))"
	echo "member add p$i [fd01::$a:$b]:80"
	echo "member add p$i [fd02::$a:$b]:8080 max-conns $((i % 100))"
	echo "vs add v$i vip 10.100.$a.$b port 80 proto tcp pool p$i sched ${scheds[i % 6]}"
	echo "timeout set vs v$i tcp-established $((i + 10))"
done >"$NFLB_TMP/big"
lines=$(wc -l <"$NFLB_TMP/big")

# consistent: counts agree between info and the lists, and the objects are
# those of a prefix of the batch (pools p0..p(k-1); virtual servers v0..
# v(k-1) or v0..v(k-2); members of the last pool may be partly there).
consistent()
{
	local info vs pools members np nv nm want_m

	info=$(lb -j info) && vs=$(lb -j vs show) && pools=$(lb -j pool show) &&
		members=$(lb -j member show) || { echo "lbctl failed"; return 1; }
	np=$(jq length <<<"$pools") nv=$(jq length <<<"$vs") nm=$(jq length <<<"$members")
	json_is "$info" ".vs_count == $nv and .pool_count == $np and .member_count == $nm" ||
		{ echo "info $(jq -c . <<<"$info") vs lists: $nv vs, $np pools, $nm members"; return 1; }
	[ "$(jq '[.[].members] | add // 0' <<<"$pools")" = "$nm" ] ||
		{ echo "pool member counts do not add up to $nm"; return 1; }
	# prefix: names are p0..p(np-1) and v0..v(nv-1), nv in {np-1, np}
	[ "$(jq -r '[.[].name | ltrimstr("p") | tonumber] | sort | . == [range(0; length)]' <<<"$pools")" = true ] &&
		[ "$(jq -r '[.[].name | ltrimstr("v") | tonumber] | sort | . == [range(0; length)]' <<<"$vs")" = true ] ||
		{ echo "objects are not a prefix of the batch"; return 1; }
	[ "$nv" -eq "$np" ] || [ "$nv" -eq $((np - 1)) ] || { echo "$np pools but $nv vs"; return 1; }
	want_m=$((4 * (np - 1)))
	[ "$np" -eq 0 ] && want_m=0
	[ "$nm" -ge "$want_m" ] && [ "$nm" -le $((4 * np)) ] || { echo "$nm members for $np pools"; return 1; }
	echo "$np pools, $nv vs, $nm members"
}

# save_restores: save parses, and restoring it elsewhere gives the same counts.
save_restores()
{
	local a b

	lb save >"$NFLB_TMP/saved" || { echo "save failed"; return 1; }
	"$LBCTL" -n "$NS2" flush >/dev/null &&
		"$LBCTL" -n "$NS2" restore "$NFLB_TMP/saved" || { echo "restore failed"; return 1; }
	a=$(lb -j info | jq -c '[.vs_count, .pool_count, .member_count]')
	b=$("$LBCTL" -n "$NS2" -j info | jq -c '[.vs_count, .pool_count, .member_count]')
	[ "$a" = "$b" ] || { echo "saved $a, restored $b"; return 1; }
}

# run_and_kill MODE K: start the batch, SIGKILL it after a varying delay.
run_and_kill()
{
	local mode=$1 k=$2 pid force=""

	[ "$mode" = force ] && force=-force
	lbq flush
	# shellcheck disable=SC2086
	setsid "$LBCTL" -n "$NS_LB" -batch "$NFLB_TMP/big" $force >/dev/null 2>&1 &
	pid=$!
	# wait until some of it is in, then at a different depth each time
	wait_for 30 eval "[ \$($LBCTL -n $NS_LB -j info | jq .pool_count) -ge $((k * 7 + 1)) ]"
	sleep "0.$((k * 3 % 10))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

for mode in strict force; do
	bad=0
	for ((k = 1; k <= kills; k++)); do
		run_and_kill "$mode" "$k"
		if ! out=$(consistent); then
			bad=$((bad + 1))
			ktap_diag "$mode kill $k: $out"
		elif ! out2=$(save_restores); then
			bad=$((bad + 1))
			ktap_diag "$mode kill $k ($out): $out2"
		else
			ktap_diag "$mode kill $k: $out"
		fi
	done
	ktap_check "$mode batch ($lines lines) killed $kills times: state consistent, save restores" [ $bad = 0 ]
done

# A batch that is not killed runs to the end; then everything is there.
complete()
{
	lbq flush && lb -batch "$NFLB_TMP/big" -force >/dev/null &&
		json_is "$(lb -j info)" ".vs_count == $n and .pool_count == $n and .member_count == $((4 * n))"
}
ktap_check "the whole batch applies when not killed" complete
ktap_check "flush" lbq flush
ktap_check "kernel log clean" dmesg_check

ktap_finish
