#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# hard_config: configuration requests an attacker (or a careless script) can
# make must neither hang the box nor grow its memory without bound.
#
# - Maglev: a virtual server whose table has fewer slots than its pool has
#   members is refused, whichever request would make it so (vs add, vs set
#   mh-size or sched, member add); such a request used to loop forever in
#   the table build holding genl_mutex.  Every command runs under a timeout
#   and lbctl still answers afterwards;
# - a pool takes at most 16 priorities per family (each one a group with its
#   own Maglev tables);
# - a member on the box itself (its own address, loopback) is refused;
# - a namespace owned by a non-initial user namespace (unshare -Urn) starts
#   with the small limits and cannot raise one above the initial
#   namespace's; max-vs, max-pools, max-members are enforced;
# - memory nflb allocates for a configuration (members, their counters) is
#   charged to the memory cgroup of whoever configured it, and so are the
#   sessions of a namespace a non-initial user namespace owns (memory.stat:
#   unreclaimable slab + percpu grow by at least the objects' size).

. "$(dirname "$0")/lib.sh"

require_root
require_cmds timeout unshare nsenter
require_tools

D=$NFLB_TMP
FLOOD=$NFLB_SELFTESTS/stress_flood
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"

ktap_header 13
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
topo_create 1 || ktap_abort "cannot build the topology"

# t SECS lbctl ARGS: lbctl in lb under a time limit; output in $D/out.
t() { timeout "$1" "$LBCTL" -n "$NS_LB" "${@:2}" >"$D/out" 2>&1; }
# refused SECS ARGS: the command fails (not by the time limit) with an error.
refused()
{
	local rc

	t "$@"
	rc=$?
	echo "lbctl ${*:2}: exit $rc: $(head -c 300 "$D/out")"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'Error' "$D/out"
}

# 1-3: Maglev tables never smaller than their pool.
{
	echo "pool add mh8"
	for i in $(seq 1 8); do echo "member add mh8 10.9.0.$i:80"; done
	echo "pool add mh7"
	for i in $(seq 1 7); do echo "member add mh7 10.9.1.$i:80"; done
} >"$D/mh.batch"
t 60 -b "$D/mh.batch" || ktap_abort "cannot configure the Maglev pools: $(cat "$D/out")"
mh_add()
{
	refused 20 vs add m8 vip 10.0.0.100 port 80 proto tcp pool mh8 sched mh mh-size 7 &&
		grep -q 'more members than the Maglev table has slots' "$D/out"
}
ktap_check "vs add: mh-size 7 over 8 members refused, no hang" mh_add
mh_grow()
{
	t 20 vs add m7 vip 10.0.0.100 port 80 proto tcp pool mh7 sched mh mh-size 7 ||
		{ echo "7 members in 7 slots refused: $(cat "$D/out")"; return 1; }
	refused 20 member add mh7 10.9.1.8:80 && grep -q 'no slot left' "$D/out" || return 1
	refused 20 vs set m7 pool mh8 || return 1
	t 20 vs add m8 vip 10.0.0.100 port 81 proto tcp pool mh8 sched rr || return 1
	refused 20 vs set m8 sched mh mh-size 7 || return 1
	t 20 vs set m8 sched mh mh-size 11 || { echo "mh-size 11 for 8 members refused"; return 1; }
	refused 20 vs set m8 mh-size 7
}
ktap_check "member add, vs set pool/sched/mh-size: no request leaves a table short of slots" mh_grow
mh_lowered()
{
	t 20 global set max-mh-size 7 || return 1
	# m8 keeps its mh-size 11 and can still be changed otherwise...
	t 20 vs set m8 drain on || { echo "vs set drain refused: $(cat "$D/out")"; return 1; }
	# ...but not to a size above the new maximum.
	refused 20 vs set m8 mh-size 13 && grep -q 'max-mh-size' "$D/out" || return 1
	t 20 vs set m8 sched rr && t 20 global set max-mh-size 131071
}
ktap_check "max-mh-size lowered: existing Maglev virtual servers stay changeable, bigger sizes refused" mh_lowered
alive()
{
	t 20 vs show && grep -q m7 "$D/out" && t 20 member show mh7 &&
		[ "$(grep -c 10.9.1. "$D/out")" = 7 ]
}
ktap_check "lbctl answers afterwards; the refused member was not added" alive

