#!/bin/sh
# Install, once, the Debian packages that building, testing and demoing nflb need.
# Idempotent: only packages that are missing are installed; `apt-get update` runs
# at most once per machine (stamp in /var/lib/nflb).
set -eu

# openssl (test certificates) and dnsmasq-base (a DNS server): lbhealthd's tests.
PKGS="build-essential pkg-config kmod cpio gzip
linux-image-amd64 linux-headers-amd64 linux-source-6.1
qemu-system-x86 busybox-static
libmnl-dev iproute2 iputils-ping procps
sparse socat curl iperf3 nftables ipvsadm jq tcpdump ethtool conntrack keepalived
python3 python3-yaml gnuplot-nox clang libclang-rt-14-dev llvm
bc flex bison libelf-dev libssl-dev xz-utils bird2
openssl dnsmasq-base"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
stamp=/var/lib/nflb/apt-updated
if [ ! -e "$stamp" ]; then
	$SUDO apt-get update -q
	$SUDO mkdir -p /var/lib/nflb && $SUDO touch "$stamp"
fi
echo "deps: installing:$missing" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
