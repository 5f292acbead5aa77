# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2015
#
# Helpers shared by the scheduler and pool tests (selftests/sched_*.sh), on
# top of lib.sh (sourced first).

SRCFLOWS=$TOOLS/srcflows

require_srcflows()
{
	[ -x "$SRCFLOWS" ] || ktap_abort "$SRCFLOWS not built: run 'make -C selftests'"
}

# ktap_measure DESC CMD...: like ktap_check, but CMD's output (what was
# measured) is shown as diagnostics whether it passes or not.
ktap_measure()
{
	local desc=$1 out rc

	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && ktap_diag "$out"
	if [ $rc -eq 0 ]; then
		ktap_ok "$desc"
	else
		ktap_fail "$desc"
		return 1
	fi
}

# member_objs [POOL]: the members of lbctl -j member show, one flat JSON
# object a line (their "stats" objects left out).
member_objs()
{
	json_objs "$(lb -j member show "$@" | tr -d '\n' | sed 's/"stats": *{[^{}]*}//g')"
}

# member_get ADDR:PORT FIELD [POOL]: a field of one member (IPv4 members).
member_get()
{
	local o a p

	while IFS= read -r o; do
		a=$(obj_get "$o" addr) && p=$(obj_get "$o" port) || continue
		[ "$a:$p" = "$1" ] || continue
		obj_get "$o" "$2"
		return
	done < <(member_objs "${@:3}")
	return 1
}

# member_created ADDR:PORT [POOL]: the member's sessions_created counter.
member_created()
{
	local o a p

	while IFS= read -r o; do
		a=$(obj_get "$o" addr) && p=$(obj_get "$o" port) || continue
		[ "$a:$p" = "$1" ] || continue
		[[ $o =~ \"sessions_created\"[[:space:]]*:[[:space:]]*([0-9]+) ]] &&
			echo "${BASH_REMATCH[1]}" && return 0
	done < <(json_objs "$(lb -j member show "${@:2}" | tr -d '\n' |
			      sed 's/"stats": *{\([^{}]*\)}/\1/g')")
	return 1
}

# vs_sessions VS: "client_port member" (member as ADDR:PORT) per session of VS,
# sorted by client port.
vs_sessions()
{
	lb session list vs "$1" | awk 'NR > 1 { n = split($4, c, ":"); print c[n], $6 }' | sort -n
}

# vs_sessions_by_client VS: "client_addr:port member" per session of VS.
vs_sessions_by_client()
{
	lb session list vs "$1" | awk 'NR > 1 { print $4, $6 }'
}

# count_members: reads "anything member" lines, prints "member count" lines.
count_members()
{
	awk '{ c[$NF]++ } END { for (m in c) print m, c[m] }' | sort
}

# lbbatch: the lbctl commands on stdin (one a line) in one lbctl -batch run
# (one process instead of one per command: processes are slow under TCG);
# quiet unless it fails.
lbbatch()
{
	local out

	out=$(lb -b - 2>&1) && return 0
	ktap_diag "lbctl -batch failed: $out"
	return 1
}
