#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbctl_fuzz: a bounded libFuzzer run of lbctl's argument and batch/restore
# parsing against a fake kernel (lbctl/fuzz/lbctl-fuzz, clang, ASan + UBSan;
# see lbctl/fuzz/fuzz_lbctl.c), seeded with lbctl/fuzz/corpus.  Any crash,
# sanitizer report, malformed netlink request, leak or hang fails.  Runs
# anywhere (no module needed); the new corpus entries are thrown away.
#
# NFLB_LBCTL_FUZZ_SECS: duration (default 30; 60 with NFLB_ROBUST_FULL=1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${NFLB_SRC:=$(cd "$here/.." && pwd)}"
: "${TMPDIR:=/tmp}"
fz=$NFLB_SRC/lbctl/fuzz
if [ "${NFLB_ROBUST_FULL:-0}" = 1 ]; then
	secs=${NFLB_LBCTL_FUZZ_SECS:-60}
else
	secs=${NFLB_LBCTL_FUZZ_SECS:-30}
fi

echo "TAP version 13"
if [ ! -x "$fz/lbctl-fuzz" ]; then
	echo "1..0 # SKIP $fz/lbctl-fuzz not built (make -C selftests; needs clang)"
	exit 4
fi
echo "1..1"
work=$(mktemp -d "$TMPDIR/lbctl-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The seed corpus is read-only (in the VM the repo is); new inputs go to work/.
"$fz/lbctl-fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	-close_fd_mask=3 -dict="$fz/lbctl.dict" -artifact_prefix="$work/" \
	-print_final_stats=1 "$work" "$fz/corpus" >"$work/log" 2>&1
rc=$?
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$work/log" | sed 's/^/# /'
if [ "$rc" -eq 0 ]; then
	echo "ok 1 lbctl-fuzz ran ${secs}s without findings"
	exit 0
fi
grep -v -E '^(#[0-9]+|"|  *"|###)' "$work/log" | tail -n 60 | sed 's/^/# /'
for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
	[ -e "$a" ] || continue
	echo "# reproducer $(basename "$a") (base64): $(base64 -w0 "$a")"
done
echo "not ok 1 lbctl-fuzz found a problem (exit $rc)"
exit 1