# 4: priorities
prios()
{
	local i

	{
		echo "pool add pr"
		for i in $(seq 1 16); do echo "member add pr 10.9.2.$i:80 priority $i"; done
		echo "member add pr [fd00:99::1]:80 priority 99"
	} >"$D/pr.batch"
	t 60 -b "$D/pr.batch" || { echo "16 priorities refused: $(cat "$D/out")"; return 1; }
	refused 20 member add pr 10.9.2.17:80 priority 17 &&
		grep -q '16 priorities' "$D/out" &&
		t 20 member add pr 10.9.2.17:80 priority 16 &&
		refused 20 member set pr 10.9.2.17:80 priority 17 || return 1
	# The only member of priority 1 may move: its group goes away.
	t 20 member set pr 10.9.2.1:80 priority 17 ||
		{ echo "moving a group's only member refused: $(cat "$D/out")"; return 1; }
}
ktap_check "16 priorities per family; a 17th refused (add, set), a lone member may move" prios

# 5: members on the box
local_member()
{
	lbq pool add loc || return 1
	refused 20 member add loc 10.0.11.1:80 && grep -q "box's own" "$D/out" &&
		refused 20 member add loc 127.0.0.1:80 &&
		refused 20 member add loc '[::1]:80' &&
		refused 20 member add loc '[fd00:11::1]:80' &&
		refused 20 member add loc 224.0.0.1:80 &&
		t 20 member add loc 10.0.11.2:80
}
ktap_check "a member address of the box itself (or not unicast) is refused" local_member

