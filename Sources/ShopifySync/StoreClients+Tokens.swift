import Foundation
import ShopifySyncCore

extension StoreClients {
    /// Checks that every enabled store's token can be read, before the daemon starts.
    ///
    /// A token that is missing at start is a configuration error (exit 78), not a store that Shopify
    /// refused: without this the store started as "ok", then paused as if its token were revoked. A token
    /// expected under `$CREDENTIALS_DIRECTORY` but not there names the `LoadCredential=` line the unit lacks.
    /// Disabled stores are not checked (their work waits). Never reads more than it needs, never logs a token.
    static func requireTokens(_ config: SyncConfig, environment: [String: String]) throws(ConfigErrors) {
        var errors: [ConfigError] = []
        for store in config.stores.values.sorted(by: { $0.name < $1.name }) where store.enabled {
            do {
                _ = try readToken(store)
            } catch {
                errors.append(missingTokenError(store, error, environment: environment))
            }
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
    }

    private static func missingTokenError(
        _ store: StoreConfig,
        _ error: ConfigError,
        environment: [String: String]
    ) -> ConfigError {
        let credentials = environment["CREDENTIALS_DIRECTORY"].map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        guard let credentials, store.tokenFile.hasPrefix(credentials),
            !FileManager.default.fileExists(atPath: store.tokenFile)
        else {
            return error
        }
        let name = String(store.tokenFile.dropFirst(credentials.count))
        return ConfigError(
            file: store.tokenFile,
            line: nil,
            "store \(store.name) is enabled but its token credential \(name) was not given to the service: add "
                + "LoadCredential=\(name):/etc/shopify-sync/\(name) (systemctl edit shopify-sync), then restart"
        )
    }
}
