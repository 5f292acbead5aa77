#!/bin/bash
# Scan kernel logs for splats; print each with context and exit 1 if any is found.
#   scan-klog.sh FILE...   (missing files are ignored)
# Used by the VM runner over the whole boot (console.log, dmesg.txt) and by
# run_tests.sh over each test's slice of dmesg.
set -u
pat='Kernel panic|BUG:|WARNING:|Oops|RCU stall|rcu_sched self-detected|rcu: INFO|KASAN|UBSAN|kmemleak: .*suspected memory leak|unreferenced object|general protection|Call Trace|blocked for more than|soft lockup|hard LOCKUP|list_(add|del) corruption|ODEBUG:|DEBUG_LOCKS_WARN'
for f in "$@"; do
	[ -s "$f" ] || continue
	if tr -d '\r' <"$f" | grep -Eq "$pat"; then
		echo "kernel log problem in $f:" >&2
		tr -d '\r' <"$f" | grep -E -B 3 -A 30 "$pat" | head -n 200 | sed 's/^/klog|  /' >&2
		exit 1
	fi
done
exit 0
