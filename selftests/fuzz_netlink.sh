#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# fuzz_netlink: random and mutated-from-valid nflb netlink messages
# (fuzz_netlink.c) while a client sends UDP datagrams and TCP SYNs to the
# virtual servers the fuzzer keeps re-creating.  Every message must get an
# answer (ack, error, or the end of a dump), no reply may be malformed, the
# kernel log must stay clean, and afterwards the module must still balance
# traffic and unload.
#
# NFLB_FUZZ_NL_COUNT: messages (default 10000; 100000 with NFLB_ROBUST_FULL=1,
# which make check-debug sets). NFLB_FUZZ_SEED: seed (default: random,
# printed), to replay a failure.
. "$(dirname "$0")/lib.sh"

FUZZ=$NFLB_SELFTESTS/fuzz_netlink
if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	count=${NFLB_FUZZ_NL_COUNT:-100000}
else
	count=${NFLB_FUZZ_NL_COUNT:-10000}
fi
seed=${NFLB_FUZZ_SEED:-$(( (RANDOM << 30) ^ (RANDOM << 15) ^ RANDOM ))}

ktap_header 5
require_root
require_tools
[ -x "$FUZZ" ] || ktap_abort "$FUZZ not built: run 'make -C selftests' on the host"
nflb_load || ktap_abort "cannot load nflb.ko"
topo_create 2 || ktap_abort "cannot build the topology"
dmesg_mark
srv_udpecho 5000 || ktap_abort "udpecho servers did not start"

ktap_diag "$count messages, seed $seed (NFLB_FUZZ_SEED=$seed to replay)"
in_ns "$NS_LB" "$FUZZ" -n "$count" -s "$seed" -4 "$VIP4" -6 "$VIP6" -p 5000 \
	-m "$(server4 1)" -m "$(server4 2)" -m "$(server6 1)" -m "$(server6 2)" \
	-T "/run/netns/$NS_CL" >"$NFLB_TMP/fuzz.out" 2>&1
rc=$?
sed 's/^/# /; s/^# # /# /' "$NFLB_TMP/fuzz.out" | grep -v -e '^# PASS$' -e '/.* messages, ' | tail -n 60
if [ "$rc" -eq 0 ] && grep -qx PASS "$NFLB_TMP/fuzz.out"; then
	ktap_ok "$count messages, each answered by an ack, an error or a dump's end"
else
	ktap_fail "$count messages, each answered by an ack, an error or a dump's end (exit $rc)"
fi

# The fuzzer flushed at the end: a fresh service must work, both families.
ok=1
lb_service u4 "$VIP4" 5000 udp && lb_service u6 "$VIP6" 5000 udp || ok=0
[ $ok = 1 ] && in_ns "$NS_CL" "$UDPECHO" -a "$VIP4" -p 5000 -c 4 -t 3000 >/dev/null || ok=0
[ $ok = 1 ] && in_ns "$NS_CL" "$UDPECHO" -6 -a "$VIP6" -p 5000 -c 4 -t 3000 >/dev/null || ok=0
ktap_check "UDP through both VIPs after fuzzing" [ $ok = 1 ]

info=$(lb -j info 2>/dev/null)
ktap_check "lbctl info parses and counts the new service" json_is "$info" '.vs_count == 2 and .pool_count == 2'

ktap_check "kernel log clean" dmesg_check

bg_stop_all
topo_destroy
ktap_check "module unloads" nflb_unload

ktap_finish
