#!/usr/bin/env bash
# The live test: boots Debian's systemd as PID 1 of a private PID + mount namespace, installs shopify-sync
# into it with `make install DESTDIR=...` as an operator would, and checks the installed unit for real
# (readiness, the WMS group's spool access, the journal and its catalog, reload, stop, the watchdog, the
# credentials, the sandbox score, the operator commands). Used by `make test-systemd` (and `make test` when
# root). How the namespace is made: the comments below and in namespace-init.sh.
#
# Usage: systemd/live-test/run.sh [--no-build] [--keep]
#   --no-build  install the debug binaries as they are (default: `make install CONFIGURATION=debug` runs
#               make test's debug build first, a no-op when nothing changed)
#   --keep      leave the namespace running at the end and print how to enter it and how to remove it
#               (for debugging)
#
# Exit status: 0 all checks passed (or skipped: not root, no unshare, no cgroup v2 hierarchy; it says so),
# 1 a check failed, 2 the namespace could not be set up.
#
# It always stops the namespace's systemd, the simulator, and removes its cgroup and temporary folder, even
# when a check fails or it is interrupted.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$top/.build/debug
export LIVE_INSTALL_BUILD=build-debug
keep=no
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) export LIVE_INSTALL_BUILD=; shift ;;
    --keep) keep=yes; shift ;;
    --inner) shift; exec "$here/namespace-init.sh" "$@" ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "live-test: unknown argument $1" >&2; exit 64 ;;
    esac
done

say() { printf 'live-test: %s\n' "$*"; }
skip() {
    say "SKIPPED: $* (the live systemd checks did not run)"
    exit 0
}

# MARK: - Can it run here?

[ "$(id -u)" = 0 ] || skip "not root"
for tool in unshare nsenter mount pivot_root curl python3 setpriv; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd"
[ -f /sys/fs/cgroup/unified/cgroup.procs ] || skip "no /sys/fs/cgroup/unified (a cgroup v2 hierarchy)"
unshare --fork --pid --mount --uts --ipc --propagation private true 2>/dev/null || skip "unshare is not allowed here"
for exe in shopify-sync shopify-simulator; do
    [ -x "$bin/$exe" ] || { say "$bin/$exe not found: build first (swift build)"; exit 2; }
done

started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/shopify-sync-live.XXXXXX")
chmod 0755 "$work"
cgroup=/sys/fs/cgroup/unified/shopify-sync-live-$$
pid1=
unshare_pid=
simulator=

# MARK: - Cleanup, always

