import Foundation
import ShopifyAPI
import Testing

private let json = [("Content-Type", "application/json")]

private func post(
    _ transport: CurlTransport,
    _ url: String,
    headers: [(String, String)] = [("X-Shopify-Access-Token", "shpat_loopback"), ("Content-Type", "application/json")],
    body: String = #"{"query":"{ shop { name } }"}"#,
    totalTimeout: Duration = .seconds(20)
) async throws(ShopifyError) -> HTTPResponse {
    try await transport.post(
        url: url,
        headers: headers,
        body: Array(body.utf8),
        connectTimeout: .seconds(5),
        totalTimeout: totalTimeout
    )
}

/// ``CurlTransport`` over real libcurl against a raw-socket HTTP/1.1 server on 127.0.0.1.
@Suite(.timeLimit(.minutes(1))) struct CurlTransportTests {
    @Test func sendsBodyHeadersAndUserAgentAndReturnsTheAnswer() async throws {
        let server = try LoopbackServer { _ in
            .respond(status: 200, headers: json + [("X-Extra", "yes")], body: #"{"data":{"shop":{"name":"Loop"}}}"#)
        }
        defer { server.stop() }
        do {
            let transport = CurlTransport(label: "test")
            let response = try await post(transport, server.baseURL + "/admin/api/2026-07/graphql.json")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"data":{"shop":{"name":"Loop"}}}"#)
            #expect(response.header("x-extra") == "yes")
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/admin/api/2026-07/graphql.json")
            #expect(request.header("User-Agent") == "shopify-sync/\(ShopifySyncVersion.current)")
            #expect(request.header("X-Shopify-Access-Token") == "shpat_loopback")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("Expect") == nil)
            #expect(String(decoding: request.body, as: UTF8.self) == #"{"query":"{ shop { name } }"}"#)
        }
    }

    @Test func keepAliveReusesOneConnection() async throws {
        let server = try LoopbackServer { _ in .respond(status: 200, headers: json, body: "{}") }
        defer { server.stop() }
        do {
            let transport = CurlTransport(label: "keepalive")
            for _ in 0..<4 {
                #expect(try await post(transport, server.baseURL + "/x").status == 200)
            }
            #expect(server.requests.count == 4)
            #expect(server.acceptedConnections == 1)
            // A second transport (another store) has its own connection.
            _ = try await post(CurlTransport(label: "other"), server.baseURL + "/x")
            #expect(server.acceptedConnections == 2)
        }
    }

    @Test func largeBodiesTravelWhole() async throws {
        let big = String(repeating: "x", count: 3_000_000)
        let server = try LoopbackServer { request in
            .respond(status: 200, headers: json, body: String(repeating: "y", count: request.body.count))
        }
        defer { server.stop() }
        do {
            let response = try await post(CurlTransport(), server.baseURL + "/big", body: big)
            #expect(response.body.count == 3_000_000)
        }
    }

    @Test(arguments: [200, 401, 429, 500, 503])
    func anyHTTPStatusIsAnAnswer(status: Int) async throws {
        let server = try LoopbackServer { _ in
            .respond(status: status, headers: [("Retry-After", "7")], body: "{}")
        }
        defer { server.stop() }
        do {
            let response = try await post(CurlTransport(), server.baseURL + "/s")
            #expect(response.status == status)
            #expect(response.retryAfter(now: 0) == .seconds(7))
        }
    }

    @Test func totalTimeoutFiresWhenTheServerNeverAnswers() async throws {
        let server = try LoopbackServer { _ in .hang }
        defer { server.stop() }
        do {
            let error = try await #require(throws: ShopifyError.self) {
                try await post(CurlTransport(), server.baseURL + "/hang", totalTimeout: .milliseconds(300))
            }
            #expect(error.code == .timeout)
            #expect(!error.message.contains("shpat_loopback"))
        }
    }

    @Test func refusedConnectionIsANetworkError() async throws {
        let port = try LoopbackServer.closedPort()
        let error = try await #require(throws: ShopifyError.self) {
            try await post(CurlTransport(), "http://127.0.0.1:\(port)/x")
        }
        #expect(error.code == .network)
        #expect(error.isRetryable)
        #expect(!error.message.contains("shpat_loopback"))
    }

    @Test func unresolvableHostIsANetworkError() async throws {
        let error = try await #require(throws: ShopifyError.self) {
            try await post(CurlTransport(), "http://shopify-sync-test.invalid/x")
        }
        #expect(error.code == .network)
    }

    @Test func cancellationAbortsAHangingRequest() async throws {
        let server = try LoopbackServer { _ in .hang }
        defer { server.stop() }
        do {
            let transport = CurlTransport(label: "cancel")
            let call = Task { () throws(ShopifyError) -> HTTPResponse in
                // A 50 s deadline: only cancellation can end this call within the test's time limit.
                try await post(transport, server.baseURL + "/slow", totalTimeout: .seconds(50))
            }
            var arrivals = server.received.makeAsyncIterator()
            _ = await arrivals.next()  // the server holds the request now
            call.cancel()
            let result = await call.result
            let error = try #require(throws: ShopifyError.self) { try result.get() }
            #expect(error.code == .cancelled)
        }
    }

    @Test func transportWorksAgainAfterACancelledRequest() async throws {
        let server = try LoopbackServer { request in
            request.path == "/slow" ? .hang : .respond(status: 200, headers: json, body: "{}")
        }
        defer { server.stop() }
        let transport = CurlTransport(label: "reuse-after-cancel")
        let call = Task { () throws(ShopifyError) -> HTTPResponse in
            try await post(transport, server.baseURL + "/slow", totalTimeout: .seconds(50))
        }
        var arrivals = server.received.makeAsyncIterator()
        _ = await arrivals.next()
        call.cancel()
        _ = await call.result
        #expect(try await post(transport, server.baseURL + "/fast").status == 200)
        // The aborted connection is not reused: the second request came on a new one.
        #expect(server.requests.map(\.connection) == [1, 2])
    }

    @Test func cancelledBeforeSendingSendsNothing() async throws {
        let server = try LoopbackServer { _ in .respond(status: 200, headers: [], body: "{}") }
        defer { server.stop() }
        do {
            let transport = CurlTransport()
            let call = Task { () throws(ShopifyError) -> HTTPResponse in
                withUnsafeCurrentTask { $0?.cancel() }
                return try await post(transport, server.baseURL + "/never")
            }
            let result = await call.result
            let error = try #require(throws: ShopifyError.self) { try result.get() }
            #expect(error.code == .cancelled)
            #expect(server.requests.isEmpty)
        }
    }
}

