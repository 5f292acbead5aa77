# nflb: L4 load balancer kernel module, its CLI and its health-check daemon. `make help` lists the targets.

# Build against the running kernel when it has a build dir; otherwise (e.g. a host
# that cannot load modules) against the Debian headers of the kernel the VM boots.
# Both are expanded lazily, after scripts/deps.sh may have installed the headers.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),/usr/src/linux-headers-$(shell scripts/kver.sh))
# Release string of KDIR's kernel. Debian's headers report the upstream version
# through `make kernelrelease` (6.1.x), not the ABI name (6.1.0-N-amd64) that
# modules live under, so read the one compiled into modules.
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)

PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
# make check T="name ..." runs only the selftests whose path contains a name;
# VM=0 runs them on this host (root, kernel able to load modules) instead of a VM.
T ?=
VM ?= 1
export KSELFTEST_DIR := $(CURDIR)/.cache/linux-source/tools/testing/selftests

.PHONY: all deps module lbctl lbhealthd selftests check check-debug demo bench install install-lbctl install-lbhealthd uninstall dkms-install \
	clean help

all: module lbctl lbhealthd

help:
	@echo 'make               build kmod/nflb.ko, lbctl/lbctl and lbhealthd/lbhealthd (KDIR=$(KDIR))'
	@echo 'make check         host checks, then every selftest in a VM; T="names" filters, VM=0 on this host'
	@echo 'make check-debug   every selftest on a KASAN/UBSAN/lockdep/kmemleak kernel (built once, cached)'
	@echo 'make demo          boot a VM and show a client balanced over three servers'
	@echo 'make bench         nflb vs IPVS, nftables DNAT, plain routing, sync, in one VM (<15 min); bench/results/'
	@echo 'make install       install module (extra/), lbctl, lbhealthd (+ systemd unit), man pages into $(PREFIX)'
	@echo 'make dkms-install  module via DKMS (rebuilt on kernel upgrades), lbctl as above'
	@echo 'make uninstall     remove what make install installed'
	@echo 'make clean         remove build output'

# Install missing Debian packages (idempotent, fast when nothing is missing).
deps:
	@scripts/deps.sh

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lbctl: deps
	$(MAKE) -C lbctl

# The health-check daemon (libmnl, OpenSSL) and its parser unit test.
lbhealthd: deps
	$(MAKE) -C lbhealthd

# C selftests use kselftest_harness.h from Debian's linux-source tarball.
selftests: deps
	@scripts/linux-source.sh >/dev/null
	$(MAKE) -C selftests

# The selftests run the lbhealthd built here (health_*.sh).
check: deps lbhealthd
	@T="$(T)" VM="$(VM)" KDIR="$(KDIR)" scripts/check.sh

# The debug kernel is built on first use (~10 min on 2 cores) and cached in
# ~/.cache/nflb/debug-kernel (scripts/debug-kernel.sh); T= filters as above.
check-debug: deps
	@T="$(T)" scripts/check-debug.sh

demo: deps all
	@if [ "$(VM)" = 0 ]; then scripts/demo.sh; \
	else selftests/vm/run.sh scripts/demo.sh; fi

# One VM boot (1 vCPU, QEMU -icount), bounded to 15 minutes; see Documentation/performance.rst.
bench: deps all
	$(MAKE) -C bench
	@bench/run.sh

# Debian's headers ask to sign modules on install but ship no key; skip signing
# then instead of printing SSL errors (Secure Boot: use DKMS, which signs).
SIGN_KEY = $(wildcard $(KDIR)/output/signing_key.pem $(KDIR)/certs/signing_key.pem)

# DESTDIR stages everything under a directory (packaging); depmod then runs there.
# The module lands in /lib/modules/KREL/extra/kmod/nflb.ko.
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KREL) INSTALL_MOD_DIR=extra \
		$(if $(SIGN_KEY),,CONFIG_MODULE_SIG_ALL=) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)
	$(MAKE) install-lbctl install-lbhealthd

install-lbhealthd: lbhealthd
	$(MAKE) -C lbhealthd install PREFIX=$(PREFIX)

install-lbctl: lbctl
	install -D -m 0755 lbctl/lbctl $(DESTDIR)$(PREFIX)/sbin/lbctl
	@if [ -f Documentation/lbctl.8 ]; then set -x; \
		install -D -m 0644 Documentation/lbctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/lbctl.8; fi
	@if [ -f lbctl/completion/lbctl.bash ]; then set -x; \
		install -D -m 0644 lbctl/completion/lbctl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/lbctl; fi

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KREL)/extra/kmod/nflb.ko* $(DESTDIR)$(PREFIX)/sbin/lbctl \
		$(DESTDIR)$(PREFIX)/share/man/man8/lbctl.8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/lbctl \
		$(DESTDIR)$(PREFIX)/sbin/lbhealthd $(DESTDIR)$(PREFIX)/share/man/man8/lbhealthd.8 \
		$(DESTDIR)/lib/systemd/system/lbhealthd.service
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)

# DKMS builds from a copy of the module sources in /usr/src/nflb-VERSION.
dkms-install:
	@command -v dkms >/dev/null || apt-get install -y --no-install-recommends dkms
	dkms remove -m nflb -v $(VERSION) --all >/dev/null 2>&1 || true
	rm -rf /usr/src/nflb-$(VERSION)
	mkdir -p /usr/src/nflb-$(VERSION)/kmod
	cp -r Kbuild dkms.conf uapi /usr/src/nflb-$(VERSION)/
	cp kmod/Kbuild kmod/*.[ch] /usr/src/nflb-$(VERSION)/kmod/
	dkms install -m nflb -v $(VERSION) -k $(KREL)
	$(MAKE) install-lbctl install-lbhealthd

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C lbctl clean
	$(MAKE) -C lbhealthd clean
	@if [ -f selftests/Makefile ]; then $(MAKE) -C selftests clean; fi
