// powercut.c: an LD_PRELOAD shim that lets a test cut the power under a running daemon.
//
// It keeps, for the files and folders under POWERCUT_ROOT, what a power cut would throw away, and writes it
// to a log in POWERCUT_DIR as it goes:
//
//   F <ino> <shadow>          the file's content before its first change since it was last synced, kept in
//                             POWERCUT_DIR/<shadow>
//   S <n> <ino>               fsync/fdatasync of a file: its content is on disk
//   C <dir>\t<name>           an entry was made (open with O_CREAT, mkdir)
//   U <dir>\t<name>\t<saved>  an entry was removed; the inode stays reachable as POWERCUT_DIR/<saved>
//                             ("-" for a folder)
//   R <sdir>\t<sname>\t<ddir>\t<dname>\t<saved>
//                             a rename; the entry it replaced, if any, stays reachable as <saved>
//   D <n> <dir>               fsync of a folder: the entries made in it so far are on disk
//   A <n>                     syncfs of the root's filesystem: every content and entry so far is on disk
//   K <n>                     the power was cut before sync point n
//
// The model is the strict one POSIX allows: a file holds what it held at its last fsync, and an entry exists
// as it did at the last fsync of the folder it was made in (for a rename, the folder it went to; a rename is
// atomic, as on a journalling filesystem). Tests/ShopifySyncTests/PowerCutTests.swift reads the log back and
// puts the folders in that state after the process is gone.
//
// With POWERCUT_AT=n the process is killed with SIGKILL just before its n-th sync point (an fsync, fdatasync
// or syncfs of something under the root): the sync does not happen. Every tracked call holds one lock, so
// nothing else under the root is half done when the kill comes.
//
// The shim is for tests only and is never built into the daemon.

#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static char root[PATH_MAX];
static size_t root_length;
static char shadow_dir[PATH_MAX];
static int log_fd = -1;
static long cut_at;
static long sync_points;
static unsigned long shadow_sequence;
static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

#define MAX_DIRTY 65536
static ino_t dirty[MAX_DIRTY];
static size_t dirty_count;

#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static ssize_t raw_write(int fd, const void *buffer, size_t count) {
    REAL(write);
    return real_write(fd, buffer, count);
}

static int raw_open(const char *path, int flags, mode_t mode) {
    REAL(open);
    return real_open(path, flags, mode);
}

__attribute__((constructor)) static void powercut_init(void) {
    const char *r = getenv("POWERCUT_ROOT");
    const char *d = getenv("POWERCUT_DIR");
    if (!r || !d || !realpath(r, root) || !realpath(d, shadow_dir)) {
        root[0] = 0;
        return;
    }
    root_length = strlen(root);
    const char *at = getenv("POWERCUT_AT");
    cut_at = at ? atol(at) : 0;
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/log", shadow_dir);
    log_fd = raw_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) root[0] = 0;
}

static void record(const char *format, ...) {
    char line[3 * PATH_MAX + 256];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    if (length > 0) raw_write(log_fd, line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
}

static int under_root(const char *path) {
    return root[0] && strncmp(path, root, root_length) == 0 && (path[root_length] == '/' || path[root_length] == 0);
}

/// The absolute, resolved path of `fd`, if it is under the root.
static int fd_path(int fd, char *out) {
    if (!root[0]) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, out, PATH_MAX - 1);
    if (length <= 0) return 0;
    out[length] = 0;
    return under_root(out);
}

/// Splits `path` (relative to `dirfd`) into its resolved folder and its last name; true if under the root.
static int split_path(int dirfd, const char *path, char *folder, char *name) {
    if (!root[0] || !path) return 0;
    char joined[2 * PATH_MAX + 2];
    if (path[0] == '/') {
        snprintf(joined, sizeof joined, "%s", path);
    } else if (dirfd == AT_FDCWD) {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return 0;
        snprintf(joined, sizeof joined, "%s/%s", cwd, path);
    } else {
        char base[PATH_MAX];
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
        ssize_t length = readlink(link, base, sizeof base - 1);
        if (length <= 0) return 0;
        base[length] = 0;
        snprintf(joined, sizeof joined, "%s/%s", base, path);
    }
    size_t length = strlen(joined);
    while (length > 1 && joined[length - 1] == '/') joined[--length] = 0;
    char *slash = strrchr(joined, '/');
    if (!slash) return 0;
    snprintf(name, NAME_MAX + 1, "%s", slash + 1);
    if (slash == joined) {
        snprintf(folder, PATH_MAX, "/");
    } else {
        *slash = 0;
        if (!realpath(joined, folder)) return 0;
    }
    if (!strcmp(name, ".") || !strcmp(name, "..")) return 0;
    return under_root(folder);
}

static int is_dirty(ino_t inode) {
    for (size_t index = 0; index < dirty_count; index++)
        if (dirty[index] == inode) return 1;
    return 0;
}

