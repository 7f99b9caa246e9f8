import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// MARK: - NotifyListener

/// A stand-in for systemd's notification socket: an AF_UNIX datagram socket in a temporary folder that
/// records every `sd_notify` message sent to it.
///
/// Give ``path`` to the code under test as `NOTIFY_SOCKET` (in a child's environment, or to
/// `SystemdNotifier(socketPath:)`), then wait for what it should send:
///
/// ```swift
/// try await NotifyListener.withListener { listener in
///     // start the daemon with NOTIFY_SOCKET=listener.path ...
///     try await listener.waitFor("READY=1")
///     #expect(listener.lines.contains("STOPPING=1"))
/// }
/// ```
///
/// A background thread drains the socket at once, so senders never block on a full queue.
public final class NotifyListener: Sendable {
    /// A wait ran out before the expected notifications arrived.
    public struct Timeout: Error, CustomStringConvertible {
        public let expected: String
        public let count: Int
        public let received: [String]
        public var description: String {
            "timed out waiting for \(self.count) notification line(s) starting with \(self.expected); received \(self.received)"
        }
    }

    /// The socket's path, for `NOTIFY_SOCKET`.
    public let path: String
    private let directory: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Runs `body` with a fresh listener and removes it afterwards.
    public static func withListener<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (NotifyListener) async throws -> T
    ) async throws -> T {
        let listener = try NotifyListener()
        defer { listener.close() }
        return try await body(listener)
    }

    /// Creates and binds a listener; call ``close()`` when done (``withListener(isolation:_:)`` does).
    public init() throws {
        var template = Array("/tmp/notify.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        self.directory = String(cString: made)
        self.path = self.directory + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(self.path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        self.descriptor = fd
        let thread = Thread { [self] in self.receiveLoop() }
        thread.name = "NotifyListener"
        thread.start()
    }

    /// The environment systemd gives a `Type=notify` service, pointing at this listener: `NOTIFY_SOCKET`, and
    /// with a `watchdog` interval `WATCHDOG_USEC` (no `WATCHDOG_PID`, so it holds for whatever process gets it).
    ///
    /// Merge it into a child's environment: `ProcessInfo.processInfo.environment.merging(listener.environment()) { $1 }`.
    public func environment(watchdog: Duration? = nil) -> [String: String] {
        var environment = ["NOTIFY_SOCKET": self.path]
        if let watchdog {
            let (seconds, attoseconds) = watchdog.components
            environment["WATCHDOG_USEC"] = String(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        }
        return environment
    }

    /// Every datagram received so far, in order.
    public var messages: [String] {
        self.received.withLock { $0 }
    }

    /// Every `KEY=value` line of every datagram received so far, in order.
    public var lines: [String] {
        self.messages.flatMap { $0.split(separator: "\n").map(String.init) }
    }

    /// Waits until at least `count` received lines start with `prefix` (`"READY=1"`, `"STATUS="`).
    ///
    /// - Returns: the matching lines.
    /// - Throws: ``Timeout`` (listing what did arrive) when they do not arrive within `timeout`.
    @discardableResult
    public func waitFor(_ prefix: String, count: Int = 1, timeout: Duration = .seconds(10)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let matching = self.lines.filter { $0.hasPrefix(prefix) }
            if matching.count >= count {
                return matching
            }
            if ContinuousClock.now >= deadline {
                throw Timeout(expected: prefix, count: count, received: self.messages)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops listening and removes the socket; idempotent.
    public func close() {
        let wasStopped = self.stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        self.finished.wait()
        Glibc.close(self.descriptor)
        unlink(self.path)
        rmdir(self.directory)
    }

    private func receiveLoop() {
        defer { self.finished.signal() }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !self.stopped.withLock({ $0 }) {
            var poller = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 20) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes {
                recv(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                self.received.withLock { $0.append(message) }
            }
        }
    }
}

// MARK: - Journald

/// A journal to read back from in tests, as made available by ``withJournald(isolation:_:)``.
public struct Journal: Sendable {
    /// journald's native socket, where `JournalLogHandler` writes.
    public static let socketPath = "/run/systemd/journal/socket"

    /// The entries (as `journalctl -o json` gives them, every value a string) that match every
    /// `FIELD=value` match, oldest first.
    public func entries(matching matches: String...) throws -> [[String: String]] {
        try self.entries(matching: matches)
    }

    /// The entries that match every `FIELD=value` in `matches`, oldest first.
    public func entries(matching matches: [String]) throws -> [[String: String]] {
        let output = try runProcess("/usr/bin/journalctl", ["--no-pager", "--all", "-o", "json"] + matches)
        return output.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return object.compactMapValues(Self.string(fromJournalValue:))
        }
    }

    /// Waits until at least `count` entries match every `FIELD=value` in `matches`, and returns them.
    ///
    /// journald writes entries asynchronously to its files, so read-back right after logging polls.
    public func waitForEntries(
        matching matches: [String],
        count: Int = 1,
        timeout: Duration = .seconds(10)
    ) async throws -> [[String: String]] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = try self.entries(matching: matches)
            if found.count >= count || ContinuousClock.now >= deadline {
                return found
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A journal JSON value as a string: strings as they are, byte arrays (binary or non-UTF-8 values) decoded
    /// as UTF-8, and a field given several times as its values joined by newlines.
    private static func string(fromJournalValue value: Any) -> String? {
        if let string = value as? String {
            return string
        }
        if let bytes = value as? [Int] {
            return String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
        }
        if let values = value as? [Any] {
            return values.compactMap(self.string(fromJournalValue:)).joined(separator: "\n")
        }
        return nil
    }
}

/// Runs `body` with a journald listening on ``Journal/socketPath``: the machine's own if one runs, otherwise
/// a `systemd-journald` started for the test (needs root) and stopped when the last concurrent user is done.
///
/// ```swift
/// try await withJournald { journal in
///     logger.info("x", metadata: ["shopify.sku": "\(sku)"])
///     let entries = try await journal.waitForEntries(matching: ["SHOPIFY_SKU=\(sku)"])
/// }
/// ```
public func withJournald<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Journal) async throws -> T
) async throws -> T {
    try await JournaldProcess.shared.acquire()
    do {
        let result = try await body(Journal())
        await JournaldProcess.shared.release()
        return result
    } catch {
        await JournaldProcess.shared.release()
        throw error
    }
}

/// Whether the tests can run a journald (one is running, or the binary exists and we are root).
public var isJournaldAvailable: Bool {
    probeDatagramSocket(Journal.socketPath)
        || (FileManager.default.isExecutableFile(atPath: JournaldProcess.binary) && geteuid() == 0)
}

/// The `systemd-journald` the tests started, shared by concurrent tests and stopped by the last one.
actor JournaldProcess {
    static let shared = JournaldProcess()
    static let binary = "/lib/systemd/systemd-journald"

    struct StartFailed: Error, CustomStringConvertible {
        var description: String
    }

    private var users = 0
    private var process: Process?

    func acquire() async throws {
        self.users += 1
        guard self.process == nil, !probeDatagramSocket(Journal.socketPath) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        // journald notifies $NOTIFY_SOCKET when it is ready: a notifier test may have set it in this process.
        var environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { environment.removeValue(forKey: name) }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            self.users -= 1
            throw error
        }
        self.process = process
        let deadline = ContinuousClock.now + .seconds(10)
        while !probeDatagramSocket(Journal.socketPath) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                self.users -= 1
                self.stop()
                throw StartFailed(description: "\(Self.binary) did not open \(Journal.socketPath)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func release() {
        self.users -= 1
        if self.users == 0 {
            self.stop()
        }
    }

    private func stop() {
        guard let process = self.process else { return }
        self.process = nil
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Whether something listens on the datagram socket at `path`.
private func probeDatagramSocket(_ path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: pathBytes)
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
        }
    }
}

/// Runs a program to completion and returns its standard output; throws if it exits nonzero.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw SystemdToolFailed(
            command: ([executable] + arguments).joined(separator: " "),
            status: process.terminationStatus,
            standardError: String(decoding: errorData, as: UTF8.self)
        )
    }
    return String(decoding: data, as: UTF8.self)
}

/// A program run by the test support exited with a failure status.
public struct SystemdToolFailed: Error, CustomStringConvertible {
    public let command: String
    public let status: Int32
    public let standardError: String
    public var description: String {
        "\(self.command) exited with \(self.status): \(self.standardError)"
    }
}
