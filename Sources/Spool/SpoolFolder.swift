/// One of the spool's folders; every request file is in exactly one of them at every instant.
public enum SpoolFolder: String, Sendable, CaseIterable {
    /// Producers write here under any name, fsync, then rename into pending/.
    case tmp
    /// Complete requests waiting to be claimed.
    case pending
    /// Requests claimed by the daemon; resumed after a crash.
    case processing
    /// Finished requests, each with its `NAME.result` report.
    case done
    /// Refused or failed requests, each with its `NAME.error` report.
    case failed

    /// The suffix of the report written next to a request finished into this folder, if it has one.
    public var reportSuffix: String? {
        switch self {
        case .done: ".result"
        case .failed: ".error"
        case .tmp, .pending, .processing: nil
        }
    }
}
