#!/bin/bash
# Run a shell command as root inside a QEMU VM booting Debian's kernel, with the host's
# root shared read-only over 9p (the host kernel here cannot load modules).
#
#   selftests/vm/run.sh 'COMMAND...'
#
# The command runs under bash in the repo root with NFLB_KO, LBCTL, NFLB_SRC, TMPDIR
# and NFLB_RESULTS (a writable dir shared with the host) set. Its output appears
# live; its exit status is ours. A kernel splat (WARNING, BUG, Oops, RCU stall,
# KASAN, UBSAN, kmemleak, ...) anywhere in the guest's log fails the run.
#
# Environment: NFLB_VM_CPUS (2), NFLB_VM_MEM (2048M), NFLB_VM_TIMEOUT (1500 s),
# NFLB_KVM=1 (use KVM instead of TCG), NFLB_VM_ICOUNT=1 (1 vCPU, deterministic
# instruction counting for benchmarks), NFLB_VM_KVER (kernel version to boot),
# NFLB_VM_RESULTS (results dir to use instead of a new .cache/vm/run.XXXXXX).
# NFLB_VM_ICOUNT=align: instructions counted as for 1, but an idle guest
# sleeps in real time and a busy one is held back to it, so two such VMs keep
# the same time (the bench's two-VM sync measurement).  NFLB_VM_NET=L:R: a
# virtio NIC whose frames are UDP datagrams between 127.0.0.1:L (this VM) and
# 127.0.0.1:R (another VM, run with L and R swapped).
# Another kernel (make check-debug): NFLB_VM_KERNEL (its image), NFLB_VM_MODDIR
# (its /lib/modules/KREL, e.g. staged by modules_install; bind-mounted on
# /lib/modules in the guest; modules built into the kernel are not insmod'ed),
# NFLB_VM_APPEND (extra kernel command line, e.g. pci=noacpi). NFLB_KO, if set,
# replaces the module path given to the tests.
set -u
# Braces: bash reads the whole script before running it, so editing this file
# while a run is under way cannot break that run.
{
here=$(cd "$(dirname "$0")" && pwd)
# Physical paths: the guest's init sees the host's tree as it is, not the caller's
# symlinks (it puts a checkout under /tmp, /run or /dev back on top of its own
# mounts there; see init).
repo=$(cd "$here/../.." && pwd -P)
cache=$repo/.cache/vm

if [ $# -eq 0 ]; then
	echo "usage: $0 'COMMAND...'" >&2
	exit 2
fi
if [ -n "${NFLB_VM_MODDIR:-}" ]; then
	kver=$(basename "$NFLB_VM_MODDIR")
else
	kver=${NFLB_VM_KVER:-$("$repo/scripts/kver.sh")} || exit 1
fi
kernel=${NFLB_VM_KERNEL:-/boot/vmlinuz-$kver}
initrd=$("$here/mkinitramfs.sh" "$kver" "$cache" ${NFLB_VM_MODDIR:+"$NFLB_VM_MODDIR"}) || exit 1
append=""
[ -z "${NFLB_VM_MODDIR:-}" ] || append="nflbmods=$(dirname "$NFLB_VM_MODDIR")"
append="$append ${NFLB_VM_APPEND:-}"

# One results dir per run (several runs may go on at once); old ones are pruned.
find "$cache" -maxdepth 1 -name 'run.*' -type d -mmin +1440 -exec rm -rf {} + 2>/dev/null
res=${NFLB_VM_RESULTS:-$(mktemp -d "$cache/run.XXXXXX")} || exit 1
mkdir -p "$res" && res=$(cd "$res" && pwd -P) || exit 1
ln -sfn "$(basename "$res")" "$cache/last"

# The command goes into a file: the kernel command line only carries its dir.
{
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	# Pass through the caller's NFLB_* knobs (test tuning, bench parameters).
	while IFS= read -r v; do
		case "$v" in NFLB_VM_* | NFLB_KVM) continue ;; esac
		printf 'export %s=%q\n' "$v" "${!v}"
	done < <(compgen -e | grep '^NFLB_')
	printf 'export %s=%q\n' NFLB_SRC "$repo" NFLB_KO "${NFLB_KO:-$repo/kmod/nflb.ko}" \
		LBCTL "$repo/lbctl/lbctl" NFLB_RESULTS "$res" \
		TMPDIR /tmp HOME /tmp TERM dumb LANG C.UTF-8 CI "${CI:-}"
	printf 'cd %q || exit 1\n' "$repo"
	printf '%s\n' "$*"
} >"$res/cmd.sh"

cpus=${NFLB_VM_CPUS:-2}
# The guest's clock.  Under plain TCG the guest's TSC is the host's TSC read
# raw, and a host that is itself a VM may see its TSC jump (snapshot restore,
# migration; such hosts boot with tsc=unstable and run on kvm-clock).  A jump
# of days once reached the guest as a jiffies jump and a false RCU stall in
# the middle of a test.  So the guest keeps time on the HPET, which QEMU
# drives from the host's monotonic clock, and tsc=unstable lets sched_clock
# filter any TSC jump through the tick.  Under icount the TSC counts guest
# instructions and cannot jump: keep it there (the bench's figures rely on
# its cheap reads).
accel=(-accel tcg -cpu max)
clock="tsc=unstable clocksource=hpet"
# Deterministic: one vCPU, virtual time advances with instructions executed
# (and, for align, with real time while idle).
case "${NFLB_VM_ICOUNT:-0}" in
1) icount="shift=4,sleep=off" ;;
align) icount="shift=4,sleep=on,align=on" ;;
*) icount="" ;;
esac
if [ -n "$icount" ]; then
	accel=(-accel "tcg,thread=single" -cpu max -icount "$icount")
	clock="tsc=reliable clocksource=tsc"
	cpus=1
