import Foundation
import TestSupport
import Testing

/// The daemon refuses to start when an enabled store's token was not given to it.
@Suite(.timeLimit(.minutes(1)))
struct StartupTokenTests {
    @Test("a missing token credential of an enabled store: exit 78 naming the store and the LoadCredential= line")
    func missingCredentialRefusesStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let credentials = "\(directory)/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try writeToken("token-main\n", to: "\(credentials)/main.token")
        // au.token is in the config's folder (where `check` as root would find it) but not a credential.
        try writeToken("token-au\n", to: "\(directory)/au.token")
        try "sku,store,inventory_item_id,sync\n".write(
            toFile: "\(directory)/catalog.csv",
            atomically: true,
            encoding: .utf8
        )
        try """
        spool_dir = "spool"
        state_dir = "state"
        catalog = "catalog.csv"
        [stores.main]
        shop = "main.myshopify.com"
        token_file = "main.token"
        default_location = "gid://shopify/Location/1"
        [stores.au]
        shop = "au.myshopify.com"
        token_file = "au.token"
        default_location = "gid://shopify/Location/11"
        [stores.off]
        shop = "off.myshopify.com"
        enabled = false
        token_file = "off.token"
        default_location = "gid://shopify/Location/21"
        """.write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)

        let daemon = try ChildDaemon(
            config: "\(directory)/config.toml",
            logPath: "\(directory)/daemon.log",
            environment: [
                "CREDENTIALS_DIRECTORY": credentials,
                "SHOPIFY_SYNC_JOURNAL_SOCKET": "\(directory)/no-journal",
            ]
        )
        let status = await daemon.waitForExit(timeout: .seconds(30))
        if status == nil { daemon.signal(SIGKILL) }
        #expect(status == 78, "exit \(status.map(String.init) ?? "none (still running)"): \(daemon.log)")
        #expect(daemon.log.contains("store au is enabled but its token credential au.token"), "\(daemon.log)")
        #expect(daemon.log.contains("LoadCredential=au.token:/etc/shopify-sync/au.token"), "\(daemon.log)")
        #expect(!daemon.log.contains("store main"), "\(daemon.log)")
        #expect(!daemon.log.contains("store off"), "a disabled store's token was required: \(daemon.log)")
        #expect(!daemon.log.contains("token-main"), "a token was logged: \(daemon.log)")
    }
}
