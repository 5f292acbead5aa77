#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# lbctl_cli: lbctl against the module.
# - text output of every show command (exact lines) and JSON output (parsed
#   with python3's json, keys and values checked), sessions included;
# - kernel refusals exit 1 with "Error: <extack message>";
# - -batch stops at the failing line and names it; -force runs every line,
#   also in a big batch (errors mapped to the right lines);
# - save / flush / restore gives back the same configuration (same save);
#   with sync: save sync-key writes the sync line with its key, which restore
#   runs; a save without sync-key has no key and restore leaves sync off;
# - monitor (text and -j) sees every change, one line per event;
# - -n NETNS, vs set flag changes, stats zero, unprivileged EPERM.
. "$(dirname "$0")/lib.sh"

require_root
require_cmds python3 ip
require_tools
[ -x "$LBCTL" ] || ktap_skip_all "$LBCTL not built"

ktap_header 16
nflb_load || ktap_abort "cannot load nflb"
topo_create 2 || ktap_abort "cannot build the topology"

D=$NFLB_TMP

# pycheck FILE CODE: python3 with d = the JSON in FILE; CODE asserts.
pycheck()
{
	python3 - "$1" "$2" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
try:
    d = json.loads(raw)
except ValueError as e:
    print("not JSON (%s): %r" % (e, raw[:300]))
    sys.exit(1)
try:
    exec(sys.argv[2], {"d": d, "json": json})
except AssertionError as e:
    print("assertion failed: %s\nJSON: %s" % (e, json.dumps(d)[:1500]))
    sys.exit(1)
PY
}

# expect_lines FILE: FILE equals stdin, else show a diff.
expect_lines()
{
	local want=$D/want.$RANDOM

	cat >"$want"
	diff -u "$want" "$1" >"$D/diff" && return 0
	cat "$D/diff"
	return 1
}

STATS_KEYS='["pkts_in","bytes_in","pkts_out","bytes_out","sessions_created","sessions_expired","sessions_active","drop_no_session","drop_session_limit","drop_malformed","drop_no_member","drop_bad_csum","drop_nomem","resets_sent","icmp_xlated","drop_out_of_window","sessions_evicted","passive_fails","ejections","ejections_capped"]'
# the netns totals also count persistence entries (an attribute before the
# passive detection counters)
GLOBAL_KEYS='["pkts_in","bytes_in","pkts_out","bytes_out","sessions_created","sessions_expired","sessions_active","drop_no_session","drop_session_limit","drop_malformed","drop_no_member","drop_bad_csum","drop_nomem","resets_sent","icmp_xlated","drop_out_of_window","sessions_evicted","persist_active","passive_fails","ejections","ejections_capped"]'
STATES='["tcp-syn-sent","tcp-syn-recv","tcp-established","tcp-fin-wait","tcp-close-wait","tcp-last-ack","tcp-time-wait","tcp-close","udp"]'

# A configuration used by several checks.
setup_config()
{
	lbq pool add web &&
	lbq member add web 10.0.11.2:5353 weight 3 &&
	lbq member add web 10.0.12.2:5353 &&
	lbq member add web '[fd00:11::2]:5353' state down &&
	lbq pool add back &&
	lbq vs add dns vip 10.0.0.100:5353 proto udp pool web sched wrr &&
	lbq vs add web6 vip '[fd00::100]:https' proto tcp pool back loose reset-on-expiry max-sessions 100 &&
	# 240 s: check_sessions reads the UDP sessions with several lbctl runs, each
	# slow with ASan on the debug kernel (20 s expired them there).
	lbq timeout set vs dns udp 240 &&
	lbq timeout set tcp-syn-sent 100 tcp-close 5 &&
	lbq global set max-sessions 500000
}

