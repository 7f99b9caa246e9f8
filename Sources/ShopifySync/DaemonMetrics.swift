import Foundation
import Metrics
import Prometheus
import ShopifySyncCore

/// The daemon's Prometheus metrics: their names, the process-wide registry, and the gauges set at scrape time.
///
/// The code records through swift-metrics (`Counter`, `Timer`, `Gauge`); ``bootstrap()`` points swift-metrics at
/// a swift-prometheus registry, and the daemon calls it only when `[metrics]` is configured, so without it
/// every metric is swift-metrics' no-op. Names follow Prometheus's conventions (`shopify_sync_` prefix, base
/// units, `_total` on counters).
public enum DaemonMetrics {
    /// Files in each spool folder (`folder`: pending, processing, done, failed).
    static let spoolFiles = "shopify_sync_spool_files"
    /// Age of the oldest file in pending/, 0 when it is empty.
    static let oldestPendingAge = "shopify_sync_oldest_pending_age_seconds"
    /// Settled request lines in the ledger by `store`, `outcome` (applied, skipped, failed) and `reason` (the
    /// skip reason or Shopify's error code; empty when applied). A gauge: `requeue` reopens failed lines.
    static let lines = "shopify_sync_lines"
    /// Shopify calls by `store`, `operation` and `outcome` (ok, user_errors, or the error: throttled, ...).
    static let calls = "shopify_sync_shopify_calls_total"
    /// Duration of Shopify calls by `store` and `operation` (a histogram).
    static let callDuration = "shopify_sync_shopify_call_duration_seconds"
    /// The points in the store's query-cost bucket, as Shopify last reported (`throttleStatus`).
    static let costAvailable = "shopify_sync_shopify_cost_available_points"
    /// Waits for the store's cost bucket by `store` and `cause`: `throttled` (Shopify answered THROTTLED or
    /// HTTP 429) or `budget` (the daemon held a call its model of the bucket could not pay for yet).
    static let throttleWaits = "shopify_sync_shopify_throttle_waits_total"
    /// 1 for the `state` (ok, backoff, throttled, paused, disabled) each `store` is in, 0 for the others.
    static let storeState = "shopify_sync_store_state"
    /// When each `store` last had a call succeed (Unix time).
    static let lastSuccess = "shopify_sync_store_last_success_timestamp_seconds"
    /// Lines each `store` has still to send.
    static let openLines = "shopify_sync_store_open_lines"

    static let storeStates = StoreHealth.Name.allCases.map(\.rawValue)

    /// The registry the endpoint serves.
    static let registry = PrometheusCollectorRegistry()

    private static let bootstrapOnce: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// Makes swift-metrics record into ``registry``; once per process, later calls do nothing.
    static func bootstrap() { _ = bootstrapOnce }

    /// Sets the gauges that describe the present: spool folders and stores from a status snapshot, and the
    /// ledger's settled lines.
    static func record(
        _ status: StatusSnapshot,
        lines settled: [(store: String, state: String, reason: String, count: Int)]
    ) {
        for line in settled {
            Gauge(
                label: lines,
                dimensions: [("store", line.store), ("outcome", line.state), ("reason", line.reason)]
            ).record(line.count)
        }
        let folders = [
            ("pending", status.pending), ("processing", status.processing), ("done", status.done),
            ("failed", status.failed),
        ]
        for (folder, count) in folders {
            Gauge(label: spoolFiles, dimensions: [("folder", folder)]).record(count)
        }
        Gauge(label: oldestPendingAge).record(status.oldestPendingAgeS)
        for (name, store) in status.stores {
            for state in storeStates {
                Gauge(label: storeState, dimensions: [("store", name), ("state", state)])
                    .record(store.state == state ? 1 : 0)
            }
            Gauge(label: openLines, dimensions: [("store", name)]).record(store.openLines)
            if let text = store.lastSuccess, let date = try? RequestReport.timestampStyle.parse(text) {
                Gauge(label: lastSuccess, dimensions: [("store", name)]).record(date.timeIntervalSince1970)
            }
        }
    }

    /// Counts one wait for the bucket before a call (``throttleWaits``, cause `budget`).
    static func recordBudgetWait(store: String) {
        Counter(label: throttleWaits, dimensions: [("store", store), ("cause", "budget")]).increment()
    }

    /// The registry's metrics in Prometheus's text format.
    static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
