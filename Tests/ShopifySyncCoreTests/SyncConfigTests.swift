import Foundation
import TestSupport
import Testing

@testable import ShopifySyncCore

/// A config text that must be refused with one error on `line` whose message mentions `mentions`.
struct BadConfig: Sendable, CustomTestStringConvertible {
    var label: String
    var text: String
    var line: Int?
    var mentions: String

    var testDescription: String { label }
}

@Suite("SyncConfig: parsing config.toml")
struct SyncConfigTests {
    static let path = "/etc/shopify-sync/config.toml"

    static let minimalStore = """
        [stores.main]
        shop = "acme.myshopify.com"
        default_location = "gid://shopify/Location/1"
        """

    static func parse(_ text: String, environment: [String: String] = [:]) throws(ConfigErrors) -> SyncConfig {
        try SyncConfig.parse(text, path: path, environment: environment)
    }

    @Test func defaults() throws {
        let config = try Self.parse(Self.minimalStore)
        #expect(config.path == Self.path)
        #expect(config.spoolDir == "/var/spool/shopify-sync")
        #expect(config.stateDir == "/var/lib/shopify-sync")
        #expect(config.catalogPath == "/etc/shopify-sync/catalog.csv")
        #expect(config.doneRetentionDays == 14)
        #expect(config.maxRetryHours == 24)
        #expect(config.maxFileSize == 64 * 1024 * 1024)
        #expect(config.massZeroPercent == 50)
        #expect(config.rescanIntervalSeconds == 30)
        #expect(config.storeNames == ["main"])
        let store = try #require(config.stores["main"])
        #expect(store.name == "main")
        #expect(store.shop == "acme.myshopify.com")
        #expect(store.enabled)
        #expect(store.apiVersion == "2026-07")
        #expect(store.tokenFile == "/etc/shopify-sync/main.token")
        #expect(store.defaultLocation == "gid://shopify/Location/1")
        #expect(!store.lookupMissing)
        #expect(store.endpoint == "https://acme.myshopify.com")
        #expect(store.caFile == nil)
        #expect(store.locations.isEmpty)
    }

    /// `ca_file` is per store, resolved against the config's folder like every relative path.
    @Test func caFileIsResolvedPerStore() throws {
        let text = """
            [stores.main]
            shop = "acme.myshopify.com"
            default_location = "1"
            ca_file = "proxy-ca.pem"

            [stores.au]
            shop = "acme-au.myshopify.com"
            default_location = "2"
            endpoint = "https://127.0.0.1:8443/au"
            ca_file = "/srv/ca/test.pem"
            """
        let config = try Self.parse(text)
        #expect(config.stores["main"]?.caFile == "/etc/shopify-sync/proxy-ca.pem")
        #expect(config.stores["au"]?.caFile == "/srv/ca/test.pem")
    }

    @Test func contractExample() throws {
        let text = """
            spool_dir = "/var/spool/shopify-sync"
            state_dir = "/var/lib/shopify-sync"
            catalog = "/etc/shopify-sync/catalog.csv"
            done_retention_days = 14
            max_retry_hours = 24

            [stores.main]
            shop = "acme.myshopify.com"
            enabled = true                     # "Sync inventory back to Shopify"
            api_version = "2026-07"
            token_file = "main.token"          # relative: under $CREDENTIALS_DIRECTORY, else the config's folder
            default_location = "gid://shopify/Location/1"
            lookup_missing = true
            # endpoint = "http://127.0.0.1:8080"   # optional base URL instead of https://<shop> (simulator, tests)

            [stores.main.locations]            # WMS location code -> Shopify location
            WH1 = "gid://shopify/Location/1"
            WH2 = "gid://shopify/Location/2"
            """
        let config = try Self.parse(text)
        let store = try #require(config.stores["main"])
        #expect(store.lookupMissing)
        #expect(store.endpoint == "https://acme.myshopify.com")
        #expect(store.locations == ["WH1": "gid://shopify/Location/1", "WH2": "gid://shopify/Location/2"])
    }