check_text()
{
	lb vs show >"$D/vs.txt" || return 1
	expect_lines "$D/vs.txt" <<-'EOF2' || return 1
	dns vip 10.0.0.100 port 5353 proto udp pool web sched wrr active 0
	    timeouts udp 240
	web6 vip fd00::100 port 443 proto tcp pool back sched rr loose reset-on-expiry max-sessions 100 active 0
	EOF2
	lb pool show >"$D/pool.txt" || return 1
	expect_lines "$D/pool.txt" <<-'EOF2' || return 1
	web members 3 users 1 expire-on-down off min-active 0
	    check none
	    passive on fails 5 hold 10 hold-max 300 max-eject 50
	back members 0 users 1 expire-on-down off min-active 0
	    check none
	    passive on fails 5 hold 10 hold-max 300 max-eject 50
	EOF2
	# (the health's since: a time, here TIME)
	lb member show web | tr -s ' ' |
		sed -E 's/ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} / TIME /' >"$D/member.txt" || return 1
	expect_lines "$D/member.txt" <<-'EOF2' || return 1
	POOL MEMBER WEIGHT STATE MAX-CONNS PRIORITY ACTIVE DRAIN-TIMEOUT HEALTH W-NOW SINCE REASON
	web 10.0.11.2:5353 3 up 0 0 0 0 up 3 TIME -
	web 10.0.12.2:5353 1 up 0 0 0 0 up 1 TIME -
	web [fd00:11::2]:5353 1 down 0 0 0 0 up 1 TIME -
	EOF2
	lb global show >"$D/global.txt" || return 1
	expect_lines "$D/global.txt" <<-'EOF2' || return 1
	max-sessions 500000 max-members 262144 max-vs 65536 max-pools 65536 max-mh-size 131071 expire-nodest on
	timeouts tcp-syn-sent 100 tcp-syn-recv 60 tcp-established 900 tcp-fin-wait 120 tcp-close-wait 60 tcp-last-ack 30 tcp-time-wait 120 tcp-close 5 udp 300
	EOF2
	lb timeout show dns | tr -s ' ' >"$D/to.txt" || return 1
	expect_lines "$D/to.txt" <<-'EOF2' || return 1
	tcp-syn-sent 100 (global)
	tcp-syn-recv 60 (global)
	tcp-established 900 (global)
	tcp-fin-wait 120 (global)
	tcp-close-wait 60 (global)
	tcp-last-ack 30 (global)
	tcp-time-wait 120 (global)
	tcp-close 5 (global)
	udp 240
	EOF2
	lb -s vs show dns >"$D/vss.txt" || return 1
	grep -q '^    pkts_in [0-9]* bytes_in [0-9]* pkts_out [0-9]* bytes_out [0-9]*$' "$D/vss.txt" ||
		{ echo "vs show -s: no counters"; cat "$D/vss.txt"; return 1; }
	lb info >"$D/info.txt" || return 1
	grep -Eq '^vs-count +2$' "$D/info.txt" && grep -Eq '^member-count +3$' "$D/info.txt" ||
		{ cat "$D/info.txt"; return 1; }
}

check_json()
{
	lb -j vs show >"$D/vs.json" &&
	pycheck "$D/vs.json" "
keys = {'name','vip','port','proto','pool','sched','flags','max_sessions','active','timeouts','persist','stats'}
assert isinstance(d, list) and len(d) == 2, 'two virtual servers'
for v in d:
    assert keys <= set(v), 'missing keys %s' % (keys - set(v))
    assert list(v['stats']) == $STATS_KEYS, 'stats keys'
    assert list(v['timeouts']) == $STATES, 'timeout keys'
    assert set(v['persist']) == {'timeout','mask4','mask6'}
dns, web6 = d
assert (dns['name'], dns['vip'], dns['port'], dns['proto'], dns['pool'], dns['sched']) == ('dns', '10.0.0.100', 5353, 'udp', 'web', 'wrr')
assert dns['flags'] == [] and dns['max_sessions'] == 0 and dns['timeouts']['udp'] == 240 and dns['timeouts']['tcp-close'] == 0
assert (web6['vip'], web6['port'], web6['proto']) == ('fd00::100', 443, 'tcp')
assert web6['flags'] == ['loose', 'reset-on-expiry'] and web6['max_sessions'] == 100
" || return 1
	lb -p pool show >"$D/pool.json" &&
	pycheck "$D/pool.json" "
check = {'type':'none','port':0,'status_min':200,'status_max':399,'interval_ms':2000,
         'timeout_ms':1000,'rise':2,'fall':3,'slow_start':0,'tls_verify':False}
passive = {'enabled':True,'fails':5,'hold_ms':10000,'hold_max_ms':300000,'max_eject':50}
assert d == [{'name':'web','members':3,'users':1,'expire_on_down':False,'min_active':0,
              'check':check,'passive':passive},
             {'name':'back','members':0,'users':1,'expire_on_down':False,'min_active':0,
              'check':check,'passive':passive}], d
" || return 1
	lb -j member show web >"$D/member.json" &&
	pycheck "$D/member.json" "
assert len(d) == 3
for m in d:
    assert set(m) == {'pool','addr','port','weight','state','max_conns','priority','drain_timeout','active',
                      'health','weight_now','health_since','health_reason','check_port','stats'}, set(m)
    assert list(m['stats']) == $STATS_KEYS
    assert m['health'] == 'up' and m['health_reason'] == '' and m['health_since'] > 1.7e9 and m['check_port'] == 0
assert [(m['addr'], m['port'], m['weight'], m['state']) for m in d] == [('10.0.11.2',5353,3,'up'), ('10.0.12.2',5353,1,'up'), ('fd00:11::2',5353,1,'down')]
" || return 1
	lb -j global show >"$D/global.json" &&
	pycheck "$D/global.json" "
assert d['max_sessions'] == 500000 and list(d['timeouts']) == $STATES
assert d['timeouts']['tcp-syn-sent'] == 100 and d['timeouts']['tcp-established'] == 900
" || return 1
	lb -j timeout show vs dns >"$D/to.json" &&
	pycheck "$D/to.json" "
assert d['vs'] == 'dns' and d['timeouts']['udp'] == 240 and d['timeouts']['tcp-syn-sent'] == 0
assert d['effective']['tcp-syn-sent'] == 100 and d['effective']['udp'] == 240
" || return 1
	lb -j info >"$D/info.json" &&
	pycheck "$D/info.json" "
assert set(d) == {'version','session_size4','session_size6','sessions','max_sessions','vs_count','pool_count','member_count','persist_count','max_persist'}, set(d)
assert (d['vs_count'], d['pool_count'], d['member_count'], d['max_sessions']) == (2, 2, 3, 500000)
assert isinstance(d['version'], str) and d['session_size4'] > 0
" || return 1
	lb -j -s stats >"$D/stats.json" &&
	pycheck "$D/stats.json" "
assert list(d['global']) == $GLOBAL_KEYS
assert [v['name'] for v in d['vs']] == ['dns', 'web6'] and list(d['vs'][0])[1:] == $STATS_KEYS
assert [(m['pool'], m['addr']) for m in d['members']] == [('web','10.0.11.2'), ('web','10.0.12.2'), ('web','fd00:11::2')]
" || return 1
	lb -j stats vs dns >"$D/stats1.json" &&
	pycheck "$D/stats1.json" "assert [v['name'] for v in d['vs']] == ['dns'] and 'members' not in d"
}

