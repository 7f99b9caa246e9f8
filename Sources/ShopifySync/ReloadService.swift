import Foundation
import Logging
import ServiceLifecycle
import ShopifySyncCore
import Systemd
import UnixSignals

/// Rereads config and catalog on SIGHUP and when the catalog file changes: one task consuming one sequence of
/// triggers, so two reloads never run at once.
///
/// A bad new config or catalog is refused and logged, and the running one kept. Config, catalog and clients
/// are swapped together (``SyncRuntime/replace(config:catalog:clients:)``); a store added to the config is
/// announced on `addedStores` so its worker starts. Tests drive ``run(triggers:)`` with a scripted sequence.
struct ReloadService: Service, Sendable {
    /// What asks for a reload.
    enum Trigger: Sendable, Hashable {
        /// SIGHUP (`systemctl reload`): RELOADING=1, then READY=1 to systemd.
        case signal
        /// The catalog file's modification time changed.
        case catalogChanged
    }

    let runtime: SyncRuntime
    let notifier: SystemdNotifier
    let configPath: String
    let environment: [String: String]
    let addedStores: AsyncStream<String>.Continuation
    /// How often the catalog's modification time is checked.
    var catalogCheckInterval: Duration = .seconds(1)

    private var logger: Logger { runtime.logger }

    /// Consumes the live triggers, SIGHUP and the catalog's modification time, until cancelled.
    func run() async {
        let (triggers, continuation) = AsyncStream<Trigger>.makeStream()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { continuation.yield(.signal) }
            }
            group.addTask {
                var stamp = Self.modificationTime(runtime.current.config.catalogPath)
                while !Task.isCancelled {
                    try? await Task.sleep(for: catalogCheckInterval)
                    let now = Self.modificationTime(runtime.current.config.catalogPath)
                    if now != stamp {
                        stamp = now
                        continuation.yield(.catalogChanged)
                    }
                }
            }
            group.addTask { await run(triggers: triggers) }
            await group.next()
            continuation.finish()
            group.cancelAll()
        }
    }

    /// Reloads once per trigger, in order.
    func run<Triggers: AsyncSequence & Sendable>(triggers: Triggers) async where Triggers.Element == Trigger {
        do {
            for try await trigger in triggers.cancelOnGracefulShutdown() {
                switch trigger {
                case .signal:
                    notifier.reloading()
                    reload(reason: "SIGHUP")
                    notifier.ready()
                case .catalogChanged:
                    reload(reason: "the catalog changed")
                }
            }
        } catch {
            logger.error("reload triggers ended: \(error)")
        }
    }

    /// Rereads config and catalog; a bad new one is refused and logged, and the running one kept.
    func reload(reason: String) {
        do {
            let config = try SyncConfig.load(path: configPath, environment: environment)
            let catalog = try Catalog.load(path: config.catalogPath, knownStores: Set(config.stores.keys))
            let running = runtime.current.config
            runtime.replace(config: config, catalog: catalog, clients: StoreClients.make(for: config))
            for name in config.storeNames where running.stores[name] == nil {
                logger.notice("store \(name) was added to the config; its worker starts now")
                addedStores.yield(name)
            }
            logger.notice(
                "reloaded config and catalog (\(reason))",
                metadata: ["message_id": MessageID.reloaded.metadataValue]
            )
            runtime.ringStores()
        } catch {
            logger.error(
                "reload refused (\(reason)); keeping the running config: \(error)",
                metadata: ["message_id": MessageID.reloadRefused.metadataValue]
            )
        }
    }

    static func modificationTime(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
