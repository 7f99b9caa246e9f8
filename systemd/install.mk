# systemd integration of shopify-sync: included by the top-level Makefile (`include systemd/install.mk`).
#
#   make install-systemd   [PREFIX=/usr/local] [DESTDIR=] [BINDIR=] [SYSCONFDIR=/etc] [UNITDIR=] ...
#   make uninstall-systemd
#
# Installs the units (with ExecStart at $(BINDIR)/shopify-sync; the drift timer is not enabled), tmpfiles.d
# and sysusers.d entries, the
# journal catalog and config.toml.example. With no DESTDIR (a live install, as root) it then creates the
# user and the spool, rebuilds the journal catalog and reloads systemd; set SYSTEMD_POSTINSTALL=no to skip.
# Uninstalling keeps the user, the spool, the state and /etc/shopify-sync/config.toml: they are data.

SYSTEMD_SRCDIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
# systemd, tmpfiles, sysusers and journalctl search /usr/lib/... and /usr/local/lib/... only: any other
# PREFIX still puts the systemd files where systemd looks.
ifneq ($(filter /usr /usr/local,$(patsubst %/,%,$(PREFIX))),)
SYSTEMD_LIBDIR ?= $(patsubst %/,%,$(PREFIX))/lib
else
SYSTEMD_LIBDIR ?= /usr/lib
endif
UNITDIR ?= $(SYSTEMD_LIBDIR)/systemd/system
TMPFILESDIR ?= $(SYSTEMD_LIBDIR)/tmpfiles.d
SYSUSERSDIR ?= $(SYSTEMD_LIBDIR)/sysusers.d
CATALOGDIR ?= $(SYSTEMD_LIBDIR)/systemd/catalog
SYSTEMD_POSTINSTALL ?= $(if $(DESTDIR),no,yes)
DOCDIR ?= $(PREFIX)/share/doc/shopify-sync
# The production example (absolute paths, the real Shopify); the live test installs spool-example's instead.
SYSTEMD_EXAMPLE_CONFIG ?= $(SYSTEMD_SRCDIR)/../docs/config.toml.example

INSTALL ?= install
# The daemon, and the daily drift check (its timer is installed, not enabled).
SYSTEMD_UNITS := shopify-sync.service shopify-sync-drift.service shopify-sync-drift.timer

.PHONY: install-systemd uninstall-systemd

install-systemd:
	$(INSTALL) -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(SYSCONFDIR)/shopify-sync
	for unit in $(SYSTEMD_UNITS); do \
		sed -e '/^#/!s|@BINDIR@|$(BINDIR)|g' -e '/^#/!s|@DOCDIR@|$(DOCDIR)|g' $(SYSTEMD_SRCDIR)/$$unit >$(DESTDIR)$(UNITDIR)/$$unit.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit.tmp && \
		mv -f $(DESTDIR)$(UNITDIR)/$$unit.tmp $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done
	$(INSTALL) -m 0644 $(SYSTEMD_SRCDIR)/shopify-sync.tmpfiles $(DESTDIR)$(TMPFILESDIR)/shopify-sync.conf
	$(INSTALL) -m 0644 $(SYSTEMD_SRCDIR)/shopify-sync.sysusers $(DESTDIR)$(SYSUSERSDIR)/shopify-sync.conf
	$(INSTALL) -m 0644 $(SYSTEMD_SRCDIR)/shopify-sync.catalog $(DESTDIR)$(CATALOGDIR)/shopify-sync.catalog
	$(INSTALL) -m 0644 $(SYSTEMD_EXAMPLE_CONFIG) $(DESTDIR)$(SYSCONFDIR)/shopify-sync/config.toml.example
ifeq ($(SYSTEMD_POSTINSTALL),yes)
	systemd-sysusers $(SYSUSERSDIR)/shopify-sync.conf
	systemd-tmpfiles --create $(TMPFILESDIR)/shopify-sync.conf
	journalctl --update-catalog
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
endif

uninstall-systemd:
	-if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemctl disable --now shopify-sync.service shopify-sync-drift.timer; fi
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(SYSTEMD_UNITS)) $(DESTDIR)$(TMPFILESDIR)/shopify-sync.conf \
		$(DESTDIR)$(SYSUSERSDIR)/shopify-sync.conf $(DESTDIR)$(CATALOGDIR)/shopify-sync.catalog \
		$(DESTDIR)$(SYSCONFDIR)/shopify-sync/config.toml.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/shopify-sync 2>/dev/null
ifeq ($(SYSTEMD_POSTINSTALL),yes)
	journalctl --update-catalog
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
endif
