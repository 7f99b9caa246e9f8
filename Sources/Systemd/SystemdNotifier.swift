import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Sends service state notifications to systemd (`sd_notify(3)`).
///
/// Every call is a no-op when the service manager did not ask for notifications (no `$NOTIFY_SOCKET`), so the
/// daemon calls these unconditionally. Sending never blocks and never throws: a lost notification is not worth
/// failing the work for.
public struct SystemdNotifier: Sendable {
    enum Destination: Sendable, Equatable {
        /// `$NOTIFY_SOCKET`, read by `sd_notify` at every call.
        case environment
        /// An explicit socket path (a leading `@` is the abstract namespace), or none (disabled).
        case socket(String?)
    }

    let destination: Destination
    let injectedWatchdogInterval: Duration?

    /// A notifier that uses `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` as systemd sets them.
    public init() {
        self.destination = .environment
        self.injectedWatchdogInterval = nil
    }

    /// A notifier that sends to an explicit socket instead of `$NOTIFY_SOCKET`, for tests and embedding.
    ///
    /// - Parameters:
    ///   - socketPath: the AF_UNIX datagram socket to notify (`@name` for the abstract namespace), or `nil`
    ///     to make every call a no-op.
    ///   - watchdogInterval: what ``watchdogInterval`` reports (instead of `$WATCHDOG_USEC`).
    public init(socketPath: String?, watchdogInterval: Duration? = nil) {
        self.destination = .socket(socketPath)
        self.injectedWatchdogInterval = watchdogInterval
    }

    /// Whether notifications go anywhere (systemd set `$NOTIFY_SOCKET`, or a socket path was given).
    public var isEnabled: Bool {
        switch self.destination {
        case .environment:
            guard let value = getenv("NOTIFY_SOCKET") else { return false }
            return value.pointee != 0
        case .socket(let path):
            return path != nil
        }
    }

    /// The watchdog interval systemd expects pings within (`WatchdogSec=`), or `nil` when the watchdog is off.
    ///
    /// Ping at least every half of it (``WatchdogService`` does).
    public var watchdogInterval: Duration? {
        switch self.destination {
        case .environment:
            var usec: UInt64 = 0
            guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
            return .microseconds(Int64(clamping: usec))
        case .socket:
            return self.injectedWatchdogInterval
        }
    }

    /// Tells systemd that start-up (recovery and the first scan) is complete: `READY=1`.
    public func ready() {
        self.send("READY=1")
    }

    /// Tells systemd that a reload (SIGHUP) began: `RELOADING=1` with `MONOTONIC_USEC`; follow with ``ready()``.
    public func reloading() {
        self.send("RELOADING=1\nMONOTONIC_USEC=\(csystemd_monotonic_usec())")
    }

    /// Tells systemd that the daemon is shutting down: `STOPPING=1`.
    public func stopping() {
        self.send("STOPPING=1")
    }

    /// Sets the one-line status `systemctl status` shows: `STATUS=`; line breaks become spaces.
    public func status(_ line: String) {
        let oneLine = String(line.map { $0.isNewline ? " " : $0 })
        self.send("STATUS=\(oneLine)")
    }

    /// Feeds the service watchdog: `WATCHDOG=1`.
    public func watchdogPing() {
        self.send("WATCHDOG=1")
    }

    /// Sends a raw notification (newline-separated `KEY=value` assignments).
    ///
    /// - Returns: `true` if it was sent, `false` if notifications are off or sending failed.
    @discardableResult
    public func send(_ state: String) -> Bool {
        switch self.destination {
        case .environment:
            return sd_notify(0, state) > 0
        case .socket(nil):
            return false
        case .socket(.some(let path)):
            var bytes = Array(state.utf8)
            return bytes.withUnsafeMutableBytes { buffer in
                csystemd_send_unix_dgram(path, buffer.baseAddress, buffer.count) == 0
            }
        }
    }
}
