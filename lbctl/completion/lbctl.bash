# bash completion for lbctl(8)                          -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0
# Install as /usr/share/bash-completion/completions/lbctl (make install does).
# shellcheck disable=SC2207 # COMPREPLY=($(compgen ...)) is the idiom here

# Names from the kernel, in the namespace given with -n on the command line.
_lbctl_query()
{
	local -a cmd=(lbctl)
	[[ -n ${_lbctl_netns-} ]] && cmd+=(-n "$_lbctl_netns")
	"${cmd[@]}" "$@" 2>/dev/null
}

_lbctl_vs_names()
{
	_lbctl_query vs show | awk '/^[^ \t]/ { print $1 }'
}

_lbctl_pool_names()
{
	_lbctl_query pool show | awk '/^[^ \t]/ { print $1 }'
}

_lbctl_members()    # POOL
{
	_lbctl_query member show "$1" | awk 'NR > 1 && /^[^ \t]/ { print $2 }'
}

_lbctl_states="tcp-syn-sent tcp-syn-recv tcp-established tcp-fin-wait tcp-close-wait tcp-last-ack tcp-time-wait tcp-close udp"

_lbctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local i obj="" objidx=0 _lbctl_netns=""
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-n | -netns | --netns)
			_lbctl_netns=${words[i + 1]-}
			((i++))
			;;
		-b | -batch | --batch)
			((i++))
			;;
		-*) ;;
		*)
			obj=${words[i]}
			objidx=$i
			break
			;;
		esac
	done

	if [[ -z $obj ]]; then
		case $prev in
		-n | -netns | --netns)
			COMPREPLY=($(compgen -W "$(ip netns list 2>/dev/null | awk '{ print $1 }')" -- "$cur"))
			return
			;;
		-b | -batch | --batch)
			COMPREPLY=($(compgen -f -- "$cur"))
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-j -json -p -pretty -s -statistics -n -netns -b -batch -force -V -Version -h -help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "vs pool member timeout global session stats monitor save restore flush info sync help" -- "$cur"))
		fi
		return
	fi

	local sub=${words[objidx + 1]-} n=$((cword - objidx))
	if ((n == 1)); then
		case $obj in
		vs | pool) COMPREPLY=($(compgen -W "add set del show list help" -- "$cur")) ;;
		member) COMPREPLY=($(compgen -W "add set del show help" -- "$cur")) ;;
		timeout) COMPREPLY=($(compgen -W "set show help" -- "$cur")) ;;
		global) COMPREPLY=($(compgen -W "set show help" -- "$cur")) ;;
		session) COMPREPLY=($(compgen -W "list show flush del help" -- "$cur")) ;;
		stats) COMPREPLY=($(compgen -W "show vs zero help" -- "$cur")) ;;
		sync) COMPREPLY=($(compgen -W "set show wait del help" -- "$cur")) ;;
		restore) COMPREPLY=($(compgen -f -- "$cur")) ;;
		save) COMPREPLY=($(compgen -W "sync-key help" -- "$cur")) ;;
		esac
		return
	fi

	case $obj in
	sync)
		case $prev in
		node-id | local | port | peer | key | rate | timeout) ;;
		*)
			if [[ $sub == set ]]; then
				COMPREPLY=($(compgen -W "node-id local port peer key rate" -- "$cur"))
			elif [[ $sub == wait ]] && ((n == 2)); then
				COMPREPLY=($(compgen -W "timeout" -- "$cur"))
			fi
			;;
		esac
		;;
	vs)
		if ((n == 2)); then
			[[ $sub == add ]] || COMPREPLY=($(compgen -W "$(_lbctl_vs_names)" -- "$cur"))
			return
		fi
		case $prev in
		pool) COMPREPLY=($(compgen -W "$(_lbctl_pool_names)" -- "$cur")) ;;
		proto) COMPREPLY=($(compgen -W "tcp udp" -- "$cur")) ;;
		sched) COMPREPLY=($(compgen -W "rr wrr lc wlc sh mh" -- "$cur")) ;;
		loose | reset-on-expiry | hash-port | rst-no-member | drain)
			if [[ $sub == set ]]; then
				COMPREPLY=($(compgen -W "on off" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "sched loose reset-on-expiry hash-port rst-no-member max-sessions mh-size persist drain drain-timeout" -- "$cur"))
			fi
			;;
		vip | port | max-sessions | mh-size | persist | mask4 | mask6 | drain-timeout) ;;
		*)
			if [[ $sub == add ]]; then
				COMPREPLY=($(compgen -W "vip port proto pool sched loose reset-on-expiry hash-port rst-no-member max-sessions mh-size persist mask4 mask6 drain drain-timeout" -- "$cur"))
			elif [[ $sub == set ]]; then
				COMPREPLY=($(compgen -W "pool sched loose reset-on-expiry hash-port rst-no-member max-sessions mh-size persist mask4 mask6 drain drain-timeout" -- "$cur"))
			fi
			;;
		esac
		;;
	pool)
		if ((n == 2)); then
			[[ $sub == add ]] || COMPREPLY=($(compgen -W "$(_lbctl_pool_names)" -- "$cur"))
			return
		fi
		case $prev in
		expire-on-down | passive | tls-verify) COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
		check) COMPREPLY=($(compgen -W "tcp http https udp-dns none" -- "$cur")) ;;
		min-active | port | path | host | expect | expect-body | send | query | interval | \
			timeout | rise | fall | slow-start | fails | hold | hold-max | max-eject) ;;
		*) [[ $sub == add || $sub == set ]] &&
			COMPREPLY=($(compgen -W "expire-on-down min-active check port path host expect expect-body send query interval timeout rise fall slow-start tls-verify passive fails hold hold-max max-eject" -- "$cur")) ;;
		esac
		;;
	member)
		if ((n == 2)); then
			COMPREPLY=($(compgen -W "$(_lbctl_pool_names)" -- "$cur"))
			return
		fi
		if ((n == 3)); then
			[[ $sub == set || $sub == del ]] &&
				COMPREPLY=($(compgen -W "$(_lbctl_members "${words[objidx + 2]}")" -- "$cur"))
			return
		fi
		case $prev in
		state | health) COMPREPLY=($(compgen -W "up down" -- "$cur")) ;;
		weight | max-conns | priority | drain-timeout | check-port | check-addr | reason) ;;
		*) [[ $sub == add || $sub == set ]] &&
			COMPREPLY=($(compgen -W "weight state max-conns priority drain-timeout check-port check-addr health reason" -- "$cur")) ;;
		esac
		;;
	timeout)
		case $prev in
		vs) COMPREPLY=($(compgen -W "$(_lbctl_vs_names)" -- "$cur")) ;;
		set) COMPREPLY=($(compgen -W "vs $(_lbctl_vs_names) $_lbctl_states" -- "$cur")) ;;
		show) COMPREPLY=($(compgen -W "vs $(_lbctl_vs_names)" -- "$cur")) ;;
		*)
			if [[ $sub == set && " $_lbctl_states " != *" $prev "* ]]; then
				COMPREPLY=($(compgen -W "$_lbctl_states" -- "$cur"))
			fi
			;;
		esac
		;;
	global)
		[[ $sub == set ]] || return
		case $prev in
		max-sessions) ;;
		*) [[ " $_lbctl_states " == *" $prev "* ]] ||
			COMPREPLY=($(compgen -W "max-sessions $_lbctl_states" -- "$cur")) ;;
		esac
		;;
	session)
		case $prev in
		vs) COMPREPLY=($(compgen -W "$(_lbctl_vs_names)" -- "$cur")) ;;
		member | client) ;;
		*) COMPREPLY=($(compgen -W "vs member client" -- "$cur")) ;;
		esac
		;;
	stats)
		case $prev in
		vs) COMPREPLY=($(compgen -W "$(_lbctl_vs_names)" -- "$cur")) ;;
		show) COMPREPLY=($(compgen -W "vs" -- "$cur")) ;;
		esac
		;;
	esac
} &&
	complete -F _lbctl lbctl
