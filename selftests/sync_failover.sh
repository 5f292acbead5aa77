#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317,SC2015 # checks are functions run via ktap_check
#
# sync_failover: active-standby failover with keepalived and session sync
# (issue 14).  Topology of lib_ha.sh: a client, lb1 and lb2 on a client-side
# and a server-side bridge, three servers whose default gateway is the VRRP
# address; keepalived (the configuration of Documentation/admin-guide.rst, as
# it is) moves the VIPs and the gateways (IPv4 and IPv6) together; both
# nodes restore the same nflb configuration from one file.
#
# Part 1, without sync (proves the checks of part 2 can fail): paced
# downloads and UDP flows through lb1, lb1 crashes (keepalived killed, its
# namespace deleted): lb2 takes over, but every established download breaks
# (lb2 has no session: drop_no_session) and the UDP flows land on other
# members; lb1 comes back and preempts.
#
# Part 2, with sync (lbctl sync set on both nodes, lbctl sync wait): the same
# crash mid-transfer; every download completes byte-exact through lb2, UDP
# flows keep their members, new connections work; then lb1 comes back
# (namespace, restore, sync set, sync wait, then keepalived) and preempts:
# downloads and UDP flows started on lb2 carry on through lb1.  Checks whose
# description starts "sync:" need session sync; the others do not.
#
# NFLB_HA_CONNS (50) IPv4 and NFLB_HA_CONNS6 (10) IPv6 downloads of
# NFLB_HA_KB (2048) KiB each, sent at NFLB_HA_RATE (96) KiB/s per
# connection.  The servers hold each download at half until the test opens
# its set's gate: just before it kills the master (so data is in flight
# when lb1 dies, and every download mid-transfer however slow the machine;
# dlflows' mark, right after the switch, proves it), or just after lb1's
# return (those downloads are idle at the switch, then carry on).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

N=${NFLB_HA_CONNS:-50}
N6=${NFLB_HA_CONNS6:-10}
KB=${NFLB_HA_KB:-2048}
P=8080
NUDP=6
XF_PORT=$P
XF_VIP=$HA_VIP
XF_VIP6=$HA_VIP6
XF_RATE=${NFLB_HA_RATE:-96}
# downloads, UDP flows, the servers' gates; S, the scale for slow kernels
. "$(dirname "$0")/lib_xfer.sh"

ktap_header 20
require_root
require_tools
require_cmds keepalived ethtool
nflb_load || ktap_abort "cannot load nflb.ko"
ha_topo_create 3 || ktap_abort "cannot build the topology"
dmesg_mark

KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
[ ${#KEY} = 64 ] || ktap_abort "no key"
CONF=$NFLB_TMP/nflb.conf
ha_conf_nflb "$CONF" $P

xfer_servers || ktap_abort "download or UDP servers did not start"

# ---------------------------------------------------------------------------
# helpers

# restore N: lbN gets the configuration file
restore()
{
	local out

	out=$(ha_lbctl "$1" restore "$CONF" 2>&1) || {
		ktap_diag "lb$1: lbctl restore: $out"
		return 1
	}
}

sync_set()
{
	local n=$1 o=$((3 - $1)) out

	out=$(ha_lbctl "$n" sync set node-id "$n" local "$(ha_s4 "$n")" \
		peer "$(ha_s4 "$o")" key "$KEY" redirect off 2>&1) || {
		ktap_diag "lb$n: lbctl sync set: $out"
		return 1
	}
}

sync_wait()
{
	local out

	out=$(ha_lbctl "$1" sync wait timeout $((30 * S)) 2>&1) || {
		ktap_diag "lb$1: lbctl sync wait timeout $((30 * S)): $out"
		return 1
	}
}

# dl_start SET STALL_SECS KIB: the set's IPv4 and IPv6 downloads
# (${count4[SET]} and ${count6[SET]}, from ports ${base4[SET]}.. and
# ${base6[SET]}..), behind gate ${gate[SET]}
declare -A base4=([dl1]=44000 [dl2]=43000 [dl3]=43200)
declare -A base6=([dl1]=45000 [dl2]=46000 [dl3]=46200)
declare -A count4=([dl1]=$N [dl2]=$N [dl3]=10)
declare -A count6=([dl1]=$N6 [dl2]=$N6 [dl3]=4)
declare -A gate=([dl1]=1 [dl2]=2 [dl3]=3)
dl_start()
{
	downloads "$1" "${count4[$1]}" "${base4[$1]}" "$2" "$3" "${gate[$1]}" &&
		downloads "${1}v6" "${count6[$1]}" "${base6[$1]}" "$2" "$3" "${gate[$1]}" "$HA_VIP6"
}

dl_running()
{
	running "$1" "${count4[$1]}" && running "${1}v6" "${count6[$1]}"
}

dl_mark()
{
	mark "$1"
	mark "${1}v6"
}

dl_all_done()
{
	local rc=0

	all_done "$1" "${count4[$1]}" || rc=1
	all_done "${1}v6" "${count6[$1]}" || rc=1
	return "$rc"
}

# snap N [SNAP=lbN]: lbN's session list, one flat JSON object a line, into
# $NFLB_TMP/sessions-SNAP (what holds_sessions reads)
snap()
{
	local list

	list=$(NS_LB=$(ha_ns "$1") sessions) || return 1
	grep -o '{[^{}]*}' <<<"$list" >"$NFLB_TMP/sessions-${2:-lb$1}"
}

# holds_sessions SNAP PROTO SPORT COUNT [UDPFILE [6]]: snapshot SNAP has a
# PROTO session from the client for each source port SPORT..SPORT+COUNT-1;
# with UDPFILE, to the member (IPv6 address with 6) that file says answered
# that flow.
holds_sessions()
{
	local n=$1 proto=$2 lo=$3 cnt=$4 file=${5:-} o p m s want seen=0 wrong=0
	local ws='[[:space:]]*'
	declare -A member=()

	if [ -n "$file" ]; then
		while read -r p s; do
			if [ "${6:-4}" = 6 ]; then
				member[$p]=$(server6 "${s#s}")
			else
				member[$p]=$(server4 "${s#s}")
			fi
		done <"$file"
	fi
	# (bash patterns, no subshell per session: slow under TCG)
	while IFS= read -r o; do
		[[ $o =~ \"proto\"$ws:$ws\"$proto\" ]] || continue
		[[ $o =~ \"client_port\"$ws:$ws([0-9]+) ]] || continue
		p=${BASH_REMATCH[1]}
		[ "$p" -ge "$lo" ] && [ "$p" -lt $((lo + cnt)) ] || continue
		seen=$((seen + 1))
		if [ -n "$file" ]; then
			m=none
			[[ $o =~ \"member\"$ws:$ws\"([^\"]*)\" ]] && m=${BASH_REMATCH[1]}
			want=${member[$p]:-none}
			[ "$m" = "$want" ] || wrong=$((wrong + 1))
		fi
	done <"$NFLB_TMP/sessions-$n"
	[ "$seen" = "$cnt" ] && [ "$wrong" = 0 ] && return 0
	echo "$n: $seen of $cnt $proto sessions from ports $lo.., $wrong to another member"
	return 1
}

holds_all()
{
	local out

	out=$(holds_sessions "$@") && return 0
	ktap_diag "$out"
	return 1
}

# takeover N SECS WHAT: lbN becomes the master within SECS; reports the time
takeover()
{
	local n=$1 t0=$2 what=$3 ms

	if ha_wait_master "$n" $((15 * S)); then
		ms=$(($(_now_ms) - t0))
		ktap_ok "$what ($((ms / 1000)).$((ms % 1000 / 100)) s)"
	else
		ktap_fail "$what"
	fi
}

# lb1_return: lb1 comes back: namespace, links, the configuration file (the
# caller does sync, then starts keepalived, which preempts)
lb1_return()
{
	ha_lb_create 1 && restore 1
}

# new_conns TAG SPORT UPORT: 5 IPv4 and 5 IPv6 downloads, one UDP flow each
new_conns()
{
	local tag=$1 sport=$2 uport=$3 vip

	for vip in "$HA_VIP" "$HA_VIP6"; do
		in_ns "$NS_CL" "$DLFLOWS" -a "$vip" -p "$P" -n 5 -s 65536 -b "$sport" -t 15 -T 60 \
			>"$NFLB_TMP/new$tag" 2>&1 || {
			ktap_diag "new downloads to $vip: $(grep -v '^progress' "$NFLB_TMP/new$tag" | tail -n 6)"
			return 1
		}
		sport=$((sport + 10))
	done
	udp "newudp$tag" "$uport" 1 && udp "newudp6$tag" "$((uport + 10))" 1 6
}

# ---------------------------------------------------------------------------
# setup: both nodes restore one file, keepalived on both, lb1 is master

restore 1 && restore 2 || ktap_abort "cannot restore the configuration"
ha_keepalived_start 1 && ha_keepalived_start 2 || ktap_abort "keepalived did not start"
ktap_check "lb1 is the VRRP master (VIPs $HA_VIP, $HA_VIP6, gateways $HA_GW, $HA_GW6), lb2 the backup" \
	ha_wait_master 1 $((20 * S))
same_conf()
{
	local a b

	a=$(ha_lbctl 1 save) && b=$(ha_lbctl 2 save) && [ -n "$a" ] && [ "$a" = "$b" ] &&
		[[ $a == *"vs add web-tcp"* ]]
}
ktap_check "both nodes run the same nflb configuration (lbctl save identical)" same_conf

# ---------------------------------------------------------------------------
# Part 1: without sync, the crash breaks the established connections

# one flow first, so that lb1's round robin is one ahead of a fresh lb2's:
# without sync, lb2 schedules the flows anew and each lands on another member
udp warm1 41000 1
udp warm1v6 41500 1 6
part1_udp()
{
	udp udp1 41001 "$NUDP" && udp udp1v6 41501 "$NUDP" 6
}
ktap_check "no sync: $NUDP IPv4 and $NUDP IPv6 UDP flows answered through lb1" part1_udp
dl_start dl1 8 "$KB"
ktap_check "no sync: $N IPv4 and $N6 IPv6 downloads mid-transfer through lb1" dl_running dl1
d0=$(NS_LB=$NS_LB2 stat_get drop_no_session)
open_gate 1
t0=$(_now_ms)
ha_lb_crash 1 || ktap_diag "lb1 crash: namespace not deleted cleanly"
dl_mark dl1
takeover 2 "$t0" "no sync: lb1 crashed, lb2 took over the VIPs and the gateways"
broke()
{
	local d1 set rc=0

	for set in dl1 dl1v6; do
		bg_wait "$set" $((100 * S))
		ktap_diag "$set through lb1, after the crash: $(dl_summary "$set")"
		under_way "$set" && ! grep_out "$set" '^done ' && grep_out "$set" "^complete=0/" || rc=1
	done
	d1=$(NS_LB=$NS_LB2 stat_get drop_no_session)
	delta_ge "$d0" "$d1" 1 "lb2 drop_no_session" && return "$rc"
}
ktap_check "no sync: every established download broke (lb2 has no session)" broke
moved()
{
	local f

	udp udp1b 41001 "$NUDP" && udp udp1v6b 41501 "$NUDP" 6 || return 1
	for f in udp1 udp1v6; do
		ktap_diag "$f members through lb1: $(tr '\n' ' ' <"$NFLB_TMP/$f")"
		ktap_diag "$f members through lb2: $(tr '\n' ' ' <"$NFLB_TMP/${f}b")"
		! cmp -s "$NFLB_TMP/$f" "$NFLB_TMP/${f}b" || return 1
	done
}
ktap_check "no sync: the UDP flows land on other members through lb2" moved
t0=$(_now_ms)
lb1_return && ha_keepalived_start 1 || ktap_diag "lb1 did not come back"
takeover 1 "$t0" "no sync: lb1 back, preempted lb2"

# ---------------------------------------------------------------------------
# Part 2: with sync

sync_both()
{
	sync_set 2 && sync_set 1 && sync_wait 1 && sync_wait 2
}
ktap_check "sync: configured on both nodes, both ready (lbctl sync wait)" sync_both
dl_start dl2 20 "$KB"
part2_running()
{
	dl_running dl2 && udp udp2 42001 "$NUDP" && udp udp2v6 42501 "$NUDP" 6
}
ktap_check "$N IPv4 and $N6 IPv6 downloads mid-transfer, UDP flows through lb1" part2_running
synced_udp()
{
	holds_all lb2 udp 42001 "$NUDP" "$NFLB_TMP/udp2" &&
		holds_all lb2 udp 42501 "$NUDP" "$NFLB_TMP/udp2v6" 6
}
synced_now()
{
	snap 2 && holds_sessions lb2 tcp 43000 "$N" >/dev/null &&
		holds_sessions lb2 tcp 46000 "$N6" >/dev/null &&
		synced_udp >/dev/null
}
synced()
{
	wait_for $((5 * S)) synced_now && return 0
	holds_all lb2 tcp 43000 "$N"
	holds_all lb2 tcp 46000 "$N6"
	synced_udp
	return 1
}
ktap_check "sync: lb2 holds lb1's sessions before the crash (TCP, UDP with their members)" synced
open_gate 2
t0=$(_now_ms)
ha_lb_crash 1 || ktap_diag "lb1 crash: namespace not deleted cleanly"
dl_mark dl2
takeover 2 "$t0" "lb1 crashed mid-transfer, lb2 took over the VIPs and the gateways"
ktap_check "sync: every one of the $((N + N6)) downloads completed byte-exact through lb2" \
	dl_all_done dl2
# (the same members could also come from lb2's own round robin, in step with
# lb1's by chance: the flows' sessions must also have been on lb2 before)
kept()
{
	udp udp2b 42001 "$NUDP" && udp udp2v6b 42501 "$NUDP" 6 &&
		udp_same udp2 udp2b && udp_same udp2v6 udp2v6b && synced_udp
}
ktap_check "sync: the UDP flows kept their members through lb2" kept
ktap_check "new TCP and UDP connections work through lb2" new_conns 2 43100 42100

# connections made through lb2 while lb1 is away, then lb1 comes back
dl_start dl3 15 "$KB"
dl_running dl3 && udp udp3 42201 3 && udp udp3v6 42701 3 6 ||
	ktap_diag "downloads or UDP flows through lb2 did not start"
t0=$(_now_ms)
lb1_return || ktap_diag "lb1 did not come back"
returned()
{
	sync_set 1 && sync_wait 1 && snap 1 &&
		holds_all lb1 tcp 43200 "${count4[dl3]}" && holds_all lb1 tcp 46200 "${count6[dl3]}" &&
		returned_udp
}
returned_udp()
{
	holds_all lb1 udp 42201 3 "$NFLB_TMP/udp3" && holds_all lb1 udp 42701 3 "$NFLB_TMP/udp3v6" 6
}
ktap_check "sync: returning lb1 ready (lbctl sync wait), holds lb2's sessions" returned
# keepalived only after sync wait: lb1 preempts once it has the sessions
ha_keepalived_start 1 || ktap_diag "keepalived did not start in lb1"
takeover 1 "$t0" "lb1 back, preempted lb2"
dl_mark dl3
open_gate 3
ktap_check "sync: downloads started on lb2 completed byte-exact through lb1" dl_all_done dl3
kept3()
{
	udp udp3b 42201 3 && udp udp3v6b 42701 3 6 &&
		udp_same udp3 udp3b && udp_same udp3v6 udp3v6b && returned_udp
}
ktap_check "sync: UDP flows started on lb2 kept their members through lb1" kept3
ktap_check "kernel log clean" dmesg_check

ktap_finish
