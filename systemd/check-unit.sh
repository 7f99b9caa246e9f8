#!/bin/sh
# Checks systemd/shopify-sync.service: `systemd-analyze verify` must print nothing and
# `systemd-analyze security --offline=yes` must score 1.5 or lower. Used by `make test`, which also checks
# shopify-sync-drift.service and shopify-sync-drift.timer with it (a timer is verified together with its
# service; it has no security score).
#
# Usage: systemd/check-unit.sh [--bindir DIR] [UNIT]
#
# Why a copy of the unit: the source unit says ExecStart=@BINDIR@/shopify-sync (make install substitutes
# the real folder), and `verify` insists that ExecStart's binary exists and is executable. Before
# installation there is no such path, and the package's own build output lives elsewhere. So the check
# writes the unit, unchanged but for @BINDIR@, into a temporary folder and points @BINDIR@ at a temporary
# stand-in executable named shopify-sync (/bin/true). That checks everything the unit says, which is what
# this script is for; whether the binary runs is the daemon tests' job. Give --bindir DIR (for example
# /usr/local/bin after `make install`) to verify against a real installed binary instead.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bindir=
unit="$here/shopify-sync.service"
while [ $# -gt 0 ]; do
    case "$1" in
    --bindir) bindir=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) unit=$1; shift ;;
    esac
done

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "check-unit: systemd-analyze not found (install systemd)" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/shopify-sync-check-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if [ -z "$bindir" ]; then
    bindir="$work/bin"
    mkdir "$bindir"
    cp /bin/true "$bindir/shopify-sync"
fi
# The copy must keep the unit's name: verify and security derive the unit type and name from it.
name=$(basename "$unit")
fill() { sed -e "s|@BINDIR@|$bindir|g" -e "s|@DOCDIR@|/usr/share/doc/shopify-sync|g" "$1" >"$work/$(basename "$1")"; }
fill "$unit"
case "$name" in *.timer) fill "$(dirname "$unit")/${name%.timer}.service" ;; esac

status=0

# `verify` reports problems on stdout or stderr; any output at all is a failure.
verify_output=$(cd "$work" && systemd-analyze verify --man=no "$work/$name" 2>&1) || status=1
if [ -n "$verify_output" ]; then
    echo "check-unit: systemd-analyze verify is not silent:" >&2
    printf '%s\n' "$verify_output" >&2
    status=1
else
    echo "check-unit: $name: systemd-analyze verify: clean"
fi

case "$name" in *.timer)
    echo "check-unit: $name: verified with its service (a timer has no security score)"
    exit $status
    ;;
esac

# --threshold is in tenths: 15 means exit nonzero above 1.5.
security_output=$(systemd-analyze security --offline=yes --threshold=15 "$work/$name" 2>&1) ||
    security_status=$?
score=$(printf '%s\n' "$security_output" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
    echo "check-unit: systemd-analyze security gave no score:" >&2
    printf '%s\n' "$security_output" >&2
    status=1
elif [ "${security_status:-0}" -ne 0 ]; then
    printf '%s\n' "$security_output" | grep -v '^✓' >&2
    echo "check-unit: exposure $score is above 1.5" >&2
    status=1
else
    echo "check-unit: $name: systemd-analyze security: exposure $score (limit 1.5)"
fi
exit $status
