# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What both nodes of the benchmark configure, sourced by bench/bench.sh and
# bench/syncpeer.sh: a sync record is installed only where its virtual
# server and member exist, so node 2 in its own VM must have exactly these.

VIP=10.0.0.100
SRV="10.0.11.2 10.0.12.2 10.0.13.2"
TPORT=8080 UPORT=9000 BPORT=5201
# shellcheck disable=SC2034 # used by the scripts that source this
SYNC1=10.0.100.1 SYNC2=10.0.100.2	# the sync link: node 1, node 2

# vs_batch: the lbctl batch of the virtual servers (TCP rr, UDP rr, bulk TCP
# sh), a pool of the three servers each.
vs_batch()
{
	local p s port proto sched

	echo "timeout set udp 86400"
	for p in $TPORT:tcp:rr $UPORT:udp:rr $BPORT:tcp:sh; do
		IFS=: read -r port proto sched <<<"$p"
		echo "pool add p$port"
		for s in $SRV; do
			echo "member add p$port $s:$port"
		done
		echo "vs add v$port vip $VIP port $port proto $proto pool p$port sched $sched"
	done
}
