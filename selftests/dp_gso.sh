#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# dp_gso: byte-exact transfers through the VIP with the packet shapes the
# offload settings of the veths produce (veth does not produce
# CHECKSUM_COMPLETE, so these are the PARTIAL / NONE / UNNECESSARY shapes):
#   A  TSO senders, GRO on lb: GSO super-packets, CHECKSUM_PARTIAL end to end
#   B  as A, lb's egress without TX checksum offload: the stack finishes the
#      checksum from the PARTIAL seed nflb adjusted, receivers verify it
#   C  senders without TX checksum offload (full checksums, CHECKSUM_NONE),
#      GRO on lb (validated, aggregated), software checksum on lb's egress
#   D  no offload anywhere: every segment on its own, full checksums that
#      nflb updates incrementally and receivers verify
# Each: 1 MiB IPv4 download and upload and IPv6 download, compared by sha256;
# nflb never counts a good packet as a bad checksum.

# Braces: bash parses the whole test before running it, so editing the file
# during a run cannot break that run.
{
. "$(dirname "$0")/lib.sh"

require_root
require_cmds socat ethtool
require_tools

ktap_header 10
dmesg_mark
nflb_load || ktap_abort "cannot load nflb"
TOPO_CSUM_STRICT=0 topo_create 3 || ktap_abort "cannot build the topology"

D=$NFLB_TMP
MIB=1048576
mkdata "$D/data" $MIB
mkdir -p "$D/up"
srv_download 80 "$D/data" && srv_upload 81 "$D/up" || ktap_abort "cannot start the servers"
lb_service web "$VIP4" 80 tcp && lb_service up "$VIP4" 81 tcp &&
	lb_service web6 "$VIP6" 80 tcp || ktap_abort "cannot configure nflb"

LB_DEVS="cl0 s1 s2 s3"
# feat WHERE FEATURES...: WHERE = lb or ends (client and servers' eth0)
feat()
{
	local where=$1 ns

	shift
	if [ "$where" = lb ]; then
		# shellcheck disable=SC2016,SC2086
		in_ns "$NS_LB" sh -c 'f=$1; shift; for d; do ethtool -K "$d" $f >/dev/null 2>&1 || exit 1; done' \
			sh "$*" $LB_DEVS || { ktap_diag "ethtool -K (lb) $* failed"; return 1; }
	else
		for ns in "$NS_CL" "$NS_S1" "$NS_S2" "$NS_S3"; do
			in_ns "$ns" ethtool -K eth0 "$@" >/dev/null 2>&1 ||
				{ ktap_diag "ethtool -K (end) $* failed"; return 1; }
		done
	fi
}

port=51000
v4_both()
{
	local up

	port=$((port + 1))
	cl_download "$VIP4" 80 $port "$D/dl.$port" || { echo "IPv4 download failed"; return 1; }
	same_file "$D/data" "$D/dl.$port" || return 1
	cl_upload "$VIP4" 81 $port "$D/data" || { echo "IPv4 upload failed"; return 1; }
	wait_for 20 eval "[ \"\$(cat $D/up/up-s*-$port 2>/dev/null | wc -c)\" -ge $MIB ]"
	up=$(echo "$D"/up/up-s*-$port)
	same_file "$D/data" "$up"
}
v6_dl()
{
	port=$((port + 1))
	cl_download "$VIP6" 80 $port "$D/dl.$port" || { echo "IPv6 download failed"; return 1; }
	same_file "$D/data" "$D/dl.$port"
}

# the ports must differ between checks run in subshells: pass them explicitly
variant()
{
	port=$1
	shift
	"$@"
}

# A
feat ends tx on tso on gso on && feat lb tx on tso on gso on gro on
ktap_check "A (TSO senders, GRO on lb, offload end to end): IPv4 down+up byte-exact" variant 51100 v4_both
ktap_check "A: IPv6 download byte-exact" variant 51110 v6_dl
# B
feat lb tx off
ktap_check "B (as A, software checksum on lb's egress): IPv4 down+up byte-exact" variant 51200 v4_both
ktap_check "B: IPv6 download byte-exact" variant 51210 v6_dl
# C
feat ends tx off && feat lb gro on
ktap_check "C (full-checksum senders, GRO on lb): IPv4 down+up byte-exact" variant 51300 v4_both
ktap_check "C: IPv6 download byte-exact" variant 51310 v6_dl
# D
feat ends tx off tso off gso off gro off && feat lb tx off tso off gso off gro off
ktap_check "D (no offload anywhere): IPv4 down+up byte-exact" variant 51400 v4_both
ktap_check "D: IPv6 download byte-exact" variant 51410 v6_dl

nodrop()
{
	local st k v bad=0

	st=$(lb -j stats)
	for k in drop_bad_csum drop_malformed drop_no_session; do
		v=$(json_num "$st" $k)
		echo "$k=$v"
		[ "$v" = 0 ] || bad=1
	done
	[ $bad = 0 ]
}
ktap_check "no packet counted as bad checksum, malformed or sessionless" nodrop

ktap_check "no kernel warnings" dmesg_check
ktap_finish
}
