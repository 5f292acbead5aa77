#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sched_wrr: weighted round robin, read from the kernel's actual choices.
#
# 3,000 UDP flows (one datagram each from client 10.1.0.1, source ports
# 20000..22999 in this order, sent by srcflows pinned to one CPU so that
# they reach nflb in order) go through a wrr virtual server whose members
# s1, s2, s3 have weights 1:2:3.  The session table tells which member each
# flow got; the source port gives the order the kernel chose them in.
#
# - shares: every member's flows within 5% of its weighted share, by the
#   session table and by the members' sessions_created counters;
# - smoothness: in every window of sum-of-weights (6) consecutive choices no
#   member gets more than its weight plus one, and, stricter, in every
#   window of k <= 6 of the first 600 choices no member gets more than
#   k * weight / 6 + 1 (a member is never served in a burst: a plain
#   "s1 s2 s2 s3 s3 s3" order fails it, and the test checks that it does);
# - rr over the same pool (weights ignored) spreads 300 flows evenly (within
#   5%) in strict rotation;
# - reweighting to 3:1:1 takes effect for new flows: 500 more flows split
#   300:100:100 (within 5%) and keep the window rule.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sched_lib.sh"

require_root
require_tools
require_srcflows
require_cmds taskset

D=$NFLB_TMP
N=3000

ktap_header 8
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 3 || ktap_abort "cannot build the topology"
ip -n "$NS_LB" route add 10.1.0.0/16 via 10.0.1.2 || ktap_abort "cannot add the route to the client"
srv_udpecho 53 || ktap_abort "cannot start the servers"
lbbatch <<EOF || ktap_abort "cannot configure nflb"
pool add web
member add web $(server4 1):53 weight 1
member add web $(server4 2):53 weight 2
member add web $(server4 3):53 weight 3
vs add wrr vip $VIP4 port 53 proto udp pool web sched wrr
vs add rr vip $VIP4 port 54 proto udp pool web sched rr
EOF

# flows PORT FIRST-SPORT COUNT: COUNT flows from 10.1.0.1, in port order.
flows()
{
	echo 10.1.0.1 | in_ns "$NS_CL" taskset -c 0 "$SRCFLOWS" send -a "$VIP4" -p "$1" -b "$2" -n "$3"
}

# weights_of: "member weight" lines from the configuration.
weights_of()
{
	local o a p

	while IFS= read -r o; do
		a=$(obj_get "$o" addr) && p=$(obj_get "$o" port) || continue
		echo "$a:$p $(obj_get "$o" weight)"
	done < <(member_objs web)
}

# check_shares FILE TOLERANCE: FILE has "member count" lines; each member's
# count within TOLERANCE (fraction) of its share by the current weights.
check_shares()
{
	weights_of >"$D/weights"
	awk -v tol="$2" 'NR == FNR { w[$1] = $2; tw += $2; next }
		{ c[$1] += $2; n += $2 }
		END { ok = 1
			for (m in w) { share = n * w[m] / tw; d = (c[m] - share) / share
				printf "%s weight %d: %d of %d flows (share %.1f, %+.2f%%)\n", m, w[m], c[m], n, share, 100 * d
				if (d > tol || d < -tol) ok = 0 }
			exit !ok }' "$D/weights" "$1"
}

# check_windows FILE STRICT: the order of choices (FILE: "port member",
# sorted by port) against the window rules; STRICT=1 adds windows of every
# length up to the weight sum.  A window of k choices starting at i is
# counted by growing it from i one choice at a time.
check_windows()
{
	weights_of >"$D/weights"
	awk -v strict="$2" 'NR == FNR { w[$1] = $2; tw += $2; next }
		{ seq[++n] = $2 }
		END { bad = 0
			for (i = 1; i + tw - 1 <= n; i++) {
				for (m in w) c[m] = 0
				for (k = 1; k <= tw; k++) {
					c[seq[i + k - 1]]++
					if (!strict && k < tw) continue
					# growing the window only raises the count of the
					# member added, and every bound: with STRICT the
					# new member is the only one to check, else all
					for (m in w) {
						if (strict && k < tw && m != seq[i + k - 1]) continue
						if (c[m] * tw > k * w[m] + tw && bad++ < 5) {
							s = ""; for (j = i; j < i + k; j++) s = s " " seq[j]
							printf "choices %d..%d:%s: %s %d times, weight %d of %d\n", i, i + k - 1, s, m, c[m], w[m], tw
						}
					}
				}
			}
			printf "%d choices, %d windows of %s%d over the limit\n", n, bad, strict ? "1.." : "", tw
			exit bad > 0 }' "$D/weights" "$1"
}

