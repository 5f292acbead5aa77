#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317 # checks are functions run via ktap_check
#
# lbctl_usage: lbctl's command line, checked without needing the kernel
# module: help texts (and that the man page carries every usage line), the
# version, usage errors (exit 2, a message saying what to fix, a hint),
# inputs that must be accepted (service and protocol names, IPv6 forms),
# batch line numbers and -force, and bash completion.
#
# "Accepted" means lbctl got past its parser: the exit status is not 2.  When
# run as root the commands run in a fresh network namespace, so that with
# nflb loaded they only touch an empty, throw-away configuration.
. "$(dirname "$0")/lib.sh"

MAN=$NFLB_SRC/Documentation/lbctl.8
COMPLETION=$NFLB_SRC/lbctl/completion/lbctl.bash

[ -x "$LBCTL" ] || ktap_skip_all "$LBCTL not built (make -C lbctl)"

ISO=()
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
	ISO=(unshare -n)
fi

# run ARGS...: lbctl with stdout/stderr in $NFLB_TMP/out, $NFLB_TMP/err; sets rc.
rc=0
run()
{
	"${ISO[@]}" "$LBCTL" "$@" >"$NFLB_TMP/out" 2>"$NFLB_TMP/err" </dev/null
	rc=$?
}

show()
{
	ktap_diag "exit $rc; stdout: $(head -c 600 "$NFLB_TMP/out")"
	ktap_diag "stderr: $(head -c 600 "$NFLB_TMP/err")"
}

# usage_case MSG-REGEX HINT-OBJECT ARGS...: must exit 2, say MSG, hint at help.
usage_case()
{
	local re=$1 hint=$2 desc

	shift 2
	desc="usage error: lbctl $*"
	run "$@"
	if [ $rc -eq 2 ] && grep -qE -- "$re" "$NFLB_TMP/err" &&
	   grep -qF "Try \`lbctl ${hint:+$hint }help\`" "$NFLB_TMP/err" &&
	   [ ! -s "$NFLB_TMP/out" ]; then
		ktap_ok "$desc"
	else
		ktap_diag "want exit 2, /$re/ and hint 'lbctl ${hint:+$hint }help'"
		show
		ktap_fail "$desc"
	fi
}

# accept_case ARGS...: the parser accepts it.
accept_case()
{
	run "$@"
	if [ $rc -ne 2 ] && ! grep -q 'Try `lbctl' "$NFLB_TMP/err"; then
		ktap_ok "accepted: lbctl $*"
	else
		show
		ktap_fail "accepted: lbctl $*"
	fi
}

