#ifndef SHOPIFY_SYNC_CSYSTEMD_SHIM_H
#define SHOPIFY_SYNC_CSYSTEMD_SHIM_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/// Fills `addr` for an AF_UNIX path; a leading '@' means the abstract namespace (as in $NOTIFY_SOCKET).
/// Returns the address length to pass to connect/sendto, or -1 if the path does not fit.
static inline socklen_t csystemd_unix_address(const char *path, struct sockaddr_un *addr) {
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof(addr->sun_path)) {
        return (socklen_t)-1;
    }
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, path, length);
    if (path[0] == '@') {
        addr->sun_path[0] = '\0';
    }
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length + (path[0] == '@' ? 0 : 1));
}

/// Returns 0 when a datagram socket at `path` accepts a connection (something is listening), else -errno.
static inline int csystemd_probe_unix_dgram(const char *path) {
    struct sockaddr_un addr;
    socklen_t length = csystemd_unix_address(path, &addr);
    if (length == (socklen_t)-1) {
        return -ENAMETOOLONG;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    int result = connect(fd, (struct sockaddr *)&addr, length) == 0 ? 0 : -errno;
    close(fd);
    return result;
}

/// Sends one datagram to the AF_UNIX socket at `path`. Returns 0 on success, else -errno.
static inline int csystemd_send_unix_dgram(const char *path, const void *bytes, size_t count) {
    struct sockaddr_un addr;
    socklen_t length = csystemd_unix_address(path, &addr);
    if (length == (socklen_t)-1) {
        return -ENAMETOOLONG;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    ssize_t sent = sendto(fd, bytes, count, MSG_NOSIGNAL, (struct sockaddr *)&addr, length);
    int result = sent < 0 ? -errno : 0;
    close(fd);
    return result;
}

/// CLOCK_MONOTONIC in microseconds, the clock systemd expects in MONOTONIC_USEC=.
static inline uint64_t csystemd_monotonic_usec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/// Writes all of `bytes` to `fd`, retrying on EINTR and short writes. Returns 0 or -errno.
static inline int csystemd_write_all(int fd, const void *bytes, size_t count) {
    const char *cursor = (const char *)bytes;
    while (count > 0) {
        ssize_t written = write(fd, cursor, count);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        cursor += written;
        count -= (size_t)written;
    }
    return 0;
}
#endif
