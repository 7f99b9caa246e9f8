import Foundation
import ShopifySync
import Testing

/// Timestamps in reports and `status` say which time zone they are in.
struct TimestampTests {
    @Test("report and status timestamps are RFC 3339 with the UTC offset")
    func timestampsCarryTheirOffset() {
        #expect(RequestReport.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RequestReport.timestamp(Date(timeIntervalSince1970: 1_796_392_718.5)) == "2026-12-04T13:58:38.500Z")
    }
}