    @Test func everySetting() throws {
        let text = """
            spool_dir = "/srv/spool"
            state_dir = "/srv/state"
            catalog = "/srv/catalog.csv"
            done_retention_days = 0.5
            max_retry_hours = 2
            max_file_size = 2048
            mass_zero_percent = 0
            rescan_interval_seconds = 0.25

            [stores.au]
            shop = "acme-au.myshopify.com"
            enabled = false
            api_version = "2025-10"
            token_file = "/srv/au.token"
            default_location = "11"
            lookup_missing = false
            endpoint = "http://127.0.0.1:8787/au/"

            [stores.au.locations]
            WH1 = "gid://shopify/Location/11"
            WH3 = "13"

            \(Self.minimalStore)
            """
        let config = try Self.parse(text)
        #expect(config.spoolDir == "/srv/spool")
        #expect(config.stateDir == "/srv/state")
        #expect(config.catalogPath == "/srv/catalog.csv")
        #expect(config.doneRetentionDays == 0.5)
        #expect(config.maxRetryHours == 2)
        #expect(config.maxFileSize == 2048)
        #expect(config.massZeroPercent == 0)
        #expect(config.rescanIntervalSeconds == 0.25)
        #expect(config.storeNames == ["au", "main"])
        let au = try #require(config.stores["au"])
        #expect(!au.enabled)
        #expect(au.apiVersion == "2025-10")
        #expect(au.tokenFile == "/srv/au.token")
        #expect(au.defaultLocation == "gid://shopify/Location/11")
        #expect(au.endpoint == "http://127.0.0.1:8787/au")
        #expect(au.locations == ["WH1": "gid://shopify/Location/11", "WH3": "gid://shopify/Location/13"])
        #expect(au.shopifyLocation(for: "WH3") == "gid://shopify/Location/13")
        #expect(au.shopifyLocation(for: "WH2") == "gid://shopify/Location/11")
        #expect(au.shopifyLocation(for: nil) == "gid://shopify/Location/11")
    }

    @Test func relativePathsResolveAgainstTheConfigFolder() throws {
        let text = """
            spool_dir = "spool"
            state_dir = "data/state"
            catalog = "catalog.csv"
            \(Self.minimalStore)
            token_file = "tokens/main.token"
            """
        let config = try SyncConfig.parse(text, path: "/srv/sync/config.toml", environment: [:])
        #expect(config.spoolDir == "/srv/sync/spool")
        #expect(config.stateDir == "/srv/sync/data/state")
        #expect(config.catalogPath == "/srv/sync/catalog.csv")
        #expect(config.stores["main"]?.tokenFile == "/srv/sync/tokens/main.token")
    }

    @Test func tokenFileUnderCredentialsDirectory() throws {
        let credentials = ["CREDENTIALS_DIRECTORY": "/run/credentials/shopify-sync.service"]
        let relative = try Self.parse(Self.minimalStore + "\ntoken_file = \"main.token\"", environment: credentials)
        #expect(relative.stores["main"]?.tokenFile == "/run/credentials/shopify-sync.service/main.token")
        let defaulted = try Self.parse(Self.minimalStore, environment: credentials)
        #expect(defaulted.stores["main"]?.tokenFile == "/run/credentials/shopify-sync.service/main.token")
        let absolute = try Self.parse(
            Self.minimalStore + "\ntoken_file = \"/srv/main.token\"",
            environment: credentials
        )
        #expect(absolute.stores["main"]?.tokenFile == "/srv/main.token")
        let empty = try Self.parse(Self.minimalStore, environment: ["CREDENTIALS_DIRECTORY": ""])
        #expect(empty.stores["main"]?.tokenFile == "/etc/shopify-sync/main.token")
    }

    // MARK: - Errors

