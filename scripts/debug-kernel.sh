#!/bin/bash
# Build, once, the debug kernel `make check-debug` boots (KASAN, UBSAN, lockdep,
# PROVE_RCU, kmemleak, ...) from Debian's linux-source-6.1 with the config fragment
# scripts/debug-kernel.config, and print the directory that holds it:
#
#   DIR/bzImage                       the kernel
#   DIR/krel                          its release string (6.1.N-dbg)
#   DIR/modroot/lib/modules/KREL/     its modules, staged (modules_install + depmod)
#   DIR/src/                          the configured tree, for `make -C DIR/src M=...`
#   DIR/build-seconds, DIR/build.log  how long the build took, its log
#
# The cache lives outside the repo's clean targets: NFLB_DEBUG_KERNEL_CACHE, else
# ${XDG_CACHE_HOME:-~/.cache}/nflb/debug-kernel. One subdirectory per key = source
# package version + hash of the fragment (+ RECIPE below), so editing the fragment
# or upgrading linux-source builds a new kernel; older ones are removed after a
# successful build. An interrupted build resumes where it stopped.
#
#   scripts/debug-kernel.sh            build if needed, print DIR (progress on stderr)
#   scripts/debug-kernel.sh --dir      print DIR without building (exit 1 if not built)
# Env: NFLB_DEBUG_KERNEL_JOBS (make -j, default nproc+1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel.config
# Bump when the build steps below change in a way that needs a rebuild.
RECIPE=1

root=${NFLB_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nflb/debug-kernel}
# shellcheck disable=SC2012 # fixed Debian names
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then
	echo "debug-kernel: /usr/src/linux-source-6.1.tar.xz missing (scripts/deps.sh)" >&2
	exit 1
fi
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
	stat -c %s-%Y "$tarball")
key=$srcver-$( (echo "recipe $RECIPE"; cat "$frag") | sha256sum | cut -c1-12)
dir=$root/$key

if [ "${1:-}" = --dir ]; then
	[ -e "$dir/.done" ] || { echo "debug-kernel: not built yet ($dir)" >&2; exit 1; }
	echo "$dir"
	exit 0
fi

mkdir -p "$root"
# One build at a time; a second caller waits and then finds it done.
exec 9>"$root/.lock"
if ! flock -n 9; then
	echo "debug-kernel: another build is running; waiting for it" >&2
	flock 9
fi
if [ -e "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

log=$dir/build.log
mkdir -p "$dir"
start=$(date +%s)
jobs=${NFLB_DEBUG_KERNEL_JOBS:-$(($(nproc) + 1))}
K=(make -C "$dir/src" ARCH=x86_64)
echo "debug-kernel: building $key in $dir (log: $log; ~10 min on 2 cores)" >&2

if [ ! -e "$dir/src/.extracted" ]; then
	echo "debug-kernel: extracting $tarball" >&2
	rm -rf "$dir/src"
	mkdir -p "$dir/src"
	tar -xJf "$tarball" -C "$dir/src" --strip-components=1
	touch "$dir/src/.extracted"
fi

# tinyconfig, then the fragment on top, then olddefconfig resolves the rest.
if [ ! -e "$dir/src/.configured" ]; then
	echo "debug-kernel: configuring (tinyconfig + $(basename "$frag"))" >&2
	{
		"${K[@]}" tinyconfig &&
			(cd "$dir/src" && scripts/kconfig/merge_config.sh -m .config "$frag") &&
			"${K[@]}" olddefconfig
	} >"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }
	# olddefconfig silently drops symbols whose dependencies are missing: every
	# line of the fragment must have survived.
	lost=""
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$dir/src/.config" || lost="$lost
  $line (now: $(grep -E "^(# )?${line%%=*}[= ]" "$dir/src/.config" || echo absent))" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$dir/src/.config" || lost="$lost
  $line (now: $(grep "^$sym=" "$dir/src/.config"))" ;;
		esac
	done <"$frag"
	if [ -n "$lost" ]; then
		echo "debug-kernel: options lost by olddefconfig (missing dependencies?):$lost" >&2
		exit 1
	fi
	echo "debug-kernel: all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$frag") fragment options survived olddefconfig" >&2
	touch "$dir/src/.configured"
fi

echo "debug-kernel: make -j$jobs bzImage modules" >&2
if ! "${K[@]}" -j"$jobs" bzImage modules >>"$log" 2>&1; then
	echo "debug-kernel: build failed; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
rm -rf "$dir/modroot"
"${K[@]}" INSTALL_MOD_PATH="$dir/modroot" modules_install >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; exit 1; }
"${K[@]}" -s kernelrelease >"$dir/krel"
cp "$dir/src/arch/x86/boot/bzImage" "$dir/bzImage"
# The tree stays for out-of-tree (M=) builds; objects are not needed for that.
find "$dir/src" -name '*.o' -delete
rm -f "$dir/modroot/lib/modules/$(cat "$dir/krel")"/{build,source}
echo $(($(date +%s) - start)) >"$dir/build-seconds"
touch "$dir/.done"
echo "debug-kernel: built $(cat "$dir/krel") in $(cat "$dir/build-seconds")s" >&2

# Older keys (other fragment or source version) are dead weight (~1.5 GB each).
for d in "$root"/*/; do
	d=${d%/}
	[ "$d" = "$dir" ] || rm -rf "$d"
done
echo "$dir"
