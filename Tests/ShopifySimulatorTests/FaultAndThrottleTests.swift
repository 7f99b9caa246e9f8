import Foundation
import ShopifyAPI
import ShopifySimulator
import SimulatorTestSupport
import Testing

/// The cost bucket, THROTTLED, 401s, injected 5xx and "apply, then break the connection".
@Suite(.timeLimit(.minutes(1)))
struct FaultAndThrottleTests {
    let location = SimulatorTestShops.shopLocation
    let item1 = SimulatorTestShops.item(1)

    /// THROTTLED follows Shopify's rate-limit documentation (HTTP 200, errors[].extensions.code); no capture exists.
    @Test func throttledWhenTheBucketCannotPayThenRecoversAfterRestore() async throws {
        try await withTestSimulator(restoreRate: 10, bucket: 30) { simulator in
            let http = SimulatorHTTP(simulator)
            for key in ["a", "b"] {
                let answer = try await http.post(
                    Documents.adjust,
                    variables: Documents.adjustVariables(key: key, changes: [(item1, location, 1)])
                )
                #expect(answer.json.at("data", "inventoryAdjustQuantities", "userErrors") == .array([]))
            }
            // 30 - 13 - 13 = 4 points left: a call requesting 13 is refused before anything is applied.
            let throttled = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "c", changes: [(item1, location, 1)])
            )
            #expect(throttled.status == 200)
            #expect(throttled.json["data"] == nil)
            #expect(
                throttled.json.at("errors", "0")
                    == .obj([
                        ("message", .string("Throttled")),
                        (
                            "extensions",
                            .obj([
                                ("code", .string("THROTTLED")),
                                ("documentation", .string("https://shopify.dev/api/usage/rate-limits")),
                            ])
                        ),
                    ])
            )
            let cost = try #require(throttled.json.at("extensions", "cost"))
            #expect(cost["requestedQueryCost"]?.intValue == 13)
            #expect(cost["actualQueryCost"] == .null)
            #expect(cost.at("throttleStatus", "maximumAvailable")?.intValue == 30)
            #expect(cost.at("throttleStatus", "restoreRate")?.intValue == 10)
            #expect((cost.at("throttleStatus", "currentlyAvailable")?.intValue ?? 99) < 13)
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 2)
            #expect(await simulator.state.calls().last?.detail == "THROTTLED")

            // One simulated second restores 10 points: enough again.
            await simulator.state.advanceClock(by: .seconds(1))
            let recovered = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "c", changes: [(item1, location, 1)])
            )
            #expect(recovered.json.at("data", "inventoryAdjustQuantities", "userErrors") == .array([]))
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 3)
        }
    }

    @Test func readsCostByTheirSize() async throws {
        try await withTestSimulator { simulator in
            let ids = (1...5).map { SimulatorTestShops.item($0) }
            let answer = try await SimulatorHTTP(simulator).post(
                Documents.onHand,
                variables: .obj([("ids", .array(ids.map(SimJSON.string))), ("location", .string(location))])
            )
            #expect(answer.json.at("extensions", "cost", "requestedQueryCost")?.intValue == 6)
            #expect(answer.json.at("extensions", "cost", "throttleStatus", "currentlyAvailable")?.intValue == 1994)
        }
    }

    /// The 401 body is the wording Shopify documents; no 401 response was ever captured.
    @Test func unauthorizedSwitchesOnAndOffPerShop() async throws {
        let shops = [SimulatorTestShops.standard(name: "main"), SimulatorTestShops.standard(name: "au")]
        try await withTestSimulator(shops: shops) { simulator in
            await simulator.state.updateFaults { $0.unauthorized = ["au"] }
            let refused = try await SimulatorHTTP(simulator, shop: "au").post("query { shop { name } }")
            #expect(refused.status == 401)
            #expect(
                refused.json
                    == .obj([
                        (
                            "errors",
                            .string("[API] Invalid API key or access token (unrecognized login or wrong password)")
                        )
                    ])
            )
            let other = try await SimulatorHTTP(simulator, shop: "main").post("query { shop { name } }")
            #expect(other.json.at("data", "shop", "name") == .string("main"))

            await simulator.state.updateFaults { $0.unauthorized = [] }
            let again = try await SimulatorHTTP(simulator, shop: "au").post("query { shop { name } }")
            #expect(again.status == 200)
            #expect(again.json.at("data", "shop", "name") == .string("au"))
        }
    }

    @Test func missingOrWrongTokenIs401() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(token: "shpat_right")]) { simulator in
            let missing = try await SimulatorHTTP(simulator, token: nil).post("{ shop { name } }")
            let wrong = try await SimulatorHTTP(simulator, token: "shpat_wrong").post("{ shop { name } }")
            let right = try await SimulatorHTTP(simulator, token: "shpat_right").post("{ shop { name } }")
            let statuses: [Int] = [missing.status, wrong.status, right.status]
            #expect(statuses == [401, 401, 200])
        }
    }

    @Test func injectedFailuresAre5xxWithRetryAfterAndApplyNothing() async throws {
        try await withTestSimulator(faults: SimulatorFaults(failNext: 3, retryAfterSeconds: 2)) { simulator in
            let http = SimulatorHTTP(simulator)
            var statuses: [Int] = []
            for _ in 0..<3 {
                let answer = try await http.post(
                    Documents.adjust,
                    variables: Documents.adjustVariables(key: "k", changes: [(item1, location, 1)])
                )
                statuses.append(answer.status)
                #expect(answer.header("Retry-After") == "2")
            }
            #expect(statuses == [500, 502, 503])
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 0)
            let answer = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "k", changes: [(item1, location, 1)])
            )
            #expect(answer.status == 200)
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 1)
        }
    }

    @Test func failRateOneFailsEveryCall() async throws {
        try await withTestSimulator(faults: SimulatorFaults(failRate: 1, failStatus: 503)) { simulator in
            let answer = try await SimulatorHTTP(simulator).post("{ shop { name } }")
            #expect(answer.status == 503)
        }
    }

    @Test func breakAfterApplyAppliesThenBreaksTheConnection() async throws {
        try await withTestSimulator(faults: SimulatorFaults(breakAfterApplyNext: 1)) { simulator in
            let http = SimulatorHTTP(simulator)
            let variables = Documents.adjustVariables(key: "crash", changes: [(item1, location, 4)])
            // The real client transport (libcurl) sees a network error, never a 200.
            await #expect(throws: ShopifyError.self) {
                _ = try await http.post(Documents.adjust, variables: variables)
            }
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 4)
            let call = try #require(await simulator.state.calls().last)
            #expect(call.connectionBroken && call.outcome == .applied && call.idempotencyKey == "crash")

            // The retry with the same key replays: still applied once.
            let retry = try await http.post(Documents.adjust, variables: variables)
            #expect(retry.status == 200)
            #expect(retry.json.at("data", "inventoryAdjustQuantities", "userErrors") == .array([]))
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 4)
            #expect(await simulator.state.calls().last?.outcome == .replayed)
        }
    }

    @Test func breakAfterApplyLeavesReadsAlone() async throws {
        try await withTestSimulator(faults: SimulatorFaults(breakAfterApplyRate: 1)) { simulator in
            let answer = try await SimulatorHTTP(simulator).post("{ shop { name } }")
            #expect(answer.json.at("data", "shop", "name") == .string("default"))
        }
    }

    @Test func latencyStillAnswers() async throws {
        try await withTestSimulator(faults: SimulatorFaults(latencyMs: 20)) { simulator in
            let answer = try await SimulatorHTTP(simulator).post("{ shop { name } }")
            #expect(answer.status == 200)
        }
    }

    @Test func oneFailingShopLeavesTheOthersAlone() async throws {
        let shops = [SimulatorTestShops.standard(name: "main"), SimulatorTestShops.standard(name: "au")]
        try await withTestSimulator(shops: shops, faults: SimulatorFaults(failingShops: ["au"])) { simulator in
            let au = try await SimulatorHTTP(simulator, shop: "au").post("{ shop { name } }")
            let main = try await SimulatorHTTP(simulator, shop: "main").post("{ shop { name } }")
            #expect(au.status >= 500)
            #expect(main.status == 200)
        }
    }

    @Test func faultsDecodeOverTheCurrentOnes() throws {
        let current = SimulatorFaults(failRate: 0.5, latencyMs: 7, unauthorized: ["au"])
        let merged = try SimulatorFaults.merging(
            Data(#"{"unauthorized": [], "breakAfterApplyNext": 2}"#.utf8),
            over: current
        )
        #expect(merged == SimulatorFaults(failRate: 0.5, latencyMs: 7, unauthorized: [], breakAfterApplyNext: 2))
        #expect(throws: (any Error).self) {
            try SimulatorFaults.merging(Data(#"{"failRate": "x"}"#.utf8), over: current)
        }
    }

    @Test("Retry-After as an HTTP date when asked; a drained bucket answers THROTTLED at once")
    func retryAfterDateAndDrainedBucket() async throws {
        try await withTestSimulator { simulator in
            let http = SimulatorHTTP(simulator)
            var faults = SimulatorFaults(failNext: 1, failStatus: 429, retryAfterSeconds: 3)
            faults.retryAfterAsDate = true
            await simulator.state.setFaults(faults)
            let refused = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "d", changes: [(item1, location, 1)])
            )
            #expect(refused.status == 429)
            let header = try #require(refused.header("Retry-After"))
            let response = HTTPResponse(status: 429, headers: [("Retry-After", header)], body: [])
            let wait = try #require(response.retryAfter(now: Date().timeIntervalSince1970), "\(header)")
            #expect(wait >= .seconds(3) && wait <= .seconds(5), "\(header) is \(wait) away")

            await simulator.state.drainBucket(shop: "default")
            let throttled = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "e", changes: [(item1, location, 1)])
            )
            #expect(throttled.json.at("errors", "0", "extensions", "code") == .string("THROTTLED"))
            #expect(await simulator.state.quantities(shop: "default", item: item1, location: location)?.onHand == 0)
        }
    }
}
