import Synchronization
import Systemd
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("each call sends its assignment to the notification socket", .timeLimit(.minutes(1)))
    func sendsEachState() async throws {
        try await NotifyListener.withListener { listener in
            let notifier = SystemdNotifier(socketPath: listener.path)
            #expect(notifier.isEnabled)
            notifier.ready()
            notifier.status("pending 3, processing 1, failed 0; main ok")
            notifier.watchdogPing()
            notifier.stopping()
            try await listener.waitFor("STOPPING=1")
            #expect(
                listener.messages == [
                    "READY=1", "STATUS=pending 3, processing 1, failed 0; main ok", "WATCHDOG=1", "STOPPING=1",
                ]
            )
        }
    }

    @Test("RELOADING=1 carries MONOTONIC_USEC from CLOCK_MONOTONIC", .timeLimit(.minutes(1)))
    func reloadingCarriesMonotonicTime() async throws {
        try await NotifyListener.withListener { listener in
            let before = monotonicMicroseconds()
            SystemdNotifier(socketPath: listener.path).reloading()
            let after = monotonicMicroseconds()
            try await listener.waitFor("RELOADING=1")
            let message = try #require(listener.messages.first)
            let lines = message.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines.first == "RELOADING=1")
            let usec = try #require(
                lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil }
            )
            #expect(usec >= before && usec <= after)
        }
    }

    @Test("a status line with line breaks is sent as one line", .timeLimit(.minutes(1)))
    func statusIsOneLine() async throws {
        try await NotifyListener.withListener { listener in
            SystemdNotifier(socketPath: listener.path).status("main ok\nau paused: 401\r\n")
            try await listener.waitFor("STATUS=")
            #expect(listener.messages == ["STATUS=main ok au paused: 401 "])
        }
    }

    @Test("without a socket every call is a no-op")
    func disabledIsNoOp() {
        let notifier = SystemdNotifier(socketPath: nil)
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        #expect(!notifier.send("READY=1"))
        notifier.ready()
        notifier.reloading()
    }

    @Test("an injected watchdog interval is reported")
    func injectedWatchdogInterval() {
        let notifier = SystemdNotifier(socketPath: "/nonexistent", watchdogInterval: .seconds(30))
        #expect(notifier.watchdogInterval == .seconds(30))
        #expect(!notifier.send("WATCHDOG=1"))
    }
}

/// The tests of `SystemdNotifier()`, which reads the process environment: serialized, and each restores it.
@Suite("SystemdNotifier from the environment", .serialized)
struct SystemdNotifierEnvironmentTests {
    @Test("sd_notify sends to $NOTIFY_SOCKET", .timeLimit(.minutes(1)))
    func sendsThroughSdNotify() async throws {
        try await NotifyListener.withListener { listener in
            try withEnvironment(["NOTIFY_SOCKET": listener.path]) {
                let notifier = SystemdNotifier()
                #expect(notifier.isEnabled)
                #expect(notifier.send("STATUS=through sd_notify"))
                notifier.ready()
            }
            try await listener.waitFor("READY=1")
            #expect(listener.messages == ["STATUS=through sd_notify", "READY=1"])
        }
    }

    @Test("NotifyListener.environment is what SystemdNotifier() reads", .timeLimit(.minutes(1)))
    func listenerEnvironment() async throws {
        try await NotifyListener.withListener { listener in
            let environment = listener.environment(watchdog: .milliseconds(2500))
            #expect(environment == ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2500000"])
            try withEnvironment(environment.mapValues { $0 }.merging(["WATCHDOG_PID": nil]) { $1 }) {
                #expect(SystemdNotifier().watchdogInterval == .milliseconds(2500))
                SystemdNotifier().watchdogPing()
            }
            try await listener.waitFor("WATCHDOG=1")
        }
    }

    @Test("without $NOTIFY_SOCKET nothing is sent")
    func disabledWithoutSocket() async throws {
        try withEnvironment(["NOTIFY_SOCKET": nil, "WATCHDOG_USEC": nil]) {
            let notifier = SystemdNotifier()
            #expect(!notifier.isEnabled)
            #expect(!notifier.send("READY=1"))
            #expect(notifier.watchdogInterval == nil)
        }
    }

    @Test("the watchdog interval comes from $WATCHDOG_USEC (and $WATCHDOG_PID, if set, must be ours)")
    func watchdogIntervalFromEnvironment() async throws {
        try withEnvironment(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": nil]) {
            #expect(SystemdNotifier().watchdogInterval == .milliseconds(1500))
        }
        try withEnvironment(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": "\(getpid())"]) {
            #expect(SystemdNotifier().watchdogInterval == .milliseconds(1500))
        }
        try withEnvironment(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": "1"]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
        try withEnvironment(["WATCHDOG_USEC": nil]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
    }
}

/// CLOCK_MONOTONIC in microseconds.
func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
}

/// Serializes the tests that change the process environment.
private let environmentLock = Mutex(())

/// Runs `body` with the given variables set (or unset, for `nil`), then restores them.
func withEnvironment(_ variables: [String: String?], _ body: () throws -> Void) throws {
    try environmentLock.withLock { _ in
        var saved: [String: String?] = [:]
        for (name, value) in variables {
            saved[name] = getenv(name).map { String(cString: $0) }
            if let value {
                setenv(name, value, 1)
            } else {
                unsetenv(name)
            }
        }
        defer {
            for (name, value) in saved {
                if let value {
                    setenv(name, value, 1)
                } else {
                    unsetenv(name)
                }
            }
        }
        try body()
    }
}
