#!/bin/sh
# PID 1 of the live test's namespace, until it execs systemd: started by run.sh as
#   unshare --fork --pid --mount --uts --ipc --propagation private namespace-init.sh
# with LIVE_WORK (a host folder), LIVE_CGROUP (a fresh group under /sys/fs/cgroup/unified), LIVE_TOP (the
# project) and LIVE_INSTALL_BUILD (make install's INSTALL_BUILD) in the environment. Every mount here is private to the namespace; the host's files are only
# read (the overlay's lower layer), never written, except the cgroup it was given.
set -eu
root=$LIVE_WORK/ns/root

# 1. Into the fresh cgroup ("0": this process). unshare itself stays outside, or systemd cannot move the
#    group's remaining processes at boot.
echo 0 >"$LIVE_CGROUP/cgroup.procs"

# 2. A throw-away root: the host's / read through an overlay whose writes go to a tmpfs.
mount -t tmpfs -o mode=0755,size=4g tmpfs "$LIVE_WORK/ns"
mkdir "$LIVE_WORK/ns/upper" "$LIVE_WORK/ns/work" "$root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$LIVE_WORK/ns/upper,workdir=$LIVE_WORK/ns/work" "$root"

# 3. Install as an operator would, into that root (the debug build `make test` made; no second build). A
#    /proc of this PID namespace first: SwiftPM (make install's no-op build) reads /proc/<its pid>.
mount -t proc -o nosuid,nodev,noexec proc /proc
make -C "$LIVE_TOP" --no-print-directory install DESTDIR="$root" CONFIGURATION=debug INSTALL_BUILD="$LIVE_INSTALL_BUILD" \
    SYSTEMD_POSTINSTALL=no SYSTEMD_EXAMPLE_CONFIG="$LIVE_TOP/spool-example/config.toml" \
    >"$LIVE_WORK/install.log" 2>&1 || {
    echo "make install failed:"
    cat "$LIVE_WORK/install.log"
    exit 1
}

# 4. What the root needs to boot: /dev, /run, /tmp, a machine id; nothing that acts on the host.
mount -t tmpfs -o mode=0755,nosuid,size=8m tmpfs "$root/dev"
for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
# The console: systemd writes its boot messages there (run.sh's console.log, through this process' stdout).
touch "$root/dev/console"
mount --bind /dev/null "$root/dev/console"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
# A fresh /tmp: Debian's tmpfiles tmp.conf would otherwise clean the host's /tmp through the overlay.
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"
rm -f "$root/etc/machine-id"
cat /proc/sys/kernel/random/uuid | tr -d '-' >"$root/etc/machine-id"

units=$root/etc/systemd/system
for wants in timers.target.wants sysinit.target.wants multi-user.target.wants getty.target.wants; do
    rm -rf "${units:?}/$wants"
done
for unit in systemd-firstboot.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
    proc-sys-fs-binfmt_misc.mount systemd-modules-load.service kmod-static-nodes.service \
    systemd-timesyncd.service systemd-sysctl.service systemd-random-seed.service systemd-pstore.service \
    systemd-repart.service systemd-journald-audit.socket sys-kernel-debug.mount sys-kernel-tracing.mount \
    sys-kernel-config.mount sys-fs-fuse-connections.mount getty@.service serial-getty@.service \
    console-getty.service container-getty@.service getty.target systemd-remount-fs.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service \
    systemd-hwdb-update.service systemd-update-utmp.service systemd-logind.service \
    e2scrub_reap.service cron.service ssh.service apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$units/$unit"
done
cat >"$units/shopify-sync-live.target" <<'EOF'
[Unit]
Description=shopify-sync live test
Requires=basic.target
After=basic.target
AllowIsolate=yes
EOF

# 5. Into the new root; fresh /proc (with /proc/sys read-only) and a read-only /sys.
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
mount -t proc -o nosuid,nodev,noexec proc /proc
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys
umount -l /.oldroot
rmdir /.oldroot
# systemd makes / shared only when it is not in a container; without it LoadCredential= gives an empty
# $CREDENTIALS_DIRECTORY.
mount --make-rshared /

# 6. A cgroup namespace rooted at the fresh group, its cgroup2 at /sys/fs/cgroup, then systemd as PID 1.
exec unshare --cgroup sh -c 'mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup &&
    exec env -i container=shopify-sync-live /lib/systemd/systemd systemd.unit=shopify-sync-live.target'