USAGE_CASES=(
	"expected ADDR:PORT, got '10\.0\.0\.1'|member|member add p 10.0.0.1"
	"expected ADDR:PORT, got '10\.0\.0\.1:0'|member|member add p 10.0.0.1:0"
	"expected ADDR:PORT, got '10\.0\.0\.1:65536'|member|member add p 10.0.0.1:65536"
	"expected ADDR:PORT, got '300\.1\.1\.1:80'|member|member add p 300.1.1.1:80"
	"expected ADDR:PORT, got 'fd00::1:80'|member|member add p fd00::1:80"
	"expected ADDR:PORT, got '10\.0\.0\.1:nosuchservice'|member|member add p 10.0.0.1:nosuchservice"
	"weight: expected a number 0-65535, got '70000'|member|member add p 10.0.0.1:80 weight 70000"
	"state: expected up or down, got 'sideways'|member|member set p 10.0.0.1:80 state sideways"
	"set: nothing to change|member|member set p 10.0.0.1:80"
	"weight: missing value|member|member add p 10.0.0.1:80 weight"
	"unknown argument 'colour'|member|member add p 10.0.0.1:80 colour red"
	"proto: expected tcp or udp, got 'icmp'|vs|vs add web vip 10.0.0.1 port 80 proto icmp pool p"
	"missing port|vs|vs add web vip 10.0.0.1 proto tcp pool p"
	"missing pool|vs|vs add web vip 10.0.0.1:80 proto tcp"
	"missing proto|vs|vs add web vip 10.0.0.1:80 pool p"
	"port given twice|vs|vs add web vip 10.0.0.1:80 port 81 proto tcp pool p"
	"vip: expected an IPv4 or IPv6 address|vs|vs add web vip nonsense port 80 proto tcp pool p"
	"port: expected a number 1-65535 or a service name, got '0'|vs|vs add web vip 10.0.0.1 port 0 proto tcp pool p"
	"invalid name 'bad!name'|vs|vs add bad!name vip 10.0.0.1:80 proto tcp pool p"
	"invalid name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'|vs|vs add aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa vip 10.0.0.1:80 proto tcp pool p"
	"invalid name|vs|vs del ''"
	"sched: expected rr, wrr, lc, wlc, sh or mh, got 'fifo'|vs|vs add web vip 10.0.0.1:80 proto tcp pool p sched fifo"
	"max-sessions: expected a number|vs|vs add web vip 10.0.0.1:80 proto tcp pool p max-sessions -1"
	"mask4: expected a number 0-32, got '33'|vs|vs add web vip 10.0.0.1:80 proto tcp pool p persist 60 mask4 33"
	"vip cannot be changed|vs|vs set web vip 1.2.3.4"
	"proto cannot be changed|vs|vs set web proto udp"
	"set: nothing to change|vs|vs set web"
	"loose: expected on or off, got 'maybe'|vs|vs set web loose maybe"
	"unknown command 'frobnicate'|vs|vs frobnicate"
	"show: unexpected argument|vs|vs show a b"
	"expire-on-down: expected on or off|pool|pool add p expire-on-down sometimes"
	"del: missing NAME|pool|pool del"
	"tcp-established: 0 is only valid for a virtual server|timeout|timeout set tcp-established 0"
	"unknown state 'tcp-bogus'|timeout|timeout set web tcp-bogus 5"
	"tcp-established: expected seconds 0-2592000, got '2592001'|timeout|timeout set vs web tcp-established 2592001"
	"udp given twice|timeout|timeout set udp 5 udp 6"
	"set: missing STATE SECS|timeout|timeout set vs web"
	"max-sessions: expected a number 1-67108864, got '0'|global|global set max-sessions 0"
	"unknown argument 'colour'|global|global set colour 1"
	"client: expected ADDR or ADDR/LEN, got '10\.0\.0\.0/33'|session|session list client 10.0.0.0/33"
	"member: expected ADDR or ADDR:PORT|session|session flush member nonsense"
	"vs given twice|session|session list vs a vs b"
	"unknown command 'bogus'|stats|stats bogus"
	"unexpected argument 'x'|info|info x"
	"unexpected argument 'x'|flush|flush x"
	"unexpected argument 'x'|monitor|monitor x"
	"unexpected argument 'x'|save|save x"
	"unexpected argument 'sync-key'|save|save sync-key sync-key"
	"node-id: expected a number 1-255, got '0'|sync|sync set node-id 0 local 10.0.0.1 peer 10.0.0.2 key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"key: expected 64 hex digits|sync|sync set node-id 1 local 10.0.0.1 peer 10.0.0.2 key abcd"
	"set: at least one peer is required|sync|sync set node-id 1 local 10.0.0.1 key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"set: key is required|sync|sync set node-id 1 local 10.0.0.1 peer 10.0.0.2"
	"every address must be of the local address's family|sync|sync set node-id 1 local 10.0.0.1 peer fd00::2 key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"peer: expected an IPv4 or IPv6 address, got 'nonsense'|sync|sync set node-id 1 local 10.0.0.1 peer nonsense key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"timeout: missing value|sync|sync wait timeout"
	"rate: expected a number 1000-10000000, got '999'|sync|sync set node-id 1 local 10.0.0.1 peer 10.0.0.2 key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef rate 999"
	"delay: expected a number 1-1000, got '0'|sync|sync set node-id 1 local 10.0.0.1 peer 10.0.0.2 key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef delay 0"
	"delay: expected a number 1-1000, got '1001'|sync|sync set node-id 1 local 10.0.0.1 peer 10.0.0.2 key 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef delay 1001"
	"unknown command 'bogus'|sync|sync bogus"
	"unknown object 'frob'||frob"
	"unknown option '-q'||-q vs show"
	"option -n needs a network namespace name||-n"
	"-batch takes no command||-batch /dev/null vs show"
)

