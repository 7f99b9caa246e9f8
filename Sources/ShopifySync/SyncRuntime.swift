import Foundation
import Logging
import ShopifyAPI
import ShopifySyncCore
import Spool
import SyncState
import Synchronization
import Systemd

/// What the daemon's parts share: the state ledger, the spool, the live config and catalog, and the doorbells
/// that wake the spool loop and the store workers.
public final class SyncRuntime: Sendable {
    /// The live configuration and catalog, replaced as a whole on reload.
    struct Settings: Sendable {
        var config: SyncConfig
        var catalog: Catalog
        var mapper: Mapper { Mapper(config: config, catalog: catalog) }
    }

    let state: StateStore
    let spool: Spool
    let logger: Logger
    let health: WorkLoopHealth
    /// Wakes the spool loop: new files, settled lines.
    let spoolBell = Doorbell()
    /// Wakes each store's worker: new open lines. A store added on reload gets its bell then.
    private let storeBells: Mutex<[String: Doorbell]>
    /// The settings and the clients built from them, swapped together under one lock: a worker never sees a
    /// new config with an old client, or the reverse.
    private let live: Mutex<(settings: Settings, clients: [String: any InventoryAPI])>
    private let storeStatus: Mutex<[String: String]> = Mutex([:])

    init(
        config: SyncConfig,
        catalog: Catalog,
        state: StateStore,
        spool: Spool,
        clients: [String: any InventoryAPI],
        health: WorkLoopHealth,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        monotonicNow: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.clock = now
        self.monotonicClock = monotonicNow
        self.live = Mutex((Settings(config: config, catalog: catalog), clients))
        self.state = state
        self.spool = spool
        self.health = health
        self.logger = logger
        var bells: [String: Doorbell] = [:]
        for name in config.storeNames { bells[name] = Doorbell() }
        self.storeBells = Mutex(bells)
    }

    /// The doorbell of `store`'s worker, made on first use.
    func bell(_ store: String) -> Doorbell {
        storeBells.withLock { bells in
            if let bell = bells[store] { return bell }
            let bell = Doorbell()
            bells[store] = bell
            return bell
        }
    }

    var current: Settings { live.withLock { $0.settings } }

    /// Replaces config, catalog and the clients built for them in one step.
    func replace(config: SyncConfig, catalog: Catalog, clients newClients: [String: any InventoryAPI]) {
        live.withLock { live in
            live.settings = Settings(config: config, catalog: catalog)
            for (name, client) in newClients { live.clients[name] = client }
        }
    }

    func client(_ store: String) -> (any InventoryAPI)? { live.withLock { $0.clients[store] } }

    func ringStores() {
        for bell in storeBells.withLock({ Array($0.values) }) { bell.ring() }
    }

    /// The wall clock: ledger times, reports, retention cutoffs, the outage clock. Injected, so tests can fix it.
    private let clock: @Sendable () -> Date

    func now() -> Date { clock() }

    /// The monotonic clock: backoffs, holds, the cost bucket and when a worker looks again. Injected, so tests
    /// can move it on without sleeping.
    private let monotonicClock: @Sendable () -> ContinuousClock.Instant

    func monotonicNow() -> ContinuousClock.Instant { monotonicClock() }

    /// Records a store's health for `status`, metrics and the STATUS= line.
    func setStoreHealth(_ store: String, _ health: StoreHealth, success: Bool = false, error: String? = nil) {
        let line = health.reason.map { "\(health.name.rawValue): \($0)" } ?? health.name.rawValue
        storeStatus.withLock { $0[store] = line }
        do {
            try self.state.setStoreState(
                store: store,
                state: health.name,
                reason: health.reason,
                success: success,
                error: error,
                now: now().timeIntervalSince1970
            )
        } catch {
            logger.error("cannot record store state: \(error)", metadata: ["shopify.store": "\(store)"])
        }
    }

    func storeStatusLine(_ store: String) -> String { storeStatus.withLock { $0[store] ?? "ok" } }
}