    static let badConfigs: [BadConfig] = [
        BadConfig(
            label: "invalid TOML",
            text: "spool_dir = \"/srv\"\n\nstate_dir = \n" + minimalStore,
            line: 3,
            mentions: "not valid TOML"
        ),
        BadConfig(
            label: "unclosed table header",
            text: "spool_dir = \"/srv\"\n[stores.main\nshop = \"x\"",
            line: 2,
            mentions: "not valid TOML"
        ),
        BadConfig(
            label: "unknown top-level key",
            text: "spool_dir = \"/srv\"\nspool_folder = \"/srv\"\n" + minimalStore,
            line: 2,
            mentions: "spool_folder"
        ),
        BadConfig(
            label: "unknown store key",
            text: minimalStore + "\ntokn_file = \"main.token\"",
            line: 4,
            mentions: "tokn_file"
        ),
        BadConfig(
            label: "wrong type: string for a number",
            text: "done_retention_days = \"14\"\n" + minimalStore,
            line: 1,
            mentions: "done_retention_days"
        ),
        BadConfig(
            label: "wrong type: number for a path",
            text: "\nspool_dir = 5\n" + minimalStore,
            line: 2,
            mentions: "spool_dir"
        ),
        BadConfig(
            label: "wrong type: string for a boolean",
            text: minimalStore + "\nenabled = \"yes\"",
            line: 4,
            mentions: "enabled"
        ),
        BadConfig(
            label: "wrong type: number for shop",
            text: "[stores.main]\nshop = 7\ndefault_location = \"1\"",
            line: 2,
            mentions: "shop"
        ),
        BadConfig(
            label: "out of range: mass_zero_percent 150",
            text: "mass_zero_percent = 150\n" + minimalStore,
            line: 1,
            mentions: "mass_zero_percent"
        ),
        BadConfig(
            label: "out of range: done_retention_days -1",
            text: "done_retention_days = -1\n" + minimalStore,
            line: 1,
            mentions: "done_retention_days"
        ),
        BadConfig(
            label: "ledger_retention_days shorter than done_retention_days",
            text: "done_retention_days = 30\nledger_retention_days = 7\n" + minimalStore,
            line: 2,
            mentions: "ledger_retention_days"
        ),
        BadConfig(
            label: "out of range: idempotency_window_hours 25",
            text: "idempotency_window_hours = 25\n" + minimalStore,
            line: 1,
            mentions: "idempotency_window_hours"
        ),
        BadConfig(
            label: "out of range: max_retry_hours 0",
            text: "catalog = \"c.csv\"\nmax_retry_hours = 0\n" + minimalStore,
            line: 2,
            mentions: "max_retry_hours"
        ),
        BadConfig(
            label: "out of range: max_file_size 10",
            text: "max_file_size = 10\n" + minimalStore,
            line: 1,
            mentions: "max_file_size"
        ),
        BadConfig(
            label: "missing shop",
            text: "spool_dir = \"/srv\"\n\n[stores.main]\ndefault_location = \"1\"",
            line: 3,
            mentions: "shop"
        ),
        BadConfig(
            label: "missing default_location",
            text: "[stores.main]\nshop = \"acme.myshopify.com\"",
            line: 1,
            mentions: "default_location"
        ),
        BadConfig(
            label: "default_location not a location gid",
            text: "[stores.main]\nshop = \"acme.myshopify.com\"\ndefault_location = \"gid://shopify/Product/1\"",
            line: 3,
            mentions: "default_location"
        ),
        BadConfig(
            label: "location not a gid",
            text: minimalStore + "\n[stores.main.locations]\nWH1 = \"1\"\nWH2 = \"warehouse two\"",
            line: 6,
            mentions: "WH2"
        ),
        BadConfig(
            label: "api_version malformed",
            text: minimalStore + "\napi_version = \"july\"",
            line: 4,
            mentions: "api_version"
        ),
        BadConfig(
            label: "endpoint not http",
            text: minimalStore + "\nendpoint = \"ftp://example.com\"",
            line: 4,
            mentions: "endpoint"
        ),
        BadConfig(
            label: "ca_file with a plain http endpoint",
            text: minimalStore + "\nendpoint = \"http://127.0.0.1:8080\"\nca_file = \"ca.pem\"",
            line: 5,
            mentions: "ca_file"
        ),
        BadConfig(
            label: "ca_file not a string",
            text: minimalStore + "\nca_file = 5",
            line: 4,
            mentions: "ca_file"
        ),
        BadConfig(
            label: "stores not a table",
            text: "spool_dir = \"/srv\"\nstores = 5",
            line: 2,
            mentions: "stores"
        ),
        BadConfig(
            label: "a store not a table",
            text: "[stores]\nmain = \"acme\"",
            line: 2,
            mentions: "main"
        ),
        BadConfig(label: "no stores", text: "spool_dir = \"/srv\"\n", line: nil, mentions: "store"),
        BadConfig(label: "empty stores table", text: "[stores]\n", line: nil, mentions: "store"),
    ]