ACCEPT_CASES=(
	"member add p [fd00::1]:http"
	"member add p 10.0.0.1:https weight 0 state down max-conns 10 priority 2"
	"member del p [2001:db8::1]:8080"
	"vs add web vip [fd00::1]:80 proto tcp pool p"
	"vs add web vip 10.0.0.1 port http proto TCP pool p sched wrr loose reset-on-expiry"
	"vs add dns vip 10.0.0.1 port domain proto 17 pool p sched sh hash-port max-sessions 1000"
	"vs add web6 vip fd00::100 port 443 proto tcp pool p persist 300 mask4 24 mask6 64"
	"vs set web loose off hash-port on pool q sched lc"
	"timeout set vs web udp 0 tcp-established 300"
	"timeout set web tcp-close 5"
	"global set max-sessions 1000 udp 30"
	"session list client fd00::/64 member [fd00::1]:80 vs web"
	"session flush member 10.0.0.1 client 10.0.0.0/8"
	"sync set node-id 255 local fd00::1 port 7000 peer fd00::2 peer fd00::3 key 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
	"sync set node-id 1 local 10.0.0.1 peer 10.0.0.2 key 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF rate 10000000 delay 1000"
	"save sync-key"
)

HELP_OBJECTS=(vs pool member timeout global session stats monitor save restore flush info sync)

