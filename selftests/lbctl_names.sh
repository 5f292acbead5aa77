#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# lbctl_names: every name the kernel accepts (1-31 characters of
# [A-Za-z0-9_.-]) works in every NAME position of lbctl, also names that
# spell a keyword (help, show, vs, pool, udp, on, ...), start with "-"
# (-j, -, --, -force), are "." or "..", look like numbers (0, 0x10) or are 31
# characters long:
# - pool add, member add, vs add (pool POOL), timeout set vs NAME and the
#   bare timeout set NAME create them;
# - vs/pool/member/timeout show, session list vs, stats vs show them
#   (text and JSON);
# - save / flush / restore / save gives the same lines back;
# - a session of a virtual server named "help" is listed, counted and
#   flushed under that name.
. "$(dirname "$0")/lib.sh"

require_root
require_cmds python3 ip
require_tools
[ -x "$LBCTL" ] || ktap_skip_all "$LBCTL not built"

ktap_header 6
nflb_load || ktap_abort "cannot load nflb"
topo_create 1 || ktap_abort "cannot build the topology"

D=$NFLB_TMP
N31=abcdefghij0123456789ABCDEFGHIJ_
NAMES=(help h show list ls add set change del delete vip port proto pool sched
	loose drain all vs member timeout session stats global monitor save
	restore flush info up down on off udp tcp-close tcp-established
	-j -n -s -force -batch -V - -- . .. 0 1 0x10 _ "$N31")
# Also run one command a process for these (the rest in batches: processes
# start slowly under TCG; main() parses options only before OBJECT anyway).
ARGV_NAMES=(help vs udp -j -force -- - . 0x10 "$N31")
# Names the bare "timeout set NAME STATE SECS" cannot take (lbctl.8): the
# keyword vs and the STATEs.  "timeout set vs NAME" takes them.
is_bare_ok()
{
	case $1 in
	vs|udp|tcp-*) return 1 ;;
	esac
	return 0
}

GLOBAL_TO=(tcp-syn-sent:120 tcp-syn-recv:60 tcp-established:900 tcp-fin-wait:120
	tcp-close-wait:60 tcp-last-ack:30 tcp-time-wait:120 tcp-close:10 udp:300)

# timeout_lines NAME: its "timeout set" commands, one a line.
timeout_lines()
{
	echo "timeout set vs $1 udp 33"
	if is_bare_ok "$1"; then
		echo "timeout set $1 tcp-close 7"
	fi
}

# Pool NAME with member 10.1.0.I:80 weight 2; virtual server NAME at
# 10.2.0.I:80/tcp on pool NAME with udp 33 (and, bare form, tcp-close 7).
check_create()
{
	local i=0 n l

	: >"$D/to.batch"
	for n in "${NAMES[@]}"; do
		i=$((i + 1))
		lbq pool add "$n" &&
		lbq member add "$n" "10.1.0.$i:80" weight 2 &&
		lbq vs add "$n" vip "10.2.0.$i" port 80 proto tcp pool "$n" || return 1
		[[ " ${ARGV_NAMES[*]} " = *" $n "* ]] || timeout_lines "$n" >>"$D/to.batch"
	done
	for n in "${ARGV_NAMES[@]}"; do
		while read -r l; do
			# shellcheck disable=SC2086 # words of the command
			lbq $l || return 1
		done < <(timeout_lines "$n")
	done
	lbq -batch "$D/to.batch" || return 1
	lb -j info >"$D/info.json" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2]); assert (d["vs_count"], d["pool_count"], d["member_count"]) == (n, n, n), d' \
		"$D/info.json" "${#NAMES[@]}"
}