remove_cgroup() {
    [ -d "$cgroup" ] || return 0
    local procs
    for _ in $(seq 50); do
        procs=$(find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null)
        [ -z "$procs" ] && break
        [ -f "$cgroup/cgroup.kill" ] && echo 1 >"$cgroup/cgroup.kill" 2>/dev/null
        for p in $procs; do kill -KILL "$p" 2>/dev/null; done
        sleep 0.1
    done
    find "$cgroup" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$cgroup" ] && say "warning: could not remove $cgroup"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ "$keep" = yes ] && [ -n "$pid1" ]; then
        say "kept: enter with: nsenter -t $pid1 -a bash; stop with: kill -KILL $pid1 $simulator; then" \
            "find $cgroup -depth -type d -exec rmdir {} +; rm -rf $work"
        return
    fi
    if [ -n "$pid1" ] && kill -0 "$pid1" 2>/dev/null; then
        timeout 10 nsenter -t "$pid1" -a systemctl poweroff --no-block >/dev/null 2>&1
        for _ in $(seq 100); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid1" 2>/dev/null && kill -KILL "$pid1" 2>/dev/null
    fi
    [ -n "$unshare_pid" ] && wait "$unshare_pid" 2>/dev/null
    if [ -n "$simulator" ]; then
        kill -TERM "$simulator" 2>/dev/null && wait "$simulator" 2>/dev/null
    fi
    remove_cgroup
    # The namespace's mounts died with it; what is left is plain files.
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# MARK: - The simulator on the host's loopback

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sim=http://127.0.0.1:$port
token_main="shpat_live_main_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
token_au="shpat_live_au_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/sim"
sed "s|127.0.0.1:8787|127.0.0.1:$port|" "$top/spool-example/config.toml" >"$work/sim/config.toml"
cp "$top/spool-example/catalog.csv" "$work/sim/catalog.csv"
# --token: the simulator answers 401 to any other token, so an applied call proves the credential arrived.
# Both shops take the same token here; au gets its own credential file all the same.
"$bin/shopify-simulator" --port "$port" --config "$work/sim/config.toml" --catalog "$work/sim/catalog.csv" \
    --initial-on-hand 10 --token "$token_main" >"$work/sim/simulator.log" 2>&1 &
simulator=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sim/simulator.log" && break; sleep 0.1; done
grep -q "listening on" "$work/sim/simulator.log" || { cat "$work/sim/simulator.log"; say "the simulator did not start"; exit 2; }
token_au=$token_main

# MARK: - Boot systemd in a namespace

mkdir "$cgroup"
mkdir "$work/ns"
export LIVE_WORK=$work LIVE_CGROUP=$cgroup LIVE_TOP=$top
say "booting systemd $(/lib/systemd/systemd --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') in a namespace"
# namespace-init.sh prepares the root (overlay, make install, /dev, /proc, /sys) and execs systemd as PID 1.
unshare --fork --pid --mount --uts --ipc --propagation private "$here/namespace-init.sh" \
    </dev/null >"$work/console.log" 2>&1 &
unshare_pid=$!
for _ in $(seq 300); do
    pid1=$(ps -o pid= --ppid "$unshare_pid" 2>/dev/null | tr -d ' ')
    [ -n "$pid1" ] && [ "$(readlink "/proc/$pid1/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ] && break
    [ -n "$pid1" ] && [ "$(readlink "/proc/$pid1/exe" 2>/dev/null)" = /lib/systemd/systemd ] && break
    kill -0 "$unshare_pid" 2>/dev/null || break
    pid1=
    sleep 0.2
done
if [ -z "$pid1" ]; then
    say "the namespace did not reach systemd; its console:"
    sed 's/^/  | /' "$work/console.log"
    exit 2
fi

# Every command inside runs with a clean environment (nothing of this shell's leaks in).
# Each is cut off after 90 s, so a hung command fails its check instead of the whole run.
ns() {
    timeout 90 nsenter -t "$pid1" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 "$@"
}
# As the WMS account: its own uid, its groups from /etc/group (as after a fresh login), umask 0027.
as_wms() { ns setpriv --reuid=wms --regid=wms --init-groups sh -c "umask 0027; $1"; }

# systemctl can talk to it once its private socket exists.
for _ in $(seq 150); do [ -S "/proc/$pid1/root/run/systemd/private" ] && break; sleep 0.2; done
state=$(timeout 60 nsenter -t "$pid1" -a systemctl is-system-running --wait 2>&1)
case "$state" in
running | degraded) say "systemd is up ($state) after $(($(date +%s) - started)) s, PID $pid1 on the host" ;;
*)
    say "systemd did not finish booting ($state); its console:"
    sed 's/^/  | /' "$work/console.log"
    ns systemctl --failed --no-pager
    exit 2
    ;;
esac
[ "$state" = degraded ] && ns systemctl --failed --no-pager --plain | sed 's/^/  failed unit: /'

# MARK: - The operator's installation steps (systemd/README.md, "Install"), inside