    @Test(arguments: badConfigs)
    func refuses(_ bad: BadConfig) throws {
        let errors = #expect(throws: ConfigErrors.self) { try Self.parse(bad.text) }
        let error = try #require(errors?.errors.first)
        #expect(errors?.errors.count == 1, "\(errors?.description ?? "")")
        #expect(error.file == Self.path)
        #expect(error.line == bad.line, "\(error)")
        #expect(error.message.contains(bad.mentions), "\(error)")
        if let line = bad.line {
            #expect(error.description.hasPrefix("\(Self.path):\(line): "))
        }
    }

    /// The contract's own example puts comments after table headers; errors inside such tables still need a line.
    @Test func errorsInATableWhoseHeaderHasAComment() throws {
        let text = """
            [stores.main]   # the main shop
            shop = "acme.myshopify.com"
            default_location = "gid://shopify/Location/1"
            lookup_missing = "yes"

            [stores.main.locations]            # WMS location code -> Shopify location
            WH1 = "warehouse one"
            """
        let errors = #expect(throws: ConfigErrors.self) { try Self.parse(text) }
        let lines = errors?.errors.map(\.line)
        #expect(lines == [7, 4], "\(errors?.description ?? "")")
    }

    @Test func severalErrorsAreReportedTogether() throws {
        let text = """
            spool_folder = "/srv"
            mass_zero_percent = 150

            [stores.main]
            shop = "acme.myshopify.com"
            default_location = "gid://shopify/Location/1"
            enabled = 1

            [stores.au]
            shop = "acme-au.myshopify.com"
            """
        let errors = #expect(throws: ConfigErrors.self) { try Self.parse(text) }
        let found = try #require(errors?.errors)
        #expect(found.count == 4, "\(errors?.description ?? "")")
        #expect(found.allSatisfy { $0.file == Self.path })
        #expect(Set(found.compactMap(\.line)) == [1, 2, 7, 9])
        #expect(found.contains { $0.line == 1 && $0.message.contains("spool_folder") })
        #expect(found.contains { $0.line == 2 && $0.message.contains("mass_zero_percent") })
        #expect(found.contains { $0.line == 7 && $0.message.contains("enabled") })
        #expect(found.contains { $0.line == 9 && $0.message.contains("default_location") })
        #expect(errors?.description.split(separator: "\n").count == 4)
    }

    // MARK: - Files

    @Test func loadReadsAFile() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/config.toml"
        try Self.minimalStore.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try SyncConfig.load(path: path, environment: [:])
        #expect(config.path == path)
        #expect(config.stores["main"]?.tokenFile == folder + "/main.token")
    }

    @Test func loadNamesAMissingFile() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/missing.toml"
        let errors = #expect(throws: ConfigErrors.self) { try SyncConfig.load(path: path, environment: [:]) }
        #expect(errors?.errors.count == 1)
        #expect(errors?.errors.first?.file == path)
        #expect(errors?.errors.first?.line == nil)
    }
}
