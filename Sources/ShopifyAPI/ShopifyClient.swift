import Foundation

/// The Admin GraphQL client of one store: sends ``ShopifyDocuments`` over an ``HTTPTransport``.
///
/// A call Shopify answered returns (userErrors included); everything else throws ``ShopifyError``:
/// HTTP 401/402/403/423 and top-level ACCESS_DENIED are `.accessDenied`; 429 and THROTTLED are
/// `.throttled` (with `retryAfter` from the header or from `throttleStatus`); 5xx and top-level
/// INTERNAL_SERVER_ERROR are `.unavailable`; a body that is not the JSON expected, or another status, is
/// `.badResponse`; other top-level errors that left the root field null are `.graphQL`. The access token
/// is sent only in `X-Shopify-Access-Token` and never appears in an error or in `description`.
public struct ShopifyClient: InventoryAPI, CustomStringConvertible {
    /// The Admin API version used when the configuration names none.
    public static let defaultAPIVersion = "2026-07"

    /// `<endpoint>/admin/api/<apiVersion>/graphql.json`.
    public let url: String
    private let accessToken: String
    private let transport: any HTTPTransport
    private let connectTimeout: Duration
    private let totalTimeout: Duration
    /// The deadline of a bulk result's download, which may be far larger than a GraphQL answer.
    private let downloadTimeout: Duration
    /// Seconds since 1970, for a `Retry-After` given as a date.
    private let now: @Sendable () -> Double

    /// - Parameters:
    ///   - endpoint: The base URL, `https://acme.myshopify.com` or `http://127.0.0.1:8080/main`; a bare
    ///     host name gets `https://`.
    ///   - apiVersion: For example `2026-07`.
    ///   - accessToken: The Admin API access token (surrounding whitespace is dropped).
    public init(
        endpoint: String,
        apiVersion: String,
        accessToken: String,
        transport: some HTTPTransport,
        connectTimeout: Duration = .seconds(10),
        totalTimeout: Duration = .seconds(60),
        downloadTimeout: Duration = .seconds(600),
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        var base = endpoint.trimmingWhitespace()
        if !base.contains("://") { base = "https://" + base }
        while base.hasSuffix("/") { base.removeLast() }
        self.url = "\(base)/admin/api/\(apiVersion)/graphql.json"
        self.accessToken = accessToken.trimmingWhitespace()
        self.transport = transport
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.downloadTimeout = downloadTimeout
        self.now = now
    }

    public var description: String { "ShopifyClient(\(url))" }

    // MARK: - InventoryAPI

    public func adjustQuantities(_ request: AdjustRequest) async throws(ShopifyError) -> MutationResult {
        let response = try await execute(
            ShopifyDocuments.adjust,
            operationName: "AdjustInventory",
            variables: AdjustVariables(request),
            as: AdjustData.self
        )
        let payload = try root(response.data?.inventoryAdjustQuantities, of: response)
        return MutationResult(userErrors: payload.userErrors, cost: response.cost)
    }

    public func sendWrite(_ write: InventoryWrite, body: [UInt8]) async throws(ShopifyError) -> MutationResult {
        let http = try await post(body)
        switch write {
        case .adjust:
            let response = try decode(http, as: AdjustData.self)
            let payload = try root(response.data?.inventoryAdjustQuantities, of: response)
            return MutationResult(userErrors: payload.userErrors, cost: response.cost)
        case .set:
            let response = try decode(http, as: SetData.self)
            let payload = try root(response.data?.inventorySetQuantities, of: response)
            return MutationResult(userErrors: payload.userErrors, cost: response.cost)
        }
    }

    /// The request body of an adjust call, as ``adjustQuantities(_:)`` sends it: kept with the call's intent so
    /// that a resend carries the same bytes.
    public static func body(of request: AdjustRequest) throws(ShopifyError) -> [UInt8] {
        try encodeBody(ShopifyDocuments.adjust, operationName: "AdjustInventory", variables: AdjustVariables(request))
    }

    /// The request body of a set call, as ``setQuantities(_:)`` sends it.
    public static func body(of request: SetRequest) throws(ShopifyError) -> [UInt8] {
        try encodeBody(ShopifyDocuments.set, operationName: "SetInventory", variables: SetVariables(request))
    }

    public func setQuantities(_ request: SetRequest) async throws(ShopifyError) -> MutationResult {
        let response = try await execute(
            ShopifyDocuments.set,
            operationName: "SetInventory",
            variables: SetVariables(request),
            as: SetData.self
        )
        let payload = try root(response.data?.inventorySetQuantities, of: response)
        return MutationResult(userErrors: payload.userErrors, cost: response.cost)
    }

