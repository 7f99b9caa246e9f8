import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension OperatorCommands {
    /// Whether the state database exists; an error (exit 74) when the caller cannot even tell.
    ///
    /// Only a missing file (or folder) means "no state yet". A state folder the caller may not enter (it is
    /// 0700, the daemon's own: a WMS account running `status`) must not read as that, or every store would
    /// show "ok" whatever its state.
    static func stateDatabaseExists(at path: String) throws(CommandFailure) -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return true }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return false }
        let reason = String(cString: strerror(code))
        throw CommandFailure(
            .ioError,
            "cannot read the state database \(path): \(reason); run this as root or as the shopify-sync user "
                + "(sudo shopify-sync status)"
        )
    }
}
