import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import Spool
import SyncState
import SystemPackage
import Systemd
import UnixSignals

/// The composition root of `shopify-sync daemon`: the one place that builds the daemon's parts and wires them.
///
/// The executable and the tests build the daemon through ``init(configPath:logger:environment:notifier:clients:shutdownSignals:)``;
/// what differs between them (where sd_notify messages go, the Shopify clients, which signals stop it) is passed
/// in, never switched on inside.
public struct Daemon: Sendable {
    /// What the parts share: the ledger, the spool, the live config and catalog, the work loop's heartbeat.
    let runtime: SyncRuntime
    private let group: ServiceGroup
    /// One daemon per state folder: taken before the ledger is opened, held until the daemon is dropped.
    private let lock: StateFolderLock

    /// Loads config and catalog, takes the state folder's lock, opens the ledger and the spool, and builds the
    /// services; nothing runs until ``run()``.
    ///
    /// Config errors throw ``ConfigErrors`` (exit 78) and a held lock ``StateFolderLock/Held`` (exit 75), before
    /// anything is opened.
    ///
    /// - Parameters:
    ///   - configPath: the config file.
    ///   - logger: for every part; never built inside.
    ///   - environment: for `$CREDENTIALS_DIRECTORY` and the config's environment lookups.
    ///   - notifier: where READY=1, STATUS=, WATCHDOG=1 go; the default reads `$NOTIFY_SOCKET` and
    ///     `$WATCHDOG_USEC`. The watchdog service runs only when it has a watchdog interval.
    ///   - clients: each store's Shopify client; `nil` builds the libcurl clients from the config and the tokens,
    ///     and then an enabled store without its token is a config error.
    ///   - shutdownSignals: the signals that start a graceful shutdown.
    public init(
        configPath: String,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        notifier: SystemdNotifier = SystemdNotifier(),
        clients: [String: any InventoryAPI]? = nil,
        shutdownSignals: [UnixSignal] = [.sigterm, .sigint]
    ) throws {
        let config = try SyncConfig.load(path: configPath, environment: environment)
        let catalog = try Catalog.load(path: config.catalogPath, knownStores: Set(config.stores.keys))
        // An enabled store whose token was not given (a LoadCredential= line missing) is a config error.
        if clients == nil { try StoreClients.requireTokens(config, environment: environment) }
        self.lock = try StateFolderLock(stateDir: config.stateDir)
        let state = try StateStore(path: (config.stateDir as NSString).appendingPathComponent("state.sqlite"))
        let spool = Spool(root: FilePath(config.spoolDir), maxFileSize: config.maxFileSize, logger: logger)
        let health = WorkLoopHealth()
        let runtime = SyncRuntime(
            config: config,
            catalog: catalog,
            state: state,
            spool: spool,
            clients: clients ?? StoreClients.make(for: config),
            health: health,
            logger: logger
        )
        self.runtime = runtime
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
            gracefulShutdownSignals: shutdownSignals,
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        configuration.maximumCancellationDuration = .seconds(5)
        self.group = ServiceGroup(configuration: configuration)
    }

    /// Runs every service until a shutdown signal (or cancellation) stops them; READY=1 comes after recovery and
    /// the first scan.
    public func run() async throws {
        defer { withExtendedLifetime(self.lock) {} }
        try await self.group.run()
    }

    /// Builds the daemon from the process's environment and systemd's variables, and runs it until SIGTERM.
    public static func run(
        configPath: String,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        clients: [String: any InventoryAPI]? = nil
    ) async throws {
        try await Daemon(configPath: configPath, logger: logger, environment: environment, clients: clients).run()
    }
}
