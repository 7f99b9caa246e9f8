import ShopifySimulator

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