# --- 1: 3,000 flows, all answered, all with a session ---
run_flows()
{
	flows 53 20000 "$N" || return 1
	vs_sessions wrr >"$D/wrr1"
	local n
	n=$(wc -l <"$D/wrr1")
	echo "$n sessions"
	[ "$n" -eq "$N" ]
}
ktap_measure "$N UDP flows through wrr 1:2:3, each with a session" run_flows

# --- 2: shares within 5% (session table) ---
count_members <"$D/wrr1" >"$D/wrr1.count"
ktap_measure "wrr 1:2:3: shares within 5% of the weights (session table)" check_shares "$D/wrr1.count" 0.05

# --- 3: the same from the members' sessions_created counters ---
created_ok()
{
	local i m c
	for i in 1 2 3; do
		m="$(server4 "$i"):53"
		c=$(member_created "$m" web) || { echo "no counter for $m"; return 1; }
		echo "$m $c"
	done >"$D/created"
	check_shares "$D/created" 0.05
}
ktap_measure "wrr 1:2:3: shares within 5% (members' sessions_created)" created_ok

# --- 4: smoothness on the kernel's order of choices ---
# smooth FILE: the window rule on every choice, the stricter one on the
# first 600 (the kernel walks a precomputed order, so a burst in it would
# show within its first period, at most 4096 choices long, here 6).
smooth()
{
	check_windows "$1" 0 && head -n 600 "$1" >"$1.600" && check_windows "$1.600" 1
}

# The checker itself must reject a bursty order of the same shares.
bursty_rejected()
{
	local i m

	for ((i = 0; i < 60; i++)); do
		for m in 1 2 2 3 3 3; do echo "$i $(server4 "$m"):53"; done
	done >"$D/bursty"
	! check_windows "$D/bursty" 1 >/dev/null
}
wrr_smooth()
{
	bursty_rejected || { echo "the window check accepts a bursty order"; return 1; }
	smooth "$D/wrr1"
}
ktap_measure "wrr 1:2:3: no member over share + 1 in any window of the weight sum (and shorter)" wrr_smooth

# --- 5: rr ignores weights and rotates strictly ---
rr_ok()
{
	flows 54 30000 300 || return 1
	vs_sessions rr >"$D/rr"
	awk '{ hist[NR] = $2; c[$2]++; n++ }
		END { bad = 0
			for (i = 4; i <= n; i++) if (hist[i] != hist[i - 3]) bad++
			for (m in c) { printf "%s: %d of %d\n", m, c[m], n; if (c[m] < n / 3 * 0.95 || c[m] > n / 3 * 1.05) bad++ }
			printf "%d out of rotation or off share\n", bad
			exit !(n == 300 && bad == 0) }' "$D/rr"
}
ktap_measure "rr over the same pool: 300 flows in strict rotation, even shares" rr_ok

# --- 6, 7: reweight 3:1:1 ---
reweight()
{
	lbq member set web "$(server4 1):53" weight 3 &&
		lbq member set web "$(server4 2):53" weight 1 &&
		lbq member set web "$(server4 3):53" weight 1 || return 1
	flows 53 40000 500 || return 1
	vs_sessions wrr | awk '$1 >= 40000' >"$D/wrr2"
	count_members <"$D/wrr2" >"$D/wrr2.count"
	check_shares "$D/wrr2.count" 0.05
}
ktap_measure "reweighted to 3:1:1: 500 new flows split by the new weights (within 5%)" reweight
ktap_measure "reweighted to 3:1:1: window rules on the new choices" smooth "$D/wrr2"

ktap_check "no kernel warnings" dmesg_check
ktap_finish
