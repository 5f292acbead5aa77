#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks that kmod/ calls flow one way: every call from one kmod .c file to a
# non-static function of another goes to a file earlier in kmod/layers.
# Reads the symbol tables of the built objects (run after building the
# module).  Usage: scripts/check-layers.sh [LAYERS-FILE [KMOD-DIR]]
# Exit 0 when every call goes down, 1 with the offending calls listed.
set -u
layers=${1:-kmod/layers}
dir=${2:-kmod}
command -v nm >/dev/null || { echo "nm (binutils) is missing" >&2; exit 2; }

declare -A rank
n=0
while read -r line; do
	line=${line%%#*}
	[ -n "${line// /}" ] || continue
	for f in ${line#*:}; do
		rank[$f]=$n
		n=$((n + 1))
	done
done <"$layers"

bad=0
objs=()
for c in "$dir"/*.c; do
	f=$(basename "$c" .c)
	[[ $f == *.mod ]] && continue
	if [ -z "${rank[$f]+x}" ]; then
		echo "$c: not placed in $layers"
		bad=1
	fi
	if [ ! -f "$dir/$f.o" ]; then
		echo "$dir/$f.o: missing (build the module first)"
		bad=1
	fi
	objs+=("$f")
done
[ "$bad" = 0 ] || exit 1

# Where each global function is defined, then every use of one elsewhere.
declare -A home
for f in "${objs[@]}"; do
	while read -r sym; do
		home[$sym]=$f
	done < <(nm "$dir/$f.o" | awk '$2 == "T" { print $3 }')
done
calls=0
for f in "${objs[@]}"; do
	while read -r sym; do
		to=${home[$sym]:-}
		[ -n "$to" ] && [ "$to" != "$f" ] || continue
		calls=$((calls + 1))
		if [ "${rank[$to]}" -ge "${rank[$f]}" ]; then
			echo "$f.c calls $sym() of $to.c, a layer above it"
			bad=1
		fi
	done < <(nm "$dir/$f.o" | awk '$1 == "U" { print $2 }')
done
if [ "$calls" = 0 ]; then
	echo "no calls between files found: is $dir built?"
	exit 1
fi
[ "$bad" = 0 ] && echo "$calls calls between ${#objs[@]} files, all downward"
exit "$bad"
