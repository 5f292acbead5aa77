#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_lifecycle: module unload and namespace deletion with live sessions.
# - while a long TCP stream and a loop of short TCP/UDP connections go
#   through the VIP, rmmod succeeds and the kernel stays quiet;
# - the module loads again and the datapath works (byte-exact download);
# - deleting the load balancer's namespace while it holds sessions (TCP
#   stream, idle TCP, UDP) is clean, and the module then unloads cleanly
#   (a leaked session or reference shows up as a kmem_cache or refcount
#   complaint in the kernel log, or a failing rmmod);
# - after all that, a fresh topology works again.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds socat
require_tools

ktap_header 9
dmesg_mark
nflb_unload >/dev/null 2>&1
nflb_load || ktap_abort "cannot load nflb"

D=$NFLB_TMP
MIB=1048576
mkdata "$D/data" $MIB

# setup: topology, servers, configuration
setup()
{
	topo_create 3 && srv_download 80 "$D/data" && srv_udpecho 53 && srv_tcpconn 82 &&
		stream_servers && configure
}
stream_servers()
{
	local i

	for ((i = 1; i <= NSERVERS; i++)); do
		bg "zero-s$i" "$(server_ns $i)" socat -U \
			"TCP6-LISTEN:81,reuseaddr,fork,ipv6only=0" OPEN:/dev/zero
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		wait_listen "$(server_ns $i)" 81 || return 1
	done
}
configure()
{
	lb_service web "$VIP4" 80 tcp && lb_service zero "$VIP4" 81 tcp &&
		lb_service dns "$VIP4" 53 udp && lb_service hold "$VIP4" 82 tcp
}

# traffic: a never-ending stream, a loop of short connections, an idle one
start_traffic()
{
	bg stream "$NS_CL" socat -u "TCP4:$VIP4:81" OPEN:/dev/null
	# shellcheck disable=SC2016
	bg loop "$NS_CL" bash -c 'while :; do
		"$1" -a "$2" -p 53 -t 300 >/dev/null
		"$3" -a "$2" -p 82 -w 2 >/dev/null
	done' loop "$UDPECHO" "$VIP4" "$TCPCONN"
	bg idle "$NS_CL" "$TCPCONN" -a "$VIP4" -p 82 -k 600
}
# traffic_flowing: the stream moves data and short connections succeed
traffic_flowing()
{
	local b0

	b0=$(stat_get bytes_out zero)
	wait_for 20 eval "[ \$(stat_get bytes_out zero) -gt $((b0 + MIB)) ]" ||
		{ echo "stream: bytes_out $b0 -> $(stat_get bytes_out zero)"; return 1; }
	wait_for 20 eval "[ \$(stat_get sessions_created hold) -ge 3 ] && [ \$(stat_get sessions_created dns) -ge 2 ]" ||
		{ echo "short connections: $(stat_get sessions_created hold) tcp, $(stat_get sessions_created dns) udp"; return 1; }
	grep_out idle '^ok' || { echo "idle connection: $(cat "$(bg_out idle)")"; return 1; }
}
stop_traffic()
{
	bg_stop stream
	bg_stop loop
	bg_stop idle
}

works()
{
	cl_download "$VIP4" 80 "$1" "$D/dl.$1" && same_file "$D/data" "$D/dl.$1" &&
		in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 53 >/dev/null
}

setup || ktap_abort "cannot set up"
start_traffic

# 1
ktap_check "traffic through the VIP: a stream, short TCP/UDP connections, an idle one" traffic_flowing

# 2
unload_busy()
{
	local out rc

	echo "sessions before rmmod: $(obj_get "$(lb -j info)" sessions)"
	out=$(timeout 60 rmmod "$NFLB_MODNAME" 2>&1)
	rc=$?
	echo "rmmod: rc $rc $out"
	[ $rc -eq 0 ] && ! nflb_loaded
}
ktap_check "rmmod under traffic succeeds" unload_busy
_nflb_loaded_by_us=0
sleep 1
ktap_check "kernel log clean after rmmod under traffic" dmesg_check
stop_traffic

# 3
reload()
{
	nflb_load || return 1
	configure || return 1
	works 49001
}
ktap_check "module loads again, datapath works (byte-exact download, UDP)" reload
nflb_loaded && _nflb_loaded_by_us=1

# 4: delete lb's namespace while it holds sessions
start_traffic
ktap_check "traffic again, before the namespace deletion" traffic_flowing
netns_del()
{
	local n

	n=$(obj_get "$(lb -j info)" sessions)
	echo "sessions in lb's namespace: $n"
	[ "${n:-0}" -gt 0 ] || { echo "no sessions to delete"; return 1; }
	ip netns del "$NS_LB" || return 1
	stop_traffic
	# the namespace goes away asynchronously; wait for its veths' peers
	wait_for 30 eval "! ip -n $NS_CL link show eth0 >/dev/null 2>&1" ||
		{ echo "client's veth still there"; return 1; }
	sleep 2
	dmesg_check
}
ktap_check "deleting lb's namespace with live sessions is clean" netns_del

# 5
unload_after()
{
	local out rc

	out=$(timeout 60 rmmod "$NFLB_MODNAME" 2>&1)
	rc=$?
	echo "rmmod: rc $rc $out"
	[ $rc -eq 0 ] && sleep 1 && dmesg_check
}
ktap_check "the module then unloads cleanly (nothing leaked)" unload_after
_nflb_loaded_by_us=0

# 6
bg_stop_all 2>/dev/null
topo_destroy 2>/dev/null
fresh()
{
	nflb_load || return 1
	setup || { echo "setup failed"; return 1; }
	works 49002
}
ktap_check "fresh namespaces and module: the datapath works again" fresh
nflb_loaded && _nflb_loaded_by_us=1

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
