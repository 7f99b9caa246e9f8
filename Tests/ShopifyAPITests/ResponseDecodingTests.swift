import Foundation
import ShopifyAPI
import Testing

private let anyAdjust = AdjustRequest(
    reason: "correction",
    referenceDocumentURI: "gid://shopify-sync/SyncCall/1",
    idempotencyKey: "k1",
    changes: [
        InventoryChange(
            inventoryItemID: "gid://shopify/InventoryItem/42",
            locationID: "gid://shopify/Location/1",
            delta: 1
        )
    ]
)

private let anySet = SetRequest(
    reason: "correction",
    referenceDocumentURI: "gid://shopify-sync/BulkSync/1",
    idempotencyKey: "k2",
    quantities: [
        QuantitySet(
            inventoryItemID: "gid://shopify/InventoryItem/42",
            locationID: "gid://shopify/Location/1",
            quantity: 3,
            changeFromQuantity: 0
        )
    ]
)

/// Decoding of real captures from `vendor/shopify/fixtures/2026-04` (each test names its file).
@Suite struct CapturedResponseDecodingTests {
    private func client(_ file: String, _ path: String...) throws -> ShopifyClient {
        let response = try ShopifyMaterial.capturedResponse(file: file, path: path)
        return ShopifyClient.forTesting(ScriptedTransport(answering: response))
    }

    /// inventory-existence-validation.json: unknown item and location in one change.
    @Test func adjustUserErrorsWithCodesAndCost() async throws {
        let result = try await client("inventory-existence-validation.json", "adjustUnknownInventoryItem")
            .adjustQuantities(anyAdjust)
        #expect(
            result.userErrors == [
                ShopifyUserError(
                    field: ["input", "changes", "0", "inventoryItemId"],
                    code: "INVALID_INVENTORY_ITEM",
                    message: "The specified inventory item could not be found."
                ),
                ShopifyUserError(
                    field: ["input", "changes", "0", "locationId"],
                    code: "INVALID_LOCATION",
                    message: "The specified location could not be found."
                ),
            ]
        )
        #expect(result.userErrors.map(\.rowIndex) == [0, 0])
        #expect(
            result.cost
                == QueryCost(
                    requestedQueryCost: 13,
                    actualQueryCost: 10,
                    throttleStatus: ThrottleStatus(maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100)
                )
        )
    }

    /// inventory-adjust-zero-delta-noop.json `allZero`: a null group with no userErrors is a success.
    @Test func nullGroupWithoutUserErrorsIsASuccess() async throws {
        let result = try await client("inventory-adjust-zero-delta-noop.json", "allZero").adjustQuantities(anyAdjust)
        #expect(result.userErrors.isEmpty)
        #expect(result.cost?.actualQueryCost == 10)
    }

    /// inventory-quantity-contracts-2026-04.json `inventoryAdjustQuantities`: a successful adjust, cost 13/13.
    @Test func adjustSuccess() async throws {
        let result = try await client("inventory-quantity-contracts-2026-04.json", "inventoryAdjustQuantities")
            .adjustQuantities(anyAdjust)
        #expect(result.userErrors.isEmpty)
        #expect(result.cost?.requestedQueryCost == 13)
        #expect(result.cost?.actualQueryCost == 13)
    }

    /// inventory-quantity-contracts-2026-04.json `inventorySetQuantities`: a successful set.
    @Test func setSuccess() async throws {
        let result = try await client("inventory-quantity-contracts-2026-04.json", "inventorySetQuantities")
            .setQuantities(anySet)
        #expect(result.userErrors.isEmpty)
        #expect(result.cost != nil)
    }

    /// inventory-quantity-contracts-2026-04.json `unknownIdValidation.setUnknownLocation`.
    @Test func setUserError() async throws {
        let result = try await client(
            "inventory-quantity-contracts-2026-04.json",
            "unknownIdValidation",
            "setUnknownLocation"
        )
        .setQuantities(anySet)
        #expect(result.userErrors.map(\.code) == ["INVALID_LOCATION"])
        #expect(result.userErrors.first?.field == ["input", "quantities", "0", "locationId"])
        #expect(result.userErrors.first?.rowIndex == 0)
    }

    /// inventorySetQuantities-name-validation.json `cases.damaged`: a whole-call userError has no row.
    @Test func wholeCallUserErrorHasNoRow() async throws {
        let result = try await client("inventorySetQuantities-name-validation.json", "cases", "damaged").setQuantities(
            anySet
        )
        #expect(result.userErrors.map(\.code) == ["INVALID_NAME"])
        #expect(result.userErrors.first?.rowIndex == nil)
    }

    /// inventory-adjust-name-allowlist.json `cases.adjustOnHand`: this capture did not select `code`.
    @Test func userErrorWithoutCode() async throws {
        let result = try await client("inventory-adjust-name-allowlist.json", "cases", "adjustOnHand").adjustQuantities(
            anyAdjust
        )
        #expect(result.userErrors.count == 1)
        #expect(result.userErrors.first?.code == nil)
        #expect(result.userErrors.first?.field == ["input", "name"])
    }

    /// inventory-quantity-contracts-2026-04.json: top-level errors with `data.<root>: null` throw `.graphQL`.
    @Test(arguments: [
        ("missingAdjustIdempotency", "BAD_REQUEST"),
        ("missingAdjustChangeFromQuantity", "INVALID_FIELD_ARGUMENTS"),
    ])
    func topLevelErrorWithNullRootThrows(step: String, code: String) async throws {
        let client = try client("inventory-quantity-contracts-2026-04.json", step)
        let error = try await #require(throws: ShopifyError.self) { try await client.adjustQuantities(anyAdjust) }
        #expect(error.code == .graphQL)
        #expect(error.shopifyCode == code)
        #expect(error.httpStatus == 200)
        #expect(!error.isRetryable)
        #expect(error.cost != nil)
    }

    /// inventory-quantity-contracts-2026-04.json `legacySetShape`: a validation-stage error, no data, no cost.
    @Test func validationStageErrorWithoutDataThrows() async throws {
        let client = try client("inventory-quantity-contracts-2026-04.json", "legacySetShape")
        let error = try await #require(throws: ShopifyError.self) { try await client.setQuantities(anySet) }
        #expect(error.code == .graphQL)
        #expect(error.shopifyCode == "INVALID_VARIABLE")
        #expect(error.cost == nil)
        #expect(error.message.contains("ignoreCompareQuantity"))
    }
}

