import Foundation

extension SimulatorState {
    /// Runs `bulkOperationRunQuery`: checks the query and the shop's running operations, then starts one.
    ///
    /// Not an inventory write, so no `@idempotent` is required (the captured 2026-04 rule covers inventory
    /// writes). Costs 10 points like any mutation that returns no changed object. Refusals are payload
    /// userErrors with `bulkOperation` null: INVALID on `["query"]` for a query Shopify would not run, and
    /// LIMIT_REACHED when five query operations already run on the shop. Which code Shopify answers for a
    /// sixth operation is not stated in the documentation read (the guide gives the limit of five; the enum
    /// describes LIMIT_REACHED as "Bulk operations limit reached. Please try again later." and
    /// OPERATION_IN_PROGRESS as "A bulk operation is already in progress."): LIMIT_REACHED is a modelling
    /// choice, and clients should treat both alike.
    func runBulkQuery(
        _ root: FieldNode,
        _ arguments: [String: SimJSON],
        projector: Projector,
        shop: inout ShopModel,
        baseURL: String
    ) -> MutationResult {
        let source = arguments["query"]?.stringValue ?? ""
        var operation: BulkOperationModel?
        var userError: UserErrorModel?
        switch ShopModel.bulkQueryOperation(source) {
        case .failure(let problem):
            userError = UserErrorModel(field: ["query"], message: problem.message, code: "INVALID")
        case .success where shop.runningBulkQueries >= ShopModel.concurrentBulkQueries:
            userError = UserErrorModel(
                field: nil,
                message: "Bulk operations limit reached: \(ShopModel.concurrentBulkQueries) bulk query operations"
                    + " are already running on this shop. Please try again later.",
                code: "LIMIT_REACHED"
            )
        case .success(let parsed):
            let faults = currentFaults()
            let runningTime = Duration.milliseconds(max(0, faults.bulkRunningTimeMs))
            let denied = faults.bulkDenied.contains(shop.name)
            operation = BulkOperationModel(
                number: nextBulkNumber,
                query: source,
                createdAt: Date(),
                endsAt: now() + runningTime,
                runningTime: runningTime,
                denied: denied,
                result: denied ? nil : shop.bulkResult(parsed)
            )
            nextBulkNumber += 1
            shop.bulkOperations.append(operation!)
        }
        let payload = ResolvedObject(typeName: "BulkOperationRunQueryPayload") { field, _ in
            switch field.name {
            case "bulkOperation":
                return operation.map { .object($0.object(baseURL: baseURL)) } ?? .null
            case "userErrors":
                return Self.userErrorList(userError.map { [$0] } ?? [], typeName: "BulkOperationUserError")
            default:
                return .null
            }
        }
        return MutationResult(
            value: projector.render(.object(payload), root.selections ?? []),
            error: nil,
            cost: 10,
            outcome: operation == nil ? .refused : .read,
            detail: userError?.code
        )
    }

    /// The JSONL of bulk operation `number` once it has COMPLETED, for `GET /__sim/bulk/<number>.jsonl`.
    ///
    /// Not a GraphQL call: not charged, not logged, no token needed (Shopify's `url` is a signed storage URL).
    public func bulkResultFile(number: Int) -> [UInt8]? {
        let now = now()
        for name in shopNames() {
            guard let index = shops[name]?.bulkOperations.firstIndex(where: { $0.number == number }) else {
                continue
            }
            shops[name]!.bulkOperations[index].advance(now: now)
            let operation = shops[name]!.bulkOperations[index]
            guard operation.status == .completed else { return nil }
            return operation.result?.jsonl
        }
        return nil
    }
}
