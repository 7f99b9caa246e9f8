/// How a request whose lines are all settled ends: the folder it goes to, its outcome, and its report's counts.
///
/// Every line applied or skipped: done/, `applied`. Some failed: failed/, `partial` when others were applied,
/// else `failed`, with reason `lines_failed`. Requests that never get lines end as `duplicate` (done/) or
/// `refused` (failed/) before this is asked.
public struct RequestVerdict: Sendable, Hashable {
    /// What a report's and the journal's `outcome` says of a whole request.
    public enum Outcome: String, Sendable, Hashable, CaseIterable, Codable {
        case applied, partial, failed
        /// The same id and content was seen before: applied once, from the other file.
        case duplicate
        /// Not a valid request (or refused as a whole, like the mass-zero guard): nothing recorded.
        case refused
    }

    /// Whether the file goes to done/ (else failed/).
    public var done: Bool
    public var outcome: Outcome
    public var reason: String?
    public var message: String?
    /// Lines by what became of them: `applied`, `equal` (a snapshot Shopify already had), `skipped`, `failed`.
    public var counts: [String: Int]

    /// The verdict on a request from its settled lines.
    public init(lines: [LineRecord]) {
        var counts: [String: Int] = [:]
        for line in lines {
            let key = line.state == .skipped && line.reason == .equal ? "equal" : line.state.rawValue
            counts[key, default: 0] += 1
        }
        let failed = counts[LineState.failed.rawValue] ?? 0
        self.counts = counts
        self.done = failed == 0
        self.outcome = failed == 0 ? .applied : (counts[LineState.applied.rawValue] ?? 0) > 0 ? .partial : .failed
        self.reason = failed == 0 ? nil : "lines_failed"
        self.message = failed == 0 ? nil : "\(failed) line(s) failed"
    }
}
