import Foundation
import Logging
import ShopifyAPI
import ShopifySyncCore
import Spool
import SyncState
import SystemPackage

/// The operator subcommands that work on the spool and the state without the daemon.
public struct OperatorCommands: Sendable {
    public let configPath: String
    public let environment: [String: String]
    let logger: Logger

    public init(configPath: String, environment: [String: String], logger: Logger) {
        self.configPath = configPath
        self.environment = environment
        self.logger = logger
    }

    /// The config, or exit 78 with every problem listed.
    public func loadConfig() throws(CommandFailure) -> SyncConfig {
        do {
            return try SyncConfig.load(path: configPath, environment: environment)
        } catch {
            throw CommandFailure(.configError, error.description)
        }
    }

    func spool(_ config: SyncConfig) -> Spool {
        Spool(root: FilePath(config.spoolDir), maxFileSize: config.maxFileSize, logger: logger)
    }

    /// The spool, its folders created when missing (before the daemon's first start), for placing files.
    func preparedSpool(_ config: SyncConfig) throws(CommandFailure) -> Spool {
        let spool = spool(config)
        do {
            try spool.prepare()
        } catch {
            throw CommandFailure(.ioError, "cannot prepare the spool: \(error)")
        }
        return spool
    }

    // MARK: - submit

    /// Validates each file and places the valid ones in pending/ atomically; a file that is not a valid
    /// request is not placed (exit 65).
    public func submit(files: [String], output: (String) -> Void) throws(CommandFailure) {
        let config = try loadConfig()
        let spool = try preparedSpool(config)
        var invalid: [String] = []
        for file in files {
            let name = (file as NSString).lastPathComponent
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(.ioError, "\(file): cannot read the file")
            }
            guard data.count <= config.maxFileSize else {
                invalid.append("\(file): larger than max_file_size (\(config.maxFileSize) bytes)")
                continue
            }
            guard Spool.isValidName(name) else {
                invalid.append("\(file): the name must match \(Spool.nameRule)")
                continue
            }
            do {
                let decoded = try RequestDecoder().decode([UInt8](data))
                for warning in decoded.warnings { output("\(file): warning: \(warning)") }
            } catch {
                invalid.append("\(file): \(error.reason): \(error)")
                continue
            }
            do {
                try spool.submit(name: name, contents: [UInt8](data))
                output("\(file): placed in \(spool.path(.pending, name))")
            } catch {
                throw CommandFailure(.ioError, "\(file): \(error)")
            }
        }
        guard invalid.isEmpty else { throw CommandFailure(.dataError, invalid.joined(separator: "\n")) }
    }

    // MARK: - requeue

    /// Moves files from failed/ back to pending/; their applied lines stay applied.
    ///
    /// With `resendUnknown`, lines whose outcome is unknown and whose call is past its idempotency window are
    /// sent again under a new key (the operator has checked they were not applied); without it they fail again
    /// as `outcome_unknown_expired`. Within the window such a call is always resent with its own key.
    public func requeue(
        names: [String],
        all: Bool,
        resendUnknown: Bool = false,
        output: (String) -> Void
    ) throws(CommandFailure) {
        let config = try loadConfig()
        let spool = spool(config)
        var chosen = names
        if all {
            do {
                chosen = try spool.requestNames(in: .failed)
            } catch {
                throw CommandFailure(.ioError, "\(error)")
            }
        }
        guard !chosen.isEmpty else {
            if all { return output("failed/ is empty") }
            throw CommandFailure(.usage, "name the files to requeue, or use --all")
        }
        var problems: [String] = []
        let state: StateStore?
        do {
            let statePath = (config.stateDir as NSString).appendingPathComponent("state.sqlite")
            state = resendUnknown ? try StateStore(path: statePath) : nil
        } catch {
            throw CommandFailure(.ioError, "cannot open the state database to allow resending: \(error)")
        }
        for name in chosen {
            do {
                try state?.allowResendUnknown(file: name)
                try spool.requeue(name)
                output("requeued \(name)")
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        guard problems.isEmpty else { throw CommandFailure(.ioError, problems.joined(separator: "\n")) }
    }

    // MARK: - status

    public func status(json: Bool, output: (String) -> Void) throws(CommandFailure) {
        let config = try loadConfig()
        let statePath = (config.stateDir as NSString).appendingPathComponent("state.sqlite")
        let stateExists = try Self.stateDatabaseExists(at: statePath)
        do {
            let state = stateExists ? try StateStore(path: statePath, readOnly: true) : nil
            let snapshot = try StatusSnapshot.read(config: config, state: state, spool: spool(config), now: Date())
            output(json ? snapshot.json() : snapshot.text())
        } catch {
            throw CommandFailure(.ioError, "cannot read the status: \(error)")
        }
    }

    // MARK: - check

    /// Validates config, catalog and tokens; with `online`, one read-only query per store.
    public func check(online: Bool, output: (String) -> Void) async throws(CommandFailure) {
        let config = try loadConfig()
        var problems: [String] = []
        do {
            let catalog = try Catalog.load(path: config.catalogPath, knownStores: Set(config.stores.keys))
            output("catalog \(config.catalogPath): \(catalog.entries.count) rows")
        } catch {
            problems += error.errors.map(\.description)
        }
        for store in config.stores.values.sorted(by: { $0.name < $1.name }) {
            do {
                _ = try StoreClients.readToken(store)
            } catch {
                problems.append(error.description)
            }
        }
        guard problems.isEmpty else { throw CommandFailure(.configError, problems.joined(separator: "\n")) }
        output("config \(configPath): \(config.stores.count) store(s): \(config.storeNames.joined(separator: ", "))")
        guard online else { return }
        var unavailable: [String] = []
        for (name, client) in StoreClients.make(for: config).sorted(by: { $0.key < $1.key }) {
            do {
                let shop = try await client.shopName()
                output("store \(name): online, shop \"\(shop)\"")
            } catch {
                let what = error.code == .accessDenied ? "the token was rejected" : "Shopify is unavailable"
                unavailable.append("store \(name): \(what): \(error)")
            }
        }
        guard unavailable.isEmpty else { throw CommandFailure(.unavailable, unavailable.joined(separator: "\n")) }
    }
}
