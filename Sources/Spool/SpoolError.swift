import SystemPackage

/// An I/O failure of a spool operation, with the path it concerns and the system error behind it.
///
/// `code` is stable: callers branch on it (and map it to exit statuses); `description` is for people.
public struct SpoolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of operation failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable, machine-readable spelling (snake_case), for logs and reports.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { self.rawValue }

        /// A spool folder could not be created, or the path exists and is not a directory.
        public static let prepareFolder = Code("prepare_folder")
        /// A folder could not be listed.
        public static let listFolder = Code("list_folder")
        /// A file's metadata could not be read.
        public static let stat = Code("stat")
        /// A file could not be opened or created.
        public static let open = Code("open")
        /// A file could not be read.
        public static let read = Code("read")
        /// A file could not be written.
        public static let write = Code("write")
        /// A file or folder could not be flushed to stable storage (fsync).
        public static let sync = Code("sync")
        /// A rename failed for a reason other than the ones with their own code.
        public static let rename = Code("rename")
        /// A file could not be removed.
        public static let remove = Code("remove")
        /// The file to act on does not exist.
        public static let notFound = Code("not_found")
        /// The target name is already taken; nothing was replaced.
        public static let alreadyExists = Code("already_exists")
        /// The name cannot be used for this operation (not a request name, or not a single path component).
        public static let invalidName = Code("invalid_name")
        /// An argument is outside what the operation accepts (for example finishing into pending/).
        public static let invalidArgument = Code("invalid_argument")
        /// The inotify watch could not be set up.
        public static let watch = Code("watch")
    }

    /// What kind of operation failed.
    public var code: Code
    /// The file or folder concerned.
    public var path: String
    /// The system error, when there is one.
    public var errno: Errno?
    /// Extra detail for people, when the code and errno do not say it all.
    public var detail: String?

    public init(code: Code, path: String, errno: Errno? = nil, detail: String? = nil) {
        self.code = code
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = "spool \(self.code.rawValue) failed for \(self.path)"
        if let detail = self.detail {
            text += ": \(detail)"
        }
        if let errno = self.errno {
            text += ": \(errno) (errno \(errno.rawValue))"
        }
        return text
    }
}

extension SpoolError {
    init(_ code: Code, _ path: FilePath, _ errno: Errno? = nil, detail: String? = nil) {
        self.init(code: code, path: path.string, errno: errno, detail: detail)
    }
}
