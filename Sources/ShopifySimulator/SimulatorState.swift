import Foundation

/// An HTTP answer for the server to write.
struct SimHTTPAnswer: Sendable {
    var status: Int
    var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8")]
    var body: String
    /// Write part of the response, then close the connection (the call was applied).
    var breakConnection = false

    static func json(_ value: SimJSON, status: Int = 200) -> SimHTTPAnswer {
        SimHTTPAnswer(status: status, body: value.text)
    }
}

/// Everything a simulator holds: shops, quantities, idempotency records, cost buckets, faults and the call log.
///
/// Each GraphQL call is handled in one actor turn, so a call's cost, idempotency check and all-or-nothing
/// application are atomic with respect to every other call.
public actor SimulatorState {
    var shops: [String: ShopModel] = [:]
    private var shopOrder: [String] = []
    private var faultSettings: SimulatorFaults
    private var callLog: [SimulatorCall] = []
    private var clockOffset: Duration = .zero
    private let restoreRate: Double
    private let bucketSize: Double
    private var generatedItemNumber = 9_000_000_000_001
    /// The N of the next `gid://shopify/BulkOperation/N`.
    var nextBulkNumber = 1
    private var failRotation = 0

    public init(options: SimulatorOptions) {
        restoreRate = options.restoreRate
        bucketSize = options.bucket
        faultSettings = options.faults
        let now = ContinuousClock.now
        for shop in options.shops {
            if shops[shop.name] == nil { shopOrder.append(shop.name) }
            shops[shop.name] = ShopModel(
                shop,
                bucket: LeakyBucket(capacity: options.bucket, restoreRate: options.restoreRate, now: now)
            )
        }
    }

    // MARK: - Inspection

    /// Item gid -> SKU and quantities per location, for one shop (empty for an unknown shop).
    public func levels(shop: String) -> [String: SimulatorItemLevels] {
        shops[shop]?.levelsSnapshot ?? [:]
    }

    /// Shop -> item gid -> SKU and quantities per location.
    public func allLevels() -> [String: [String: SimulatorItemLevels]] {
        shops.mapValues(\.levelsSnapshot)
    }

    /// `available` and `on_hand` of one item at one location; nil when it is not stocked there.
    public func quantities(shop: String, item: String, location: String) -> SimulatorQuantities? {
        guard let level = shops[shop]?.items[item]?.levels[location] else { return nil }
        return SimulatorQuantities(available: level["available"], onHand: level["on_hand"])
    }

    /// Every GraphQL call received, oldest first.
    public func calls() -> [SimulatorCall] { callLog }

    public func clearCalls() { callLog.removeAll() }

    public func currentFaults() -> SimulatorFaults { faultSettings }

    public func setFaults(_ faults: SimulatorFaults) { faultSettings = faults }

    public func updateFaults(_ change: @Sendable (inout SimulatorFaults) -> Void) {
        change(&faultSettings)
    }

    /// Points left in a shop's cost bucket now.
    public func bucketAvailable(shop: String) -> Double? {
        guard var bucket = shops[shop]?.bucket else { return nil }
        bucket.refill(now: now())
        return bucket.available
    }

    /// Empties a shop's cost bucket, as another app spending its points would: calls are THROTTLED until it
    /// refills at the restore rate.
    public func drainBucket(shop: String) {
        guard shops[shop] != nil else { return }
        shops[shop]!.bucket.refill(now: now())
        shops[shop]!.bucket.pay(shops[shop]!.bucket.available)
    }

    /// The `Retry-After` value of an injected failure: seconds, or the HTTP date that many seconds from now.
    private func retryAfter() -> String {
        guard faultSettings.retryAfterAsDate else { return String(faultSettings.retryAfterSeconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        // Whole seconds, rounded up: an HTTP date has no fraction, and the wait must not come out shorter.
        return formatter.string(from: Date().addingTimeInterval(Double(faultSettings.retryAfterSeconds) + 1))
    }

    /// Moves the simulator's clock forward (the cost buckets refill as if that much time had passed).
    public func advanceClock(by duration: Duration) {
        clockOffset += duration
    }

    // MARK: - Changing data behind the API

    /// Adds an item (or replaces the SKU and listed levels of an existing one); unknown locations are added to the shop.
    public func addItem(_ item: SimulatorItem, shop: String) throws(SimulatorError) {
        guard shops[shop] != nil else { throw SimulatorError("unknown shop \(shop)") }
        shops[shop]!.upsert(item)
    }

    /// Adds an item with a generated id; returns the id.
    @discardableResult
    public func addItem(shop: String, sku: String?, levels: [String: Int]) throws(SimulatorError) -> String {
        guard let model = shops[shop] else { throw SimulatorError("unknown shop \(shop)") }
        var id: String
        repeat {
            id = "gid://shopify/InventoryItem/\(generatedItemNumber)"
            generatedItemNumber += 1
        } while model.items[id] != nil
        shops[shop]!.upsert(SimulatorItem(id: id, sku: sku, levels: levels))
        return id
    }

    /// Sets `available` and `on_hand` of an item at a location, stocking it there if needed (as if changed in the admin).
    public func setLevel(
        shop: String,
        item: String,
        location: String,
        available: Int,
        onHand: Int
    ) throws(SimulatorError) {
        guard shops[shop]?.items[item] != nil else { throw SimulatorError("unknown item \(item) in shop \(shop)") }
        shops[shop]!.addLocation(location)
        var level = shops[shop]!.items[item]!.levels[location] ?? LevelModel(onHand: 0)
        level["available"] = available
        level["on_hand"] = onHand
        shops[shop]!.items[item]!.levels[location] = level
    }

    /// Makes an item not stocked at a location.
    public func unstock(shop: String, item: String, location: String) throws(SimulatorError) {
        guard shops[shop]?.items[item] != nil else { throw SimulatorError("unknown item \(item) in shop \(shop)") }
        shops[shop]!.items[item]!.levels[location] = nil
    }

    func shopNames() -> [String] { shopOrder }

    /// The simulator's clock: real time plus ``advanceClock(by:)``.
    func now() -> ContinuousClock.Instant { ContinuousClock.now + clockOffset }

    // MARK: - GraphQL calls

    /// Latency to add before answering a call to `shop`, from the current faults.
    func latency(shop: String) -> Duration {
        .milliseconds(faultSettings.latencyMs + (faultSettings.shopLatencyMs[shop] ?? 0))
    }

    /// Answers one POST to a GraphQL endpoint of `shopName`; `baseURL` (`http://host:port`, as the request
    /// reached the simulator) is where bulk operations' result URLs point.
    func handleGraphQL(
        shop shopName: String,
        token: String?,
        contentType: String?,
        body: Data,
        baseURL: String = "http://127.0.0.1"
    ) -> SimHTTPAnswer {
        var call = CallDraft(shop: shopName)
        guard var shop = shops.removeValue(forKey: shopName) else {
            return finish(&call, .json(.obj([("errors", .string("Not Found"))]), status: 404), "HTTP 404")
        }
        defer { shops[shopName] = shop }
        shop.advanceBulkOperations(now: now())

        // 401: Shopify's documented wording; no 401 body was ever captured (FIXTURES.md).
        let authorized =
            !(token ?? "").isEmpty && !faultSettings.unauthorized.contains(shopName)
            && (shop.token == nil || shop.token == token)
        guard authorized else {
            let body = SimJSON.obj([
                ("errors", .string("[API] Invalid API key or access token (unrecognized login or wrong password)"))
            ])
            return finish(&call, .json(body, status: 401), "HTTP 401")
        }

        if let status = injectedFailure(shop: shopName) {
            var answer = SimHTTPAnswer.json(
                .obj([("errors", .string(status == 503 ? "Service Unavailable" : "Internal Server Error"))]),
                status: status
            )
            answer.headers.append(("Retry-After", retryAfter()))
            return finish(&call, answer, "HTTP \(status)")
        }

        // The request body.
        let query: String
        var variables: [String: SimJSON] = [:]
        var operationName: String?
        if contentType?.contains("application/graphql") == true {
            query = String(decoding: body, as: UTF8.self)
        } else {
            guard let json = try? SimJSON.parse(body), let text = json["query"]?.stringValue else {
                let body = SimJSON.obj([("errors", .obj([("query", .string("Required parameter missing or invalid"))]))]
                )
                return finish(&call, .json(body, status: 400), "HTTP 400")
            }
            query = text
            if case .object(let members) = json["variables"] ?? .null {
                for (key, value) in members { variables[key] = value }
            }
            operationName = json["operationName"]?.stringValue
        }
        call.variables = .object(variables.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        call.operationName = operationName

        // Parse and validate: errors here have no data and no cost, as captured.
        let operation: OperationNode
        do {
            operation = try DocumentReader.operation(source: query, operationName: operationName)
        } catch {
            var members: [(String, SimJSON)] = [("message", .string(error.message))]
            if !error.positions.isEmpty { members.append(("locations", .array(error.positions.map(\.json)))) }
            if let code = error.code { members.append(("extensions", .obj([("code", .string(code))]))) }
            return finish(&call, .json(.obj([("errors", .array([.object(members)]))])), error.code ?? "operation")
        }
        call.operationName = operation.name ?? operationName
        let roots = operation.rootFields
        call.rootFields = roots.map(\.name)
        call.rootField = roots.first?.name

        let (resolvedVariables, validationErrors) = validate(operation, variables: variables)
        if !validationErrors.isEmpty {
            let code = validationErrors.first?["extensions"]?["code"]?.stringValue ?? "invalid"
            return finish(&call, .json(.obj([("errors", .array(validationErrors))])), code)
        }
        let projector = Projector(variables: resolvedVariables, fragments: operation.fragments)
        for root in roots {
            if call.idempotencyKey == nil {
                call.idempotencyKey = idempotencyKey(root, projector: projector)
            }
            if call.rows == 0, let list = InputCoercion.rowList[root.name]?.list {
                call.rows = projector.arguments(of: root)["input"]?[list]?.arrayValue?.count ?? 0
            }
        }

        // Cost.
        var requested = 0
        for root in roots {
            if operation.kind == .mutation {
                requested += projector.selects("inventoryAdjustmentGroup", in: root.selections) ? 13 : 10
            } else {
                requested += shop.queryCost(root, projector.arguments(of: root))
            }
        }
        if requested > 1000 {
            let error = MiniSchema.error(
                "Query cost is \(requested), which exceeds the single query max cost limit (1000).",
                nil,
                nil,
                [
                    ("code", .string("MAX_COST_EXCEEDED")), ("cost", .int(requested)), ("maxCost", .int(1000)),
                    ("documentation", .string("https://shopify.dev/api/usage/rate-limits")),
                ]
            )
            return finish(&call, .json(.obj([("errors", .array([error]))])), "MAX_COST_EXCEEDED")
        }
        shop.bucket.refill(now: now())
        guard shop.bucket.available >= Double(requested) else {
            // THROTTLED as Shopify documents it (HTTP 200); no THROTTLED response was ever captured (FIXTURES.md).
            let body = SimJSON.obj([
                (
                    "errors",
                    .array([
                        .obj([
                            ("message", .string("Throttled")),
                            (
                                "extensions",
                                .obj([
                                    ("code", .string("THROTTLED")),
                                    ("documentation", .string("https://shopify.dev/api/usage/rate-limits")),
                                ])
                            ),
                        ])
                    ])
                ),
                ("extensions", .obj([("cost", costJSON(requested: requested, actual: nil, bucket: shop.bucket))])),
            ])
            return finish(&call, .json(body), "THROTTLED")
        }

        // Execute.
        var data: [(String, SimJSON)] = []
        var errors: [SimJSON] = []
        var actual = 0
        var outcomes: [SimulatorCallOutcome] = []
        var details: [String] = []
        for root in roots {
            let arguments = projector.arguments(of: root)
            if operation.kind == .mutation {
                let result =
                    root.name == "bulkOperationRunQuery"
                    ? runBulkQuery(root, arguments, projector: projector, shop: &shop, baseURL: baseURL)
                    : executeMutation(root, arguments, operation: operation, projector: projector, shop: &shop)
                data.append((root.responseKey, result.value))
                if let error = result.error { errors.append(error) }
                actual += result.cost
                outcomes.append(result.outcome)
                if let detail = result.detail { details.append(detail) }
            } else {
                let value =
                    shop.resolveBulkRoot(root, arguments, baseURL: baseURL) ?? shop.resolveQueryRoot(root, arguments)
                data.append((root.responseKey, projector.render(value, root.selections ?? [])))
                actual += shop.queryCost(root, arguments)
                outcomes.append(.read)
            }
        }
        shop.bucket.pay(Double(actual))
        call.points = actual
        var members: [(String, SimJSON)] = []
        if !errors.isEmpty { members.append(("errors", .array(errors))) }
        members.append(("data", .object(data)))
        members.append(
            ("extensions", .obj([("cost", costJSON(requested: requested, actual: actual, bucket: shop.bucket))]))
        )
        var answer = SimHTTPAnswer.json(.object(members))
        if operation.kind == .mutation, breakAfterApply() { answer.breakConnection = true }
        call.outcome =
            if outcomes.contains(.applied) { .applied } else if outcomes.contains(.replayed) {
                .replayed
            } else if outcomes.contains(.read) { .read } else if !outcomes.isEmpty, outcomes.allSatisfy({ $0 == .noop })
            { .noop } else { .refused }
        return finish(&call, answer, details.isEmpty ? nil : details.joined(separator: ","))
    }

    // MARK: - Steps

    private struct CallDraft {
        var shop: String
        var rootField: String?
        var rootFields: [String] = []
        var operationName: String?
        var idempotencyKey: String?
        var variables: SimJSON = .obj([])
        var outcome: SimulatorCallOutcome = .refused
        var rows = 0
        var points = 0
    }

    private func finish(_ call: inout CallDraft, _ answer: SimHTTPAnswer, _ detail: String?) -> SimHTTPAnswer {
        callLog.append(
            SimulatorCall(
                sequence: callLog.count + 1,
                time: Date(),
                shop: call.shop,
                rootField: call.rootField,
                rootFields: call.rootFields,
                operationName: call.operationName,
                idempotencyKey: call.idempotencyKey,
                variables: call.variables,
                outcome: call.outcome,
                detail: detail,
                httpStatus: answer.status,
                connectionBroken: answer.breakConnection,
                rows: call.rows,
                points: call.points
            )
        )
        return answer
    }

    private func injectedFailure(shop: String) -> Int? {
        var fail = false
        if faultSettings.failingShops.contains(shop) {
            fail = true
        } else if faultSettings.failNext > 0 {
            faultSettings.failNext -= 1
            fail = true
        } else if faultSettings.failRate > 0, Double.random(in: 0..<1) < faultSettings.failRate {
            fail = true
        }
        guard fail else { return nil }
        if let status = faultSettings.failStatus { return status }
        defer { failRotation += 1 }
        return [500, 502, 503][failRotation % 3]
    }

    /// The next injected userError code, if any (see ``SimulatorFaults/userErrorNext``).
    func injectedUserError() -> String? {
        guard !faultSettings.userErrorNext.isEmpty else { return nil }
        return faultSettings.userErrorNext.removeFirst()
    }

    private func breakAfterApply() -> Bool {
        if faultSettings.breakAfterApplyNext > 0 {
            faultSettings.breakAfterApplyNext -= 1
            return true
        }
        return faultSettings.breakAfterApplyRate > 0 && Double.random(in: 0..<1) < faultSettings.breakAfterApplyRate
    }

    private func costJSON(requested: Int, actual: Int?, bucket: LeakyBucket) -> SimJSON {
        .obj([
            ("requestedQueryCost", .int(requested)),
            ("actualQueryCost", actual.map(SimJSON.int) ?? .null),
            ("throttleStatus", bucket.throttleStatus),
        ])
    }

    private func idempotencyKey(_ root: FieldNode, projector: Projector) -> String? {
        guard let directive = root.directive("idempotent") else { return nil }
        return directive.arguments.first { $0.0 == "key" }?.1.resolve(projector.variables).stringValue
    }
}
