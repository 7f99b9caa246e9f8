import ServiceLifecycle

/// One ``StoreWorker`` per store, and one more for each store a reload adds, without a restart.
///
/// On graceful shutdown (after intake has stopped) each worker finishes the call it has in flight, records its
/// outcome and returns; then the requests those calls completed are finished, so their files reach done/ now
/// rather than at the next start. Workers are never cancelled mid-call by this service (the daemon's service
/// group cancels only after its 30 s bound).
struct WorkersService: Service, Sendable {
    let runtime: SyncRuntime
    let processor: SpoolProcessor
    /// Names of stores added by a reload.
    let addedStores: AsyncStream<String>

    func run() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { workers in
                var started: Set<String> = []
                for store in runtime.current.config.storeNames {
                    started.insert(store)
                    workers.addTask { await StoreWorker(store: store, runtime: runtime).run() }
                }
                for await store in addedStores.cancelOnGracefulShutdown() where started.insert(store).inserted {
                    workers.addTask { await StoreWorker(store: store, runtime: runtime).run() }
                }
                await workers.waitForAll()
            }
            try? processor.finishCompleted()
            do {
                try processor.syncReports()
            } catch {
                runtime.logger.error(
                    "cannot sync the finished requests' reports at shutdown: \(error); they are checked at the next start",
                    metadata: ["error": "\(error)"]
                )
            }
        } onGracefulShutdown: {
            runtime.ringStores()
        }
    }
}
