import Foundation
import ShopifyAPI
import ShopifySyncCore

/// What `shopify-sync-fuzz` feeds bytes to: each reader of input from outside the daemon. None may crash, hang
/// or read out of bounds on any input; an error is the right answer to a bad one.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// Request files from the WMS.
    case request
    /// The config file (TOML).
    case config
    /// The catalog (CSV).
    case catalog
    /// Shopify's answers to each call the client makes, with every HTTP status it handles.
    case response

    func run(_ bytes: [UInt8]) {
        switch self {
        case .request:
            _ = try? RequestDecoder().decode(bytes)
        case .config:
            _ = try? SyncConfig.parse(
                String(decoding: bytes, as: UTF8.self),
                path: "/fuzz/config.toml",
                environment: [:]
            )
        case .catalog:
            Self.catalog(bytes)
        case .response:
            Self.response(bytes)
        }
    }

    /// The catalog reader reads a file: the input is written to one in a private temporary folder.
    private static let catalogPath: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shopify-sync-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("catalog.csv").path
    }()

    private static func catalog(_ bytes: [UInt8]) {
        guard FileManager.default.createFile(atPath: catalogPath, contents: Data(bytes)) else { return }
        _ = try? Catalog.load(path: catalogPath, knownStores: ["main", "au"])
    }

    private static let statuses = [200, 200, 200, 200, 429, 500, 503, 401, 402, 403, 423, 404, 302, 0]

    /// A body that starts with `{` (a captured answer, as in the seed corpus) comes with status 200 and its
    /// length picks the call; otherwise the first byte picks status and call and the rest is the body.
    private static func response(_ bytes: [UInt8]) {
        let captured = bytes.first == UInt8(ascii: "{")
        let selector = captured ? bytes.count * statuses.count : Int(bytes.first ?? 0)
        let status = statuses[selector % statuses.count]
        let client = ShopifyClient(
            endpoint: "https://fuzz.myshopify.com",
            apiVersion: "2026-07",
            accessToken: "fuzz",
            transport: CannedTransport(
                response: HTTPResponse(
                    status: status,
                    headers: [("Retry-After", selector % 2 == 0 ? "2" : "Wed, 21 Oct 2026 07:28:00 GMT")],
                    body: captured ? bytes : Array(bytes.dropFirst())
                )
            )
        )
        let call = selector / statuses.count % 5
        blocking {
            switch call {
            case 0:
                _ = try? await client.adjustQuantities(
                    AdjustRequest(
                        reason: "correction",
                        referenceDocumentURI: "gid://shopify-sync/SyncCall/fuzz",
                        idempotencyKey: "fuzz",
                        changes: [
                            InventoryChange(
                                inventoryItemID: "gid://shopify/InventoryItem/1",
                                locationID: "gid://shopify/Location/1",
                                delta: 1
                            )
                        ]
                    )
                )
            case 1:
                _ = try? await client.setQuantities(
                    SetRequest(
                        reason: "correction",
                        referenceDocumentURI: "gid://shopify-sync/SyncCall/fuzz",
                        idempotencyKey: "fuzz",
                        quantities: [
                            QuantitySet(
                                inventoryItemID: "gid://shopify/InventoryItem/1",
                                locationID: "gid://shopify/Location/1",
                                quantity: 1,
                                changeFromQuantity: 0
                            )
                        ]
                    )
                )
            case 2:
                _ = try? await client.onHand(
                    items: ["gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2"],
                    locationID: "gid://shopify/Location/1"
                )
            case 3:
                _ = try? await client.lookupSKU("A-1")
            default:
                _ = try? await client.shopName()
            }
        }
    }
}

/// Shopify's side of a call, canned: every post and get gets the same answer.
struct CannedTransport: HTTPTransport {
    let response: HTTPResponse

    func post(
        url: String,
        headers: [(String, String)],
        body: [UInt8],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        response
    }

    func get(
        url: String,
        headers: [(String, String)],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        response
    }
}

/// Runs `body` to its end from synchronous code (the fuzzer's callback).
func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}
