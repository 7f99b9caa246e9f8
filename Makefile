# shopify-sync: build, test, demo, install.
#
#   make test     installs the Debian build dependencies when missing (as root), builds with warnings as
#                 errors, lints, checks the systemd unit, runs every test
#   make demo     runs the daemon on a copy of spool-example/ against the simulator and shows the result
#   make bench    prints the benchmark figures
#   make install  [PREFIX=/usr/local] [DESTDIR=]   make uninstall

SWIFT ?= swift
STRICT := -Xswiftc -warnings-as-errors
DEBIAN_PACKAGES := libsystemd-dev libcurl4-openssl-dev pkg-config
UNIT_SUITES := ShopifySyncCoreTests|SyncStateTests|SpoolTests|SystemdTests
HTTP_SUITES := ShopifyAPITests|ShopifySimulatorTests
HEAVY_SUITES := DrainTests|CrashTests
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

.PHONY: all deps build build-release test lint check-unit demo bench install uninstall clean

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

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

check-unit:
	systemd/check-unit.sh

test: deps
	$(SWIFT) build --build-tests $(STRICT)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-unit
	@# In groups: the machine has two cores, and the file-heavy tests (the spool's inotify overflow, the
	@# volume and crash tests) would starve the timing-sensitive HTTP ones if all ran at once.
	$(SWIFT) test --skip-build --filter "$(UNIT_SUITES)"
	$(SWIFT) test --skip-build --filter "$(HTTP_SUITES)"
	$(SWIFT) test --skip-build --filter ShopifySyncTests --skip "$(HEAVY_SUITES)"
	$(SWIFT) test --skip-build --filter "$(HEAVY_SUITES)"

demo: deps
	scripts/demo.sh

bench: deps
	scripts/bench.sh

install: build-release install-systemd
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 .build/release/shopify-sync $(DESTDIR)$(BINDIR)/shopify-sync
	install -m 0755 .build/release/shopify-simulator $(DESTDIR)$(BINDIR)/shopify-simulator

uninstall: uninstall-systemd
	rm -f $(DESTDIR)$(BINDIR)/shopify-sync $(DESTDIR)$(BINDIR)/shopify-simulator

clean:
	rm -rf .build demo-run

include systemd/install.mk
