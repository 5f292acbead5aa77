#!/bin/bash
# kmemleak around a selftest run (make check-debug), inside the VM.
#
#   kmemleak.sh begin   stop the automatic scans (they would race with ours),
#                       scan once and forget what boot left behind
#   kmemleak.sh end     unload nflb, wait, scan twice, report; exit 1 on leaks
#
# Without kmemleak (Debian's kernel) both do nothing. A leak may only show
# after rmmod and a second scan (stale pointers on stacks hide it), and
# objects younger than 5 s are never reported. Leaks are printed as KTAP
# diagnostics; backtrace addresses in module space that no longer resolve
# belong to a module that was unloaded, normally nflb. "end" writes "ok" or
# "leaks N" to $NFLB_RESULTS/kmemleak for the caller.
set -u
kl=/sys/kernel/debug/kmemleak

[ -e "$kl" ] || { echo "# kmemleak: not available in this kernel"; exit 0; }

case "${1:-}" in
begin)
	echo scan=off >"$kl"
	echo scan >"$kl"
	echo clear >"$kl"
	echo "# kmemleak: automatic scans off, boot-time reports cleared"
	;;
end)
	if grep -q '^nflb ' /proc/modules; then
		echo "# kmemleak: nflb .text was at $(cat /sys/module/nflb/sections/.text 2>/dev/null)"
		rmmod nflb || echo "# kmemleak: rmmod nflb failed"
	fi
	sleep 6
	echo scan >"$kl"
	sleep 6
	echo scan >"$kl"
	report=$(cat "$kl")
	out=${NFLB_RESULTS:-/tmp}/kmemleak
	if [ -z "$report" ]; then
		echo "# kmemleak: no leaks (2 scans after rmmod)"
		echo ok >"$out"
		exit 0
	fi
	n=$(grep -c '^unreferenced object' <<<"$report")
	echo "$report" | head -n 400 | sed 's/^/# /'
	echo "# kmemleak: $n unreferenced objects"
	echo "leaks $n" >"$out"
	exit 1
	;;
*)
	echo "usage: $0 begin|end" >&2
	exit 2
	;;
esac
