import Foundation

/// Shopify global ids (`gid://shopify/Kind/N`).
public enum ShopifyID {
    /// A gid of `kind` for `value`, which may be that gid already or a bare number; nil for anything else.
    public static func normalize(_ value: String, kind: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let prefix = "gid://shopify/\(kind)/"
        let number = trimmed.hasPrefix(prefix) ? String(trimmed.dropFirst(prefix.count)) : trimmed
        guard !number.isEmpty, number.count <= 20, number.utf8.allSatisfy({ (48...57).contains($0) }) else {
            return nil
        }
        return prefix + number
    }
}
