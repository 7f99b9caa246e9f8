#!/usr/bin/env bash
# Checks `make install DESTDIR=<temporary>` (default PREFIX=/usr/local, the debug build make test made, no
# second build): it must lay out exactly the files systemd/README.md lists under "Install", with the
# units' placeholders filled in so that ExecStart= and Documentation= name installed files; and
# `make uninstall DESTDIR=...` must remove them all again.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -C "$top" --no-print-directory install DESTDIR="$tmp/root" CONFIGURATION=debug INSTALL_BUILD= \
    >"$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log" >&2
    echo "check-install: make install failed" >&2
    exit 1
}

# The documented tree (systemd/README.md, "Install"), for PREFIX=/usr/local.
expected="/etc/shopify-sync/config.toml.example
/usr/local/bin/shopify-simulator
/usr/local/bin/shopify-sync
/usr/local/lib/systemd/catalog/shopify-sync.catalog
/usr/local/lib/systemd/system/shopify-sync.service
/usr/local/lib/systemd/system/shopify-sync-drift.service
/usr/local/lib/systemd/system/shopify-sync-drift.timer
/usr/local/lib/sysusers.d/shopify-sync.conf
/usr/local/lib/tmpfiles.d/shopify-sync.conf
/usr/local/share/doc/shopify-sync/README.md
/usr/local/share/doc/shopify-sync/docs/contract.md
/usr/local/share/doc/shopify-sync/systemd/README.md
/usr/local/share/man/man1/shopify-simulator.1
/usr/local/share/man/man5/shopify-sync.toml.5
/usr/local/share/man/man8/shopify-sync.8"
actual=$(cd "$tmp/root" && find . -type f | sed 's|^\.||' | LC_ALL=C sort)
status=0
if [ "$actual" != "$(LC_ALL=C sort <<<"$expected")" ]; then
    echo "check-install: the installed tree differs from the documented one (- documented, + installed):" >&2
    diff <(LC_ALL=C sort <<<"$expected") <(printf '%s\n' "$actual") | grep '^[<>]' | sed 's/^</-/; s/^>/+/' >&2
    status=1
fi

for unit in "$tmp"/root/usr/local/lib/systemd/system/*; do
    if grep -n '@[A-Z]*@' "$unit" >&2; then
        echo "check-install: placeholders left in the installed $(basename "$unit")" >&2
        status=1
    fi
    for path in $(sed -n 's|^ExecStart=\([^ ]*\).*|\1|p; s|^Documentation=.*file://\([^ ]*\).*|\1|p' "$unit"); do
        [ -e "$tmp/root$path" ] || {
            echo "check-install: $(basename "$unit") names $path, which is not installed" >&2
            status=1
        }
    done
done
if grep -q '^ *endpoint *=' "$tmp/root/etc/shopify-sync/config.toml.example"; then
    echo "check-install: the installed example config points at the simulator (endpoint =)" >&2
    status=1
fi

# make uninstall removes every file make install laid out.
make -C "$top" --no-print-directory uninstall DESTDIR="$tmp/root" >"$tmp/uninstall.log" 2>&1 || {
    cat "$tmp/uninstall.log" >&2
    echo "check-install: make uninstall failed" >&2
    exit 1
}
left=$(cd "$tmp/root" && find . -type f | sed 's|^\.||')
if [ -n "$left" ]; then
    echo "check-install: make uninstall left:" >&2
    printf '%s\n' "$left" >&2
    status=1
fi
[ $status -eq 0 ] && echo "check-install: make install DESTDIR=... lays out the $(wc -l <<<"$expected") documented files; make uninstall removes them"
exit $status