check_sessions()
{
	srv_udpecho 5353 || return 1
	in_ns "$NS_CL" "$UDPECHO" -a 10.0.0.100 -p 5353 -b 40000 -c 3 -t 3000 >"$D/udp.out" ||
		{ echo "UDP through the VIP failed:"; cat "$D/udp.out"; return 1; }
	lb session list >"$D/sess.txt" || return 1
	head -1 "$D/sess.txt" | grep -q '^VS  *PROTO  *STATE  *CLIENT  *VIP  *MEMBER  *EXPIRES  *OWNER$' ||
		{ echo "no header"; cat "$D/sess.txt"; return 1; }
	[ "$(grep -c '^dns  *udp  *udp  *10\.0\.1\.2:4000[012]  *10\.0\.0\.100:5353  *10\.0\.1[12]\.2:5353  *[0-9.]*s  *-$' "$D/sess.txt")" = 3 ] ||
		{ echo "want 3 session rows"; cat "$D/sess.txt"; return 1; }
	lb -j session list >"$D/sess.json" &&
	pycheck "$D/sess.json" "
assert len(d) == 3
for s in d:
    assert set(s) == {'vs','proto','state','client','client_port','vip','vip_port','member','member_port','expires_ms','owner'}, set(s)
    assert (s['vs'], s['proto'], s['state'], s['client'], s['vip'], s['vip_port'], s['member_port']) == ('dns','udp','udp','10.0.1.2','10.0.0.100',5353,5353)
    assert s['member'] in ('10.0.11.2', '10.0.12.2') and 0 < s['expires_ms'] <= 240000 and s['owner'] == 0
assert sorted(s['client_port'] for s in d) == [40000, 40001, 40002]
" || return 1
	lb -j session list client 10.0.1.0/24 vs dns >"$D/s2.json" &&
	pycheck "$D/s2.json" "assert len(d) == 3" || return 1
	lb -j session list client 10.0.2.0/24 >"$D/s3.json" &&
	pycheck "$D/s3.json" "assert d == []" || return 1
	lb -j session list member 10.0.11.2 >"$D/s4.json" &&
	lb -j session list member 10.0.12.2:5353 >"$D/s5.json" &&
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert len(a)+len(b)==3 and all(s["member"]=="10.0.11.2" for s in a), (a,b)' \
		"$D/s4.json" "$D/s5.json" || return 1
	lb session flush member 10.0.11.2 || return 1
	lb -j session list >"$D/s6.json" &&
	pycheck "$D/s6.json" "assert all(s['member'] == '10.0.12.2' for s in d)" || return 1
	lb session flush || return 1
	lb -j session list >"$D/s7.json" && pycheck "$D/s7.json" "assert d == []"
}

