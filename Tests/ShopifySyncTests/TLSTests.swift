import Foundation
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import ShopifyAPI
import ShopifySimulator
import ShopifySyncCore
import Synchronization
import Systemd
import TestSupport
import Testing

/// The daemon against the simulator served over real TLS on loopback: a certificate authority made in the test
/// with the `openssl` command, a real handshake, and libcurl's own verification.
@Suite("TLS: ca_file, refused certificates, HTTP/2")
struct TLSTests {
    /// A certificate the daemon must refuse, and what libcurl says about it.
    struct Refused: Sendable, CustomTestStringConvertible {
        var kind: TestCertificates.Kind
        var says: String
        var testDescription: String { kind.rawValue }
    }

    static let refused = [
        Refused(kind: .wrongHost, says: "no alternative certificate subject name matches target host name"),
        Refused(kind: .expired, says: "certificate has expired"),
        Refused(kind: .untrusted, says: "unable to get local issuer certificate"),
    ]

    @Test(.timeLimit(.minutes(1)))
    func aTrustedTestCAIsTalkedTo() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let tls = EngineTLS(
            server: try .http2Upgrade(tlsConfiguration: certificates.serverConfiguration(.good)),
            caFile: certificates.caFile
        )
        try await withEngine(tls: tls) { world in
            let (folder, _) = try await world.run("tls-1.json", movement("tls-1", "receipt", [("TEE-RED-S", "WH1", 5)]))
            #expect(folder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", EngineWorld.main1) == 15)
            #expect(try world.state.storeStates()["main"]?.state == .ok)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: refused)
    func aBadCertificateIsRefusedAndTheStoreBacksOff(_ refused: Refused) async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let tls = EngineTLS(
            server: try .http2Upgrade(tlsConfiguration: certificates.serverConfiguration(refused.kind)),
            caFile: certificates.caFile
        )
        let log = LogRecorder()
        try await withEngine(tls: tls, logger: log.logger) { world in
            try world.drop("tls-2.json", movement("tls-2", "receipt", [("TEE-RED-S", "WH1", 5)]))
            let deadline = ContinuousClock.now + .seconds(20)
            var record = try world.state.storeStates()["main"]
            while record?.state != .backoff, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                record = try world.state.storeStates()["main"]
            }
            #expect(record?.state == .backoff)
            let lastError = record?.lastError ?? ""
            #expect(lastError.contains("TLS") && lastError.contains(refused.says), "\(lastError)")

            // The journal entry: JournalLogHandler writes these keys as MESSAGE_ID=, SHOPIFY_STORE=, SYNC_OUTCOME=.
            let entries = log.entries.filter { $0.level >= .warning && $0.message.contains("TLS") }
            let entry = try #require(entries.first, "no TLS warning in \(log.entries.map(\.message))")
            #expect(entry.message.contains(refused.says), "\(entry.message)")
            #expect(entry.message.contains("TLS handshake failed, nothing was sent"), "\(entry.message)")
            #expect(entry.metadata["shopify.store"] == "main", "\(entry.metadata)")
            #expect(entry.metadata["message_id"] == MessageID.callRetrying.rawValue, "\(entry.metadata)")
            #expect(entry.metadata["sync.outcome"] == "retrying", "\(entry.metadata)")
            #expect(
                !log.entries.contains { $0.message.contains("token-main") || $0.metadata.values.contains("token-main") }
            )

            // Nothing reached the simulator (it speaks only TLS, so no plain HTTP either), nothing was applied,
            // and the file waits for the store instead of failing.
            #expect(await world.calls().isEmpty)
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", EngineWorld.main1) == 10)
            #expect(!FileManager.default.fileExists(atPath: "\(world.directory)/spool/failed/tls-2.json"))
            #expect(!FileManager.default.fileExists(atPath: "\(world.directory)/spool/done/tls-2.json"))
        }
    }

    /// libcurl reports the protocol the answer came in: HTTP/2 when the server offers `h2` through ALPN, HTTP/1.1
    /// from the same simulator and certificate when it offers TLS without ALPN.
    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func http2IsUsedWhenOffered(_ offered: Bool) async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let configuration = try certificates.serverConfiguration(.good)
        let options = SimulatorOptions(shops: EngineWorld.shops())
        let server: HTTPServerBuilder =
            offered
            ? try .http2Upgrade(tlsConfiguration: configuration) : try .tls(.http1(), tlsConfiguration: configuration)
        try await withSimulator(options, server: server, logger: Logger(label: "tls-test")) { simulator in
            let transport = CurlTransport(label: "tls", caFile: certificates.caFile)
            let body = try JSONSerialization.data(withJSONObject: ["query": ShopifyDocuments.shopName])
            // Twice: the second call reuses the connection and its protocol.
            for _ in 0..<2 {
                let response = try await transport.post(
                    url: "https://127.0.0.1:\(simulator.port)/main/admin/api/2026-07/graphql.json",
                    headers: [("Content-Type", "application/json"), ("X-Shopify-Access-Token", "token-main")],
                    body: [UInt8](body),
                    connectTimeout: .seconds(5),
                    totalTimeout: .seconds(10)
                )
                #expect(response.status == 200)
                #expect(response.httpVersion == (offered ? "HTTP/2" : "HTTP/1.1"))
            }
        }
    }

    /// A `ca_file` that cannot be read fails the call with the path named, never by trusting the system instead.
    @Test(.timeLimit(.minutes(1)))
    func anUnreadableCAFileIsNamed() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let options = SimulatorOptions(shops: EngineWorld.shops())
        let server: HTTPServerBuilder = try .http2Upgrade(tlsConfiguration: certificates.serverConfiguration(.good))
        try await withSimulator(options, server: server, logger: Logger(label: "tls-test")) { simulator in
            let missing = "\(certificates.folder)/missing-ca.pem"
            let transport = CurlTransport(label: "tls", caFile: missing)
            let error = await #expect(throws: ShopifyError.self) {
                try await transport.post(
                    url: "https://127.0.0.1:\(simulator.port)/main/admin/api/2026-07/graphql.json",
                    headers: [],
                    body: [],
                    connectTimeout: .seconds(5),
                    totalTimeout: .seconds(10)
                )
            }
            #expect(error?.code == .network)
            #expect(error?.message.contains("TLS") == true && error?.message.contains(missing) == true, "\(error!)")
            #expect(await simulator.state.calls().isEmpty)
        }
    }
}

/// Log entries kept in memory, for tests that read what the daemon logged.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let recorded = Mutex<[Entry]>([])

    var entries: [Entry] { recorded.withLock { $0 } }

    /// A logger that records entries at `warning` and above.
    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    fileprivate func append(_ entry: Entry) { recorded.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(
                Entry(
                    level: event.level,
                    message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }
                )
            )
        }
    }
}
