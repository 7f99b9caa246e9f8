/// Why a file cannot be read as a request; the file belongs in failed/ with this reason.
///
/// `reason` is the stable code written into the `.error` report; `message` explains it to people.
public struct SpoolRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stable reason code, one of the static names below.
    public var reason: String
    /// What is wrong, for people.
    public var message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(self.reason): \(self.message)" }

    /// The name does not match ``Spool/nameRule`` (only names ending in `.json` are requests).
    public static let badName = "bad_name"
    /// The file is a symbolic link (whatever it points to).
    public static let symlink = "symlink"
    /// The file has more than one hard link.
    public static let hardLink = "hard_link"
    /// The file is a directory, FIFO, socket or device.
    public static let notRegularFile = "not_regular_file"
    /// The file is larger than the spool's maximum file size.
    public static let tooLarge = "too_large"
    /// The file cannot be opened or read (permissions, I/O error).
    public static let unreadable = "unreadable"
}
