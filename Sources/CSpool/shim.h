#ifndef SHOPIFY_SYNC_CSPOOL_SHIM_H
#define SHOPIFY_SYNC_CSPOOL_SHIM_H
#include <fcntl.h>

/// `renameat2(2)`, in glibc since 2.28. <stdio.h> declares it only under _GNU_SOURCE, which the Glibc module
/// is not built with, so it is declared here with glibc's signature.
extern int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// `RENAME_NOREPLACE` from <linux/fs.h>, which is not included: it clashes with <sys/mount.h>.
#define CSPOOL_RENAME_NOREPLACE (1U << 0)

/// Renames `oldpath` to `newpath` (relative to the working directory unless absolute), failing with EEXIST
/// instead of replacing an existing `newpath`. Returns 0, or -1 with errno set.
static inline int cspool_rename_noreplace(const char *oldpath, const char *newpath) {
    return renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, CSPOOL_RENAME_NOREPLACE);
}
/// `syncfs(2)`, in glibc since 2.14, declared only under _GNU_SOURCE: writes every dirty page and inode of the
/// filesystem holding `fd` to stable storage, in one journal commit. Returns 0, or -1 with errno set.
extern int syncfs(int fd);
#endif
