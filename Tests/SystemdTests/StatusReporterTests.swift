import Systemd
import TestSupport
import Testing

@Suite("StatusReporter")
struct StatusReporterTests {
    @Test("sends the first line at once, coalesces the rest to the latest, and skips repeats", .timeLimit(.minutes(1)))
    func coalescesToLatest() async throws {
        try await NotifyListener.withListener { listener in
            let gate = GatedSleep()
            let reporter = StatusReporter(
                notifier: SystemdNotifier(socketPath: listener.path),
                minimumInterval: .seconds(1),
                sleep: { await gate.sleep(for: $0) }
            )
            let running = Task { try await reporter.run() }
            defer { running.cancel() }
            var sleeps = gate.requests.makeAsyncIterator()

            reporter.update("pending 1")
            #expect(await sleeps.next() == .seconds(1))  // sent, now holding back for the interval
            try await listener.waitFor("STATUS=pending 1")

            reporter.update("pending 2")
            reporter.update("pending 3")
            reporter.update("pending 4")
            gate.releaseOne()
            #expect(await sleeps.next() == .seconds(1))
            try await listener.waitFor("STATUS=pending 4")

            reporter.update("pending 4")  // same as the last one sent: not sent again
            gate.releaseOne()
            reporter.update("pending 0; main ok")
            #expect(await sleeps.next() == .seconds(1))
            try await listener.waitFor("STATUS=pending 0")

            #expect(listener.messages == ["STATUS=pending 1", "STATUS=pending 4", "STATUS=pending 0; main ok"])
            running.cancel()
            gate.openForever()
            _ = await running.result
        }
    }

    @Test("run() ends when its task is cancelled", .timeLimit(.minutes(1)))
    func endsOnCancellation() async throws {
        let reporter = StatusReporter(notifier: SystemdNotifier(socketPath: nil))
        let running = Task { try await reporter.run() }
        reporter.update("x")
        running.cancel()
        _ = await running.result
    }
}