/// Shapes no capture holds: they follow Shopify's documentation (rate limits, HTTP status codes).
@Suite struct DocumentedResponseDecodingTests {
    /// From shopify.dev "API rate limits": THROTTLED comes as HTTP 200 with `errors[].extensions.code`.
    @Test func throttledDerivesRetryAfterFromThrottleStatus() async throws {
        let transport = ScriptedTransport(
            json: #"""
                {"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],
                 "extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,
                   "throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":252,"restoreRate":100}}}}
                """#
        )
        let client = ShopifyClient.forTesting(transport)
        let error = try await #require(throws: ShopifyError.self) { try await client.adjustQuantities(anyAdjust) }
        #expect(error.code == .throttled)
        #expect(error.shopifyCode == "THROTTLED")
        #expect(error.retryAfter == .seconds(5))  // (752 - 252) / 100
        #expect(error.cost?.throttleStatus.currentlyAvailable == 252)
        #expect(error.isRetryable)
    }

    @Test(arguments: [401, 402, 403, 423])
    func accessDeniedStatuses(status: Int) async throws {
        let transport = ScriptedTransport(
            json: #"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
            status: status
        )
        let client = ShopifyClient.forTesting(transport, token: "shpat_topsecret")
        let error = try await #require(throws: ShopifyError.self) { try await client.shopName() }
        #expect(error.code == .accessDenied)
        #expect(error.httpStatus == status)
        #expect(error.message.contains("Invalid API key"))
        #expect(!error.description.contains("shpat_topsecret"))
    }

    @Test func tokenEchoedByAServerIsRedacted() async throws {
        let transport = ScriptedTransport(json: #"{"errors":"bad token shpat_topsecret"}"#, status: 401)
        let client = ShopifyClient.forTesting(transport, token: "shpat_topsecret")
        let error = try await #require(throws: ShopifyError.self) { try await client.shopName() }
        #expect(!error.description.contains("shpat_topsecret"))
        #expect(error.message.contains("<redacted>"))
    }

    @Test func http429HonoursRetryAfter() async throws {
        let transport = ScriptedTransport(
            json: #"{"errors":"Exceeded 2 calls per second"}"#,
            status: 429,
            headers: [("Retry-After", "2.0")]
        )
        let error = try await #require(throws: ShopifyError.self) {
            try await ShopifyClient.forTesting(transport).shopName()
        }
        #expect(error.code == .throttled)
        #expect(error.retryAfter == .seconds(2))
    }

    @Test(arguments: [(503, Optional(Duration.seconds(30))), (500, nil), (502, nil)])
    func serverErrorsAreUnavailable(status: Int, retryAfter: Duration?) async throws {
        let headers = retryAfter == nil ? [] : [("Retry-After", "30")]
        let transport = ScriptedTransport(json: "<html>down</html>", status: status, headers: headers)
        let error = try await #require(throws: ShopifyError.self) {
            try await ShopifyClient.forTesting(transport).shopName()
        }
        #expect(error.code == .unavailable)
        #expect(error.httpStatus == status)
        #expect(error.retryAfter == retryAfter)
    }

    @Test(arguments: ["<html>not json</html>", "", #"{"data":{"shop":{"nome":"x"}}}"#, #"{"nothing":1}"#])
    func unexpectedBodiesAreBadResponses(body: String) async throws {
        let error = try await #require(throws: ShopifyError.self) {
            try await ShopifyClient.forTesting(ScriptedTransport(json: body)).shopName()
        }
        #expect(error.code == .badResponse)
        #expect(error.isRetryable)
    }

    @Test func topLevelAccessDeniedPausesTheStore() async throws {
        let transport = ScriptedTransport(
            json:
                #"{"errors":[{"message":"Access denied for inventoryAdjustQuantities field.","extensions":{"code":"ACCESS_DENIED"}}],"data":{"inventoryAdjustQuantities":null}}"#
        )
        let error = try await #require(throws: ShopifyError.self) {
            try await ShopifyClient.forTesting(transport).adjustQuantities(anyAdjust)
        }
        #expect(error.code == .accessDenied)
        #expect(error.shopifyCode == "ACCESS_DENIED")
    }

    @Test func transportErrorsPassThrough() async throws {
        let transport = ScriptedTransport([.failure(ShopifyError(code: .timeout, message: "deadline"))])
        let error = try await #require(throws: ShopifyError.self) {
            try await ShopifyClient.forTesting(transport).shopName()
        }
        #expect(error.code == .timeout)
    }

    @Test func onHandMapsNodesAndLeavesUnknownAndUnstockedNil() async throws {
        let transport = ScriptedTransport(
            json: #"""
                {"data":{"nodes":[
                  {"id":"gid://shopify/InventoryItem/1","inventoryLevel":{"quantities":[{"name":"on_hand","quantity":7}]}},
                  {"id":"gid://shopify/InventoryItem/2","inventoryLevel":null},
                  null,
                  {}
                ]},"extensions":{"cost":{"requestedQueryCost":14,"actualQueryCost":9,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1991,"restoreRate":100}}}}
                """#
        )
        let items = [
            "gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2", "gid://shopify/InventoryItem/3",
            "gid://shopify/Product/4",
        ]
        let result = try await ShopifyClient.forTesting(transport).onHand(
            items: items,
            locationID: "gid://shopify/Location/1"
        )
        #expect(result.onHand.count == 4)
        #expect(result.onHand["gid://shopify/InventoryItem/1"] == .some(7))
        #expect(result.onHand["gid://shopify/InventoryItem/2"] == .some(nil))
        #expect(result.onHand["gid://shopify/InventoryItem/3"] == .some(nil))
        #expect(result.cost?.actualQueryCost == 9)
    }

    @Test func skuLookupKeepsExactMatchesOnly() async throws {
        let transport = ScriptedTransport(
            json: #"""
                {"data":{"inventoryItems":{"nodes":[
                  {"id":"gid://shopify/InventoryItem/1","sku":"ABC-1"},
                  {"id":"gid://shopify/InventoryItem/2","sku":"abc-1"},
                  {"id":"gid://shopify/InventoryItem/3","sku":"ABC-10"},
                  {"id":"gid://shopify/InventoryItem/4","sku":null},
                  {"id":"gid://shopify/InventoryItem/5","sku":"ABC-1"}
                ]}}}
                """#
        )
        let result = try await ShopifyClient.forTesting(transport).lookupSKU("ABC-1")
        #expect(result.inventoryItemIDs == ["gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/5"])
    }
}

/// `Retry-After` as seconds and as each form of HTTP date (RFC 9110), read against a fixed clock.
@Suite struct RetryAfterTests {
    /// 1994-11-06T08:49:27Z: ten seconds before the dates below.
    static let now = 784_111_767.0

    @Test(
        arguments: [
            ("7", Duration?.some(.seconds(7))), ("0.5", .milliseconds(500)), ("0", .zero),
            ("Sun, 06 Nov 1994 08:49:37 GMT", .seconds(10)), ("Sunday, 06-Nov-94 08:49:37 GMT", .seconds(10)),
            ("Sun Nov  6 08:49:37 1994", .seconds(10)),
            // A date already past is no wait.
            ("Sun, 06 Nov 1994 08:49:17 GMT", .zero),
            ("soon", nil), ("-3", nil), ("Sun, 06 Nov 1994 08:49:37 CET", nil), ("Sun, 32 Nov 1994 08:49:37 GMT", nil),
        ]
    )
    func retryAfter(header: String, expected: Duration?) {
        let response = HTTPResponse(status: 429, headers: [("Retry-After", header)], body: [])
        #expect(response.retryAfter(now: Self.now) == expected)
    }

    @Test func leapYearsAndCenturies() {
        let response = HTTPResponse(status: 503, headers: [("retry-after", "Tue, 29 Feb 2028 00:00:00 GMT")], body: [])
        // 2028-02-29T00:00:00Z is 1835395200.
        #expect(response.retryAfter(now: 1_835_395_200 - 90) == .seconds(90))
    }
}