/// ``ShopifyClient`` over ``CurlTransport`` on loopback: the HTTP status mapping end to end.
@Suite(.timeLimit(.minutes(1))) struct ShopifyClientOverCurlTests {
    private static func client(_ server: LoopbackServer, token: String = "shpat_e2e_secret") -> ShopifyClient {
        ShopifyClient(
            endpoint: server.baseURL + "/main",
            apiVersion: "2026-07",
            accessToken: token,
            transport: CurlTransport(label: "e2e"),
            connectTimeout: .seconds(5),
            totalTimeout: .seconds(20)
        )
    }

    @Test func okAnswerIsDecoded() async throws {
        let server = try LoopbackServer { _ in
            .respond(status: 200, headers: json, body: #"{"data":{"shop":{"name":"Acme"}}}"#)
        }
        defer { server.stop() }
        do {
            #expect(try await Self.client(server).shopName() == "Acme")
            #expect(server.requests.first?.path == "/main/admin/api/2026-07/graphql.json")
            #expect(server.requests.first?.header("X-Shopify-Access-Token") == "shpat_e2e_secret")
        }
    }

    @Test func adjustBodyReachesTheServerIntact() async throws {
        let server = try LoopbackServer { _ in
            .respond(
                status: 200,
                headers: json,
                body: #"{"data":{"inventoryAdjustQuantities":{"inventoryAdjustmentGroup":null,"userErrors":[]}}}"#
            )
        }
        defer { server.stop() }
        let result = try await Self.client(server).adjustQuantities(
            AdjustRequest(
                reason: "received",
                referenceDocumentURI: "gid://shopify-sync/SyncCall/k",
                idempotencyKey: "k",
                changes: [
                    InventoryChange(
                        inventoryItemID: "gid://shopify/InventoryItem/1",
                        locationID: "gid://shopify/Location/1",
                        delta: 2
                    )
                ]
            )
        )
        #expect(result.userErrors.isEmpty)
        let body = try #require(server.requests.first?.body)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let variables = try #require(object["variables"] as? [String: Any])
        let changes = try #require((variables["input"] as? [String: Any])?["changes"] as? [[String: Any]])
        #expect(changes.first?["changeFromQuantity"] is NSNull)
        #expect(variables["key"] as? String == "k")
    }

    @Test(arguments: [
        (401, ShopifyError.Code.accessDenied, nil as Duration?),
        (429, .throttled, .seconds(3)),
        (503, .unavailable, .seconds(3)),
        (500, .unavailable, nil),
    ])
    func statusMapping(status: Int, code: ShopifyError.Code, retryAfter: Duration?) async throws {
        let headers = retryAfter == nil ? json : json + [("Retry-After", "3")]
        let server = try LoopbackServer { _ in
            .respond(status: status, headers: headers, body: #"{"errors":"nope"}"#)
        }
        defer { server.stop() }
        do {
            let client = Self.client(server)
            let error = try await #require(throws: ShopifyError.self) { try await client.shopName() }
            #expect(error.code == code)
            #expect(error.httpStatus == status)
            #expect(error.retryAfter == retryAfter)
            #expect(!error.description.contains("shpat_e2e_secret"))
        }
    }
}
