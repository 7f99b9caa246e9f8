/// The version of shopify-sync, sent in the `User-Agent` of every request.
public enum ShopifySyncVersion {
    /// The release version, for example `0.1.0`.
    public static let current = "0.1.0"

    /// The `User-Agent` header value: `shopify-sync/<version>`.
    public static var userAgent: String { "shopify-sync/\(current)" }
}
