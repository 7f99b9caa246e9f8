# shopify-sync: build, test, demo, install.
#
#   make test     installs the Debian build dependencies when missing (as root), builds with warnings as
#                 errors, lints, checks the systemd unit, runs every test
#   make demo     runs the daemon on a copy of spool-example/ against the simulator and shows the result
#   make bench    prints the benchmark figures
#   make standalone  checks that a clone of HEAD alone builds and passes the fast suites (make test runs it)
#   make install  [PREFIX=/usr/local] [DESTDIR=] [CONFIGURATION=release|debug]   make uninstall
#   make test-systemd  boots a real systemd in a namespace, installs into it and checks the unit live
#                 (as root; make test runs it, and it says when it skips)

SWIFT ?= swift
STRICT := -Xswiftc -warnings-as-errors
# Build: the C libraries' headers (GRDB links the system SQLite). Test: groff and man render the manual pages.
DEBIAN_PACKAGES := libsystemd-dev libcurl4-openssl-dev libsqlite3-dev pkg-config groff-base man-db openssl
UNIT_SUITES := ShopifySyncCoreTests|SyncStateTests|SpoolTests|SystemdTests
HTTP_SUITES := ShopifyAPITests|ShopifySimulatorTests
HEAVY_SUITES := DrainTests|CrashTests|PowerCutTests|TortureTests
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# README.md, docs/contract.md and systemd/README.md keep their relative places (and links) under DOCDIR; the
# unit's Documentation= names $(DOCDIR)/README.md.
DOCDIR ?= $(PREFIX)/share/doc/shopify-sync
# Which build `make install` installs: release (built here), or debug (the one `make test` built; the live
# test installs that one rather than pay for a second full build).
CONFIGURATION ?= release
# What `make install` builds first; empty: install what is already built.
INSTALL_BUILD ?= build-$(CONFIGURATION)

.PHONY: all deps build build-debug build-release test test-systemd lint check-unit check-man check-install \
	standalone demo bench install install-docs uninstall clean man-generate fuzz fuzz-replay torture

all: build

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "missing Debian packages:$$missing"; echo "install them with: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

build: deps
	$(SWIFT) build $(STRICT)

build-release: deps
	$(SWIFT) build -c release $(STRICT)

# The same command as `make test`'s build, so after it this is a no-op.
build-debug: deps
	$(SWIFT) build --build-tests $(STRICT)

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

check-unit:
	systemd/check-unit.sh
	systemd/check-unit.sh systemd/shopify-sync-drift.service
	systemd/check-unit.sh systemd/shopify-sync-drift.timer

test: deps
	$(SWIFT) build --build-tests $(STRICT)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-unit
	$(MAKE) --no-print-directory check-man
	$(MAKE) --no-print-directory check-install
	scripts/check-dependencies.sh
	@# In groups: the machine has two cores, and the file-heavy tests (the spool's inotify overflow, the
	@# volume and crash tests) would starve the timing-sensitive HTTP ones if all ran at once.
	$(SWIFT) test --skip-build --filter "$(UNIT_SUITES)"
	$(SWIFT) test --skip-build --filter "$(HTTP_SUITES)"
	$(SWIFT) test --skip-build --filter ShopifySyncTests --skip "$(HEAVY_SUITES)"
	$(SWIFT) test --skip-build --filter "$(HEAVY_SUITES)"
	$(MAKE) --no-print-directory fuzz-replay
	FUZZ_SECONDS=15 $(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory standalone
	$(MAKE) --no-print-directory test-systemd

# The long torture run: 10,000 movements and hard syncs under every Shopify fault (a 401 period of a minute)
# with 50 SIGKILLs, five crash runs, the power cut at every sync point and the full disk; says how long it
# ran. `make test` runs the same suites short (1,200 movements, 12 kills).
torture: build-debug
	@start=$$(date +%s); \
	TORTURE_MOVEMENTS=10000 TORTURE_KILLS=50 TORTURE_401_SECONDS=60 CRASH_RUNS=5 \
		$(SWIFT) test --skip-build --filter "TortureTests|CrashTests|PowerCutTests|DiskFullTests" || exit 1; \
	echo "make torture: passed in $$(( $$(date +%s) - start )) s"

# Every seed input and every input kept in Tests/Fuzz/ (those that once failed) through the normal build.
fuzz-replay:
	python3 scripts/fuzz-seeds.py .build/fuzz-seeds
	for target in request config catalog response; do \
		"$$($(SWIFT) build --show-bin-path)/shopify-sync-fuzz" $$target .build/fuzz-seeds/$$target Tests/Fuzz/$$target \
			|| exit 1; \
	done

# libFuzzer and AddressSanitizer on the request decoder, the config and catalog readers and the decoding of
# Shopify's answers: FUZZ_SECONDS (default 300) each; `make test` runs 15 s each.
fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} SWIFT="$(SWIFT)" scripts/fuzz.sh

# The manual pages render without warnings (groff, man -l) and shopify-sync(8) names every subcommand.
check-man:
	SWIFT="$(SWIFT)" scripts/check-man.sh

# `make install DESTDIR=<temporary>` of the debug build lays out exactly the documented tree.
check-install:
	scripts/check-install.sh

# Regenerates the manual pages' options from the argument parser into .build/plugins/GenerateManual/outputs
# (shopify-sync.8 and shopify-simulator.1); merge them into docs/man by hand, where the other sections are
# written by hand.
man-generate:
	$(SWIFT) package plugin generate-manual --configuration debug --section 8 --authors "shopify-sync developers"
	$(SWIFT) package plugin generate-manual --configuration debug --section 1 --authors "shopify-sync developers"

# A clone of HEAD alone in a temporary folder: nothing refers outside it, and the fast suites pass there.
standalone:
	SWIFT="$(SWIFT)" scripts/check-standalone.sh

# Needs the debug build (make test's); skips, saying why, when not root or the machine cannot.
test-systemd:
	systemd/live-test/run.sh

demo: deps
	scripts/demo.sh

bench: deps
	scripts/bench.sh

install: $(INSTALL_BUILD) install-systemd install-docs
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 .build/$(CONFIGURATION)/shopify-sync $(DESTDIR)$(BINDIR)/shopify-sync
	install -m 0755 .build/$(CONFIGURATION)/shopify-simulator $(DESTDIR)$(BINDIR)/shopify-simulator

install-docs:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/docs \
		$(DESTDIR)$(DOCDIR)/systemd
	install -m 0644 docs/man/shopify-simulator.1 $(DESTDIR)$(MANDIR)/man1/shopify-simulator.1
	install -m 0644 docs/man/shopify-sync.8 $(DESTDIR)$(MANDIR)/man8/shopify-sync.8
	install -m 0644 docs/man/shopify-sync.toml.5 $(DESTDIR)$(MANDIR)/man5/shopify-sync.toml.5
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 docs/contract.md $(DESTDIR)$(DOCDIR)/docs/contract.md
	install -m 0644 systemd/README.md $(DESTDIR)$(DOCDIR)/systemd/README.md

uninstall: uninstall-systemd
	rm -f $(DESTDIR)$(BINDIR)/shopify-sync $(DESTDIR)$(BINDIR)/shopify-simulator
	rm -f $(DESTDIR)$(MANDIR)/man8/shopify-sync.8 $(DESTDIR)$(MANDIR)/man5/shopify-sync.toml.5 \
		$(DESTDIR)$(MANDIR)/man1/shopify-simulator.1
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf .build demo-run

include systemd/install.mk
