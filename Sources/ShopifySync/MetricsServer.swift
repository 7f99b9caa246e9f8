import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ShopifySyncCore

/// Serves `GET /metrics` in Prometheus's text format on the `[metrics] listen` address while the daemon runs.
enum MetricsServer {
    /// The HTTP service; each scrape first reads the spool, the store states and the ledger into the gauges.
    ///
    /// Also makes swift-metrics record into ``DaemonMetrics/registry`` (``DaemonMetrics/bootstrap()``). A
    /// listen address that cannot be bound stops the daemon with the error logged.
    static func service(_ config: MetricsConfig, runtime: SyncRuntime, logger: Logger) -> some Service {
        DaemonMetrics.bootstrap()
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let status = try StatusSnapshot.read(
                config: runtime.current.config,
                state: runtime.state,
                spool: runtime.spool,
                now: Date()
            )
            DaemonMetrics.record(status, lines: try runtime.state.settledLineCounts())
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: DaemonMetrics.exposition()))
            )
        }
        // Hummingbird's own per-request and start-up lines stay out of the journal.
        var quiet = logger
        quiet.logLevel = .warning
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(config.host, port: config.port),
                serverName: "shopify-sync"
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                let host = config.host.contains(":") ? "[\(config.host)]" : config.host
                logger.notice(
                    "serving Prometheus metrics at http://\(host):\(port)/metrics",
                    metadata: ["metrics.listen": "\(host):\(port)"]
                )
            },
            logger: quiet
        )
    }
}
