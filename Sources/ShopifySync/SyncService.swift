import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import Spool
import SyncState
import Synchronization
import SystemPackage
import Systemd

/// The daemon's work as one `Service` holding an inner service group, as hummingbird's `Application` does:
/// recovery and the first scan, then intake, reload, retention and the store workers as services of their own.
///
/// READY=1 is sent only after recovery and the first scan. On graceful shutdown STOPPING=1 is sent first, then
/// the inner services stop in reverse order: intake takes no new file, reload and retention stop, and last the
/// store workers finish their in-flight calls (the daemon's service group cancels after 30 s).
final class SyncService: Service, Sendable {
    private let runtime: SyncRuntime
    private let notifier: SystemdNotifier
    private let status: StatusReporter
    private let configPath: String
    private let environment: [String: String]

    init(
        runtime: SyncRuntime,
        notifier: SystemdNotifier,
        status: StatusReporter,
        configPath: String,
        environment: [String: String]
    ) {
        self.runtime = runtime
        self.notifier = notifier
        self.status = status
        self.configPath = configPath
        self.environment = environment
    }

    private var logger: Logger { runtime.logger }

    func run() async throws {
        let spool = runtime.spool
        let processor = SpoolProcessor(runtime: runtime)
        try spool.prepare()
        // The watch is set before the first scan, so no file dropped in between is missed.
        let pendingEvents = try PendingEvents(directory: spool.path(.pending))
        try processor.recover()
        try processor.scan()
        try processor.finishCompleted()
        let retention = RetentionService(runtime: runtime)
        retention.apply()
        runtime.health.beat()
        let intake = IntakeService(runtime: runtime, processor: processor, pendingEvents: pendingEvents, status: status)
        intake.publishStatus()
        notifier.ready()
        logger.notice(
            "shopify-sync started: spool \(spool.root), stores \(runtime.current.config.storeNames.joined(separator: ", "))",
            metadata: ["message_id": MessageID.daemonStarted.metadataValue]
        )
        let addedStores = AsyncStream<String>.makeStream()
        let reload = ReloadService(
            runtime: runtime,
            notifier: notifier,
            configPath: configPath,
            environment: environment,
            addedStores: addedStores.continuation
        )
        // Shut down in reverse order: intake first, the store workers last.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(
                        service: WorkersService(runtime: runtime, processor: processor, addedStores: addedStores.stream)
                    ),
                    .init(service: retention),
                    .init(service: reload),
                    .init(service: intake),
                ],
                logger: logger
            )
        )
        // The inner group follows this service's graceful shutdown by itself (ServiceLifecycle nests groups).
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: {
            self.notifier.stopping()
            self.logger.notice(
                "stopping: finishing in-flight calls",
                metadata: ["message_id": MessageID.daemonStopping.metadataValue]
            )
        }
    }
}
