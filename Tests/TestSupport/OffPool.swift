import Foundation

/// Runs blocking work (waiting for a child process, a burst of file writes) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core (two here): a test that blocks one can starve every other
/// concurrent test, and deadlock one whose child process needs the in-process simulator to answer.
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
