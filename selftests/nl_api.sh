#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# nl_api: runs the raw generic netlink API test (nl_api.c, kselftest harness)
# with the family present: loads nflb if the "nflb" family is absent (and
# unloads it at exit), builds the client/lb/server topology the session-dump
# test uses and passes it in NFLB_NS_CL / NFLB_NS_LB.  The binary prints the
# KTAP; its exit status (0 pass, 1 fail) is ours.
. "$(dirname "$0")/lib.sh"

require_root
require_cmds ip
bin=$NFLB_SELFTESTS/nl_api
[ -x "$bin" ] || ktap_abort "$bin not built: run 'make -C selftests' on the host"

family_present()
{
	if command -v genl >/dev/null 2>&1; then
		genl ctrl get name nflb >/dev/null 2>&1
	else
		nflb_loaded
	fi
}

if ! family_present; then
	nflb_load || ktap_abort "cannot load nflb"
fi
topo_create 2 || ktap_abort "cannot build the topology"
dmesg_mark

NFLB_NS_CL=$NS_CL NFLB_NS_LB=$NS_LB "$bin"
rc=$?
if ! dmesg_check; then
	echo "# nl_api: kernel warnings during the test"
	[ "$rc" -eq 0 ] && rc=1
fi
exit "$rc"
