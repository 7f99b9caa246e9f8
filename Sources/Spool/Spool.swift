import Glibc
import Logging
import SystemPackage

/// The spool folder state machine: tmp/ -> pending/ -> processing/ -> done/ or failed/.
///
/// Every move is a `rename(2)` that never replaces (RENAME_NOREPLACE), so a file is in exactly one folder
/// at every instant and nothing is overwritten. Files are fsynced before they are renamed into place, and
/// the folders a move touched are fsynced after it. `Spool` holds no state besides its configuration; it
/// is safe to use from several tasks, though one daemon should own processing/, done/ and failed/.
public struct Spool: Sendable {
    /// The spool's top folder.
    public let root: FilePath
    /// Files larger than this many bytes are refused with `too_large`.
    public let maxFileSize: Int
    let logger: Logger

    public init(root: FilePath, maxFileSize: Int = 64 << 20, logger: Logger) {
        self.root = root
        self.maxFileSize = maxFileSize
        self.logger = logger
    }

    /// The path of a folder.
    public func path(_ folder: SpoolFolder) -> FilePath {
        self.root.appending(folder.rawValue)
    }

    /// The path of a file in a folder.
    public func path(_ folder: SpoolFolder, _ name: String) -> FilePath {
        self.path(folder).appending(name)
    }

    // MARK: - Names

    /// The rule for request names, as error messages quote it.
    public static let nameRule = "[A-Za-z0-9][A-Za-z0-9._-]{0,194}.json"

