import Foundation
import SyncState
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on `state_dir/daemon.lock`, held for the life of the daemon process.
///
/// Two daemons on one state folder would both resend the same intents and both move the same files; the second
/// one refuses to start. The lock is an advisory `flock`, released by the kernel when the process ends however
/// it ends (SIGKILL included), so a crash never leaves a stale lock behind. Operator commands do not take it.
public final class StateFolderLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: FileDescriptor

    /// A second daemon on the same state folder.
    public struct Held: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var holder: String?

        public var description: String {
            let who = holder.map { " (pid \($0))" } ?? ""
            return "another shopify-sync daemon\(who) is running on this state folder: \(path) is locked; "
                + "stop it first (systemctl stop shopify-sync) or give this one another state_dir"
        }
    }

    /// Takes the lock without waiting, creating the folder and the file when missing.
    ///
    /// - Throws: ``Held`` when another process holds it, or `Errno` when the file cannot be opened.
    public init(stateDir: String) throws {
        try DurableFolder.create(stateDir)
        let path = (stateDir as NSString).appendingPathComponent("daemon.lock")
        let descriptor = try FileDescriptor.open(
            FilePath(path),
            .readWrite,
            options: [.create, .closeOnExec],
            permissions: [.ownerReadWrite]
        )
        guard flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try? descriptor.close()
            if code == EWOULDBLOCK { throw Held(path: path, holder: holder?.isEmpty == false ? holder : nil) }
            throw Errno(rawValue: code)
        }
        // The holder's pid, for the refusal message; informative only, the lock is the flock.
        _ = ftruncate(descriptor.rawValue, 0)
        _ = try? descriptor.writeAll(toAbsoluteOffset: 0, Array("\(getpid())\n".utf8))
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        try? descriptor.close()
    }
}
