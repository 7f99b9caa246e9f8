import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Folders whose entries survive a power cut: a new entry is on disk only once the folder holding it is synced.
public enum DurableFolder {
    /// Creates `path` and its missing parents (mode 0750), syncing the folder that holds each new one.
    public static func create(_ path: String) throws {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var current = ""
        for component in absolute.split(separator: "/") {
            let parent = current.isEmpty ? "/" : current
            current += "/" + component
            if mkdir(current, 0o750) == 0 {
                try sync(parent)
            } else if errno != EEXIST {
                throw Failure(path: current, call: "mkdir", code: errno)
            }
        }
    }

    /// fsyncs the folder at `path`: the entries made in it so far are on disk.
    public static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(path: path, call: "open", code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(path: path, call: "fsync", code: errno) }
    }

    /// A folder could not be made or synced.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var call: String
        public var code: Int32

        public var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
    }
}
