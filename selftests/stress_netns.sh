#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# stress_netns: delete the load balancer's network namespace while it holds
# many live sessions (IPv4 and IPv6, UDP and TCP) and packets keep arriving.
# The namespace's teardown must free every session: the module unloads
# afterwards without "Slab cache still has objects", and with slab_nomerge
# (the test VM's default) the session caches are seen to empty.  Then nflb
# must work in a new namespace.
#
# NFLB_NETNS_SESSIONS: sessions before the deletion (default 2000; 10000
# with NFLB_ROBUST_FULL=1).
. "$(dirname "$0")/lib.sh"

if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	nsess=${NFLB_NETNS_SESSIONS:-10000}
else
	nsess=${NFLB_NETNS_SESSIONS:-2000}
fi
FLOOD=$NFLB_SELFTESTS/stress_flood
P=5000

ktap_header 7
require_root
require_tools
[ -x "$FLOOD" ] || ktap_abort "$FLOOD not built: run 'make -C selftests' on the host"
nflb_load || ktap_abort "cannot load nflb.ko"
topo_create 2 || ktap_abort "cannot build the topology"
dmesg_mark
srv_udpecho $P || ktap_abort "udpecho servers did not start"

lb_service u4 "$VIP4" $P udp && lb_service u6 "$VIP6" $P udp &&
	lb_service t4 "$VIP4" $P tcp || ktap_abort "cannot configure nflb"

# slab_objs CACHE: objects in use in a kmem cache (per-cpu slabs flushed
# first, so free objects there do not count), or "" if the cache is merged
# into another one (Debian's kernel merges it unless booted with
# slab_nomerge, as the test VM is).
slab_objs()
{
	local d=/sys/kernel/slab/$1

	[ -d "$d" ] && [ ! -L "$d" ] || return 0
	echo 1 >"$d/shrink" 2>/dev/null
	read -r o _ <"$d/objects" && echo "$o"
}

# Sessions: a quarter IPv6 UDP, a quarter TCP SYNs from spoofed sources
# (they stay half-open), the rest IPv4 UDP from the client's ports.
q=$((nsess / 4))
fill()
{
	in_ns "$NS_CL" "$FLOOD" -s "$CL4" -a "$VIP4" -p $P -b 10000 -n $((nsess - 2 * q)) -k 50000 -w 500 &&
		in_ns "$NS_CL" "$FLOOD" -6 -s "$CL6" -a "$VIP6" -p $P -b 10000 -n $q -k 50000 -w 500 &&
		in_ns "$NS_CL" "$FLOOD" -s 10.0.1.100 -a "$VIP4" -p $P -P tcp -b 20000 -n $q -k 1000 -A 100 -w 500
}
ktap_check "$nsess flows sent" fill
have_all()
{
	local s

	s=$(lb -j info | jq .sessions)
	[ "${s:-0}" -ge "$((nsess * 95 / 100))" ] && return 0
	echo "$s sessions"
	return 1
}
ktap_check "at least 95% of $nsess sessions live" wait_for 60 have_all
ktap_diag "$(lb info | tr -s '\n ' ' ')"
s4=$(slab_objs nflb_session4)
ktap_diag "nflb_session4 objects: ${s4:-merged into another cache}"

# Traffic goes on while the namespace goes away.
bg flood "$NS_CL" "$FLOOD" -s "$CL4" -a "$VIP4" -p $P -b 40000 -n 100000000 -k 2000 -w 2000
sleep 1
ktap_check "lb namespace deleted under traffic" ip netns del "$NS_LB"
bg_stop flood

freed()
{
	local o

	o=$(slab_objs nflb_session4)$(slab_objs nflb_session6)
	[ -z "$o" ] || [ "$o" = 00 ]
}
if [ -z "$s4" ]; then
	ktap_skip "session objects freed by the namespace's teardown" "nflb_session4 is merged (boot with slab_nomerge)"
else
	ktap_check "session objects freed by the namespace's teardown" wait_for 120 freed
fi
# rmmod also waits for the teardown (pernet exit) to finish.
ktap_check "module unloads after the namespace is gone" nflb_unload

new_ns_ok()
{
	bg_stop_all
	topo_destroy
	nflb_load && topo_create 1 && srv_udpecho $P && lb_service u4 "$VIP4" $P udp &&
		in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p $P -c 3 -t 3000 >/dev/null
}
ktap_check "nflb balances in a new namespace" new_ns_ok
bg_stop_all
topo_destroy
nflb_unload
ktap_check "kernel log clean" dmesg_check

ktap_finish
