/// An HTTP response: status, headers in the order received, and the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields of the final response, names as sent by the server.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The protocol the answer came in, as on a status line ("HTTP/1.1", "HTTP/2"); nil when not known.
    public var httpVersion: String?

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], httpVersion: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// `Retry-After` as a wait from `now` (seconds since 1970): given in seconds (integral or decimal) or as
    /// an HTTP date (RFC 9110: IMF-fixdate, or the obsolete RFC 850 and asctime forms); a date in the past is
    /// no wait. Nil when absent or unreadable.
    public func retryAfter(now: Double) -> Duration? {
        guard let raw = header("Retry-After")?.trimmingWhitespace() else { return nil }
        let seconds: Double
        if let number = Double(raw), number.isFinite, number >= 0 {
            seconds = number
        } else if let date = HTTPDate.seconds(raw) {
            seconds = max(0, date - now)
        } else {
            return nil
        }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

/// Sends one HTTP request (a GraphQL POST, or the GET of a bulk operation's result) and returns the server's
/// answer, whatever its status.
///
/// An implementation throws only when no HTTP answer arrived: `.network`, `.timeout` or `.cancelled`.
/// It never puts header values (the access token) into an error message.
public protocol HTTPTransport: Sendable {
    func post(
        url: String,
        headers: [(String, String)],
        body: [UInt8],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse

    /// A plain GET without a body; only the headers given are sent (never the access token unless passed).
    func get(
        url: String,
        headers: [(String, String)],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, at least 1 (libcurl reads 0 as "no timeout").
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, millis))
    }

    /// The duration in seconds as a Double.
    var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
