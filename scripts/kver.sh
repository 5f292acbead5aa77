#!/bin/sh
# Print the kernel version the VM boots and modules are built against when the
# running kernel has no build dir: the newest version that has both a bootable
# image (/boot/vmlinuz-V) and headers (/usr/src/linux-headers-V).
set -eu
best=""
for img in /boot/vmlinuz-*; do
	v=${img#/boot/vmlinuz-}
	[ -d "/usr/src/linux-headers-$v" ] || continue
	best="$best$v
"
done
best=$(printf '%s' "$best" | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "kver: no /boot/vmlinuz-V with /usr/src/linux-headers-V (run scripts/deps.sh)" >&2
	exit 1
fi
echo "$best"
