# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Many paced, byte-checked downloads (tools/dlflows) and UDP flows
# (tools/udpecho) through a VIP, for the failover selftests; sourced after
# lib.sh.  Set XF_VIP, XF_PORT (and XF_VIP6, XF_RATE) first; XF_GATES is the directory the
# servers' dlflows -g watches (xfer_servers makes it).
#
#   xfer_servers            dlflows and udpecho on every server, on XF_PORT
#   downloads NAME COUNT SPORT STALL_SECS KIB GATE [VIP]
#                           COUNT downloads from source ports SPORT..,
#                           held at half until open_gate GATE
#   running NAME COUNT      every download of NAME under way, none finished
#   mark NAME               NAME prints "mark LEFT DONE" now
#   all_done NAME COUNT     all ended byte-exact, all under way at the mark
#   dl_summary NAME         results by kind ("done=50", "done=3 stalled=47")
#   udp NAME SPORT COUNT    one datagram a flow; $NFLB_TMP/NAME: "SPORT MEMBER"
#   udp_same A B            the same flows answered by the same members

XF_GATES=$NFLB_TMP/gates
XF_RATE=${XF_RATE:-96}
DLFLOWS=$TOOLS/dlflows
S=${NFLB_TIMEOUT_SCALE:-1}

xfer_servers()
{
	local i

	[ -x "$DLFLOWS" ] || { ktap_diag "$DLFLOWS not built: run 'make -C selftests'"; return 1; }
	mkdir -p "$XF_GATES" || return 1
	for ((i = 1; i <= NSERVERS; i++)); do
		bg "dl-s$i" "$(server_ns "$i")" "$DLFLOWS" -l -p "$XF_PORT" -r "$XF_RATE" -g "$XF_GATES"
	done
	for ((i = 1; i <= NSERVERS; i++)); do
		wait_listen "$(server_ns "$i")" "$XF_PORT" || return 1
	done
	srv_udpecho "$XF_PORT"
}

declare -A dl_kb=()
downloads()
{
	dl_kb[$1]=$5
	bg "$1" "$NS_CL" "$DLFLOWS" -a "${7:-$XF_VIP}" -p "$XF_PORT" -n "$2" -s $(($5 * 1024)) \
		-b "$3" -t "$4" -g "$6" -W -T $((300 * S))
}

open_gate()
{
	touch "$XF_GATES/go$1"
}

running()
{
	wait_for $((30 * S)) grep_out "$1" "^running $2\$" && return 0
	ktap_diag "$1: not all downloads under way: $(grep -v '^progress' "$(bg_out "$1")" | head -n 5)"
	return 1
}

dl_summary()
{
	grep -oE '^(done|bad|short|reset|stalled|error) ' "$(bg_out "$1")" |
		sort | uniq -c | awk '{ printf "%s%s=%s", s, $2, $1; s = " " }'
}

mark()
{
	kill -USR1 "$(bg_pid "$1")" 2>/dev/null &&
		wait_for 5 grep_out "$1" '^mark ' ||
		ktap_diag "$1: no mark (the downloads had ended)"
}

# under_way NAME: at the mark, none had finished and each had at least an
# eighth of its bytes still to come
under_way()
{
	local m

	m=$(grep -m1 '^mark ' "$(bg_out "$1")")
	[[ $m =~ ^mark\ ([0-9]+)\ 0$ ]] && [ "${BASH_REMATCH[1]}" -ge $((dl_kb[$1] * 1024 / 8)) ] &&
		return 0
	ktap_diag "$1: not all mid-transfer at the switch (${m:-no mark}: bytes left, finished)"
	return 1
}

all_done()
{
	local rc=0

	# (dlflows exits 0 exactly when it prints complete=N/N)
	bg_wait "$1" $((200 * S)) || rc=$?
	if grep_out "$1" "^complete=$2/$2\$"; then
		under_way "$1"
		return
	fi
	ktap_diag "$1: $(dl_summary "$1") (exit $rc, $(tail -n 1 "$(bg_out "$1")")); first failures:"
	ktap_diag "$(grep -E '^(bad|short|reset|stalled|error) ' "$(bg_out "$1")" | head -n 5)"
	return 1
}

# udp NAME SPORT COUNT [6 [VIP6]]
udp()
{
	local a=(-a "$XF_VIP")

	[ "${4:-4}" = 6 ] && a=(-6 -a "${5:-$XF_VIP6}")
	in_ns "$NS_CL" "$UDPECHO" "${a[@]}" -p "$XF_PORT" -b "$2" -c "$3" -t 2000 |
		awk '$1 == "reply" { print $2, $3 }' >"$NFLB_TMP/$1"
	[ "$(wc -l <"$NFLB_TMP/$1")" = "$3" ] && return 0
	ktap_diag "UDP flows $1 from port $2: $(wc -l <"$NFLB_TMP/$1") of $3 answered"
	return 1
}

udp_same()
{
	cmp -s "$NFLB_TMP/$1" "$NFLB_TMP/$2" && [ -s "$NFLB_TMP/$1" ] && return 0
	ktap_diag "UDP members before: $(tr '\n' ' ' <"$NFLB_TMP/$1")"
	ktap_diag "UDP members after:  $(tr '\n' ' ' <"$NFLB_TMP/$2")"
	return 1
}
