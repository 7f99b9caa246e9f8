import Foundation

/// The vendored Shopify material in `vendor/shopify`: the schema and the live captures, with their NOTICE.
public enum VendoredShopify {
    /// `<repo>/vendor/shopify`, found from this file's place in the repository.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo
        .appendingPathComponent("vendor/shopify")
}