ktap_header $((6 + ${#HELP_OBJECTS[@]} + ${#USAGE_CASES[@]} + ${#ACCEPT_CASES[@]} + 8))

# --- version and help -------------------------------------------------------
run -V
if [ $rc -eq 0 ] && grep -qE '^lbctl [0-9]+\.[0-9]+' "$NFLB_TMP/out"; then
	ktap_ok "lbctl -V prints the version"
else
	show; ktap_fail "lbctl -V prints the version"
fi

run -j -V
if [ $rc -eq 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] and d["genl_version"] == 1' "$NFLB_TMP/out"; then
	ktap_ok "lbctl -j -V is JSON"
else
	show; ktap_fail "lbctl -j -V is JSON"
fi

run help
if [ $rc -eq 0 ] && grep -q '^Usage: lbctl \[OPTIONS\] OBJECT' "$NFLB_TMP/out"; then
	ktap_ok "lbctl help"
else
	show; ktap_fail "lbctl help"
fi

run -h
if [ $rc -eq 0 ] && grep -q '^Usage: lbctl' "$NFLB_TMP/out"; then
	ktap_ok "lbctl -h"
else
	show; ktap_fail "lbctl -h"
fi

run
if [ $rc -eq 2 ] && grep -q '^Usage: lbctl' "$NFLB_TMP/err"; then
	ktap_ok "no arguments: usage on stderr, exit 2"
else
	show; ktap_fail "no arguments: usage on stderr, exit 2"
fi

for o in "${HELP_OBJECTS[@]}"; do
	run "$o" help
	if [ $rc -eq 0 ] && grep -q "^Usage: lbctl $o" "$NFLB_TMP/out"; then
		ktap_ok "lbctl $o help"
	else
		show; ktap_fail "lbctl $o help"
	fi
done

# Every command synopsis of the help texts appears in the man page.
man_has_usage()
{
	local man o
	man=$(groff -man -Tascii -P-cbou "$MAN" 2>/dev/null | tr -s ' \n\t' '   ') || return 1
	[ -n "$man" ] || { echo "cannot render $MAN"; return 1; }
	for o in "" "${HELP_OBJECTS[@]}"; do
		# One command a record: a line starting with "Usage:" or "lbctl"
		# (after blanks) plus the indented continuation lines that follow.
		"$LBCTL" ${o:+"$o"} help | awk '
			/^(Usage: )?lbctl / || /^ +lbctl / { if (c != "") print c; sub(/^(Usage: )? */, ""); c = $0; next }
			/^ +[[\-]/ && c != "" { c = c " " $0; next }
			{ if (c != "") print c; c = "" }
			END { if (c != "") print c }' |
		tr -s ' \t' '  ' | while IFS= read -r u; do
			u=${u% }
			if [[ $man != *"$u"* ]]; then
				echo "not in the man page: $u"
				return 1
			fi
		done || return 1
	done
}
if command -v groff >/dev/null; then
	ktap_check "man page carries every usage line" man_has_usage
else
	ktap_skip "man page carries every usage line" "groff not installed"
fi

# --- usage errors ---------------------------------------------------------------
for c in "${USAGE_CASES[@]}"; do
	IFS='|' read -r re hint args <<<"$c"
	eval "set -- $args"
	usage_case "$re" "$hint" "$@"
done

# --- accepted inputs ------------------------------------------------------------
for c in "${ACCEPT_CASES[@]}"; do
	# shellcheck disable=SC2086 # word splitting intended
	accept_case $c
done

# --- batch --------------------------------------------------------------------------
printf '# comment\n\nvs help\nmember add p 10.0.0.1\npool help\n' >"$NFLB_TMP/b1"
run -batch "$NFLB_TMP/b1"
if [ $rc -eq 1 ] && grep -q "^lbctl: line 4: member: expected ADDR:PORT, got '10.0.0.1'" "$NFLB_TMP/err" &&
   grep -q '^Usage: lbctl vs add' "$NFLB_TMP/out" && ! grep -q '^Usage: lbctl pool' "$NFLB_TMP/out"; then
	ktap_ok "batch stops at the first bad line and names it"
else
	show; ktap_fail "batch stops at the first bad line and names it"
fi

run -force -batch "$NFLB_TMP/b1"
if [ $rc -eq 1 ] && grep -q "^lbctl: line 4: " "$NFLB_TMP/err" && grep -q '^Usage: lbctl pool' "$NFLB_TMP/out"; then
	ktap_ok "batch -force runs every line and exits 1"
else
	show; ktap_fail "batch -force runs every line and exits 1"
fi

printf 'lbctl vs help\n"pool" '\''help'\''  # trailing comment\nvs add "unterminated\n' >"$NFLB_TMP/b2"
run -batch "$NFLB_TMP/b2"
if [ $rc -eq 1 ] && grep -q '^lbctl: line 3: unterminated quote' "$NFLB_TMP/err" &&
   grep -q '^Usage: lbctl pool' "$NFLB_TMP/out"; then
	ktap_ok "batch: optional leading lbctl, quotes, comments"
else
	show; ktap_fail "batch: optional leading lbctl, quotes, comments"
fi

printf 'monitor\n' >"$NFLB_TMP/b3"
run -batch "$NFLB_TMP/b3"
if [ $rc -eq 1 ] && grep -q 'line 1: "monitor" cannot be used in a batch' "$NFLB_TMP/err"; then
	ktap_ok "batch refuses monitor"
else
	show; ktap_fail "batch refuses monitor"
fi

run -batch "$NFLB_TMP/does-not-exist"
if [ $rc -eq 1 ] && grep -q 'cannot open' "$NFLB_TMP/err"; then
	ktap_ok "batch: missing file is an error"
else
	show; ktap_fail "batch: missing file is an error"
fi

# restore reads stdin like -batch
"${ISO[@]}" "$LBCTL" restore >"$NFLB_TMP/out" 2>"$NFLB_TMP/err" <<<$'pool help\nvs add'
rc=$?
if [ $rc -eq 1 ] && grep -q '^lbctl: line 2: vs: add: missing NAME' "$NFLB_TMP/err" &&
   grep -q '^Usage: lbctl pool' "$NFLB_TMP/out"; then
	ktap_ok "restore reads standard input"
else
	show; ktap_fail "restore reads standard input"
fi

# --- netns --------------------------------------------------------------------
run -n nflb-no-such-netns-$$ info
if [ $rc -eq 1 ] && grep -q 'cannot open network namespace "nflb-no-such-netns' "$NFLB_TMP/err"; then
	ktap_ok "-n with a missing namespace fails"
else
	show; ktap_fail "-n with a missing namespace fails"
fi

# --- bash completion ----------------------------------------------------------------
completion()
{
	bash -c '
		. "$1" || exit 1
		t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _lbctl; echo "${COMPREPLY[*]}"; }
		[ "$(t lbctl se)" = "session" ] || { echo "objects: $(t lbctl se)"; exit 1; }
		[ "$(t lbctl vs add web proto "")" = "tcp udp" ] || { echo proto; exit 1; }
		[ "$(t lbctl vs set web loose "")" = "on off" ] || { echo onoff; exit 1; }
		[ "$(t lbctl member add p 1.1.1.1:1 state "")" = "up down" ] || { echo state; exit 1; }
		[[ "$(t lbctl timeout set web tcp-e)" = "tcp-established" ]] || { echo timeout; exit 1; }
		[[ "$(t lbctl -j -p)" = "-p -pretty" ]] || { echo options; exit 1; }
		[ "$(t lbctl sync "")" = "set show wait del help" ] || { echo sync; exit 1; }
		[ "$(t lbctl save s)" = "sync-key" ] || { echo save; exit 1; }
	' _ "$COMPLETION"
}
ktap_check "bash completion" completion

ktap_finish
