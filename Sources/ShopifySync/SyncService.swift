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

/// The daemon's work as one `Service`: recovery, the spool loop, the store workers and reloads.
///
/// READY=1 is sent only after recovery and the first scan. On graceful shutdown the loops stop taking new
/// work, in-flight calls finish (the service group cancels after 30 s), and STOPPING=1 is sent first.
final class SyncService: Service, Sendable {
    private let runtime: SyncRuntime
    private let notifier: SystemdNotifier
    private let status: StatusReporter
    private let configPath: String
    private let environment: [String: String]
    /// Names inotify reported, and whether it overflowed, since the loop last looked.
    private let events = Mutex<(names: [String], overflow: Bool)>(([], false))
    /// Stores a reload added to the config, to be given a worker.
    private let addedStores = AsyncStream<String>.makeStream()

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
        RetentionService(runtime: runtime).apply()
        runtime.health.beat()
        publishStatus()
        notifier.ready()
        logger.notice(
            "shopify-sync started: spool \(spool.root), stores \(runtime.current.config.storeNames.joined(separator: ", "))",
            metadata: ["message_id": MessageID.daemonStarted.metadataValue]
        )
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.watch(pendingEvents) }
                group.addTask { await RetentionService(runtime: self.runtime).run() }
                group.addTask {
                    await ReloadService(
                        runtime: self.runtime,
                        notifier: self.notifier,
                        configPath: self.configPath,
                        environment: self.environment,
                        addedStores: self.addedStores.continuation
                    ).run()
                }
                await withTaskGroup(of: Void.self) { workers in
                    var started: Set<String> = []
                    for store in self.runtime.current.config.storeNames {
                        started.insert(store)
                        workers.addTask { await StoreWorker(store: store, runtime: self.runtime).run() }
                    }
                    workers.addTask {
                        await self.loop(processor)
                        self.addedStores.continuation.finish()
                    }
                    // A store added to the config on reload starts here, without a restart.
                    for await store in self.addedStores.stream where started.insert(store).inserted {
                        workers.addTask { await StoreWorker(store: store, runtime: self.runtime).run() }
                    }
                    // On SIGTERM each worker finishes the call it has in flight and returns; cancelling them
                    // here would abort those calls (the service group cancels after 30 s if one hangs).
                    await workers.waitForAll()
                }
                // Files whose last lines those calls settled go to done/ now, not at the next start.
                try? processor.finishCompleted()
                group.cancelAll()
                await group.waitForAll()
            }
        } onGracefulShutdown: {
            self.notifier.stopping()
            self.logger.notice(
                "stopping: finishing in-flight calls",
                metadata: ["message_id": MessageID.daemonStopping.metadataValue]
            )
            self.runtime.spoolBell.ring()
            self.runtime.ringStores()
        }
    }

    // MARK: - The spool loop

    private func loop(_ processor: SpoolProcessor) async {
        let config = runtime.current.config
        let rescanEvery = Duration.milliseconds(Int64(config.rescanIntervalSeconds * 1000))
        var lastRescan = ContinuousClock.now
        var lastStatus = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            runtime.health.beat()
            let (names, overflow) = events.withLock { events in
                defer { events = ([], false) }
                return events
            }
            let rescan = overflow || ContinuousClock.now - lastRescan >= rescanEvery
            do {
                try processor.retryLocalFailures()
                if rescan {
                    if overflow { logger.warning("inotify queue overflowed; rescanning pending/") }
                    try processor.scan()
                    lastRescan = .now
                } else if !names.isEmpty {
                    try processor.scan(names: names)
                }
                try processor.finishCompleted()
            } catch {
                logger.error("spool loop: \(error)")
            }
            // Once a second, however often the loop wakes: counting the spool lists every folder.
            if ContinuousClock.now - lastStatus >= .seconds(1) {
                publishStatus()
                lastStatus = .now
            }
            await runtime.spoolBell.wait(timeout: .seconds(1))
        }
    }

    private func watch(_ pendingEvents: PendingEvents) async {
        for await event in pendingEvents {
            events.withLock { events in
                switch event {
                case .file(let name):
                    if events.names.count < 100_000 { events.names.append(name) } else { events.overflow = true }
                case .overflow: events.overflow = true
                }
            }
            runtime.spoolBell.ring()
        }
    }

    private func publishStatus() {
        guard let counts = try? runtime.spool.counts(now: Date()) else { return }
        let stores = runtime.current.config.storeNames.map { ($0, runtime.storeStatusLine($0)) }
        status.update(StatusSnapshot.line(counts: counts, stores: stores))
    }
}
