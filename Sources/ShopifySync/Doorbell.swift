import Synchronization

/// Wakes one waiting task: rings are remembered until the next wait, so none is lost, and many coalesce.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next wait if nobody waits now.
    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when rung (at once when rung since the last wait), after `timeout`, or when the task is cancelled.
    /// One waiter at a time.
    public func wait(timeout: Duration) async {
        await withTaskCancellationHandler {
            await wait(upTo: timeout)
        } onCancel: {
            ring()
        }
    }

    private func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { self.ring() }
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            group.cancelAll()
        }
    }
}

/// The live wakes of a loop: one element each time `bell` rings or the moment `due` names passes, whichever is
/// first. Pulled, not pushed: each `next()` reads `due` afresh, so a loop that moves its next moment (a backoff,
/// an idle timeout) before it asks again is woken then. Ends when the task is cancelled.
struct DoorbellWakes: AsyncSequence, Sendable {
    typealias Element = Void

    let bell: Doorbell
    let due: @Sendable () -> ContinuousClock.Instant

    struct AsyncIterator: AsyncIteratorProtocol {
        let bell: Doorbell
        let due: @Sendable () -> ContinuousClock.Instant

        mutating func next() async -> Void? {
            guard !Task.isCancelled else { return nil }
            let wait = ContinuousClock.now.duration(to: due())
            if wait > .zero { await bell.wait(timeout: wait) }
            return Task.isCancelled ? nil : ()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bell: bell, due: due) }
}
