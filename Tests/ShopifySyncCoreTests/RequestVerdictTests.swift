import ShopifySyncCore
import Testing

/// A finished request's outcome for every combination of line states.
@Suite("Request verdict")
struct RequestVerdictTests {
    static func line(_ state: LineState, reason: LineReason? = nil) -> LineRecord {
        LineRecord(
            ref: LineRef(requestID: "r", line: 0, store: "main"),
            sku: "S",
            kind: .adjust,
            state: state,
            reason: reason
        )
    }

    static let applied = line(.applied)
    static let skipped = line(.skipped, reason: .excluded)
    static let equal = line(.skipped, reason: .equal)
    static let failed = line(.failed)

    @Test(
        "done/ with applied unless a line failed; partial when another was applied",
        arguments: [
            ([applied], true, RequestVerdict.Outcome.applied, ["applied": 1]),
            ([applied, skipped, equal], true, .applied, ["applied": 1, "skipped": 1, "equal": 1]),
            ([skipped], true, .applied, ["skipped": 1]),
            ([], true, .applied, [:]),
            ([applied, failed], false, .partial, ["applied": 1, "failed": 1]),
            ([failed, skipped], false, .failed, ["failed": 1, "skipped": 1]),
            ([failed, failed], false, .failed, ["failed": 2]),
            ([equal, failed], false, .failed, ["equal": 1, "failed": 1]),
        ]
    )
    func verdict(lines: [LineRecord], done: Bool, outcome: RequestVerdict.Outcome, counts: [String: Int]) {
        let verdict = RequestVerdict(lines: lines)
        #expect(verdict.done == done)
        #expect(verdict.outcome == outcome)
        #expect(verdict.counts == counts)
        #expect(verdict.reason == (done ? nil : "lines_failed"))
        #expect(verdict.message == (done ? nil : "\(counts["failed"] ?? 0) line(s) failed"))
    }
}
