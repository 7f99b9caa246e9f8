import Foundation
import ShopifyAPI
import Synchronization
import TestSupport
import Testing

/// The vendored Shopify ground truth (`vendor/shopify`): the schema and the live captures.
enum ShopifyMaterial {
    static var directory: URL { VendoredShopify.directory }

    static var schemaFile: URL { directory.appendingPathComponent("schema-2026-07.graphql") }

    /// The captured response at `path` in `fixtures/<version>/<file>`, re-encoded as an HTTP body.
    ///
    /// A step's `response` is either the raw `{data, errors, extensions}` or `{status, body|payload}`.
    static func capturedResponse(version: String = "2026-04", file: String, path: [String]) throws -> HTTPResponse {
        let url = directory.appendingPathComponent("fixtures/\(version)/\(file)")
        var node: Any = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        for key in path {
            if let index = Int(key), let list = node as? [Any] {
                node = list[index]
            } else {
                node = try #require((node as? [String: Any])?[key], "no \(key) in \(file)")
            }
        }
        var response = try #require((node as? [String: Any])?["response"] as? [String: Any], "no response")
        var status = 200
        if let captured = response["status"] as? Int {
            status = captured
            response = try #require((response["body"] ?? response["payload"]) as? [String: Any])
        }
        let body = try JSONSerialization.data(withJSONObject: response)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
    }
}

/// An ``HTTPTransport`` double: answers from a script and records every request.
final class ScriptedTransport: HTTPTransport {
    struct Request: Sendable {
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]

        /// The body as JSON.
        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        }

        /// `variables` of the GraphQL body.
        func variables() throws -> [String: Any] {
            try #require(try json()["variables"] as? [String: Any])
        }
    }

    private let state: Mutex<(answers: [Result<HTTPResponse, ShopifyError>], requests: [Request])>

    init(_ answers: [Result<HTTPResponse, ShopifyError>]) {
        state = Mutex((answers, []))
    }

    convenience init(answering responses: HTTPResponse...) {
        self.init(responses.map { .success($0) })
    }

    convenience init(json: String, status: Int = 200, headers: [(String, String)] = []) {
        self.init(
            answering: HTTPResponse(status: status, headers: headers.map { ($0.0, $0.1) }, body: Array(json.utf8))
        )
    }

    var requests: [Request] { state.withLock { $0.requests } }

    func post(
        url: String,
        headers: [(String, String)],
        body: [UInt8],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        try next(Request(url: url, headers: headers, body: body))
    }

    /// Recorded like a post, with an empty body.
    func get(
        url: String,
        headers: [(String, String)],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        try next(Request(url: url, headers: headers, body: []))
    }

    private func next(_ request: Request) throws(ShopifyError) -> HTTPResponse {
        let answer: Result<HTTPResponse, ShopifyError> = state.withLock { state in
            state.requests.append(request)
            if state.answers.isEmpty {
                return .failure(ShopifyError(code: .network, message: "script exhausted"))
            }
            return state.answers.removeFirst()
        }
        return try answer.get()
    }
}

extension ShopifyClient {
    /// A client of `https://test-shop.myshopify.com` (API 2026-07) over `transport`.
    static func forTesting(_ transport: some HTTPTransport, token: String = "shpat_test_token_123") -> ShopifyClient {
        ShopifyClient(
            endpoint: "https://test-shop.myshopify.com",
            apiVersion: "2026-07",
            accessToken: token,
            transport: transport
        )
    }
}
