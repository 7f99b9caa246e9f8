import Foundation
import ShopifySimulator
import ShopifySyncCore
import Spool
import SyncState
import Synchronization
import Systemd
import Testing

@testable import ShopifySync

/// A store worker and the spool intake driven through their `run(wakes:)` seams with scripted wakes, against the
/// simulator: one turn per wake, no doorbell, no timer, no waiting for a clock.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct WorkerSeamTests {
    static let location = "gid://shopify/Location/1"
    static let item = "gid://shopify/InventoryItem/7000"

    /// A runtime with the real libcurl client of store `main` on the simulator (SKU A-1 at 5), a spool and a
    /// ledger: the daemon tests' world, without the daemon.
    static func withWorld<T>(
        monotonicNow: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        _ body: (SyncRuntime, SpoolProcessor, RunningSimulator, String) async throws -> T
    ) async throws -> T {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let runtime = try ServiceSeamTests.runtime(
                directory,
                clients: StoreClients.make(for:),
                monotonicNow: monotonicNow
            )
            return try await body(runtime, SpoolProcessor(runtime: runtime), simulator, directory)
        }
    }

    static func wakes(_ count: Int) -> AsyncStream<Void> {
        AsyncStream { continuation in
            for _ in 0..<count { continuation.yield() }
            continuation.finish()
        }
    }

    static func drop(_ directory: String, _ name: String, delta: Int) throws {
        try movement(name, "receipt", [("A-1", nil, delta)]).write(
            toFile: "\(directory)/spool/pending/\(name).json",
            atomically: true,
            encoding: .utf8
        )
    }

    static func level(_ simulator: RunningSimulator) async -> Int? {
        await simulator.state.quantities(shop: "main", item: item, location: location)?.onHand
    }

    @Test("one wake: the worker sends what is open; the intake's next wake finishes the file into done/")
    func oneTurnPerWake() async throws {
        try await Self.withWorld { runtime, processor, simulator, directory in
            try Self.drop(directory, "r1", delta: 3)
            try processor.scan()
            let worker = StoreWorker(store: "main", runtime: runtime)
            // No wake, no turn: nothing is sent.
            await worker.run(wakes: Self.wakes(0))
            #expect(await Self.level(simulator) == 5)
            await worker.run(wakes: Self.wakes(1))
            #expect(await Self.level(simulator) == 8)
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/spool/done/r1.json"))
            let intake = IntakeService(
                runtime: runtime,
                processor: processor,
                pendingEvents: try PendingEvents(directory: runtime.spool.path(.pending)),
                status: StatusReporter(notifier: SystemdNotifier(socketPath: nil))
            )
            await intake.run(wakes: Self.wakes(1))
            #expect(FileManager.default.fileExists(atPath: "\(directory)/spool/done/r1.json"))
            #expect(FileManager.default.fileExists(atPath: "\(directory)/spool/done/r1.json.result"))
        }
    }

    @Test(
        "a 503 with Retry-After: the turn ends, a second wake before the backoff's end sends nothing, and the next look is then"
    )
    func backoffSetsTheNextLook() async throws {
        try await Self.withWorld { runtime, processor, simulator, directory in
            await simulator.state.setFaults(SimulatorFaults(failNext: 1, failStatus: 503, retryAfterSeconds: 3))
            try Self.drop(directory, "r2", delta: 4)
            try processor.scan()
            let worker = StoreWorker(store: "main", runtime: runtime)
            let before = ContinuousClock.now
            // Two wakes at once (the second as a ring would be): one call, then the hold.
            await worker.run(wakes: Self.wakes(2))
            #expect(await simulator.state.calls().count == 1)
            #expect(await Self.level(simulator) == 5)
            let backoff = before.duration(to: worker.nextLook.instant)
            #expect(backoff >= .seconds(3), "next look \(backoff) after a 503 asking for 3 s")
            #expect(backoff <= worker.idleTimeout + .seconds(1))
        }
    }

    @Test(
        "the monotonic clock moved past the backoff, without sleeping: the next wake sends the call again, applied once"
    )
    func movedClockEndsTheBackoff() async throws {
        let clock = ManualClock()
        let now: @Sendable () -> ContinuousClock.Instant = { clock.now }
        try await Self.withWorld(monotonicNow: now) { runtime, processor, simulator, directory in
            await simulator.state.setFaults(SimulatorFaults(failNext: 1, failStatus: 503, retryAfterSeconds: 30))
            try Self.drop(directory, "r3", delta: 6)
            try processor.scan()
            let worker = StoreWorker(store: "main", runtime: runtime)
            // Each step runs when the worker asks for its next wake, so the turn before it is over.
            await worker.run(
                wakes: ScriptedWakes([
                    {},
                    { #expect(await simulator.state.calls().count == 1) },
                    {
                        // Held for 30 s of the injected clock: that wake sent nothing.
                        #expect(await simulator.state.calls().count == 1)
                        clock.advance(by: .seconds(31))
                    },
                ])
            )
            let calls = await simulator.state.calls()
            #expect(calls.count == 2, "\(calls.map(\.httpStatus))")
            #expect(calls.map(\.httpStatus) == [503, 200])
            #expect(await Self.level(simulator) == 11)
        }
    }

    @Test("a backlog is claimed 500 files per turn from one listing, oldest first, until none is left")
    func backlogInChunks() async throws {
        try await Self.withWorld { runtime, processor, _, directory in
            for index in 0..<1_200 { try Self.drop(directory, String(format: "c%04d", index), delta: 1) }
            func count(_ folder: String) -> Int {
                ((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/\(folder)")) ?? []).count
            }
            #expect(try processor.scan())
            #expect(count("processing") == 500 && count("pending") == 700)
            let first = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/processing")
            #expect(Set(first) == Set((0..<500).map { String(format: "c%04d.json", $0) }), "not the oldest 500")
            #expect(try processor.claimBacklog())
            #expect(count("processing") == 1_000 && count("pending") == 200)
            #expect(try processor.claimBacklog() == false)
            #expect(count("processing") == 1_200 && count("pending") == 0 && !processor.hasBacklog)
            #expect(try runtime.state.activeRequestFiles().count == 1_200)
        }
    }

    @Test("an idle turn looks again after the idle timeout, unless rung")
    func idleLooksAfterTheTimeout() async throws {
        try await Self.withWorld { runtime, _, simulator, _ in
            let worker = StoreWorker(store: "main", runtime: runtime)
            let before = ContinuousClock.now
            await worker.run(wakes: Self.wakes(3))
            #expect(await simulator.state.calls().isEmpty)
            let wait = before.duration(to: worker.nextLook.instant)
            #expect(wait >= worker.idleTimeout && wait < worker.idleTimeout + .seconds(1))
        }
    }
}

/// A monotonic clock that moves only when told.
final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let offset = Mutex(Duration.zero)

    var now: ContinuousClock.Instant { start + offset.withLock { $0 } }

    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
}

/// Wakes that run a step each time the loop asks for the next one (so the turn before it is over), then wake it.
struct ScriptedWakes: AsyncSequence, Sendable {
    typealias Element = Void
    let steps: [@Sendable () async -> Void]

    init(_ steps: [@Sendable () async -> Void]) { self.steps = steps }

    struct AsyncIterator: AsyncIteratorProtocol {
        let steps: [@Sendable () async -> Void]
        var index = 0

        mutating func next() async -> Void? {
            guard index < steps.count else { return nil }
            await steps[index]()
            index += 1
            return ()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(steps: steps) }
}
