#!/bin/bash
# Build (once) the VM's initramfs for kernel KVER into CACHEDIR and print its path.
#   mkinitramfs.sh KVER CACHEDIR [MODDIR]   (MODDIR: that kernel's modules,
#   default /lib/modules/KVER; modules its modules.builtin lists, or that a
#   given MODDIR lacks, are skipped)
# It holds only static busybox, the init script and the virtio/9p modules needed to
# mount the host's root; everything else comes from the host over 9p. The file name
# carries a hash of its inputs, so changing the kernel or init rebuilds it.
set -eu
kver=$1 cache=$2 mdir=${3:-/lib/modules/$1}
here=$(cd "$(dirname "$0")" && pwd)
mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	9pnet 9pnet_virtio netfs fscache 9p"

key=$( (echo "$kver $mods $mdir"; cat "$here/init" "$0" /bin/busybox "$mdir/modules.builtin" 2>/dev/null) |
	sha256sum | cut -c1-16)
out=$cache/initramfs-$kver-$key.cpio.gz
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
stage=$(mktemp -d "$cache/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,proc,sys,dev,mnt,tmp,lib/modules}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
touch "$stage/modules.list"
for m in $mods; do
	# built into this kernel (e.g. the debug kernel): nothing to load
	if grep -Eq "/$m\.ko$" "$mdir/modules.builtin" 2>/dev/null; then
		continue
	fi
	f=$(find "$mdir/kernel" -name "$m.ko*" | head -n 1)
	if [ -z "$f" ] && [ $# -ge 3 ]; then
		continue	# another kernel's config may simply not have it (fscache)
	fi
	[ -n "$f" ] || { echo "mkinitramfs: $m.ko not found under $mdir" >&2; exit 1; }
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$stage/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$stage/lib/modules/$m.ko" ;;
	*) cp "$f" "$stage/lib/modules/$m.ko" ;;
	esac
	echo "/lib/modules/$m.ko" >>"$stage/modules.list"
done

(cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
# Drop initramfs images of older inputs (of this kernel: others may be in use).
find "$cache" -maxdepth 1 -name "initramfs-$kver-*.cpio.gz" ! -path "$out" -delete
echo "$out"