# 6-8: user namespaces
U() { timeout 30 unshare -Urn "$LBCTL" "$@"; }
userns_defaults()
{
	local out

	out=$(timeout 30 unshare -Urn "$LBCTL" global show 2>&1) || { echo "$out"; return 1; }
	echo "$out" | head -n 1
	[[ $out == *"max-sessions 65536 max-members 1024 max-vs 256 max-pools 256 max-mh-size 65537"* ]]
}
ktap_check "unshare -Urn: the namespace starts with the small limits" userns_defaults
userns_ceiling()
{
	local out show raised

	# The initial namespace allows 1048576 sessions: more is refused...
	out=$(timeout 30 unshare -Urn sh -c "'$LBCTL' global set max-sessions 2000000" 2>&1) &&
		{ echo "raised above the initial namespace: $out"; return 1; }
	echo "$out"
	[[ $out == *"initial namespace"* ]] || return 1
	# ...up to it is fine, and a lowered initial limit (of this VM's initial
	# namespace, not lb's) lowers the ceiling.
	out=$(U global set max-sessions 1048576 2>&1) || { echo "$out"; return 1; }
	"$LBCTL" global set max-members 500 || return 1
	out=$(U global set max-members 600 2>&1) && raised=1 || raised=0
	show=$(U global show 2>&1)
	"$LBCTL" global set max-members 262144 || return 1
	[ $raised = 0 ] || { echo "above the lowered ceiling: $out"; return 1; }
	[[ $show == *"max-members 500 "* ]] || { echo "new namespace did not start at the ceiling: $show"; return 1; }
}
ktap_check "unshare -Urn: a limit cannot go above the initial namespace's (EPERM)" userns_ceiling
userns_limits()
{
	local out

	out=$(timeout 60 unshare -Urn sh -c "
		L='$LBCTL'
		\$L global set max-vs 2 max-pools 2 max-members 3 &&
		\$L pool add a && \$L pool add b &&
		{ \$L pool add c 2>&1 && exit 11; true; } &&
		\$L member add a 10.1.0.1:80 && \$L member add a 10.1.0.2:80 &&
		\$L member add b 10.1.0.3:80 &&
		{ \$L member add b 10.1.0.4:80 2>&1 && exit 12; true; } &&
		\$L vs add v1 vip 10.2.0.1 port 80 proto tcp pool a &&
		\$L vs add v2 vip 10.2.0.2 port 80 proto tcp pool b &&
		{ \$L vs add v3 vip 10.2.0.3 port 80 proto tcp pool a 2>&1 && exit 13; true; } &&
		\$L info" 2>&1)
	echo "$out" | grep -E 'Error|count' | head -n 8
	[[ $out == *"too many pools"* && $out == *"too many members"* &&
		$out == *"too many virtual servers"* && $out == *"member-count   3"* ]]
}
ktap_check "max-vs, max-pools, max-members enforced with a clear error" userns_limits

# 9-11: memory cgroup charging
CG=""
cg_setup()
{
	local root=/sys/fs/cgroup

	if ! grep -q "^cgroup2 $root " /proc/mounts; then
		mount -t cgroup2 none $root || return 1
	fi
	grep -qw memory $root/cgroup.controllers || { echo "no memory controller"; return 1; }
	echo +memory >$root/cgroup.subtree_control 2>/dev/null
	CG=$root/nflb-hard-$$
	mkdir -p "$CG" && cleanup_add "rmdir $CG"
}
# kmem_now: the cgroup's unreclaimable slab and percpu bytes (not the
# reclaimable dentries and inodes its processes leave in the caches)
kmem_now()
{
	awk '$1 == "slab_unreclaimable" || $1 == "percpu" { s += $2 } END { print s + 0 }' \
		"$CG/memory.stat"
}
# in_cg CMD...: CMD as a process of the cgroup
in_cg() { bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$CG" "$@"; }
if ! cg_setup; then
	ktap_skip "members charged to the configuring cgroup" "cgroup2 with the memory controller unavailable"
	ktap_skip "sessions charged to the virtual server's cgroup" "cgroup2 with the memory controller unavailable"
	ktap_skip "charges go when the configuration goes" "cgroup2 with the memory controller unavailable"
else
	{
		echo "pool add big"
		for i in $(seq 1 2000); do echo "member add big 10.8.$((i / 250)).$((i % 250 + 1)):80"; done
	} >"$D/big.batch"
	k0=$(kmem_now)
	in_cg ip netns exec "$NS_LB" "$LBCTL" -b "$D/big.batch" >"$D/out" 2>&1 || ktap_diag "batch: $(tail -n 3 "$D/out")"
	k1=$(kmem_now)
	members_charged()
	{
		echo "cgroup slab+percpu: $k0 -> $k1 bytes for 2000 members"
		# a member is more than 100 bytes, plus counters and snapshot slots
		[ $((k1 - k0)) -ge 200000 ]
	}
	ktap_check "members charged to the configuring cgroup" members_charged

	# Sessions are charged in a namespace another user namespace owns:
	# one made by `unshare -Urn` (a process of the cgroup), reached from
	# the client over its own veth.
	bash -c 'echo $$ >"$1/cgroup.procs" && exec unshare -Urn sleep 600' _ "$CG" &
	upid=$!
	cleanup_add "kill $upid"
	wait_for 10 eval "[ \"\$(readlink /proc/$upid/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	U_NS=(nsenter -t "$upid" -U -n --preserve-credentials)
	ip link add uv0 netns "$NS_CL" type veth peer name uv1 netns "$upid" &&
		ip -n "$NS_CL" addr add 10.66.0.1/24 dev uv0 && ip -n "$NS_CL" link set uv0 up &&
		ip -n "$NS_CL" route add 10.66.100.100 via 10.66.0.2 &&
		"${U_NS[@]}" ip addr add 10.66.0.2/24 dev uv1 && "${U_NS[@]}" ip link set uv1 up ||
		ktap_diag "cannot wire the user namespace's netns"
	in_cg "${U_NS[@]}" "$LBCTL" -b - >/dev/null <<-EOF || ktap_diag "cannot add the charged virtual server"
		pool add sp
		member add sp 10.66.0.3:7000
		vs add sv vip 10.66.100.100 port 7000 proto udp pool sp
	EOF
	s0=$(kmem_now)
	in_ns "$NS_CL" "$FLOOD" -s 10.66.0.50 -a 10.66.100.100 -p 7000 -P udp -b 20000 -n 3000 \
		-k 3000 -w 500 >/dev/null 2>&1
	s1=$(kmem_now)
	n=$("${U_NS[@]}" "$LBCTL" -j info | sed -n 's/.*"sessions":\([0-9]*\).*/\1/p')
	sessions_charged()
	{
		echo "cgroup slab+percpu: $s0 -> $s1 bytes with $n sessions"
		[ "${n:-0}" -ge 2000 ] && [ $((s1 - s0)) -ge $((n * 100)) ]
	}
	ktap_check "sessions (created in softirq) charged to the virtual server's cgroup" sessions_charged
	lbq flush
	"${U_NS[@]}" "$LBCTL" flush
	uncharged()
	{
		local k

		sleep 2
		k=$(kmem_now)
		echo "after flush: $k bytes (before the members: $k0)"
		[ "$k" -lt $((k0 + (s1 - k0) / 2)) ]
	}
	ktap_check "charges go when the configuration goes" wait_for 20 uncharged
fi

ktap_check "kernel log clean" dmesg_check
ktap_finish
