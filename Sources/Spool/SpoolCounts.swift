/// How many requests each folder holds, and how long the oldest pending one has waited.
///
/// Reports (`.result`, `.error`) are not counted; names beginning with "." in pending/ are not counted.
public struct SpoolCounts: Sendable, Hashable, Codable {
    public var pending: Int
    public var processing: Int
    public var done: Int
    public var failed: Int
    /// Seconds since the oldest pending request was last modified; nil when pending/ is empty.
    public var oldestPendingAge: Double?

    public init(pending: Int, processing: Int, done: Int, failed: Int, oldestPendingAge: Double?) {
        self.pending = pending
        self.processing = processing
        self.done = done
        self.failed = failed
        self.oldestPendingAge = oldestPendingAge
    }
}
