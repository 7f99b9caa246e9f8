import Metrics
import ShopifyAPI

/// An ``InventoryAPI`` that records every call it passes on: its outcome, its duration, the cost bucket's level
/// Shopify reported, and throttling.
///
/// It changes nothing about the call: the same result or error is returned. Without ``DaemonMetrics/bootstrap()``
/// the metrics are no-ops.
struct MeteredInventoryAPI: InventoryAPI {
    let store: String
    let base: any InventoryAPI

    func adjustQuantities(_ request: AdjustRequest) async throws(ShopifyError) -> MutationResult {
        try await measure("adjust_quantities") { () async throws(ShopifyError) in
            try await base.adjustQuantities(request)
        }
    }

    func setQuantities(_ request: SetRequest) async throws(ShopifyError) -> MutationResult {
        try await measure("set_quantities") { () async throws(ShopifyError) in try await base.setQuantities(request) }
    }

    func sendWrite(_ write: InventoryWrite, body: [UInt8]) async throws(ShopifyError) -> MutationResult {
        try await measure(write == .adjust ? "adjust_quantities" : "set_quantities") {
            () async throws(ShopifyError) in try await base.sendWrite(write, body: body)
        }
    }

    func onHand(items: [String], locationID: String) async throws(ShopifyError) -> OnHandResult {
        try await measure("on_hand") { () async throws(ShopifyError) in
            try await base.onHand(items: items, locationID: locationID)
        }
    }

    func lookupSKU(_ sku: String) async throws(ShopifyError) -> SKULookupResult {
        try await measure("lookup_sku") { () async throws(ShopifyError) in try await base.lookupSKU(sku) }
    }

    func shopName() async throws(ShopifyError) -> String {
        try await measure("shop_name") { () async throws(ShopifyError) in try await base.shopName() }
    }

    func startBulkQuery(_ query: String) async throws(ShopifyError) -> BulkOperationStart {
        try await measure("bulk_start") { () async throws(ShopifyError) in try await base.startBulkQuery(query) }
    }

    func bulkOperation(id: String) async throws(ShopifyError) -> BulkOperationState {
        try await measure("bulk_poll") { () async throws(ShopifyError) in try await base.bulkOperation(id: id) }
    }

    func download(url: String) async throws(ShopifyError) -> [UInt8] {
        try await measure("bulk_download") { () async throws(ShopifyError) in try await base.download(url: url) }
    }

    /// Runs `call` and records its outcome (`ok`, `user_errors`, or the error's code), duration and cost.
    private func measure<Result: MeteredResult>(
        _ operation: String,
        _ call: () async throws(ShopifyError) -> Result
    ) async throws(ShopifyError) -> Result {
        let started = ContinuousClock.now
        let outcome: Swift.Result<Result, ShopifyError>
        do {
            outcome = .success(try await call())
        } catch {
            outcome = .failure(error)
        }
        Timer(label: DaemonMetrics.callDuration, dimensions: [("store", store), ("operation", operation)])
            .record(duration: ContinuousClock.now - started)
        let label: String
        let reported: QueryCost?
        switch outcome {
        case .success(let result):
            label = result.hasUserErrors ? "user_errors" : "ok"
            reported = result.reportedCost
        case .failure(let error):
            label = error.code.description
            reported = error.cost
            if error.code == .throttled {
                Counter(label: DaemonMetrics.throttleWaits, dimensions: [("store", store), ("cause", "throttled")])
                    .increment()
            }
        }
        Counter(
            label: DaemonMetrics.calls,
            dimensions: [("store", store), ("operation", operation), ("outcome", label)]
        ).increment()
        if let reported {
            Gauge(label: DaemonMetrics.costAvailable, dimensions: [("store", store)])
                .record(reported.throttleStatus.currentlyAvailable)
        }
        return try outcome.get()
    }
}

/// What ``MeteredInventoryAPI`` reads from a call's result.
protocol MeteredResult {
    /// `extensions.cost` of the answer, when Shopify sent one.
    var reportedCost: QueryCost? { get }
    /// Whether Shopify answered with userErrors (the call applied nothing).
    var hasUserErrors: Bool { get }
}

extension MeteredResult {
    var hasUserErrors: Bool { false }
}

extension MutationResult: MeteredResult {
    var reportedCost: QueryCost? { cost }
    var hasUserErrors: Bool { !userErrors.isEmpty }
}

extension OnHandResult: MeteredResult {
    var reportedCost: QueryCost? { cost }
}

extension SKULookupResult: MeteredResult {
    var reportedCost: QueryCost? { cost }
}

extension String: MeteredResult {
    var reportedCost: QueryCost? { nil }
}

extension BulkOperationStart: MeteredResult {
    var reportedCost: QueryCost? { cost }
    var hasUserErrors: Bool { !userErrors.isEmpty }
}

extension BulkOperationState: MeteredResult {
    var reportedCost: QueryCost? { cost }
}

/// A downloaded bulk result: not a GraphQL call, so no cost.
extension Array: MeteredResult where Element == UInt8 {
    var reportedCost: QueryCost? { nil }
}
