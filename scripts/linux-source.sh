#!/bin/sh
# Extract, once, the few files we use from Debian's linux-source tarball into
# .cache/linux-source/ and print that dir: checkpatch.pl with its data files, and
# the kselftest headers for the C selftests.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/.cache/linux-source
# shellcheck disable=SC2012 # fixed Debian names
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
files="scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
tools/testing/selftests/kselftest_harness.h tools/testing/selftests/kselftest.h"

if [ ! -e "$out/.done" ]; then
	[ -n "$tarball" ] || { echo "linux-source: no /usr/src/linux-source-*.tar.xz (scripts/deps.sh)" >&2; exit 1; }
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$repo/.cache"
	tmp=$(mktemp -d "$repo/.cache/linux-source.XXXXXX")
	members=""
	for f in $files; do members="$members $top/$f"; done
	echo "linux-source: extracting checkpatch and kselftest headers from $tarball" >&2
	# shellcheck disable=SC2086
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 $members
	touch "$tmp/.done"
	rm -rf "$out"
	mv "$tmp" "$out"
fi
echo "$out"