    /// Whether `name` is a valid request name: ``nameRule``. Only names ending in `.json` are requests, so a
    /// producer's temporary (`x.json.tmp`) or any other file left in pending/ is refused, never read as one.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, bytes.count <= 200, isAlphanumeric(first), name.hasSuffix(".json"),
            bytes.count > 5
        else {
            return false
        }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Whether `name` can name an entry of a folder: one path component, not "." or "..", at most 255 bytes.
    static func isEntryName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= 255 && name != "." && name != ".."
            && !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0)
    }

    func checkEntryName(_ name: String, in folder: SpoolFolder) throws(SpoolError) {
        guard Self.isEntryName(name) else {
            throw SpoolError(.invalidName, self.path(folder), detail: "not a file name: \(String(reflecting: name))")
        }
    }

    // MARK: - Set-up

    /// Creates the spool's missing folders: tmp/ and pending/ with mode 2770 (setgid, group-writable for
    /// producers), the root and the rest with mode 0750.
    ///
    /// Existing folders are left as they are (mode and owner included); the root's parent must exist.
    public func prepare() throws(SpoolError) {
        try self.makeFolder(self.root, mode: 0o750)
        for folder in SpoolFolder.allCases {
            let mode: mode_t
            switch folder {
            case .tmp, .pending: mode = 0o2770
            case .processing, .done, .failed: mode = 0o750
            }
            try self.makeFolder(self.path(folder), mode: mode)
        }
    }

    private func makeFolder(_ path: FilePath, mode: mode_t) throws(SpoolError) {
        do {
            try Sys.mkdir(path, mode)
        } catch .fileExists {
            let info: Stat
            do {
                info = try Stat(path)
            } catch {
                throw SpoolError(.prepareFolder, path, error)
            }
            guard info.type == .directory else {
                throw SpoolError(.prepareFolder, path, .notDirectory)
            }
            return
        } catch {
            throw SpoolError(.prepareFolder, path, error)
        }
        // mkdir(2) applies the umask and may drop the setgid bit: set the mode exactly.
        do {
            try Sys.chmod(path, mode)
        } catch {
            throw SpoolError(.prepareFolder, path, error)
        }
        // The new entry is on disk only once its parent is synced: without this a power cut could take the
        // folder away with every file since moved into it.
        let parent = path.removingLastComponent()
        do {
            try Sys.syncDirectory(parent.isEmpty ? "." : parent)
        } catch {
            throw SpoolError(.sync, parent, error)
        }
        self.logger.info(
            "created spool folder",
            metadata: ["spool.folder": "\(path.string)", "spool.mode": "\(String(mode, radix: 8))"]
        )
    }

    // MARK: - Listing

    /// The names in pending/ that do not begin with ".", oldest modification time first (then by name).
    ///
    /// Bad names are included so that the caller can refuse them. A name that is not valid UTF-8 is first
    /// renamed in place to a readable bad name (`~undecodable-<hex>`), so that it too can be refused.
    public func pendingNames() throws(SpoolError) -> [String] {
        let folder = self.path(.pending)
        // Read entry by entry: a backlog of 100,000 names is kept once, not also as a listing.
        var named: [(name: String, modified: Int64)] = []
        var undecodable: [([CChar], Int64)] = []
        do {
            try Sys.forEachEntry(folder, withModificationTimes: true) { rawName, modified in
                guard rawName.first != 0x2E else { return }
                if let name = String(validating: rawName.lazy.map { UInt8(bitPattern: $0) }, as: UTF8.self) {
                    named.append((name, modified ?? 0))
                } else {
                    undecodable.append((Array(rawName), modified ?? 0))
                }
            }
        } catch {
            throw SpoolError(.listFolder, folder, error)
        }
        for (rawName, modified) in undecodable {
            if let renamed = self.renameUndecodable(rawName) { named.append((renamed, modified)) }
        }
        named.sort { ($0.modified, $0.name) < ($1.modified, $1.name) }
        return named.map(\.name)
    }

    /// All names in a folder (reports and hidden names included), sorted by name.
    ///
    /// Names that are not valid UTF-8 are left out (and logged): only pending/ receives foreign files.
    public func names(in folder: SpoolFolder) throws(SpoolError) -> [String] {
        let path = self.path(folder)
        let entries: [Sys.DirectoryEntry]
        do {
            entries = try Sys.listDirectory(path, withModificationTimes: false)
        } catch {
            throw SpoolError(.listFolder, path, error)
        }
        var names: [String] = []
        names.reserveCapacity(entries.count)
        for entry in entries {
            if let name = entry.name {
                names.append(name)
            } else {
                self.logger.warning(
                    "spool file name is not UTF-8; left alone",
                    metadata: ["spool.folder": "\(path.string)", "spool.file": "\(Self.hex(entry.rawName))"]
                )
            }
        }
        return names.sorted()
    }

    /// Renames a pending file whose name is not UTF-8 to `~undecodable-<hex of the name>`; nil on failure.
    private func renameUndecodable(_ rawName: [CChar]) -> String? {
        let base = "~undecodable-" + Self.hex(rawName.prefix(100))
        let folder = self.path(.pending).string
        for attempt in 0..<100 {
            let name = Self.collisionName(base, attempt)
            let from = Array(folder.utf8CString.dropLast()) + [0x2F] + rawName + [0]
            let to = Array((folder + "/" + name).utf8CString)
            do {
                try Sys.renameNoReplace(from, to)
                self.logger.warning(
                    "renamed a pending file whose name is not UTF-8",
                    metadata: ["spool.file": "\(name)"]
                )
                return name
            } catch .fileExists {
                continue
            } catch {
                self.logger.error(
                    "cannot rename a pending file whose name is not UTF-8",
                    metadata: ["spool.file": "\(base)", "error": "\(error)"]
                )
                return nil
            }
        }
        return nil
    }

    static func hex(_ bytes: some Sequence<CChar>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            let value = UInt8(bitPattern: byte)
            text.append(digits[Int(value >> 4)])
            text.append(digits[Int(value & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - Claiming

    /// The outcome of `claim(_:)`.
    public enum ClaimResult: Sendable, Hashable {
        /// The file is now in processing/.
        case claimed
        /// pending/NAME no longer exists: someone else took it.
        case vanished
        /// processing/NAME already exists: try later, after it is finished.
        case busy
    }

    /// Moves pending/NAME to processing/NAME with one rename that never replaces.
    ///
    /// The folders are not fsynced here; call `sync(_:)` once for a group of claims when it matters.
    public func claim(_ name: String) throws(SpoolError) -> ClaimResult {
        try self.checkEntryName(name, in: .pending)
        let from = self.path(.pending, name)
        do {
            try Sys.renameNoReplace(from, self.path(.processing, name))
            self.logger.debug("claimed", metadata: ["spool.file": "\(name)"])
            return .claimed
        } catch .noSuchFileOrDirectory {
            return .vanished
        } catch .fileExists {
            return .busy
        } catch {
            throw SpoolError(.rename, from, error)
        }
    }

    /// Flushes the folders' entries to stable storage (fsync), so that the renames into and out of them
    /// survive a power loss.
    public func sync(_ folders: SpoolFolder...) throws(SpoolError) {
        try self.sync(Set(folders))
    }

    /// Flushes everything written on the spool's filesystem to stable storage (`syncfs(2)`, one journal commit):
    /// the reports finished without an fsync of their own are on disk once it returns.
    public func syncFilesystem() throws(SpoolError) {
        do {
            let fd = try Sys.openDirectory(self.root)
            defer { _ = try? fd.close() }
            try Sys.syncFilesystem(fd)
        } catch {
            throw SpoolError(.sync, self.root, error)
        }
    }

    func sync(_ folders: Set<SpoolFolder>) throws(SpoolError) {
        for folder in SpoolFolder.allCases where folders.contains(folder) {
            let path = self.path(folder)
            do {
                try Sys.syncDirectory(path)
            } catch {
                throw SpoolError(.sync, path, error)
            }
        }
    }

    // MARK: - Submitting

    /// Places a request atomically: writes tmp/.NAME.<random>, fsyncs it, renames it to pending/NAME
    /// without replacing, then fsyncs tmp/ and pending/.
    ///
    /// pending/NAME never exists partially written. Throws `already_exists` when pending/NAME exists.
    public func submit(name: String, contents: [UInt8]) throws(SpoolError) {
        do {
            try self.submit(name: name) { write in try write(contents) }
        } catch let error as SpoolError {
            throw error
        } catch {
            throw SpoolError(.write, self.path(.tmp), detail: "\(error)")
        }
    }

    /// Places a request written in pieces, with the guarantees of ``submit(name:contents:)``: `produce` gets a
    /// function that appends bytes to the hidden file in tmp/, so a large request never needs to be in memory.
    ///
    /// When `produce` throws, nothing is placed, the hidden file is removed, and its error is rethrown.
    public func submit(name: String, produce: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
        guard Self.isValidName(name) else {
            throw SpoolError(
                .invalidName,
                self.path(.pending),
                detail: "not a valid request name: \(String(reflecting: name))"
            )
        }
        let temporary = try self.writeTemporary(name: name) { fd, path in
            try produce { bytes throws(SpoolError) in
                do {
                    try fd.writeAll(bytes)
                } catch {
                    throw SpoolError(.write, path, error as? Errno)
                }
            }
        }
        let target = self.path(.pending, name)
        do {
            try Sys.renameNoReplace(temporary, target)
        } catch {
            _ = try? Sys.unlink(temporary)
            throw SpoolError(error == .fileExists ? .alreadyExists : .rename, target, error)
        }
        try self.sync([.tmp, .pending])
        self.logger.debug("submitted", metadata: ["spool.file": "\(name)"])
    }

    /// Writes `contents` to a new hidden file in tmp/ and fsyncs it unless `sync` is false; returns its path.
    func writeTemporary(name: String, contents: [UInt8], sync: Bool = true) throws(SpoolError) -> FilePath {
        do {
            return try self.writeTemporary(name: name, sync: sync) { fd, path in
                do {
                    try fd.writeAll(contents)
                } catch {
                    throw SpoolError(.write, path, error as? Errno)
                }
            }
        } catch let error as SpoolError {
            throw error
        } catch {
            throw SpoolError(.write, self.path(.tmp), detail: "\(error)")
        }
    }

    /// Creates a new hidden file in tmp/, lets `body` write it, and fsyncs it unless `sync` is false; returns its
    /// path.
    ///
    /// When anything fails, the hidden file is removed.
    func writeTemporary(
        name: String,
        sync: Bool = true,
        body: (FileDescriptor, FilePath) throws -> Void
    ) throws -> FilePath {
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        // The hidden name shows whose file it is; it is cut so that it fits the 255-byte limit.
        var shown = ""
        for character in name where shown.utf8.count + character.utf8.count <= 200 {
            shown.append(character)
        }
        let path = self.path(.tmp, ".\(shown).\(random)")
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                path,
                .writeOnly,
                options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead]
            )
        } catch {
            throw SpoolError(.open, path, error as? Errno)
        }
        do {
            try body(fd, path)
            if sync {
                do {
                    try Sys.fsync(fd)
                } catch {
                    throw SpoolError(.sync, path, error)
                }
            }
        } catch {
            _ = try? fd.close()
            _ = try? Sys.unlink(path)
            throw error
        }
        do {
            // close(2) releases the descriptor even when it reports an error: never retry it.
            try fd.close()
        } catch {
            _ = try? Sys.unlink(path)
            throw SpoolError(.write, path, error as? Errno)
        }
        return path
    }
}