    /// Reads `on_hand`; more than 250 items are read in several calls (`cost` is the last call's).
    public func onHand(items: [String], locationID: String) async throws(ShopifyError) -> OnHandResult {
        var onHand: [String: Int?] = [:]
        for item in items { onHand[item] = .some(nil) }
        var cost: QueryCost?
        var known: Set<String> = []
        var start = 0
        while start < items.count {
            let batch = Array(items[start..<min(items.count, start + ShopifyDocuments.maximumRows)])
            start += batch.count
            let response = try await execute(
                ShopifyDocuments.onHand,
                operationName: "OnHand",
                variables: OnHandVariables(ids: batch, location: locationID),
                as: OnHandData.self
            )
            let nodes = try root(response.data?.nodes, of: response)
            for case let node? in nodes {
                guard let id = node.id, onHand[id] != nil else { continue }
                known.insert(id)
                let quantity = node.inventoryLevel?.quantities.first { $0.name == "on_hand" }?.quantity
                onHand[id] = .some(quantity)
            }
            cost = response.cost
        }
        return OnHandResult(onHand: onHand, unknownItems: Set(items).subtracting(known), cost: cost)
    }

    /// Returns the items whose SKU equals `sku` exactly (case and whitespace included).
    public func lookupSKU(_ sku: String) async throws(ShopifyError) -> SKULookupResult {
        let response = try await execute(
            ShopifyDocuments.skuLookup,
            operationName: "LookupSKU",
            variables: QueryVariables(query: ShopifyDocuments.skuSearchQuery(sku)),
            as: SKULookupData.self
        )
        let connection = try root(response.data?.inventoryItems, of: response)
        let ids = connection.nodes.filter { $0.sku == sku }.map(\.id)
        return SKULookupResult(inventoryItemIDs: ids, cost: response.cost)
    }

    public func shopName() async throws(ShopifyError) -> String {
        let response = try await execute(
            ShopifyDocuments.shopName,
            operationName: "ShopName",
            variables: NoVariables(),
            as: ShopNameData.self
        )
        return try root(response.data?.shop, of: response).name
    }

    // MARK: - Bulk reads

    public func startBulkQuery(_ query: String) async throws(ShopifyError) -> BulkOperationStart {
        let response = try await execute(
            ShopifyDocuments.bulkRunQuery,
            operationName: "BulkRunQuery",
            variables: QueryVariables(query: query),
            as: BulkRunQueryData.self
        )
        let payload = try root(response.data?.bulkOperationRunQuery, of: response)
        return BulkOperationStart(
            operationID: payload.bulkOperation?.id,
            status: payload.bulkOperation.map { BulkOperationStatus(rawValue: $0.status) },
            userErrors: payload.userErrors,
            cost: response.cost
        )
    }

    /// An id Shopify does not know throws `.graphQL` (asking again will not help).
    public func bulkOperation(id: String) async throws(ShopifyError) -> BulkOperationState {
        let response = try await execute(
            ShopifyDocuments.bulkOperation,
            operationName: "BulkOperation",
            variables: IDVariables(id: id),
            as: BulkOperationData.self
        )
        let data = try root(response.data, of: response)
        guard let operation = data.bulkOperation else {
            throw ShopifyError(
                code: .graphQL,
                message: "no bulk operation \(id)",
                httpStatus: 200,
                cost: response.cost
            )
        }
        return BulkOperationState(
            id: operation.id,
            status: BulkOperationStatus(rawValue: operation.status),
            errorCode: operation.errorCode,
            url: operation.url,
            partialDataURL: operation.partialDataUrl,
            objectCount: operation.objectCount?.value ?? 0,
            rootObjectCount: operation.rootObjectCount?.value ?? 0,
            fileSize: operation.fileSize?.value,
            cost: response.cost
        )
    }

    /// Downloads a result file with a plain GET that carries no access token: the URL is a signed storage URL,
    /// not the Admin API. 2xx returns the body; 429 and 5xx throw `.unavailable` (retry); any other status
    /// throws `.badResponse` (an expired or wrong URL: start a new operation). Messages name the URL without
    /// its query string, which holds the signature.
    public func download(url: String) async throws(ShopifyError) -> [UInt8] {
        let http = try await transport.get(
            url: url,
            headers: [("Accept", "application/jsonl")],
            connectTimeout: connectTimeout,
            totalTimeout: downloadTimeout
        )
        let place = String(url.prefix { $0 != "?" })
        switch http.status {
        case 200..<300:
            return http.body
        case 429, 500..<600:
            throw ShopifyError(
                code: .unavailable,
                message: "downloading \(place): HTTP \(http.status)",
                httpStatus: http.status,
                retryAfter: http.retryAfter(now: now())
            )
        default:
            throw ShopifyError(
                code: .badResponse,
                message: "downloading \(place): HTTP \(http.status)",
                httpStatus: http.status
            )
        }
    }

