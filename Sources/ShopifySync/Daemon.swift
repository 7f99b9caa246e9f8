import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import Spool
import SyncState
import SystemPackage
import Systemd

/// The composition root of `shopify-sync daemon`.
public enum Daemon {
    /// Loads config and catalog, opens the state database and the spool, and runs until SIGTERM.
    ///
    /// Config errors throw ``ConfigErrors`` (exit 78) before anything starts.
    public static func run(
        configPath: String,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        clients: [String: any InventoryAPI]? = nil
    ) async throws {
        let config = try SyncConfig.load(path: configPath, environment: environment)
        let catalog = try Catalog.load(path: config.catalogPath, knownStores: Set(config.stores.keys))
        // An enabled store whose token was not given (a LoadCredential= line missing) is a config error.
        if clients == nil { try StoreClients.requireTokens(config, environment: environment) }
        // One daemon per state folder: taken before the ledger is opened, held until the process ends.
        let lock = try StateFolderLock(stateDir: config.stateDir)
        defer { withExtendedLifetime(lock) {} }
        let state = try StateStore(path: (config.stateDir as NSString).appendingPathComponent("state.sqlite"))
        let spool = Spool(root: FilePath(config.spoolDir), maxFileSize: config.maxFileSize, logger: logger)
        let notifier = SystemdNotifier()
        let health = WorkLoopHealth()
        let runtime = SyncRuntime(
            config: config,
            catalog: catalog,
            state: state,
            spool: spool,
            clients: clients ?? StoreClients.make(for: config),
            health: health,
            logger: logger,
            stallWorkLoop: environment["SHOPIFY_SYNC_TEST_STALL_WORK_LOOP"] == "1"
        )
        let status = StatusReporter(notifier: notifier)
        let sync = SyncService(
            runtime: runtime,
            notifier: notifier,
            status: status,
            configPath: configPath,
            environment: environment
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: sync, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: status),
        ]
        if notifier.watchdogInterval != nil {
            services.append(.init(service: WatchdogService(notifier: notifier, health: health, logger: logger)))
        }
        if let metrics = config.metrics {
            services.append(.init(service: MetricsServer.service(metrics, runtime: runtime, logger: logger)))
        }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
