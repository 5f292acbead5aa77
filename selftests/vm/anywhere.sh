#!/bin/bash
# Host-side test of the VM runner: selftests/vm/run.sh must work from a checkout
# anywhere, also under /tmp, /run or /dev, which the guest mounts its own file
# systems over (make check's host check 6; issue 12).
#
#   selftests/vm/anywhere.sh [PARENT...]    (default PARENT: /tmp)
#
# For each PARENT it copies what run.sh needs (selftests/vm/, scripts/kver.sh)
# into a new directory under PARENT and, from that copy, boots the VM once with a
# command that reads a file of the copy, writes to TMPDIR and writes to
# NFLB_RESULTS; that result must appear in the copy's results dir on the host.
# KTAP, one test per PARENT; exit 0 (pass), 1 (fail) or 4 (skip: no QEMU).
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
[ $# -gt 0 ] || set -- /tmp

echo "TAP version 13"
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 not installed (scripts/deps.sh installs it)"
	exit 4
fi
echo "1..$#"
# Our own results dir, never one the caller set for something else.
unset NFLB_VM_RESULTS

work=()
trap 'rm -rf "${work[@]}"' EXIT
n=0 failed=0
for parent in "$@"; do
	n=$((n + 1))
	desc="vm/run.sh from a checkout under $parent"
	if ! d=$(mktemp -d "$parent/nflb-anywhere.XXXXXX"); then
		echo "not ok $n - $desc # cannot create a directory there"
		failed=1
		continue
	fi
	work+=("$d")
	copy=$d/nflb
	if ! { mkdir -p "$copy/selftests" "$copy/scripts" &&
		cp -a "$repo/selftests/vm" "$copy/selftests/" &&
		cp -a "$repo/scripts/kver.sh" "$copy/scripts/"; }; then
		echo "not ok $n - $desc # cannot copy the runner to $copy"
		failed=1
		continue
	fi
	token=$RANDOM-$$-$n
	echo "$token" >"$copy/token"
	# In the guest: the checkout is where it is on the host (cwd, a file of it),
	# TMPDIR is writable, and NFLB_RESULTS reaches the host.
	# shellcheck disable=SC2016 # expanded in the guest
	NFLB_VM_TIMEOUT=300 "$copy/selftests/vm/run.sh" \
		'set -e; t=$(mktemp -d); cat token >"$t/seen"; pwd -P >>"$t/seen"
		 cp "$t/seen" "$NFLB_RESULTS/seen"' 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	got=$(cat "$copy/.cache/vm/last/seen" 2>/dev/null)
	want="$token
$copy"
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "# want: ${want//$'\n'/ | }"
		echo "# got:  ${got//$'\n'/ | }"
		echo "not ok $n - $desc # run.sh exit $rc"
		failed=1
	fi
done
exit "$failed"
