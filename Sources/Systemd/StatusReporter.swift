import ServiceLifecycle

/// Sends the daemon's one-line status (`STATUS=`) to systemd at most once per interval.
///
/// ``update(_:)`` may be called as often as the state changes, from any thread. Updates that arrive faster
/// than the interval are coalesced: the first goes out at once, and of the ones that arrive while waiting,
/// only the latest is sent when the interval is over. The latest line is therefore always sent eventually
/// (while ``run()`` runs). A line equal to the one last sent is not sent again.
///
/// Run it as a `Service` in the daemon's `ServiceGroup`; it stops on graceful shutdown.
public final class StatusReporter: Service, Sendable {
    private let notifier: SystemdNotifier
    private let minimumInterval: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let lines: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    /// Creates a reporter.
    ///
    /// - Parameters:
    ///   - notifier: where `STATUS=` goes.
    ///   - minimumInterval: the least time between two sends (one second by default, per the contract).
    ///   - sleep: waits for the given duration; injectable so tests control time.
    public init(
        notifier: SystemdNotifier,
        minimumInterval: Duration = .seconds(1),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.notifier = notifier
        self.minimumInterval = minimumInterval
        self.sleep = sleep
        (self.lines, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    deinit {
        self.continuation.finish()
    }

    /// Records the latest status line; it is sent now or, if a line went out less than the interval ago,
    /// when the interval is over (unless a newer line replaces it first).
    public func update(_ line: String) {
        self.continuation.yield(line)
    }

    /// Sends status lines until graceful shutdown or cancellation.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.send()
            }
        } catch is CancellationError {
            // Shutdown cancels the wait between two lines: that is the normal end, not a failure.
        }
    }

    private func send() async throws {
        var lastSent: String?
        for await line in self.lines {
            if line == lastSent {
                continue
            }
            self.notifier.status(line)
            lastSent = line
            try await self.sleep(self.minimumInterval)
        }
    }
}