setup() {
    # make install DESTDIR=<the namespace's root> already ran (namespace-init.sh), before boot. Now what
    # `sudo make install` does after copying, then the configuration, as the README tells an operator.
    ns systemd-sysusers &&
        ns systemd-tmpfiles --create /usr/local/lib/tmpfiles.d/shopify-sync.conf &&
        ns journalctl --update-catalog &&
        ns systemctl daemon-reload &&
        ns sh -c "cd /etc/shopify-sync && cp config.toml.example config.toml &&
            sed -i -e 's|127.0.0.1:8787|127.0.0.1:$port|' -e '/^spool_dir/d' -e '/^state_dir/d' config.toml" &&
        cp "$top/spool-example/catalog.csv" "/proc/$pid1/root/etc/shopify-sync/catalog.csv" &&
        ns sh -c "umask 077; printf '%s\n' '$token_main' >/etc/shopify-sync/main.token;
            printf '%s\n' '$token_au' >/etc/shopify-sync/au.token" &&
        ns mkdir -p /etc/systemd/system/shopify-sync.service.d &&
        ns sh -c 'printf "[Service]\nLoadCredential=au.token:/etc/shopify-sync/au.token\n" \
            >/etc/systemd/system/shopify-sync.service.d/au-token.conf' &&
        ns systemctl daemon-reload &&
        ns useradd --create-home --shell /bin/sh wms &&
        ns usermod -aG shopify-sync wms &&
        ns shopify-sync check
}
if ! setup >"$work/setup.log" 2>&1; then
    say "the installation steps failed:"
    sed 's/^/  | /' "$work/setup.log"
    exit 2
fi

# MARK: - Checks

passed=0
failed=0
failures=()
why=
# fail MESSAGE: records why the current check failed (the check then returns 1).
fail() {
    why="$*"
    return 1
}
run_check() {
    local name=$1 t0=$(date +%s)
    why=
    if "$2"; then
        passed=$((passed + 1))
        say "ok   $name ($(($(date +%s) - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        say "FAIL $name: ${why:-failed}"
    fi
}

# wait_for SECONDS COMMAND...: retries the command every 0.2 s until it succeeds.
wait_for() {
    local deadline=$(($(date +%s) + $1))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# level SHOP SKU LOCATION: the simulator's available quantity.
level() {
    curl -fsS "$sim/__sim/levels" | python3 -c '
import json, sys
shop, sku, location = sys.argv[1:]
for item in json.load(sys.stdin)[shop].values():
    if item.get("sku") == sku:
        print(item["locations"][location]["available"])
        sys.exit(0)
sys.exit(1)' "$@"
}

spool=/var/spool/shopify-sync
# drop NAME JSON: the WMS account writes a request file into tmp/ and renames it into pending/.
drop() {
    as_wms "cat >$spool/tmp/.$1 <<'EOF'
$2
EOF
sync $spool/tmp/.$1 && mv $spool/tmp/.$1 $spool/pending/$1"
}
in_folder() { ns test -f "$spool/$1/$2"; }
unit_prop() { ns systemctl show -p "$1" --value shopify-sync; }
# journal ARGS...: the unit's journal entries (after journald has caught up).
journal() {
    ns journalctl --sync 2>/dev/null
    ns journalctl -u shopify-sync --no-pager "$@"
}
movement() { # movement ID SKU LOCATION DELTA
    printf '{"kind":"movement","id":"%s","movement_type":"adjustment","lines":[{"sku":"%s","location":"%s","delta":%s}]}' "$@"
}

. "$here/checks.sh"

# The whole run must stay under 5 minutes: checks that would start after 4 count as failed, unrun.
budget=$((started + 240))
for check in "${checks[@]}"; do
    if [ "$(date +%s)" -ge "$budget" ]; then
        failed=$((failed + 1))
        failures+=("${check%:*}")
        say "FAIL ${check%:*}: not run, the run is over its time budget"
        continue
    fi
    run_check "${check%:*}" "${check##*:}"
done

say "$passed passed, $failed failed ($(($(date +%s) - started)) s)"
if [ "$failed" -gt 0 ]; then
    say "failed: ${failures[*]}"
    say "the unit's journal (last 60 lines):"
    ns journalctl -u shopify-sync --no-pager -n 60 | sed 's/^/  | /'
    exit 1
fi
exit 0
