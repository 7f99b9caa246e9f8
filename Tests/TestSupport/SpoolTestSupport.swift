import Foundation
import Logging
import Spool
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with a prepared spool (all five folders) in a new temporary folder, removed afterwards.
///
/// The spool's root is `<temporary folder>/spool`; its logger discards everything unless one is given.
public func withTemporarySpool<Result>(
    maxFileSize: Int = 64 << 20,
    logger: Logger = Logger(label: "test.spool", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (Spool) throws -> Result
) throws -> Result {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let spool = Spool(root: FilePath(folder).appending("spool"), maxFileSize: maxFileSize, logger: logger)
    try spool.prepare()
    return try body(spool)
}

/// Runs `body` with a prepared spool (all five folders) in a new temporary folder, removed afterwards.
public func withTemporarySpool<Result>(
    maxFileSize: Int = 64 << 20,
    logger: Logger = Logger(label: "test.spool", factory: { _ in SwiftLogNoOpLogHandler() }),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Spool) async throws -> Result
) async throws -> Result {
    let folder = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let spool = Spool(root: FilePath(folder).appending("spool"), maxFileSize: maxFileSize, logger: logger)
    try spool.prepare()
    return try await body(spool)
}

/// Creates a new private folder under the system's temporary folder (mkdtemp) and returns its path.
public func makeTemporaryFolder(prefix: String = "shopify-sync-test") throws -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
    guard let result = mkdtemp(&template) else {
        throw Errno(rawValue: errno)
    }
    return String(cString: result)
}

extension Spool {
    /// Writes a file straight into a folder (not atomically), for setting up test situations.
    public func place(_ folder: SpoolFolder, _ name: String, _ contents: String) throws {
        try self.place(folder, name, Array(contents.utf8))
    }

    /// Writes a file straight into a folder (not atomically), for setting up test situations.
    public func place(_ folder: SpoolFolder, _ name: String, _ contents: [UInt8]) throws {
        try Data(contents).write(to: URL(fileURLWithPath: self.path(folder, name).string))
    }

    /// The bytes of FOLDER/NAME, read plainly (for assertions).
    public func contents(_ folder: SpoolFolder, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: self.path(folder, name).string)))
    }

    /// Sets the modification time of FOLDER/NAME.
    public func setModified(_ folder: SpoolFolder, _ name: String, to date: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: self.path(folder, name).string)
    }
}
