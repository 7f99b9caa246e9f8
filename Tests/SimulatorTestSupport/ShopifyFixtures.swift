import Foundation
import ShopifySimulator
import TestSupport

/// The captured Shopify responses in `vendor/shopify/fixtures` (see FIXTURES.md there).
public enum ShopifyFixtures {
    /// `<repo>/vendor/shopify`: the schema and the captures, vendored with their NOTICE.
    public static var directory: URL { VendoredShopify.directory }

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
