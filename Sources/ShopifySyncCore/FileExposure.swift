/// Which file modes the daemon refuses: a config anyone may change points the daemon at another shop or folder,
/// and a token others may read is a leaked credential.
public enum FileExposure {
    /// Why a config (or catalog) file with `mode` is refused: writable by others. Nil when it is fine.
    public static func configProblem(mode: UInt32) -> String? {
        guard mode & 0o002 != 0 else { return nil }
        return "is writable by others (mode \(octal(mode))): anyone could change what the daemon does; "
            + "remove that with chmod o-w"
    }

    /// Why a token file with `mode` is refused: readable or writable by others. Nil when it is fine.
    public static func tokenProblem(mode: UInt32) -> String? {
        guard mode & 0o006 != 0 else { return nil }
        return "is readable or writable by others (mode \(octal(mode))): the token is a credential; "
            + "keep it to its owner and group with chmod o-rwx"
    }

    static func octal(_ mode: UInt32) -> String {
        let text = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
