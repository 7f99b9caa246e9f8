import Foundation
import ShopifyAPI
import ShopifySyncCore

/// Builds each store's Shopify client from its config and token file.
enum StoreClients {
    /// One client per configured store; a store whose token cannot be read gets a client that reports why,
    /// so the store is paused (its work waits) rather than the daemon failing.
    static func make(for config: SyncConfig) -> [String: any InventoryAPI] {
        var clients: [String: any InventoryAPI] = [:]
        for store in config.stores.values {
            do {
                let token = try readToken(store)
                clients[store.name] = MeteredInventoryAPI(
                    store: store.name,
                    base: ShopifyClient(
                        endpoint: store.endpoint,
                        apiVersion: store.apiVersion,
                        accessToken: token,
                        transport: CurlTransport(label: store.name, caFile: store.caFile)
                    )
                )
            } catch {
                clients[store.name] = UnavailableStore(reason: error.description)
            }
        }
        return clients
    }

    /// The store's access token (whitespace trimmed); the error names the file, never the token.
    static func readToken(_ store: StoreConfig) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: store.tokenFile) else {
            throw ConfigError(file: store.tokenFile, line: nil, "cannot read the token file of store \(store.name)")
        }
        if let mode = fileMode(store.tokenFile), let problem = FileExposure.tokenProblem(mode: mode) {
            throw ConfigError(file: store.tokenFile, line: nil, "the token file of store \(store.name) \(problem)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isNewline) else {
            throw ConfigError(
                file: store.tokenFile,
                line: nil,
                "the token file of store \(store.name) is empty or has several lines"
            )
        }
        return token
    }
}

/// A store that cannot be reached at all (its token is missing): every call is refused as access denied.
struct UnavailableStore: InventoryAPI {
    var reason: String

    private var error: ShopifyError { ShopifyError(code: .accessDenied, message: reason) }

    func adjustQuantities(_ request: AdjustRequest) async throws(ShopifyError) -> MutationResult { throw error }
    func setQuantities(_ request: SetRequest) async throws(ShopifyError) -> MutationResult { throw error }
    func sendWrite(_ write: InventoryWrite, body: [UInt8]) async throws(ShopifyError) -> MutationResult { throw error }
    func onHand(items: [String], locationID: String) async throws(ShopifyError) -> OnHandResult { throw error }
    func lookupSKU(_ sku: String) async throws(ShopifyError) -> SKULookupResult { throw error }
    func shopName() async throws(ShopifyError) -> String { throw error }
    func startBulkQuery(_ query: String) async throws(ShopifyError) -> BulkOperationStart { throw error }
    func bulkOperation(id: String) async throws(ShopifyError) -> BulkOperationState { throw error }
    func download(url: String) async throws(ShopifyError) -> [UInt8] { throw error }
}
