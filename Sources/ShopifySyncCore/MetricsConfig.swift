import TOMLKit

/// Where the daemon serves Prometheus metrics: `[metrics] listen = "127.0.0.1:9464"`; no table, no listener.
public struct MetricsConfig: Sendable, Hashable {
    /// An IPv4 or IPv6 address or a host name (IPv6 written without brackets here).
    public var host: String
    /// The TCP port; 0 picks a free one (the daemon logs which).
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPV6]:PORT`; nil when it is neither.
    public init?(listen: String) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil
        }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }
}

extension ConfigReader {
    /// The `[metrics]` table, checked; nil when absent or wrong (then an error is recorded).
    mutating func metrics(_ table: TOMLTable) -> MetricsConfig? {
        guard let metrics = self.table(table, "metrics", section: nil) else { return nil }
        checkKeys(metrics, section: "metrics", allowed: ["listen"])
        guard let listen = string(metrics, "listen", section: "metrics") else {
            if metrics["listen"] == nil {
                fail("metrics", section: nil, "[metrics] needs 'listen', for example \"127.0.0.1:9464\"")
            }
            return nil
        }
        guard let config = MetricsConfig(listen: listen) else {
            fail(
                "listen",
                section: "metrics",
                "'listen' must be HOST:PORT or [IPV6]:PORT with a port from 0 to 65535, got \"\(listen)\""
            )
            return nil
        }
        return config
    }
}