/// Before the first change to a file since its last sync, keeps its content as it is now.
static void keep_content(const char *path) {
    struct stat status;
    if (stat(path, &status) != 0 || !S_ISREG(status.st_mode) || is_dirty(status.st_ino)) return;
    if (dirty_count == MAX_DIRTY) abort();
    char shadow[64];
    char target[PATH_MAX + 64];
    snprintf(shadow, sizeof shadow, "f%d-%lu", (int)getpid(), ++shadow_sequence);
    snprintf(target, sizeof target, "%s/%s", shadow_dir, shadow);
    int in = raw_open(path, O_RDONLY | O_CLOEXEC, 0);
    int out = raw_open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in < 0 || out < 0) abort();
    char buffer[65536];
    ssize_t got;
    while ((got = read(in, buffer, sizeof buffer)) > 0)
        if (raw_write(out, buffer, (size_t)got) != got) abort();
    if (got < 0) abort();
    close(in);
    close(out);
    dirty[dirty_count++] = status.st_ino;
    record("F %lu %s\n", (unsigned long)status.st_ino, shadow);
}

/// Makes POWERCUT_DIR/<saved> a second name for `path`, so that the inode outlives its removal.
static int save_link(const char *path, char *saved) {
    REAL(link);
    char target[PATH_MAX + 64];
    snprintf(saved, 64, "l%d-%lu", (int)getpid(), ++shadow_sequence);
    snprintf(target, sizeof target, "%s/%s", shadow_dir, saved);
    return real_link(path, target);
}

/// A sync point: the power is cut here when its number is POWERCUT_AT.
static void sync_point(void) {
    sync_points++;
    if (cut_at && sync_points == cut_at) {
        record("K %ld\n", sync_points);
        kill(getpid(), SIGKILL);
        pause();
    }
}

// MARK: opening