elif [ "${NFLB_KVM:-0}" = 1 ]; then
	accel=(-accel kvm -cpu host)
	clock=""
fi
net=()
if [ -n "${NFLB_VM_NET:-}" ]; then
	IFS=: read -r lport rport <<<"$NFLB_VM_NET"
	net=(-netdev "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$lport,remote.type=inet,remote.host=127.0.0.1,remote.port=$rport"
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:00:$(printf '%02x:%02x' $((lport >> 8 & 255)) $((lport & 255)))")
fi
tmo=${NFLB_VM_TIMEOUT:-1500}

# ttyS0: kernel console, saved to console.log. ttyS1: the command's output, to stdout.
# slab_nomerge: nflb's session caches keep their own object counts in
# /proc/slabinfo and /sys/kernel/slab (bench's memory figures, the memory
# checks of stress_netns and stress_synflood).
# --foreground keeps qemu in our process group so Ctrl-C stops it.
timeout --foreground -k 10 "$tmo" qemu-system-x86_64 \
	-nodefaults -no-reboot -display none -monitor none \
	"${accel[@]}" -smp "$cpus" -m "${NFLB_VM_MEM:-2048M}" "${net[@]}" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 $clock slab_nomerge nflbres=$res nflbrepo=$repo $append" \
	-serial "file:$res/console.log" -serial stdio \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$res,mount_tag=results,security_model=none,multidevs=remap" \
	</dev/null
qrc=$?

# Scan first: a panic's splat says more than the console's tail.
splat=0
"$here/scan-klog.sh" "$res/console.log" "$res/dmesg.txt" || splat=1
# Tells make check that we printed diagnostics after the command's own output.
[ "$splat" -eq 1 ] || [ ! -s "$res/rc" ] && touch "$res/runner-failed"
if [ -s "$res/rc" ]; then
	rc=$(cat "$res/rc")
else
	if [ "$qrc" -eq 124 ]; then
		echo "vm: timed out after ${tmo}s (NFLB_VM_TIMEOUT); qemu killed" >&2
	else
		echo "vm: the guest stopped before the command finished (qemu exit $qrc)" >&2
	fi
	if [ "$splat" -eq 0 ]; then
		echo "vm: last console lines ($res/console.log):" >&2
		tail -n 40 "$res/console.log" | tr -d '\r' | sed 's/^/vm|  /' >&2
	fi
	rc=1
fi
[ "$splat" -eq 1 ] && [ "$rc" -eq 0 ] && rc=1
exit "$rc"
}