# timeouts_of NAME: the lines of "timeout show [vs] NAME", blanks squeezed.
timeouts_of()
{
	local t s v

	for t in "${GLOBAL_TO[@]}"; do
		s=${t%%:*} v=${t#*:}
		if [ "$s" = udp ]; then
			echo "udp 33"
		elif [ "$s" = tcp-close ] && is_bare_ok "$1"; then
			echo "tcp-close 7"
		else
			echo "$s $v (global)"
		fi
	done
}

# The show commands, one batch (one process), against the exact text.
check_show()
{
	local i=0 n to

	: >"$D/show.batch"
	: >"$D/want"
	for n in "${NAMES[@]}"; do
		i=$((i + 1))
		printf 'vs show %s\npool show %s\nmember show %s\n' "$n" "$n" "$n" >>"$D/show.batch"
		printf 'timeout show vs %s\ntimeout show %s\nsession list vs %s\n' "$n" "$n" "$n" >>"$D/show.batch"
		to="udp 33"
		is_bare_ok "$n" && to="tcp-close 7 udp 33"
		{
			echo "$n vip 10.2.0.$i port 80 proto tcp pool $n sched rr active 0"
			echo " timeouts $to"
			echo "$n members 1 users 1 expire-on-down off min-active 0"
			echo " check none"
			echo " passive on fails 5 hold 10 hold-max 300 max-eject 50"
			echo "POOL MEMBER WEIGHT STATE MAX-CONNS PRIORITY ACTIVE DRAIN-TIMEOUT HEALTH W-NOW SINCE REASON"
			echo "$n 10.1.0.$i:80 2 up 0 0 0 0 up 2 TIME -"
			timeouts_of "$n"
			timeouts_of "$n"
			echo "VS PROTO STATE CLIENT VIP MEMBER EXPIRES OWNER"
		} >>"$D/want"
	done
	lb -batch "$D/show.batch" >"$D/show.raw" || { cat "$D/show.raw"; return 1; }
	# (a member's health since: a time, here TIME)
	tr -s ' ' <"$D/show.raw" |
		sed -E 's/ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} / TIME /' >"$D/show.txt"
	diff -u "$D/want" "$D/show.txt"
}

# JSON: names come back as strings, unchanged; stats [show] vs NAME.
check_json()
{
	local n

	lb -j vs show >"$D/vs.json" && lb -j pool show >"$D/pool.json" &&
	lb -j member show >"$D/member.json" || return 1
	: >"$D/stats.json"
	for n in "${ARGV_NAMES[@]}"; do
		lb -j stats vs "$n" >>"$D/stats.json" || return 1
	done
	for n in "${NAMES[@]}"; do
		echo "stats show vs $n"
	done >"$D/stats.batch"
	lb -j -batch "$D/stats.batch" >>"$D/stats.json" || return 1
	python3 - "$D/vs.json" "$D/pool.json" "$D/member.json" "$D/stats.json" \
		"${#ARGV_NAMES[@]}" "${ARGV_NAMES[@]}" "${NAMES[@]}" <<'PY'
import json, sys
vs, pools, members = (json.load(open(f)) for f in sys.argv[1:4])
raw, stats = open(sys.argv[4]).read(), []
dec, pos = json.JSONDecoder(), 0
while raw[pos:].strip():
    while raw[pos].isspace():
        pos += 1
    o, pos = dec.raw_decode(raw, pos)
    stats.append(o)
k = int(sys.argv[5])
argv_names, names = sys.argv[6:6 + k], sys.argv[6 + k:]
assert [s["vs"][0]["name"] for s in stats] == argv_names + names, [s["vs"] for s in stats]
assert all(len(s["vs"]) == 1 and "global" in s for s in stats)
want = sorted(names)
assert sorted(v["name"] for v in vs) == want, [v["name"] for v in vs]
assert all(v["pool"] == v["name"] and v["timeouts"]["udp"] == 33 for v in vs), vs
assert sorted(p["name"] for p in pools) == want, [p["name"] for p in pools]
assert sorted(m["pool"] for m in members) == want, [m["pool"] for m in members]
for i, n in enumerate(names, 1):
    v = next(v for v in vs if v["name"] == n)
    m = next(m for m in members if m["pool"] == n)
    assert v["vip"] == "10.2.0.%d" % i and m["addr"] == "10.1.0.%d" % i, (v, m)
PY
}

check_save_restore()
{
	local out

	lb save >"$D/save1" || return 1
	python3 - "$D/save1" "${NAMES[@]}" <<'PY' || return 1
import sys
lines = set(open(sys.argv[1]).read().split("\n"))
for i, n in enumerate(sys.argv[2:], 1):
    bare = not (n == "vs" or n == "udp" or n.startswith("tcp-"))
    want = ["pool add %s" % n, "member add %s 10.1.0.%d:80 weight 2" % (n, i),
            "vs add %s vip 10.2.0.%d port 80 proto tcp pool %s sched rr" % (n, i, n),
            "timeout set vs %s%s udp 33" % (n, " tcp-close 7" if bare else "")]
    for w in want:
        assert w in lines, "save lacks %r" % w
PY
	lbq flush || return 1
	lb save >"$D/save0" || return 1
	grep -q '^vs add\|^pool add\|^member add' "$D/save0" && { echo "flush left:"; cat "$D/save0"; return 1; }
	out=$(lb restore "$D/save1" 2>&1) || { echo "restore: $out"; return 1; }
	[ -z "$out" ] || { echo "restore printed: $out"; return 1; }
	lb save >"$D/save2" || return 1
	diff -u "$D/save1" "$D/save2" || return 1
	# and what was restored shows as before
	check_show
}

# A real session of a virtual server named "help", member of pool "-j".
check_session()
{
	local out

	lbq flush &&
	lbq pool add -j &&
	lbq member add -j 10.0.11.2:5353 &&
	lbq vs add help vip 10.0.0.100:5353 proto udp pool -j || return 1
	srv_udpecho 5353 || return 1
	in_ns "$NS_CL" "$UDPECHO" -a 10.0.0.100 -p 5353 -b 40000 -c 1 -t 3000 >"$D/udp.out" ||
		{ echo "UDP through the VIP failed:"; cat "$D/udp.out"; return 1; }
	lb session list vs help >"$D/sess.txt" || return 1
	[ "$(grep -c '^help  *udp  *udp  *10\.0\.1\.2:40000  *10\.0\.0\.100:5353  *10\.0\.11\.2:5353 ' "$D/sess.txt")" = 1 ] ||
		{ echo "want 1 session of vs help"; cat "$D/sess.txt"; return 1; }
	lb -j -s stats vs help >"$D/st.json" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d["vs"][0]; assert v["name"] == "help" and v["sessions_created"] == 1, v; assert [m["pool"] for m in d["members"]] == ["-j"], d["members"]' \
		"$D/st.json" || return 1
	out=$(lb member show -j | tr -s ' ' | sed -n 2p | cut -d ' ' -f 1-8)	# (not health)
	[ "$out" = "-j 10.0.11.2:5353 1 up 0 0 1 0" ] || { echo "member show -j: $out"; return 1; }
	lbq session flush vs help &&
	lb -j session list vs help >"$D/s2.json" &&
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == []' "$D/s2.json"
}

ktap_check "add pools, members, virtual servers and timeouts with tricky names" check_create
ktap_check "show commands take each name literally" check_show
ktap_check "JSON output and stats vs NAME" check_json
ktap_check "save, flush, restore: same configuration" check_save_restore
ktap_check "session list/flush, stats of a virtual server named help" check_session
ktap_check "help is still a command where a command is expected" eval \
	'lb vs help | grep -q "^Usage: lbctl vs add" && lb pool help | grep -q "^Usage: lbctl pool add" &&
	 lb member help | grep -q "^Usage: lbctl member add" && lb timeout help | grep -q "^Usage: lbctl timeout set"'

ktap_finish
