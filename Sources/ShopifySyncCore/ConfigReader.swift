import Foundation
import TOMLKit

/// Reads typed values out of parsed TOML, collecting errors that name the line of the offending key.
struct ConfigReader {
    let path: String
    private let lines: [Substring]
    var errors: [ConfigError] = []

    init(path: String, text: String) {
        self.path = path
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The 1-based line where `key` is assigned inside `[section]` (or at top level when nil), if it can be found.
    func line(of key: String, section: String?) -> Int? {
        var current: String?
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                // A header may carry a comment after its closing bracket.
                let header = line.firstIndex(of: "]").map { line[...$0] } ?? Substring(line)
                current = header.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t"))
                if current == [section, key].compactMap({ $0 }).joined(separator: ".") { return index + 1 }
                continue
            }
            guard current == section else { continue }
            let name = line.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces)
            if let name, name == key || name == "\"\(key)\"" { return index + 1 }
        }
        return nil
    }

    private func sectionLabel(_ section: String?) -> String {
        section.map { "[\($0)]" } ?? "the top level"
    }

    mutating func fail(_ key: String, section: String?, _ message: String) {
        errors.append(ConfigError(file: path, line: line(of: key, section: section), message))
    }

    mutating func checkKeys(_ table: TOMLTable, section: String?, allowed: Set<String>) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            fail(key, section: section, "unknown key '\(key)' in \(sectionLabel(section)) (known keys: \(known))")
        }
    }

    mutating func string(_ table: TOMLTable, _ key: String, section: String?, nonEmpty: Bool = true) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else {
            fail(key, section: section, "'\(key)' must be a string, got \(value.type)")
            return nil
        }
        if nonEmpty && string.isEmpty {
            fail(key, section: section, "'\(key)' must not be empty")
            return nil
        }
        return string
    }

    mutating func bool(_ table: TOMLTable, _ key: String, section: String?) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else {
            fail(key, section: section, "'\(key)' must be true or false, got \(value.type)")
            return nil
        }
        return bool
    }

    mutating func number(
        _ table: TOMLTable,
        _ key: String,
        section: String?,
        range: ClosedRange<Double>
    ) -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.int.map(Double.init) ?? value.double else {
            fail(key, section: section, "'\(key)' must be a number, got \(value.type)")
            return nil
        }
        guard range.contains(number) else {
            fail(
                key,
                section: section,
                "'\(key)' must be from \(range.lowerBound) to \(range.upperBound), got \(number)"
            )
            return nil
        }
        return number
    }

    mutating func table(_ table: TOMLTable, _ key: String, section: String?) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let nested = value.table else {
            fail(key, section: section, "'\(key)' must be a table, got \(value.type)")
            return nil
        }
        return nested
    }

    mutating func store(
        name: String,
        table: TOMLTable,
        folder: String,
        credentialsDirectory: String?
    ) -> StoreConfig? {
        let section = "stores.\(name)"
        let errorCount = errors.count
        checkKeys(
            table,
            section: section,
            allowed: [
                "shop", "enabled", "api_version", "token_file", "default_location", "lookup_missing", "endpoint",
                "ca_file", "locations",
            ]
        )
        let shop = string(table, "shop", section: section)
        if shop == nil && table["shop"] == nil {
            errors.append(ConfigError(file: path, line: line(of: name, section: "stores"), "[\(section)] needs 'shop'"))
        }
        let defaultLocation = string(table, "default_location", section: section).flatMap {
            normalized($0, kind: "Location", key: "default_location", section: section)
        }
        if table["default_location"] == nil {
            errors.append(
                ConfigError(
                    file: path,
                    line: line(of: name, section: "stores"),
                    "[\(section)] needs 'default_location'"
                )
            )
        }
        let apiVersion = string(table, "api_version", section: section) ?? SyncConfig.defaultAPIVersion
        if !apiVersion.wholeMatch(of: /\d{4}-\d{2}/).map({ _ in true }).isTrue {
            fail("api_version", section: section, "'api_version' must look like 2026-07, got \"\(apiVersion)\"")
        }
        let tokenName = string(table, "token_file", section: section) ?? "\(name).token"
        let tokenFile: String
        if tokenName.hasPrefix("/") {
            tokenFile = tokenName
        } else if let credentialsDirectory, !credentialsDirectory.isEmpty {
            tokenFile = (credentialsDirectory as NSString).appendingPathComponent(tokenName)
        } else {
            tokenFile = (folder as NSString).appendingPathComponent(tokenName)
        }
        let endpoint = string(table, "endpoint", section: section)
        if let endpoint, !(endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://")) {
            fail("endpoint", section: section, "'endpoint' must be an http:// or https:// URL, got \"\(endpoint)\"")
        }
        let caFile = string(table, "ca_file", section: section).map {
            $0.hasPrefix("/") ? $0 : (folder as NSString).appendingPathComponent($0)
        }
        if caFile != nil, let endpoint, endpoint.hasPrefix("http://") {
            fail("ca_file", section: section, "'ca_file' needs an https:// endpoint: plain HTTP has no certificate")
        }
        var locations: [String: String] = [:]
        if let locationTable = self.table(table, "locations", section: section) {
            for code in locationTable.keys.sorted() {
                if let gid = string(locationTable, code, section: "\(section).locations").flatMap({
                    normalized($0, kind: "Location", key: code, section: "\(section).locations")
                }) {
                    locations[code] = gid
                }
            }
        }
        let enabled = bool(table, "enabled", section: section) ?? true
        let lookupMissing = bool(table, "lookup_missing", section: section) ?? false
        guard errors.count == errorCount, let shop, let defaultLocation else { return nil }
        return StoreConfig(
            name: name,
            shop: shop,
            enabled: enabled,
            apiVersion: apiVersion,
            tokenFile: tokenFile,
            defaultLocation: defaultLocation,
            lookupMissing: lookupMissing,
            endpoint: endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            caFile: caFile,
            locations: locations
        )
    }

    private mutating func normalized(_ value: String, kind: String, key: String, section: String) -> String? {
        guard let gid = ShopifyID.normalize(value, kind: kind) else {
            fail(key, section: section, "'\(key)' must be a gid://shopify/\(kind)/N or a number, got \"\(value)\"")
            return nil
        }
        return gid
    }
}

extension Optional where Wrapped == Bool {
    fileprivate var isTrue: Bool { self ?? false }
}