static int tracked_open(int dirfd, const char *path, int flags, mode_t mode, int (*call)(int, const char *, int, mode_t)) {
    char folder[PATH_MAX], name[NAME_MAX + 1];
    if (!split_path(dirfd, path, folder, name) || !(flags & (O_CREAT | O_TRUNC))) return call(dirfd, path, flags, mode);
    pthread_mutex_lock(&lock);
    char full[PATH_MAX + NAME_MAX + 2];
    snprintf(full, sizeof full, "%s/%s", folder, name);
    struct stat status;
    int existed = lstat(full, &status) == 0;
    if (existed && (flags & O_TRUNC)) keep_content(full);
    int fd = call(dirfd, path, flags, mode);
    int saved = errno;
    if (fd >= 0 && !existed) {
        record("C %s\t%s\n", folder, name);
        keep_content(full);
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return fd;
}

static int call_openat(int dirfd, const char *path, int flags, mode_t mode) {
    REAL(openat);
    return real_openat(dirfd, path, flags, mode);
}

static mode_t mode_argument(int flags, va_list arguments) {
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(arguments, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    return tracked_open(AT_FDCWD, path, flags, mode, call_openat);
}

int open64(const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    return tracked_open(AT_FDCWD, path, flags, mode, call_openat);
}

int openat(int dirfd, const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    return tracked_open(dirfd, path, flags, mode, call_openat);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    return tracked_open(dirfd, path, flags, mode, call_openat);
}

int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

// MARK: writing

#define WRITING(type, name, parameters, arguments) \
    type name parameters { \
        REAL(name); \
        char path[PATH_MAX]; \
        if (!fd_path(fd, path)) return real_##name arguments; \
        pthread_mutex_lock(&lock); \
        keep_content(path); \
        type result = real_##name arguments; \
        int saved = errno; \
        pthread_mutex_unlock(&lock); \
        errno = saved; \
        return result; \
    }

WRITING(ssize_t, write, (int fd, const void *buffer, size_t count), (fd, buffer, count))
WRITING(ssize_t, pwrite, (int fd, const void *buffer, size_t count, off_t offset), (fd, buffer, count, offset))
WRITING(ssize_t, pwrite64, (int fd, const void *buffer, size_t count, off64_t offset), (fd, buffer, count, offset))
WRITING(ssize_t, writev, (int fd, const struct iovec *vector, int count), (fd, vector, count))
WRITING(ssize_t, pwritev, (int fd, const struct iovec *vector, int count, off_t offset), (fd, vector, count, offset))
WRITING(int, ftruncate, (int fd, off_t length), (fd, length))
WRITING(int, ftruncate64, (int fd, off64_t length), (fd, length))
WRITING(int, fallocate, (int fd, int mode, off_t offset, off_t length), (fd, mode, offset, length))
WRITING(int, posix_fallocate, (int fd, off_t offset, off_t length), (fd, offset, length))

// MARK: syncing

static int tracked_sync(int fd, int (*call)(int)) {
    char path[PATH_MAX];
    if (!fd_path(fd, path)) return call(fd);
    pthread_mutex_lock(&lock);
    sync_point();
    int result = call(fd);
    int saved = errno;
    struct stat status;
    if (result == 0 && fstat(fd, &status) == 0) {
        if (S_ISDIR(status.st_mode)) {
            record("D %ld %s\n", sync_points, path);
        } else {
            for (size_t index = 0; index < dirty_count; index++) {
                if (dirty[index] == status.st_ino) {
                    dirty[index] = dirty[--dirty_count];
                    break;
                }
            }
            record("S %ld %lu\n", sync_points, (unsigned long)status.st_ino);
        }
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}

static int call_fsync(int fd) {
    REAL(fsync);
    return real_fsync(fd);
}

static int call_fdatasync(int fd) {
    REAL(fdatasync);
    return real_fdatasync(fd);
}

int fsync(int fd) { return tracked_sync(fd, call_fsync); }
int fdatasync(int fd) { return tracked_sync(fd, call_fdatasync); }

/// syncfs of the filesystem holding the root: everything under it is on disk.
int syncfs(int fd) {
    REAL(syncfs);
    char path[PATH_MAX];
    if (!fd_path(fd, path)) return real_syncfs(fd);
    pthread_mutex_lock(&lock);
    sync_point();
    int result = real_syncfs(fd);
    int saved = errno;
    if (result == 0) {
        dirty_count = 0;
        record("A %ld\n", sync_points);
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}

// MARK: folders

static int tracked_mkdir(int dirfd, const char *path, mode_t mode) {
    REAL(mkdirat);
    char folder[PATH_MAX], name[NAME_MAX + 1];
    if (!split_path(dirfd, path, folder, name)) return real_mkdirat(dirfd, path, mode);
    pthread_mutex_lock(&lock);
    int result = real_mkdirat(dirfd, path, mode);
    int saved = errno;
    if (result == 0) record("C %s\t%s\n", folder, name);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}

int mkdir(const char *path, mode_t mode) { return tracked_mkdir(AT_FDCWD, path, mode); }
int mkdirat(int dirfd, const char *path, mode_t mode) { return tracked_mkdir(dirfd, path, mode); }

static int tracked_unlink(int dirfd, const char *path, int flags) {
    REAL(unlinkat);
    char folder[PATH_MAX], name[NAME_MAX + 1];
    if (!split_path(dirfd, path, folder, name)) return real_unlinkat(dirfd, path, flags);
    pthread_mutex_lock(&lock);
    char full[PATH_MAX + NAME_MAX + 2], saved_name[64] = "-";
    snprintf(full, sizeof full, "%s/%s", folder, name);
    int linked = !(flags & AT_REMOVEDIR) && save_link(full, saved_name) == 0;
    int result = real_unlinkat(dirfd, path, flags);
    int saved = errno;
    if (result == 0) {
        record("U %s\t%s\t%s\n", folder, name, linked ? saved_name : "-");
    } else if (linked) {
        char target[PATH_MAX + 64];
        snprintf(target, sizeof target, "%s/%s", shadow_dir, saved_name);
        REAL(unlink);
        real_unlink(target);
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}

int unlink(const char *path) { return tracked_unlink(AT_FDCWD, path, 0); }
int unlinkat(int dirfd, const char *path, int flags) { return tracked_unlink(dirfd, path, flags); }
int rmdir(const char *path) { return tracked_unlink(AT_FDCWD, path, AT_REMOVEDIR); }

static int tracked_rename(int from_fd, const char *from, int to_fd, const char *to, unsigned int flags) {
    REAL(renameat2);
    char source[PATH_MAX], source_name[NAME_MAX + 1], target[PATH_MAX], target_name[NAME_MAX + 1];
    int tracked_from = split_path(from_fd, from, source, source_name);
    int tracked_to = split_path(to_fd, to, target, target_name);
    if (!tracked_from && !tracked_to) return real_renameat2(from_fd, from, to_fd, to, flags);
    pthread_mutex_lock(&lock);
    char full[PATH_MAX + NAME_MAX + 2], saved_name[64] = "-";
    snprintf(full, sizeof full, "%s/%s", target, target_name);
    struct stat status;
    int linked = !(flags & RENAME_NOREPLACE) && lstat(full, &status) == 0 && !S_ISDIR(status.st_mode) &&
        save_link(full, saved_name) == 0;
    int result = real_renameat2(from_fd, from, to_fd, to, flags);
    int saved = errno;
    if (result == 0) {
        record("R %s\t%s\t%s\t%s\t%s\n", source, source_name, target, target_name, linked ? saved_name : "-");
    } else if (linked) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", shadow_dir, saved_name);
        REAL(unlink);
        real_unlink(path);
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}

int rename(const char *from, const char *to) { return tracked_rename(AT_FDCWD, from, AT_FDCWD, to, 0); }
int renameat(int from_fd, const char *from, int to_fd, const char *to) {
    return tracked_rename(from_fd, from, to_fd, to, 0);
}
int renameat2(int from_fd, const char *from, int to_fd, const char *to, unsigned int flags) {
    return tracked_rename(from_fd, from, to_fd, to, flags);
}

int link(const char *from, const char *to) {
    REAL(link);
    char folder[PATH_MAX], name[NAME_MAX + 1];
    if (!split_path(AT_FDCWD, to, folder, name)) return real_link(from, to);
    pthread_mutex_lock(&lock);
    int result = real_link(from, to);
    int saved = errno;
    if (result == 0) record("C %s\t%s\n", folder, name);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}
