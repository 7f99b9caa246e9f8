import Foundation
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// One Shopify store: where to reach it, whether sync is on, and how WMS locations map to its locations.
public struct StoreConfig: Sendable, Hashable {
    public var name: String
    /// `acme.myshopify.com`.
    public var shop: String
    /// "Sync inventory back to Shopify": when false, this store's lines wait (nothing is sent) until it is true.
    public var enabled: Bool
    public var apiVersion: String
    /// The token file, resolved: under $CREDENTIALS_DIRECTORY when relative and that is set, else the config's folder.
    public var tokenFile: String
    /// The Shopify location gid used when a line's location is missing or not mapped.
    public var defaultLocation: String
    /// Whether an empty catalog item id is looked up in Shopify by exact SKU.
    public var lookupMissing: Bool
    /// The base URL, `https://<shop>` unless the config names another (the simulator, tests).
    public var endpoint: String
    /// A PEM file of CA certificates trusted for this store's TLS peer instead of the system's bundle (a TLS
    /// inspecting proxy, a test CA); nil: the system's bundle. Peer and host name are verified either way.
    public var caFile: String?
    /// WMS location code -> Shopify location gid.
    public var locations: [String: String]

    public init(
        name: String,
        shop: String,
        enabled: Bool = true,
        apiVersion: String = SyncConfig.defaultAPIVersion,
        tokenFile: String,
        defaultLocation: String,
        lookupMissing: Bool = false,
        endpoint: String? = nil,
        caFile: String? = nil,
        locations: [String: String] = [:]
    ) {
        self.name = name
        self.shop = shop
        self.enabled = enabled
        self.apiVersion = apiVersion
        self.tokenFile = tokenFile
        self.defaultLocation = defaultLocation
        self.lookupMissing = lookupMissing
        self.endpoint = endpoint ?? "https://\(shop)"
        self.caFile = caFile
        self.locations = locations
    }

    /// The Shopify location for a WMS location code, falling back to the default location.
    public func shopifyLocation(for wmsLocation: String?) -> String {
        guard let wmsLocation, let mapped = locations[wmsLocation] else { return defaultLocation }
        return mapped
    }
}

/// The daemon's configuration (contract section 5).
public struct SyncConfig: Sendable, Hashable {
    public static let defaultPath = "/etc/shopify-sync/config.toml"
    public static let defaultAPIVersion = "2026-07"

    /// The file it was read from.
    public var path: String
    public var spoolDir: String
    public var stateDir: String
    public var catalogPath: String
    public var doneRetentionDays: Double
    /// Days a finished request stays in the ledger, so that the same id dropped again is a duplicate; then
    /// its record and lines are removed. At least `done_retention_days`. Failed requests are kept, since a
    /// requeue needs them.
    public var ledgerRetentionDays: Double = 90
    public var maxRetryHours: Double
    /// How long after its first send a call's idempotency key is trusted to be remembered by Shopify (about
    /// 24 hours): within it an unknown outcome is resent under the same key, past it never blindly.
    public var idempotencyWindowHours: Double = 23
    public var maxFileSize: Int
    public var massZeroPercent: Double
    /// How often pending/ is rescanned as a backstop to inotify.
    public var rescanIntervalSeconds: Double
    /// Stores by name.
    public var stores: [String: StoreConfig]
    /// Where Prometheus metrics are served; nil: not served.
    public var metrics: MetricsConfig?

    public init(
        path: String,
        spoolDir: String = "/var/spool/shopify-sync",
        stateDir: String = "/var/lib/shopify-sync",
        catalogPath: String = "/etc/shopify-sync/catalog.csv",
        doneRetentionDays: Double = 14,
        maxRetryHours: Double = 24,
        maxFileSize: Int = 64 << 20,
        massZeroPercent: Double = 50,
        rescanIntervalSeconds: Double = 30,
        stores: [String: StoreConfig] = [:]
    ) {
        self.path = path
        self.spoolDir = spoolDir
        self.stateDir = stateDir
        self.catalogPath = catalogPath
        self.doneRetentionDays = doneRetentionDays
        self.maxRetryHours = maxRetryHours
        self.maxFileSize = maxFileSize
        self.massZeroPercent = massZeroPercent
        self.rescanIntervalSeconds = rescanIntervalSeconds
        self.stores = stores
    }

    /// Store names in a stable order.
    public var storeNames: [String] { stores.keys.sorted() }