# kerr DESC REGEX ARGS...: lbctl must exit 1 with "Error: ..." matching.
kerr()
{
	local re=$1 out rc

	shift
	out=$(lb "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 1 ] || ! grep -qE "^Error: $re" <<<"$out"; then
		echo "lbctl $*: exit $rc, stderr: $out (want exit 1, /^Error: $re/)"
		return 1
	fi
}

check_kernel_errors()
{
	kerr '.+' pool add web &&
	kerr '.+' vs add x vip 10.0.0.1:1 proto tcp pool nosuchpool &&
	kerr '.+' vs add dup vip 10.0.0.100:5353 proto udp pool web &&
	kerr '.+' pool del web &&
	kerr '.+' member add nosuchpool 10.0.0.1:80 &&
	kerr '.+' member del web 10.9.9.9:1 &&
	kerr '.+' vs del nosuchvs &&
	kerr '.+' session list vs nosuchvs &&
	kerr '.+' timeout show vs nosuchvs
}

check_vs_set()
{
	lbq vs set dns loose on && lbq vs set dns hash-port on &&
	lb -j vs show dns >"$D/set1.json" &&
	pycheck "$D/set1.json" "assert d[0]['flags'] == ['loose', 'hash-port'], d[0]['flags']" &&
	lbq vs set dns loose off sched lc pool back &&
	lb -j vs show dns >"$D/set2.json" &&
	pycheck "$D/set2.json" "assert (d[0]['flags'], d[0]['sched'], d[0]['pool']) == (['hash-port'], 'lc', 'back'), d[0]" &&
	lbq vs set dns hash-port off sched wrr pool web
}

check_netns()
{
	"$LBCTL" -n "$NS_LB" -j info >"$D/nsinfo.json" &&
	pycheck "$D/nsinfo.json" "assert d['vs_count'] == 2" &&
	"$LBCTL" -j info >"$D/rootinfo.json" &&
	pycheck "$D/rootinfo.json" "assert d['vs_count'] == 0"
}

check_eperm()
{
	local out rc

	command -v setpriv >/dev/null || { echo "no setpriv"; return 1; }
	out=$(ip netns exec "$NS_LB" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$LBCTL" info 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -q '^Error: ' <<<"$out" || { echo "exit $rc: $out"; return 1; }
}

check_stats_zero()
{
	lbq stats zero && lb -j stats >"$D/z.json" &&
	pycheck "$D/z.json" "assert d['global']['pkts_in'] == 0 and all(v['pkts_in'] == 0 for v in d['vs'])"
}

# --- batch -----------------------------------------------------------------

check_batch_stop()
{
	local out rc

	printf '%s\n' '# batch with an error on line 4' 'pool add b1' '' \
		'member add nosuchpool 10.0.0.1:80' 'pool add b2' >"$D/b1"
	out=$(lb -batch "$D/b1" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -q '^lbctl: line 4: Error: ' <<<"$out" ||
		{ echo "exit $rc: $out"; return 1; }
	[ "$(grep -c '^lbctl:' <<<"$out")" = 1 ] || { echo "$out"; return 1; }
	lb pool show >"$D/bp" && grep -q '^b1 ' "$D/bp" && ! grep -q '^b2 ' "$D/bp" ||
		{ echo "b1 should exist, b2 not:"; cat "$D/bp"; return 1; }
	printf '%s\n' 'pool add b3' 'member add b3 10.0.0.1' 'pool add b4' >"$D/b2"
	out=$(lb -batch "$D/b2" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "^lbctl: line 2: member: expected ADDR:PORT, got '10.0.0.1'" <<<"$out" ||
		{ echo "exit $rc: $out"; return 1; }
	lb pool show >"$D/bp" && grep -q '^b3 ' "$D/bp" && ! grep -q '^b4 ' "$D/bp" ||
		{ cat "$D/bp"; return 1; }
}

check_batch_force()
{
	local out rc

	printf '%s\n' 'pool add f1' 'member add nosuchpool 10.0.0.1:80' 'pool add f2' \
		'vs add fv vip 10.0.0.200 port 1 proto tcp pool nosuchpool' 'pool add f3' >"$D/f1"
	out=$(lb -force -batch "$D/f1" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -q '^lbctl: line 2: Error: ' <<<"$out" &&
		grep -q '^lbctl: line 4: Error: ' <<<"$out" &&
		[ "$(grep -c '^lbctl:' <<<"$out")" = 2 ] || { echo "exit $rc: $out"; return 1; }
	lb pool show >"$D/fp" && grep -q '^f1 ' "$D/fp" && grep -q '^f2 ' "$D/fp" && grep -q '^f3 ' "$D/fp" ||
		{ cat "$D/fp"; return 1; }
}

# 200 virtual servers with 5 members each, run with -force, with bad
# lines at known places: exactly those lines fail and everything else lands.
check_batch_big()
{
	local out rc

	python3 - "$D/big" <<'PY'
import sys
lines = []
for i in range(200):
    lines.append("pool add bp%d" % i)
    for j in range(5):
        lines.append("member add bp%d 10.%d.%d.%d:80 weight %d" % (i, 100 + i // 250, i % 250, j + 1, j + 1))
    lines.append("vs add bv%d vip 10.50.%d.%d port 80 proto tcp pool bp%d sched wrr" % (i, i // 250, i % 250 + 1, i))
lines[99] = "member add nosuchpool 10.9.9.9:80"          # line 100
lines[706] = "vs add bv0 vip 10.60.0.1 port 80 proto tcp pool bp0"   # line 707: duplicate name
lines[1150] = "member add bp0 10.9.9.9"                   # line 1151: usage error
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
	out=$(lb -force -batch "$D/big" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || { echo "exit $rc"; return 1; }
	out=$(grep -o '^lbctl: line [0-9]*' <<<"$out" | tr '\n' ' ')
	[ "$out" = "lbctl: line 100 lbctl: line 707 lbctl: line 1151 " ] ||
		{ echo "failed lines: $out"; return 1; }
	lb -j info >"$D/biginfo.json" &&
	# Besides the batch: the 2 VS and 3 members of setup_config.
	python3 - "$D/biginfo.json" "$D/big" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().split("\n")
vs = sum(1 for l in lines if l.startswith("vs add bv")) - 1          # the duplicate fails
members = sum(1 for l in lines if l.startswith("member add bp")) - 1  # the usage error
assert d["vs_count"] == vs + 2, (d, vs)
assert d["member_count"] == members + 3, (d, members)
PY
}

# --- save / restore -------------------------------------------------------------

check_save_restore()
{
	local out

	lb save >"$D/save1" || return 1
	grep -qx 'vs add dns vip 10.0.0.100 port 5353 proto udp pool web sched wrr' "$D/save1" &&
	grep -qx 'timeout set vs dns udp 240' "$D/save1" &&
	grep -qx 'member add web \[fd00:11::2\]:5353 weight 1 state down' "$D/save1" &&
	grep -qx 'global set max-sessions 500000 max-members 262144 max-vs 65536 max-pools 65536 max-mh-size 131071 expire-nodest on' "$D/save1" ||
		{ echo "unexpected save:"; cat "$D/save1"; return 1; }
	lb -j vs show >"$D/vs1.json" && lb -j member show >"$D/m1.json" || return 1
	lbq flush || return 1
	lb save >"$D/save0" || return 1
	grep -q '^vs add\|^pool add\|^member add' "$D/save0" && { echo "flush left:"; cat "$D/save0"; return 1; }
	out=$(lb restore "$D/save1" 2>&1) || { echo "restore: $out"; return 1; }
	lb save >"$D/save2" || return 1
	diff -u "$D/save1" "$D/save2" || return 1
	lb -j vs show >"$D/vs2.json" && lb -j member show >"$D/m2.json" || return 1
	python3 - "$D/vs1.json" "$D/vs2.json" "$D/m1.json" "$D/m2.json" <<'PY'
import json, sys
def strip(x):
    for o in x:
        o.pop("stats", None); o.pop("active", None)
        o.pop("health_since", None)	# a member's health is known since its creation
    return x
a, b, c, e = (json.load(open(f)) for f in sys.argv[1:])
assert strip(a) == strip(b), (a, b)
assert strip(c) == strip(e), (c, e)
PY
}

# --- health checks: options, refusals, save / restore --------------------------

check_health()
{
	local out rc

	lbq pool add hc check http path '/a b' host example.org expect 200-204 \
		expect-body 'ok "x"' interval 0.5 timeout 0.25 rise 1 fall 5 slow-start 10 \
		passive off fails 3 hold 2.5 &&
	lbq member add hc 10.0.11.2:80 check-port 8080 check-addr 10.0.0.5 &&
	lbq member add hc 10.0.12.2:80 &&
	lbq member set hc 10.0.11.2:80 health down reason 'connect refused' || return 1
	lb -j pool show hc >"$D/hc.json" &&
	pycheck "$D/hc.json" "
c, p = d[0]['check'], d[0]['passive']
assert c == {'type':'http','port':0,'path':'/a b','host':'example.org','expect_body':'ok \"x\"',
             'status_min':200,'status_max':204,'interval_ms':500,'timeout_ms':250,'rise':1,'fall':5,
             'slow_start':10,'tls_verify':False}, c
assert p == {'enabled':False,'fails':3,'hold_ms':2500,'hold_max_ms':300000,'max_eject':50}, p
" || return 1
	lb -j member show hc >"$D/hcm.json" &&
	pycheck "$D/hcm.json" "
a, b = d
assert (a['health'], a['health_reason'], a['check_port'], a['check_addr']) == ('down', 'connect refused', 8080, '10.0.0.5'), a
assert b['health'] == 'up' and 'check_addr' not in b, b
" || return 1
	# kernel refusals exit 1 with the extack message, usage errors 2
	out=$(lb pool set hc check tcp timeout 3 2>&1); rc=$?
	[ "$rc" -eq 1 ] && [[ $out == *"check timeout must not exceed its interval"* ]] ||
		{ echo "timeout > interval: exit $rc: $out"; return 1; }
	out=$(lb pool set hc check gopher 2>&1); rc=$?
	[ "$rc" -eq 2 ] || { echo "check gopher: exit $rc: $out"; return 1; }
	out=$(lb member set hc 10.0.12.2:80 health ejected 2>&1); rc=$?
	[ "$rc" -eq 2 ] || { echo "health ejected: exit $rc: $out"; return 1; }
	out=$(lb pool set hc passive on hold 400 2>&1); rc=$?
	[ "$rc" -eq 1 ] && [[ $out == *"hold-max"* ]] || { echo "hold > hold-max: exit $rc: $out"; return 1; }
	# save has the check, the passive settings and the overrides, not health
	lb save >"$D/hsave1" || return 1
	grep -q '^pool add hc check http path "/a b" host example.org expect-body "ok \\"x\\"" expect 200-204 interval 0.5 timeout 0.25 rise 1 fall 5 slow-start 10 passive off fails 3 hold 2.5$' "$D/hsave1" &&
	grep -qx 'member add hc 10.0.11.2:80 weight 1 check-port 8080 check-addr 10.0.0.5' "$D/hsave1" &&
	! grep -q 'health\|reason' "$D/hsave1" || { echo "unexpected save:"; cat "$D/hsave1"; return 1; }
	lbq flush && out=$(lb restore "$D/hsave1" 2>&1) || { echo "restore: $out"; return 1; }
	lb save >"$D/hsave2" && diff -u "$D/hsave1" "$D/hsave2" || return 1
	lb -j pool show hc >"$D/hc2.json" && diff -u "$D/hc.json" "$D/hc2.json" || return 1
	[ "$(lb -j member show hc | grep -o '"health":"[a-z]*"' | sort -u)" = '"health":"up"' ] ||
		{ echo "health after restore:"; lb -j member show hc; return 1; }
	# check none brings back the members its check had taken down
	lbq member set hc 10.0.12.2:80 health down && lbq pool set hc check none || return 1
	lb -j member show hc >"$D/hcm2.json" &&
	pycheck "$D/hcm2.json" "
assert [(m['health'], m['health_reason']) for m in d] == [('up', ''), ('up', 'check removed')], d
"
}

# --- save / restore of sync ------------------------------------------------------
# One namespace is enough: sync runs with peers that never answer.

SYNC_KEY=00112233445566778899aabbccddeeff0123456789abcdefFEDCBA9876543210
SYNC_KEY_LC=${SYNC_KEY,,}
SYNC_LINE="sync set node-id 7 local 10.0.1.1 port 7790 peer 10.0.1.77 peer 10.0.1.78 rate 50000 delay 120"

# sync_json FILE: the configuration part of `lbctl -j sync show` in FILE.
sync_conf()
{
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps({"node_id": d["node_id"], "local": d["local"], "port": d["port"],
                  "rate": d.get("rate"), "delay_ms": d.get("delay_ms"), "peers": [p["addr"] for p in d["peers"]]}))' "$1"
}

check_sync_save_key()
{
	local out

	lbq sync set node-id 7 local 10.0.1.1 port 7790 peer 10.0.1.77 peer 10.0.1.78 \
		rate 50000 delay 120 key "$SYNC_KEY" || return 1
	lb save sync-key >"$D/ssk" && lb save >"$D/ss0" || return 1
	# the sync line comes last (restore runs it after the virtual servers)
	tail -n 1 "$D/ssk" | grep -qx "$SYNC_LINE key $SYNC_KEY_LC" ||
		{ echo "save sync-key:"; cat "$D/ssk"; return 1; }
	[ "$(grep -c '^sync ' "$D/ssk")" = 1 ] || { echo "sync lines:"; cat "$D/ssk"; return 1; }
	# the rest is the save without the key; -j changes nothing
	diff -u <(grep -v 'sync' "$D/ss0") <(grep -v '^sync ' "$D/ssk") || return 1
	lb -j save sync-key >"$D/sskj" && diff -u "$D/ssk" "$D/sskj" || return 1
	lb -j sync show >"$D/sync1.json" && sync_conf "$D/sync1.json" >"$D/conf1" || return 1
	lb sync show | head -n 1 | sed 's/ ready .*//' >"$D/show1" || return 1

	# into a flushed namespace: the same configuration, sync the same
	lbq flush || return 1
	lb sync show >/dev/null 2>&1 && { echo "flush left sync running"; return 1; }
	out=$(lb restore "$D/ssk" 2>&1) || { echo "restore: $out"; return 1; }
	lb save sync-key >"$D/ssk2" || return 1
	diff -u "$D/ssk" "$D/ssk2" || return 1
	lb -j sync show >"$D/sync2.json" && sync_conf "$D/sync2.json" >"$D/conf2" || return 1
	diff -u "$D/conf1" "$D/conf2" || return 1
	lb sync show | head -n 1 | sed 's/ ready .*//' | diff -u "$D/show1" - || return 1

	# the sync line of a save replaces a running sync of another configuration
	lbq sync set node-id 9 local fd00:1::1 peer fd00:1::77 key "$SYNC_KEY" || return 1
	# default port, rate and delay: left out; IPv6
	lb save sync-key | tail -n 1 |
		grep -qx "sync set node-id 9 local fd00:1::1 peer fd00:1::77 key $SYNC_KEY_LC" ||
		{ echo "IPv6 save:"; lb save sync-key; return 1; }
	grep '^sync ' "$D/ssk" >"$D/sync-only"
	out=$(lb restore "$D/sync-only" 2>&1) || { echo "restore over sync: $out"; return 1; }
	lb -j sync show >"$D/sync3.json" && sync_conf "$D/sync3.json" | diff -u "$D/conf1" - || return 1

	# after sync del, save has no sync line at all
	lbq sync del || return 1
	lb save sync-key >"$D/ss-del" || return 1
	grep -n 'sync' "$D/ss-del" && { echo "a sync line without sync"; return 1; }
	return 0
}

check_sync_save_nokey()
{
	local out

	lbq sync set node-id 7 local 10.0.1.1 port 7790 peer 10.0.1.77 peer 10.0.1.78 \
		rate 50000 delay 120 key "$SYNC_KEY" || return 1
	lb save >"$D/ss0" || return 1
	# no key, in any case; the line is a comment saying how to get it
	grep -qi "$SYNC_KEY" "$D/ss0" && { echo "the key without sync-key:"; cat "$D/ss0"; return 1; }
	grep -q '^sync' "$D/ss0" && { echo "a sync command without its key:"; cat "$D/ss0"; return 1; }
	grep -qx "# $SYNC_LINE key HEX" "$D/ss0" && grep -q '^#.*lbctl save sync-key' "$D/ss0" ||
		{ echo "save:"; cat "$D/ss0"; return 1; }
	# restored into a flushed namespace: the objects, and sync left off
	lbq flush || return 1
	out=$(lb restore "$D/ss0" 2>&1) || { echo "restore: $out"; return 1; }
	out=$(lb sync show 2>&1) && { echo "sync configured from a key-less save: $out"; return 1; }
	grep -q 'not configured' <<<"$out" || { echo "sync show: $out"; return 1; }
	lb save >"$D/ss1" || return 1
	diff -u <(grep -v sync "$D/ss0") "$D/ss1" || return 1
	# the comment, uncommented as it is, is refused (no made-up key)
	sed -n 's/^# \(sync set .*\)/\1/p' "$D/ss0" >"$D/uncommented"
	out=$(lb restore "$D/uncommented" 2>&1) && { echo "HEX accepted as a key"; return 1; }
	grep -q 'key: expected 64 hex digits' <<<"$out" || { echo "restore: $out"; return 1; }
	lb sync show >/dev/null 2>&1 && { echo "sync started"; return 1; }
	return 0
}

# --- monitor --------------------------------------------------------------------

mon_has()
{
	grep -q "$2" "$(bg_out "$1")"
}

check_monitor()
{
	local i n nj

	bg mon "$NS_LB" "$LBCTL" monitor
	bg monj "$NS_LB" "$LBCTL" -j monitor
	# Both are listening once they report a probe change.
	for ((i = 0; i < 50; i++)); do
		lbq pool add "mprobe$i" || return 1
		mon_has mon "pool add mprobe$i " && mon_has monj "\"name\":\"mprobe$i\"" && break
		sleep 0.2
	done
	[ "$i" -lt 50 ] || { echo "monitor never reported anything"; cat "$(bg_out mon)"; return 1; }
	n=$(wc -l <"$(bg_out mon)")
	nj=$(wc -l <"$(bg_out monj)")
	lbq pool add mp &&
	lbq member add mp 10.9.9.1:80 weight 2 &&
	lbq member set mp 10.9.9.1:80 state down &&
	lbq vs add mv vip 10.9.9.100:80 proto tcp pool mp &&
	lbq vs set mv sched wrr loose on &&
	lbq vs del mv &&
	lbq member del mp 10.9.9.1:80 &&
	lbq pool del mp &&
	lbq global set max-sessions 400000 &&
	lbq flush || return 1
	wait_for 20 mon_has mon '^flush$' && wait_for 20 mon_has monj '"event":"flush"' ||
		{ echo "no flush event:"; cat "$(bg_out mon)"; return 1; }
	bg_stop mon
	bg_stop monj
	tail -n +$((n + 1)) "$(bg_out mon)" >"$D/mon.txt"
	tail -n +$((nj + 1)) "$(bg_out monj)" >"$D/monj.txt"
	# Exact lines, in this order (a member state event may come in between).
	grep -v '^member state ' "$D/mon.txt" >"$D/mon2.txt"
	expect_lines "$D/mon2.txt" <<-'EOF2' || return 1
	pool add mp expire-on-down off min-active 0
	member add mp 10.9.9.1:80 weight 2 state up max-conns 0 priority 0
	member set mp 10.9.9.1:80 weight 2 state down max-conns 0 priority 0
	vs add mv vip 10.9.9.100 port 80 proto tcp pool mp sched rr
	vs set mv vip 10.9.9.100 port 80 proto tcp pool mp sched wrr loose
	vs del mv
	member del mp 10.9.9.1:80
	pool del mp
	global set max-sessions 400000 max-members 262144 max-vs 65536 max-pools 65536 max-mh-size 131071 expire-nodest on tcp-syn-sent 100 tcp-syn-recv 60 tcp-established 900 tcp-fin-wait 120 tcp-close-wait 60 tcp-last-ack 30 tcp-time-wait 120 tcp-close 5 udp 300
	flush
	EOF2
	python3 - "$D/monj.txt" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["object"], e["event"]) for e in ev if e["event"] != "state"]
want = [("pool","add"), ("member","add"), ("member","set"), ("vs","add"), ("vs","set"),
        ("vs","del"), ("member","del"), ("pool","del"), ("global","set"), ("all","flush")]
assert got == want, got
vs = [e for e in ev if e["object"] == "vs"]
assert vs[0]["name"] == "mv" and vs[0]["vip"] == "10.9.9.100" and vs[1]["flags"] == ["loose"]
m = [e for e in ev if e["object"] == "member"]
assert m[0]["addr"] == "10.9.9.1" and m[0]["port"] == 80 and m[1]["state"] == "down"
PY
}

ktap_check "text output of show commands" eval 'setup_config && check_text'
ktap_check "JSON output of show commands" check_json
ktap_check "session list: text, JSON, filters, flush" check_sessions
ktap_check "kernel refusals: exit 1, Error: message" check_kernel_errors
ktap_check "vs set changes only the flags given" check_vs_set
ktap_check "-n NETNS" check_netns
ktap_check "unprivileged: exit 1 with an error" check_eperm
ktap_check "stats zero" check_stats_zero
ktap_check "batch stops at the failing line and names it" check_batch_stop
ktap_check "batch -force runs every line" check_batch_force
ktap_check "big -force batch: errors on the right lines" check_batch_big
lbq flush
setup_config >/dev/null
ktap_check "save, flush, restore: same configuration" check_save_restore
lbq flush
ktap_check "health checks: options, refusals, save and restore" check_health
lbq flush
setup_config >/dev/null
ktap_check "save sync-key: the sync line with its key; restore rebuilds sync" check_sync_save_key
lb sync del >/dev/null 2>&1
ktap_check "save without sync-key: no key; restore leaves sync off" check_sync_save_nokey
lb sync del >/dev/null 2>&1
ktap_check "monitor: text and JSON events" check_monitor

ktap_finish
