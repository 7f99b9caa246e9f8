/// The sysexits statuses of the contract's command line.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case finishedWithFailures = 1
    case usage = 64
    case dataError = 65
    case unavailable = 69
    case ioError = 74
    /// Another daemon already runs on the same state folder (EX_TEMPFAIL).
    case tempFail = 75
    /// The daemon was started as root without `--allow-root` (EX_NOPERM).
    case noPermission = 77
    case configError = 78
}

/// An operator command's failure with the exit status it maps to and a message for stderr.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}