    // MARK: - Exchange

    /// Sends one document and decodes the answer; throws for every HTTP status but 2xx and for THROTTLED.
    func execute<Variables: Encodable, Payload: Decodable>(
        _ document: String,
        operationName: String,
        variables: Variables,
        as: Payload.Type
    ) async throws(ShopifyError) -> GraphQLResponse<Payload> {
        let body = try Self.encodeBody(document, operationName: operationName, variables: variables)
        return try decode(try await post(body), as: Payload.self)
    }

    /// The JSON body of a GraphQL request: sorted keys, so the same call always has the same bytes.
    static func encodeBody<Variables: Encodable>(
        _ document: String,
        operationName: String,
        variables: Variables
    ) throws(ShopifyError) -> [UInt8] {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(
                try encoder.encode(
                    GraphQLRequestBody(query: document, operationName: operationName, variables: variables)
                )
            )
        } catch {
            throw ShopifyError(code: .badResponse, message: "cannot encode the request: \(error)")
        }
    }

    private func post(_ body: [UInt8]) async throws(ShopifyError) -> HTTPResponse {
        try await transport.post(
            url: url,
            headers: [
                ("X-Shopify-Access-Token", accessToken),
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            body: body,
            connectTimeout: connectTimeout,
            totalTimeout: totalTimeout
        )
    }

    func decode<Payload: Decodable>(
        _ http: HTTPResponse,
        as: Payload.Type
    ) throws(ShopifyError) -> GraphQLResponse<Payload> {
        switch http.status {
        case 200..<300:
            break
        case 401, 402, 403, 423:
            throw ShopifyError(code: .accessDenied, message: httpMessage(http), httpStatus: http.status)
        case 429:
            throw ShopifyError(
                code: .throttled,
                message: httpMessage(http),
                httpStatus: http.status,
                retryAfter: http.retryAfter(now: now())
            )
        case 500..<600:
            throw ShopifyError(
                code: .unavailable,
                message: httpMessage(http),
                httpStatus: http.status,
                retryAfter: http.retryAfter(now: now())
            )
        default:
            throw ShopifyError(code: .badResponse, message: httpMessage(http), httpStatus: http.status)
        }

        let response: GraphQLResponse<Payload>
        do {
            response = try JSONDecoder().decode(GraphQLResponse<Payload>.self, from: Data(http.body))
        } catch {
            throw ShopifyError(
                code: .badResponse,
                message: redact("the response is not the JSON expected: \(Self.describe(error))"),
                httpStatus: http.status
            )
        }
        if let throttled = response.errors.first(where: { $0.code == "THROTTLED" }) {
            throw ShopifyError(
                code: .throttled,
                message: redact(throttled.message),
                httpStatus: http.status,
                shopifyCode: "THROTTLED",
                retryAfter: response.cost.map(Self.refillTime),
                cost: response.cost
            )
        }
        return response
    }

    /// The root field of a response, or the error that explains why it is missing.
    func root<Root, Payload>(_ value: Root?, of response: GraphQLResponse<Payload>) throws(ShopifyError) -> Root {
        if let value { return value }
        guard let first = response.errors.first(where: { $0.code != nil }) ?? response.errors.first else {
            throw ShopifyError(code: .badResponse, message: "the response has no data and no errors")
        }
        let message = redact(String(response.errors.map(\.message).joined(separator: "; ").prefix(1000)))
        let code: ShopifyError.Code
        switch first.code {
        case "ACCESS_DENIED": code = .accessDenied
        case "INTERNAL_SERVER_ERROR": code = .unavailable
        default: code = .graphQL
        }
        throw ShopifyError(
            code: code,
            message: message,
            httpStatus: 200,
            shopifyCode: first.code,
            cost: response.cost
        )
    }

    /// How long until the bucket holds what the refused call asked for.
    static func refillTime(_ cost: QueryCost) -> Duration {
        let status = cost.throttleStatus
        guard status.restoreRate > 0 else { return .seconds(1) }
        let seconds = max(0, (cost.requestedQueryCost - status.currentlyAvailable) / status.restoreRate)
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    private func httpMessage(_ http: HTTPResponse) -> String {
        let text: String
        if let decoded = try? JSONDecoder().decode(HTTPErrorBody.self, from: Data(http.body)) {
            text = decoded.errors
        } else if http.body.isEmpty {
            text = "HTTP \(http.status)"
        } else {
            text = String(decoding: http.body.prefix(300), as: UTF8.self)
        }
        return redact(text)
    }

    private func redact(_ text: String) -> String {
        accessToken.isEmpty ? text : text.replacing(accessToken, with: "<redacted>")
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return "data corrupted at \(path(context))"
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(key.stringValue) at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "unexpected value at \(path(context))"
        default:
            return "undecodable"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
    }
}
