import Foundation
import Logging
import ShopifySimulator

/// Shops and helpers for tests that embed the Shopify simulator.
public enum SimulatorTestShops {
    /// `Shop location` of the captured store (harry-test-heelo), so captured ids answer as captured.
    public static let shopLocation = "gid://shopify/Location/106318430514"
    /// `My Custom Location` of the captured store.
    public static let customLocation = "gid://shopify/Location/106318463282"
    /// A location the standard shop does not have.
    public static let unknownLocation = "gid://shopify/Location/999999999999"
    public static let unknownItem = "gid://shopify/InventoryItem/999999999999"

    /// `gid://shopify/InventoryItem/<n>`.
    public static func item(_ number: Int) -> String { "gid://shopify/InventoryItem/\(number)" }

    /// A shop with the captured store's two locations and items 1...count (SKU `SKU-<n>`), each stocked at
    /// both locations with `onHand`.
    public static func standard(
        name: String = "default",
        count: Int = 5,
        onHand: Int = 0,
        token: String? = nil
    ) -> SimulatorShop {
        SimulatorShop(
            name: name,
            locations: [shopLocation, customLocation],
            items: (1...max(1, count)).map { number in
                SimulatorItem(
                    id: item(number),
                    sku: "SKU-\(number)",
                    levels: [shopLocation: onHand, customLocation: onHand]
                )
            },
            token: token,
            locationNames: [shopLocation: "Shop location", customLocation: "My Custom Location"]
        )
    }

    /// A logger that drops everything below `warning`, so test output stays readable.
    public static var quietLogger: Logger {
        var logger = Logger(label: "simulator-test")
        logger.logLevel = .warning
        return logger
    }
}

/// Runs a simulator with the given shops on a free loopback port for the duration of `body`.
public func withTestSimulator<T>(
    shops: [SimulatorShop] = [SimulatorTestShops.standard()],
    restoreRate: Double = 100,
    bucket: Double = 2000,
    faults: SimulatorFaults = SimulatorFaults(),
    _ body: (RunningSimulator) async throws -> T
) async throws -> T {
    try await withSimulator(
        SimulatorOptions(shops: shops, restoreRate: restoreRate, bucket: bucket, faults: faults),
        logger: SimulatorTestShops.quietLogger,
        body
    )
}

/// The captured Shopify responses in `vendor/shopify/fixtures` (see FIXTURES.md there).
public enum ShopifyFixtures {
    /// `<repo>/vendor/shopify`: the schema and the captures, vendored with their NOTICE.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo
        .appendingPathComponent("vendor/shopify")

    /// A capture file, parsed.
    public static func load(_ file: String, version: String = "2026-04") throws -> SimJSON {
        try SimJSON.parse(Data(contentsOf: directory.appendingPathComponent("fixtures/\(version)/\(file)")))
    }

    /// The step at `path` (object keys, or list indices as strings) of a capture file.
    public static func step(_ file: String, _ path: [String], version: String = "2026-04") throws -> SimJSON {
        var node = try load(file, version: version)
        for key in path {
            if let index = Int(key), let list = node.arrayValue, list.indices.contains(index) {
                node = list[index]
            } else if let next = node[key] {
                node = next
            } else {
                throw SimulatorError("no \(path.joined(separator: ".")) in \(file)")
            }
        }
        return node
    }

    /// A step's response body: `response` itself, or its `body`/`payload` when it is `{status, body|payload}`.
    public static func responseBody(of step: SimJSON) -> SimJSON? {
        guard let response = step["response"] else { return nil }
        if response.has("status"), let body = response["body"] ?? response["payload"] { return body }
        return response
    }
}

/// Compares the shape of a simulator response with a captured one.
///
/// Keys must match at every level (`locations`, the line/column of an error, is skipped); lists must have the
/// same length; nulls must be null where the capture has them. Values must be equal except where only the
/// shape can match: adjustment group ids, `createdAt`, and `requestedQueryCost`/`currentlyAvailable` (which
/// depend on the bucket's history).
public enum ResponseShape {
    public static let looseKeys: Set<String> = ["createdAt", "requestedQueryCost", "currentlyAvailable"]

    /// Every difference, as `path: what`; empty when the shapes match.
    public static func differences(expected: SimJSON, actual: SimJSON, path: String = "$") -> [String] {
        switch (expected, actual) {
        case (.object(let want), .object(let got)):
            let wantKeys = Set(want.map(\.0)).subtracting(["locations"])
            let gotKeys = Set(got.map(\.0)).subtracting(["locations"])
            var result: [String] = []
            for key in wantKeys.subtracting(gotKeys).sorted() { result.append("\(path).\(key): missing") }
            for key in gotKeys.subtracting(wantKeys).sorted() { result.append("\(path).\(key): unexpected") }
            for key in wantKeys.intersection(gotKeys).sorted() {
                let childPath = "\(path).\(key)"
                let wantValue = expected[key]!
                let gotValue = actual[key]!
                if looseKeys.contains(key) {
                    if wantValue.isNull != gotValue.isNull { result.append("\(childPath): null mismatch") }
                } else if key == "id", let want = wantValue.stringValue, let got = gotValue.stringValue,
                    want.hasPrefix("gid://shopify/InventoryAdjustmentGroup/")
                {
                    if !got.hasPrefix("gid://shopify/InventoryAdjustmentGroup/") {
                        result.append("\(childPath): \(got) is not an adjustment group id")
                    }
                } else {
                    result += differences(expected: wantValue, actual: gotValue, path: childPath)
                }
            }
            return result
        case (.array(let want), .array(let got)):
            guard want.count == got.count else {
                return ["\(path): \(got.count) elements, captured \(want.count)"]
            }
            return zip(want, got).enumerated().flatMap { index, pair in
                differences(expected: pair.0, actual: pair.1, path: "\(path)[\(index)]")
            }
        default:
            return expected == actual ? [] : ["\(path): \(actual.text), captured \(expected.text)"]
        }
    }
}