    /// Reads and validates a config file; every problem names the file and, where it can, the line.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> SyncConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigErrors([ConfigError(file: path, line: nil, "cannot read the config file: \(error)")])
        }
        if let mode = fileMode(path), let problem = FileExposure.configProblem(mode: mode) {
            throw ConfigErrors([ConfigError(file: path, line: nil, "the config file \(problem)")])
        }
        return try parse(text, path: path, environment: environment)
    }

    /// Validates config text as if read from `path` (relative paths resolve against its folder).
    public static func parse(
        _ text: String,
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> SyncConfig {
        if let (line, column) = TOMLPrecheck.firstForeignCharacter(in: text) {
            throw ConfigErrors([
                ConfigError(
                    file: path,
                    line: line,
                    "not valid TOML: column \(column): a NUL byte, a character that is not ASCII outside a string "
                        + "or a comment, or a table header that does not start with a key"
                )
            ])
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigErrors([
                ConfigError(file: path, line: error.source.begin.line, "not valid TOML: \(error.description)")
            ])
        } catch {
            throw ConfigErrors([ConfigError(file: path, line: nil, "not valid TOML: \(error)")])
        }
        var reader = ConfigReader(path: path, text: text)
        let folder = (path as NSString).deletingLastPathComponent
        var config = SyncConfig(path: path)
        reader.checkKeys(
            table,
            section: nil,
            allowed: [
                "spool_dir", "state_dir", "catalog", "done_retention_days", "ledger_retention_days", "max_retry_hours",
                "max_file_size",
                "idempotency_window_hours",
                "mass_zero_percent", "rescan_interval_seconds", "stores", "metrics",
            ]
        )
        func resolve(_ value: String) -> String {
            value.hasPrefix("/") ? value : (folder as NSString).appendingPathComponent(value)
        }
        if let value = reader.string(table, "spool_dir", section: nil) { config.spoolDir = resolve(value) }
        if let value = reader.string(table, "state_dir", section: nil) { config.stateDir = resolve(value) }
        if let value = reader.string(table, "catalog", section: nil) { config.catalogPath = resolve(value) }
        if let value = reader.number(table, "done_retention_days", section: nil, range: 0...36500) {
            config.doneRetentionDays = value
        }
        if let value = reader.number(table, "ledger_retention_days", section: nil, range: 1...36500) {
            config.ledgerRetentionDays = value
        }
        if config.ledgerRetentionDays < config.doneRetentionDays {
            reader.fail(
                "ledger_retention_days",
                section: nil,
                "ledger_retention_days (\(config.ledgerRetentionDays)) must be at least done_retention_days "
                    + "(\(config.doneRetentionDays)): a file still in done/ must still be known to the ledger"
            )
        }
        if let value = reader.number(table, "max_retry_hours", section: nil, range: 0.001...8760) {
            config.maxRetryHours = value
        }
        if let value = reader.number(table, "idempotency_window_hours", section: nil, range: 0.001...24) {
            config.idempotencyWindowHours = value
        }
        if let value = reader.number(table, "max_file_size", section: nil, range: 1024...17_179_869_184) {
            config.maxFileSize = Int(value)
        }
        if let value = reader.number(table, "mass_zero_percent", section: nil, range: 0...100) {
            config.massZeroPercent = value
        }
        if let value = reader.number(table, "rescan_interval_seconds", section: nil, range: 0.05...3600) {
            config.rescanIntervalSeconds = value
        }
        config.metrics = reader.metrics(table)
        if let stores = reader.table(table, "stores", section: nil) {
            for name in stores.keys.sorted() {
                guard let storeTable = reader.table(stores, name, section: "stores") else { continue }
                if let store = reader.store(
                    name: name,
                    table: storeTable,
                    folder: folder,
                    credentialsDirectory: environment["CREDENTIALS_DIRECTORY"]
                ) {
                    config.stores[name] = store
                }
            }
        }
        if config.stores.isEmpty && reader.errors.isEmpty {
            reader.errors.append(
                ConfigError(file: path, line: nil, "no [stores.NAME] table: configure at least one store")
            )
        }
        guard reader.errors.isEmpty else { throw ConfigErrors(reader.errors) }
        return config
    }
}

/// The permission bits of the file at `path` (symbolic links followed), or nil when it cannot be read.
public func fileMode(_ path: String) -> UInt32? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return UInt32(status.st_mode) & 0o7777
}
