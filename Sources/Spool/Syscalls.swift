import CSpool
import Glibc
import SystemPackage

/// Thin typed wrappers over the system calls swift-system does not offer.
///
/// Every function retries on EINTR and reports failure as `Errno`; callers attach the path.
enum Sys {
    static func retrying(_ body: () -> CInt) throws(Errno) -> CInt {
        while true {
            let result = body()
            if result != -1 {
                return result
            }
            let error = Errno(rawValue: Glibc.errno)
            if error != .interrupted {
                throw error
            }
        }
    }

    /// Renames `from` to `to`, failing with EEXIST instead of replacing an existing `to` (`renameat2(2)` with
    /// `RENAME_NOREPLACE`, atomic in the kernel).
    static func renameNoReplace(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) throws(Errno) {
        _ = try retrying { cspool_rename_noreplace(from, to) }
    }

    /// Renames `from` to `to`, failing with EEXIST instead of replacing an existing `to`.
    static func renameNoReplace(_ from: FilePath, _ to: FilePath) throws(Errno) {
        let result: Result<Void, Errno> = from.withPlatformString { fromPointer in
            to.withPlatformString { toPointer in
                Result { () throws(Errno) in try renameNoReplace(fromPointer, toPointer) }
            }
        }
        try result.get()
    }

    /// Renames `from` to `to`, replacing `to` when it exists (rename(2), atomic).
    static func rename(_ from: FilePath, _ to: FilePath) throws(Errno) {
        let result: Result<Void, Errno> = from.withPlatformString { fromPointer in
            to.withPlatformString { toPointer in
                Result { () throws(Errno) in _ = try retrying { Glibc.rename(fromPointer, toPointer) } }
            }
        }
        try result.get()
    }

    static func fsync(_ fd: FileDescriptor) throws(Errno) {
        _ = try retrying { Glibc.fsync(fd.rawValue) }
    }

    /// Flushes every dirty page and inode of the filesystem holding `fd` (`syncfs(2)`).
    static func syncFilesystem(_ fd: FileDescriptor) throws(Errno) {
        _ = try retrying { syncfs(fd.rawValue) }
    }

    /// Flushes a directory's entries (the renames into and out of it) to stable storage.
    static func syncDirectory(_ path: FilePath) throws(Errno) {
        let fd = try openDirectory(path)
        defer { _ = try? fd.close() }
        try fsync(fd)
    }

    static func openDirectory(_ path: FilePath) throws(Errno) -> FileDescriptor {
        do {
            return try FileDescriptor.open(path, .readOnly, options: [.directory, .closeOnExec])
        } catch let error as Errno {
            throw error
        } catch {
            throw Errno.ioError
        }
    }

    static func mkdir(_ path: FilePath, _ mode: mode_t) throws(Errno) {
        _ = try path.withPlatformString { pointer in
            Result { () throws(Errno) in try retrying { Glibc.mkdir(pointer, mode) } }
        }.get()
    }

    static func chmod(_ path: FilePath, _ mode: mode_t) throws(Errno) {
        _ = try path.withPlatformString { pointer in
            Result { () throws(Errno) in try retrying { Glibc.chmod(pointer, mode) } }
        }.get()
    }

    static func unlink(_ path: FilePath) throws(Errno) {
        _ = try path.withPlatformString { pointer in
            Result { () throws(Errno) in try retrying { Glibc.unlink(pointer) } }
        }.get()
    }

    /// `lstat(2)`: the entry itself, never what a symbolic link points to.
    static func lstat(_ path: FilePath) throws(Errno) -> Stat {
        try Stat(path, followTargetSymlink: false)
    }

    /// Whether anything (a dangling symbolic link included) exists at `path`.
    static func exists(_ path: FilePath) throws(Errno) -> Bool {
        do {
            _ = try lstat(path)
            return true
        } catch .noSuchFileOrDirectory {
            return false
        }
    }

    /// One entry of a directory listing.
    struct DirectoryEntry: Sendable {
        /// The name's bytes, without the terminating NUL.
        var rawName: [CChar]
        /// The name, when it is valid UTF-8.
        var name: String?
        /// Modification time in nanoseconds since the Epoch, when the listing asked for it.
        var modified: Int64?
    }

    /// Calls `body` with each entry's name (its bytes, without the NUL) other than "." and "..", and its
    /// modification time (lstat) when asked. Nothing is kept: a folder of any size costs no memory. Entries
    /// that vanish before their stat are left out.
    static func forEachEntry(
        _ path: FilePath,
        withModificationTimes: Bool,
        _ body: (UnsafeBufferPointer<CChar>, Int64?) -> Void
    ) throws(Errno) {
        let fd = try openDirectory(path)
        guard let directory = fdopendir(fd.rawValue) else {
            let error = Errno(rawValue: Glibc.errno)
            _ = try? fd.close()
            throw error
        }
        defer { closedir(directory) }
        while true {
            Glibc.errno = 0
            guard let entry = readdir(directory) else {
                if Glibc.errno != 0 { throw Errno(rawValue: Glibc.errno) }
                return
            }
            let failure: Errno? = withUnsafeBytes(of: &entry.pointee.d_name) { bytes in
                let chars = bytes.bindMemory(to: CChar.self)
                let length = chars.firstIndex(of: 0) ?? chars.count
                let name = UnsafeBufferPointer(rebasing: chars[..<length])
                if length == 1 && name[0] == 0x2E || length == 2 && name[0] == 0x2E && name[1] == 0x2E { return nil }
                var modified: Int64?
                if withModificationTimes {
                    var info = stat()
                    guard fstatat(dirfd(directory), chars.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                        let error = Errno(rawValue: Glibc.errno)
                        return error == .noSuchFileOrDirectory ? nil : error
                    }
                    modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                }
                body(name, modified)
                return nil
            }
            if let failure { throw failure }
        }
    }

    /// Lists a directory without "." and "..", optionally with each entry's modification time (lstat).
    ///
    /// Entries that vanish between the listing and their stat are left out.
    static func listDirectory(_ path: FilePath, withModificationTimes: Bool) throws(Errno) -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        try forEachEntry(path, withModificationTimes: withModificationTimes) { name, modified in
            let rawName = Array(name)
            let text = String(validating: rawName.lazy.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            entries.append(DirectoryEntry(rawName: rawName, name: text, modified: modified))
        }
        return entries
    }
}
