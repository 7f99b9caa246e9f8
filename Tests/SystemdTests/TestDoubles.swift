import Logging
import Synchronization

/// A clock the test moves by hand, for `WorkLoopHealth(now:)`.
final class ManualTime: Sendable {
    private let start = ContinuousClock.now
    private let offset = Mutex(Duration.zero)

    var now: ContinuousClock.Instant {
        self.start + self.offset.withLock { $0 }
    }

    func advance(by duration: Duration) {
        self.offset.withLock { $0 += duration }
    }
}

/// A `sleep` for `StatusReporter` that the test ends by hand, and that reports each call.
final class GatedSleep: Sendable {
    /// The duration of each sleep, yielded once the sleeper waits.
    let requests: AsyncStream<Duration>
    private let requestContinuation: AsyncStream<Duration>.Continuation
    private let state = Mutex<(waiting: [CheckedContinuation<Void, Never>], open: Bool)>(([], false))

    init() {
        (self.requests, self.requestContinuation) = AsyncStream.makeStream()
    }

    func sleep(for duration: Duration) async {
        await withCheckedContinuation { continuation in
            let open = self.state.withLock { state in
                if !state.open {
                    state.waiting.append(continuation)
                }
                return state.open
            }
            self.requestContinuation.yield(duration)
            if open {
                continuation.resume()
            }
        }
    }

    /// Ends the oldest sleep in progress.
    func releaseOne() {
        let continuation = self.state.withLock { $0.waiting.isEmpty ? nil : $0.waiting.removeFirst() }
        continuation?.resume()
    }

    /// Ends every sleep, now and later.
    func openForever() {
        let waiting = self.state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting {
            continuation.resume()
        }
    }
}

/// A tick sequence that runs one scripted step before each tick, so a test interleaves changes with ticks.
struct ScriptedTicks: AsyncSequence, Sendable {
    typealias Element = Void
    typealias Failure = Never

    let steps: [@Sendable () -> Void]

    struct AsyncIterator: AsyncIteratorProtocol {
        var steps: ArraySlice<@Sendable () -> Void>

        mutating func next() async -> Void? {
            guard let step = self.steps.popFirst() else { return nil }
            step()
            return ()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(steps: self.steps[...])
    }
}

/// A log handler that keeps every entry, for reading back in tests.
struct CapturingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    final class Store: Sendable {
        private let entries = Mutex<[Entry]>([])
        var all: [Entry] { self.entries.withLock { $0 } }
        func append(_ entry: Entry) { self.entries.withLock { $0.append(entry) } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        self.store.append(
            Entry(
                level: event.level,
                message: event.message.description,
                metadata: self.metadata.merging(event.metadata ?? [:]) { _, new in new }
            )
        )
    }

    /// A logger writing to a fresh store.
    static func logger() -> (Logger, Store) {
        let store = Store()
        return (Logger(label: "test") { _ in CapturingLogHandler(store: store) }, store)
    }
}
