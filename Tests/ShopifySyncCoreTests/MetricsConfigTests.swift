import Testing

@testable import ShopifySyncCore

/// `[metrics] listen`: where Prometheus metrics are served, and off when the table is absent.
@Suite("SyncConfig: [metrics]")
struct MetricsConfigTests {
    static let store = """
        [stores.main]
        shop = "acme.myshopify.com"
        default_location = "gid://shopify/Location/1"
        """

    static func parse(_ metrics: String) throws(ConfigErrors) -> SyncConfig {
        try SyncConfig.parse(metrics + "\n" + store, path: "/etc/shopify-sync/config.toml", environment: [:])
    }

    @Test("absent: not served")
    func absent() throws {
        #expect(try Self.parse("").metrics == nil)
    }

    @Test(
        "listen parses host and port",
        arguments: [
            ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9464", "::1", 9464), ("localhost:0", "localhost", 0),
        ]
    )
    func listen(_ text: String, _ host: String, _ port: Int) throws {
        let config = try Self.parse("[metrics]\nlisten = \"\(text)\"")
        #expect(config.metrics == MetricsConfig(host: host, port: port))
    }

    @Test(
        "a bad [metrics] table is refused, naming the key",
        arguments: ["listen = \"127.0.0.1\"", "listen = \"::1:9464\"", "listen = \"h:70000\"", "port = 9464", ""]
    )
    func refused(_ body: String) {
        #expect(throws: ConfigErrors.self) { try Self.parse("[metrics]\n\(body)") }
        do {
            _ = try Self.parse("[metrics]\n\(body)")
        } catch {
            #expect("\(error)".contains("listen") || "\(error)".contains("port"), "\(error)")
        }
    }
}
