import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// Pushes one store's open lines to Shopify, one call at a time, exactly once.
///
/// Each call is written to the intent log (rows, key, member lines) before it is sent; after a crash the same
/// call is resent with the same key, so Shopify applies it once. A call settles in one transaction that marks
/// its lines applied (or failed) and deletes the intent. Movement deltas go before bulk-sync sets, so live work
/// is never stuck behind a hard sync. One store's trouble never touches another store's worker.
struct StoreWorker: Sendable {
    let store: String
    let runtime: SyncRuntime
    /// How long an idle worker sleeps before it looks again without being rung.
    var idleTimeout: Duration = .seconds(5)
    /// How long a SKU lookup miss is trusted before it is asked again.
    static let lookupMissTTL: Double = 3600

    private var logger: Logger {
        var logger = runtime.logger
        logger[metadataKey: "shopify.store"] = "\(store)"
        return logger
    }

    /// The worker's mutable state between calls.
    private struct Progress {
        var budget = CostBudget()
        var retry = RetryPolicy()
        /// The store's health: ok, backing off, throttled, paused (probed), or disabled.
        var health = StoreHealth.ok
        /// Until when a local fault (not Shopify's) holds the worker back.
        var localNotBefore: ContinuousClock.Instant?
        /// Until when bulk work (reads, lookups, sets) waits for the bucket; movement deltas do not wait for it.
        var backgroundNotBefore: ContinuousClock.Instant?
        /// Active time of the current outage, for `max_retry_hours`.
        var outage = OutageClock()
        /// The local error last logged (a ledger write that failed), until a step succeeds again.
        var localError: String?
        var localFailures = 0

        mutating func observe(_ cost: QueryCost?) {
            if let cost { budget.observe(cost, at: .now) }
        }
    }

    /// Why a call did not settle.
    private enum Hold: Error {
        case wait
    }

    /// The worker's monotonic clock, in seconds, for ``StoreHealth``.
    private static let epoch = ContinuousClock.now
    private static func seconds(_ instant: ContinuousClock.Instant = .now) -> Double {
        let (whole, fraction) = (instant - epoch).components
        return Double(whole) + Double(fraction) / 1e18
    }
    private static func instant(_ seconds: Double) -> ContinuousClock.Instant {
        epoch + .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    func run() async {
        var progress = Progress()
        let bell = runtime.bell(store)
        progress.health.configure(enabled: runtime.current.config.stores[store]?.enabled ?? true)
        runtime.setStoreHealth(store, progress.health)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var didWork = false
            let notBefore = [progress.health.waitsUntil.map(Self.instant), progress.localNotBefore].compactMap { $0 }
                .max()
            if let notBefore, notBefore > .now {
                await bell.wait(timeout: min(ContinuousClock.now.duration(to: notBefore), idleTimeout))
                continue
            }
            progress.localNotBefore = nil
            do {
                didWork = try await step(&progress)
                if progress.localError != nil { recoveredLocally(&progress) }
            } catch is Hold {
                didWork = false
            } catch is CallFailure {
                // Already logged and turned into backoff or a pause by `handle`.
                didWork = false
            } catch {
                // A fault of this machine (the ledger cannot be written, a full disk): logged once, retried with
                // backoff; the intent, if any, is resent with its key once it passes.
                failedLocally(error, &progress)
                didWork = false
            }
            if !didWork {
                let background = progress.backgroundNotBefore.map { ContinuousClock.now.duration(to: $0) }
                await bell.wait(timeout: min(idleTimeout, max(background ?? idleTimeout, .milliseconds(10))))
            }
        }
    }

    private func failedLocally(_ error: any Error, _ progress: inout Progress) {
        progress.localFailures += 1
        let wait = progress.retry.delay(attempt: progress.localFailures)
        progress.localNotBefore = .now + wait
        let text = "\(error)"
        guard progress.localError != text else { return }
        progress.localError = text
        logger.error(
            "store worker cannot go on: \(error); retrying with backoff",
            metadata: ["message_id": MessageID.localFault.metadataValue, "error": "\(error)"]
        )
    }

    private func recoveredLocally(_ progress: inout Progress) {
        progress.localError = nil
        progress.localFailures = 0
        logger.notice(
            "store worker goes on after a local fault",
            metadata: ["message_id": MessageID.localFault.metadataValue]
        )
    }

    /// Does one unit of work; returns whether there was any.
    private func step(_ progress: inout Progress) async throws -> Bool {
        guard let storeConfig = runtime.current.config.stores[store], let api = runtime.client(store) else {
            return false
        }
        let before = progress.health
        progress.health.configure(enabled: storeConfig.enabled)
        if progress.health != before { runtime.setStoreHealth(store, progress.health) }
        guard storeConfig.enabled else {
            progress.outage.suspended()
            return false
        }
        if progress.health.isPaused {
            try await probe(api, &progress)
        }
        if let intent = try runtime.state.intents(store: store).first {
            try await send(intent, api: api, &progress)
            return true
        }
        if try await sendDeltas(api, &progress) { return true }
        // Bulk work yields to movements: it never sleeps for the bucket while a movement could be sent.
        if let notBefore = progress.backgroundNotBefore, notBefore > .now { return false }
        progress.backgroundNotBefore = nil
        if try await resolveLookups(api, &progress) { return true }
        if try await sendSets(api, &progress) { return true }
        return false
    }

    // MARK: - Deltas

    private func sendDeltas(_ api: any InventoryAPI, _ progress: inout Progress) async throws -> Bool {
        let lines = try runtime.state.openLines(store: store, kind: .adjust, state: .pending, limit: 5_000)
        guard !lines.isEmpty else { return false }
        // The snapshot rule: a delta that a written snapshot already counts is not sent.
        let inSnapshot = try runtime.state.skipDeltasInSnapshot(store: store)
        if !inSnapshot.isEmpty {
            logInSnapshot(inSnapshot)
            runtime.spoolBell.ring()
            return true
        }
        let deltas = lines.compactMap { line -> PendingDelta? in
            guard let item = line.inventoryItem, let location = line.location, let delta = line.delta else {
                return nil
            }
            return PendingDelta(
                ref: line.ref,
                inventoryItemID: item,
                locationID: location,
                delta: delta,
                reason: line.shopifyReason ?? "correction",
                generation: line.generation
            )
        }
        guard let batch = Netting.batches(deltas).first else { return false }
        guard !batch.rows.isEmpty else {
            try runtime.state.update(
                batch.nettedToZero.map { LineUpdate(ref: $0, state: .applied, reason: .nettedToZero) }
            )
            runtime.spoolBell.ring()
            return true
        }
        let key = batch.idempotencyKey
        let request = AdjustRequest(
            reason: batch.reason,
            referenceDocumentURI: "gid://shopify-sync/SyncCall/\(key)",
            idempotencyKey: key,
            changes: batch.rows.map {
                InventoryChange(inventoryItemID: $0.inventoryItemID, locationID: $0.locationID, delta: $0.delta)
            }
        )
        let intent = try runtime.state.createIntent(
            store: store,
            kind: .adjust,
            idempotencyKey: key,
            payload: try Self.encode(request),
            body: try ShopifyClient.body(of: request),
            members: batch.members,
            now: runtime.now().timeIntervalSince1970
        )
        try await send(intent, api: api, &progress)
        return true
    }

    // MARK: - Absolute quantities

    private func sendSets(_ api: any InventoryAPI, _ progress: inout Progress) async throws -> Bool {
        let open = try runtime.state.openLines(store: store, kind: .set, state: .pending, limit: 2_000)
        guard let location = open.first?.location else { return false }
        // One group per item: the oldest request's lines for it (several WMS locations on this Shopify
        // location write one row); a later request's lines for the same item wait for a later call.
        var order: [String] = []
        var groups: [String: (request: String, lines: [LineRecord])] = [:]
        for line in open where line.location == location {
            guard let item = line.inventoryItem else { continue }
            if let group = groups[item] {
                if group.request == line.ref.requestID { groups[item]?.lines.append(line) }
                continue
            }
            guard order.count < Netting.maxRows else { continue }
            order.append(item)
            groups[item] = (line.ref.requestID, [line])
        }
        let planned = order.compactMap { item -> SetPlan.Group? in
            guard let lines = groups[item]?.lines, let first = lines.first else { return nil }
            return SetPlan.Group(
                inventoryItemID: item,
                quantity: first.pairQuantity ?? lines.reduce(0) { $0 + ($1.quantity ?? 0) },
                asOf: first.at ?? 0,
                members: lines.map(\.ref),
                memberTags: lines.map { "\($0.ref.requestID)#\($0.ref.line)@\($0.generation).\($0.rereads)" }
            )
        }
        let cost = ShopifyDocuments.estimatedCost(.onHand(itemCount: order.count))
        let items = order
        let read = try await call(api, cost: cost, background: true, &progress) {
            try await $0.onHand(items: items, locationID: location)
        }
        progress.observe(read.cost)
        var levels: [String: SetPlan.Level] = [:]
        for item in order {
            if let current = read.onHand[item] ?? nil {
                levels[item] = .onHand(current)
            } else {
                levels[item] = read.unknownItems.contains(item) ? .unknownItem : .notStocked
            }
        }
        let history = try runtime.state.snapshotHistory(
            store: store,
            location: location,
            asOf: Dictionary(uniqueKeysWithValues: planned.map { ($0.inventoryItemID, $0.asOf) })
        )
        let plan = SetPlan(store: store, locationID: location, groups: planned, levels: levels, history: history)
        let lines = order.flatMap { groups[$0]?.lines ?? [] }
        var updates: [LineUpdate] = []
        for settled in plan.settled {
            for ref in settled.members {
                let item = lines.first { $0.ref == ref }?.inventoryItem ?? "?"
                switch settled.settlement {
                case .equal(let current):
                    updates.append(
                        LineUpdate(
                            ref: ref,
                            state: .skipped,
                            reason: .equal,
                            before: current,
                            after: current
                        )
                    )
                case .superseded:
                    updates.append(LineUpdate(ref: ref, state: .skipped, reason: .superseded))
                case .unknownItem:
                    updates.append(
                        LineUpdate(
                            ref: ref,
                            state: .failed,
                            errorCode: "INVALID_INVENTORY_ITEM",
                            error: "Shopify has no inventory item \(item)"
                        )
                    )
                case .notStocked:
                    updates.append(
                        LineUpdate(
                            ref: ref,
                            state: .failed,
                            errorCode: "ITEM_NOT_STOCKED_AT_LOCATION",
                            error: "Shopify has no inventory level for \(item) at \(location)"
                        )
                    )
                }
            }
        }
        if !updates.isEmpty {
            try runtime.state.update(updates)
            logLineOutcomes(updates, lines: lines)
            runtime.spoolBell.ring()
        }
        guard !plan.rows.isEmpty else { return true }
        let key = plan.idempotencyKey
        let request = SetRequest(
            reason: "correction",
            referenceDocumentURI: "gid://shopify-sync/SyncCall/\(key)",
            idempotencyKey: key,
            quantities: plan.rows.map {
                QuantitySet(
                    inventoryItemID: $0.inventoryItemID,
                    locationID: location,
                    quantity: $0.quantity,
                    changeFromQuantity: $0.changeFromQuantity
                )
            }
        )
        let intent = try runtime.state.createIntent(
            store: store,
            kind: .set,
            idempotencyKey: key,
            payload: try Self.encode(request),
            body: try ShopifyClient.body(of: request),
            members: plan.rows.flatMap(\.members),
            now: runtime.now().timeIntervalSince1970
        )
        try await send(intent, api: api, &progress)
        return true
    }

    // MARK: - SKU lookup

    private func resolveLookups(_ api: any InventoryAPI, _ progress: inout Progress) async throws -> Bool {
        var lines: [LineRecord] = []
        for kind in [LineKind.adjust, .set] {
            lines += try runtime.state.openLines(store: store, kind: kind, state: .lookup, limit: 500)
        }
        guard let sku = lines.first?.sku else { return false }
        let now = runtime.now().timeIntervalSince1970
        var entry = try runtime.state.cachedSKU(store: store, sku: sku)
        if entry == nil || (entry?.status != .found && now - (entry?.checkedAt ?? 0) > Self.lookupMissTTL) {
            let result = try await call(
                api,
                cost: ShopifyDocuments.estimatedCost(.skuLookup),
                background: true,
                &progress
            ) {
                try await $0.lookupSKU(sku)
            }
            progress.observe(result.cost)
            let ids = result.inventoryItemIDs
            let status: SKUCacheEntry.Status = ids.count == 1 ? .found : (ids.isEmpty ? .missing : .ambiguous)
            try runtime.state.cacheSKU(
                store: store,
                sku: sku,
                inventoryItem: ids.count == 1 ? ids[0] : nil,
                status: status,
                now: now
            )
            entry = try runtime.state.cachedSKU(store: store, sku: sku)
        }
        let matching = lines.filter { $0.sku == sku }
        if let entry, entry.status == .found, let item = entry.inventoryItem {
            try runtime.state.update(matching.map { LineUpdate(ref: $0.ref, state: .pending, inventoryItem: item) })
        } else {
            let why =
                entry?.status == .ambiguous ? "several inventory items have this SKU" : "no inventory item has this SKU"
            try runtime.state.update(
                matching.map {
                    LineUpdate(
                        ref: $0.ref,
                        state: .skipped,
                        reason: .noInventoryItem,
                        error: "lookup: \(why)"
                    )
                }
            )
            if try runtime.state.shouldLogSKUMiss(store: store, sku: sku, now: now) {
                logger.warning(
                    "skipped SKU \(sku): \(why) in Shopify (lookup_missing); logged once an hour",
                    metadata: [
                        "message_id": MessageID.lineSkipped.metadataValue,
                        "shopify.sku": "\(sku)",
                        "sync.outcome": "skipped",
                        "shopify.error_code": "no_inventory_item",
                    ]
                )
            }
            runtime.spoolBell.ring()
        }
        return true
    }

    // MARK: - Sending

    /// Sends an intent's call (the same payload and key every time) and settles what Shopify answered.
    ///
    /// A call is never sent under its key after the key's idempotency window: an adjust call then ends as
    /// `outcome_unknown_expired`, a set call is planned anew against a fresh read. A call that cannot be read
    /// back fails its lines (`unreadable_intent`) instead of blocking the store.
    private func send(_ intent: StoredIntent, api: any InventoryAPI, _ progress: inout Progress) async throws {
        let members = try runtime.state.members(intentID: intent.id)
        let now = runtime.now().timeIntervalSince1970
        if now - intent.createdAt >= runtime.current.config.idempotencyWindowHours * 3_600 {
            try expire(intent, members: members)
            return
        }
        let rows: [Settlement.Row]
        do {
            guard StoredIntent.knownFormats.contains(intent.format) else {
                throw LedgerCorruption(table: "intents", column: "format", value: "\(intent.format)")
            }
            rows = try rowsOf(intent)
        } catch {
            try failUnreadable(intent, members: members, error: error)
            return
        }
        let result: MutationResult
        do {
            switch intent.kind {
            case .adjust where intent.body != nil, .set where intent.body != nil:
                // Format 2: the bytes of the first send, unchanged, whatever this version would encode now.
                let write: InventoryWrite = intent.kind == .adjust ? .adjust : .set
                let body = intent.body ?? []
                let cost = ShopifyDocuments.estimatedCost(intent.kind == .adjust ? .adjust : .set)
                result = try await call(api, cost: cost, &progress) { try await $0.sendWrite(write, body: body) }
            case .adjust:
                let request = try Self.decode(AdjustRequest.self, intent.payload)
                result = try await call(api, cost: ShopifyDocuments.estimatedCost(.adjust), &progress) {
                    try await $0.adjustQuantities(request)
                }
            case .set:
                let request = try Self.decode(SetRequest.self, intent.payload)
                result = try await call(api, cost: ShopifyDocuments.estimatedCost(.set), &progress) {
                    try await $0.setQuantities(request)
                }
            }
        } catch let failure as CallFailure {
            try runtime.state.recordAttempt(intentID: intent.id, error: failure.error.description)
            if !failure.error.isRetryable {
                // A top-level GraphQL error: the document was refused before anything was applied.
                let updates = members.map {
                    LineUpdate(
                        ref: $0.ref,
                        state: .failed,
                        errorCode: failure.error.shopifyCode ?? FailureCode.graphQLError.rawValue,
                        error: failure.error.message
                    )
                }
                try runtime.state.update(updates, settling: intent.id)
                logLineOutcomes(updates, lines: members)
                runtime.spoolBell.ring()
            } else if progress.outage.shouldGiveUp(maxRetryHours: runtime.current.config.maxRetryHours) {
                // The call may have been applied: its lines end, and the call is kept with its key.
                try holdUnknown(intent, members: members, cause: failure.error.description)
            }
            throw Hold.wait
        }
        progress.observe(result.cost)
        try settle(intent, members: members, rows: rows, result: result, &progress)
        runtime.spoolBell.ring()
    }

    /// Ends an intent's lines as `outcome_unknown`, keeping the call held with its key for `requeue`.
    private func holdUnknown(_ intent: StoredIntent, members: [LineRecord], cause: String) throws {
        let sent = RequestReport.timestamp(Date(timeIntervalSince1970: intent.createdAt))
        let updates = members.map {
            LineUpdate(
                ref: $0.ref,
                state: .failed,
                errorCode: FailureCode.outcomeUnknown.rawValue,
                error:
                    "no answer from Shopify (\(cause)); the call may have been applied. Key \(intent.idempotencyKey), "
                    + "first sent \(sent): requeue resends it with the same key until the idempotency window ends"
            )
        }
        try runtime.state.update(updates, holding: intent.id)
        logLineOutcomes(updates, lines: members)
        runtime.spoolBell.ring()
    }

    /// An intent whose key Shopify may have forgotten: an adjust call is not sent again, a set call is re-read.
    private func expire(_ intent: StoredIntent, members: [LineRecord]) throws {
        switch intent.kind {
        case .set:
            try runtime.state.update(
                members.map { LineUpdate(ref: $0.ref, state: .pending, newGeneration: true) },
                settling: intent.id
            )
        case .adjust:
            let sent = RequestReport.timestamp(Date(timeIntervalSince1970: intent.createdAt))
            let updates = members.map {
                LineUpdate(
                    ref: $0.ref,
                    state: .failed,
                    errorCode: FailureCode.outcomeUnknownExpired.rawValue,
                    error: "call \(intent.idempotencyKey), first sent \(sent), has no known outcome and is past its "
                        + "idempotency window; not sent again: check these items with drift, then bulk sync them"
                )
            }
            try runtime.state.update(updates, holding: intent.id)
            logLineOutcomes(updates, lines: members)
        }
        runtime.spoolBell.ring()
    }

    /// A stored call that cannot be read back can never be sent: its lines fail with a code, once.
    private func failUnreadable(_ intent: StoredIntent, members: [LineRecord], error: any Error) throws {
        logger.error(
            "stored call \(intent.idempotencyKey) cannot be read back; its \(members.count) line(s) fail",
            metadata: [
                "message_id": MessageID.lineFailed.metadataValue,
                "shopify.idempotency_key": "\(intent.idempotencyKey)",
                "error": "\(error)",
            ]
        )
        let updates = members.map {
            LineUpdate(
                ref: $0.ref,
                state: .failed,
                errorCode: FailureCode.unreadableIntent.rawValue,
                error: "the stored call cannot be read back: \(error)"
            )
        }
        // Held, not deleted: whether it was ever sent is unknown, and its key stays on record.
        try runtime.state.update(updates, holding: intent.id)
        logLineOutcomes(updates, lines: members)
        runtime.spoolBell.ring()
    }

    /// Records a call's verdict from Shopify's answer, by ``ShopifyErrorClass``.
    ///
    /// No userError: every member applied. Otherwise nothing was applied, and the most serious class decides:
    /// possibly applied (held, `outcome_unknown`, critical), retry with the same key, reopen under a new key,
    /// or fail the call; else the rows named fail or are re-read, and the rest goes again under a new key.
    private func settle(
        _ intent: StoredIntent,
        members: [LineRecord],
        rows: [Settlement.Row],
        result: MutationResult,
        _ progress: inout Progress
    ) throws {
        let settlement = Settlement.of(
            intent.kind == .adjust ? .adjust : .set,
            rows: rows,
            members: members.map {
                Settlement.Member(ref: $0.ref, item: $0.inventoryItem, location: $0.location, rereads: $0.rereads)
            },
            errors: result.userErrors.map { error in
                Settlement.UserError(
                    code: error.code,
                    message: error.message,
                    row: error.rowIndex.flatMap { $0 < rows.count ? $0 : nil }
                )
            }
        )
        switch settlement {
        case .applied(let figures):
            let updates = members.map { line in
                LineUpdate(
                    ref: line.ref,
                    state: .applied,
                    before: figures[line.ref]?.before,
                    after: line.kind == .set ? figures[line.ref]?.after : nil
                )
            }
            try runtime.state.update(updates, settling: intent.id)
            runtime.setStoreHealth(store, progress.health, success: true)
            logger.info(
                "applied \(rows.count) row(s) for \(members.count) line(s) in one call",
                metadata: [
                    "message_id": MessageID.callApplied.metadataValue,
                    "sync.outcome": "applied",
                    // One SHOPIFY_SKU= and WMS_MOVEMENT_ID= per line the call carried (journalctl matches any).
                    "shopify.sku": .array(members.map { "\($0.sku)" }),
                    "wms.movement_id": .array(members.map { "\($0.ref.requestID)" }),
                    "shopify.idempotency_key": "\(intent.idempotencyKey)",
                ]
            )
            if intent.kind == .set { logBulkItems(updates, lines: members) }
        case .possiblyApplied(let code, let message):
            logger.critical(
                "Shopify says key \(intent.idempotencyKey) was used with other parameters (\(code ?? "")): the first use may have been applied; its lines end as outcome_unknown",
                metadata: [
                    "message_id": MessageID.lineFailed.metadataValue,
                    "shopify.idempotency_key": "\(intent.idempotencyKey)",
                    "shopify.error_code": "\(code ?? "")",
                    "shopify.error": "\(message)",
                ]
            )
            try holdUnknown(intent, members: members, cause: "\(code ?? ""): \(message)")
        case .retrySameKey(let code, let message):
            let error = ShopifyError(code: .unavailable, message: message, shopifyCode: code, cost: result.cost)
            try runtime.state.recordAttempt(intentID: intent.id, error: error.description)
            handle(error, &progress)
            if progress.outage.shouldGiveUp(maxRetryHours: runtime.current.config.maxRetryHours) {
                // The first attempt may still be applying: the outcome is unknown, the key is kept.
                try holdUnknown(intent, members: members, cause: error.description)
            }
        case .reopenUnderNewKey:
            try runtime.state.update(
                members.map { LineUpdate(ref: $0.ref, state: .pending, newGeneration: true) },
                settling: intent.id
            )
        case .failCall(let code, let message):
            let updates = members.map { LineUpdate(ref: $0.ref, state: .failed, errorCode: code, error: message) }
            try runtime.state.update(updates, settling: intent.id)
            logLineOutcomes(updates, lines: members)
        case .byRow(let verdicts):
            let updates = members.compactMap { line -> LineUpdate? in
                switch verdicts[line.ref] {
                case .failed(let code, let message):
                    LineUpdate(ref: line.ref, state: .failed, errorCode: code, error: message)
                case .reread:
                    LineUpdate(ref: line.ref, state: .pending, countReread: true)
                case nil:
                    nil
                }
            }
            // The rest goes back to pending and is resent without the refused rows, under a new key.
            try runtime.state.update(updates, settling: intent.id)
            logLineOutcomes(updates, lines: members)
        }
    }

    private func rowsOf(_ intent: StoredIntent) throws -> [Settlement.Row] {
        switch intent.kind {
        case .adjust:
            try Self.decode(AdjustRequest.self, intent.payload).changes.map {
                Settlement.Row(item: $0.inventoryItemID, location: $0.locationID)
            }
        case .set:
            try Self.decode(SetRequest.self, intent.payload).quantities.map {
                Settlement.Row(
                    item: $0.inventoryItemID,
                    location: $0.locationID,
                    changeFrom: $0.changeFromQuantity,
                    quantity: $0.quantity
                )
            }
        }
    }

    // MARK: - Calls, budget, backoff, pause

    /// A call that did not reach a verdict, after the store's state has been updated for it.
    private struct CallFailure: Error {
        var error: ShopifyError
    }

    /// Waits until the bucket can pay, makes the call, and turns failures into backoff or a pause.
    private func call<T: Sendable>(
        _ api: any InventoryAPI,
        cost: Double,
        background: Bool = false,
        _ progress: inout Progress,
        _ body: @Sendable (any InventoryAPI) async throws -> T
    ) async throws -> T {
        let delay = progress.budget.delay(forCost: cost, now: .now)
        if delay > .zero && background {
            progress.backgroundNotBefore = .now + delay
            throw Hold.wait
        }
        if delay > .zero {
            DaemonMetrics.recordBudgetWait(store: store)
            try await Task.sleep(for: delay)
        }
        progress.budget.spend(cost, at: .now)
        do {
            let value = try await body(api)
            if progress.health != .ok { resume(&progress) }
            progress.outage.succeeded()
            return value
        } catch {
            let failure = error as? ShopifyError ?? ShopifyError(code: .badResponse, message: "\(error)")
            handle(failure, &progress)
            throw CallFailure(error: failure)
        }
    }

    /// Turns a call that reached no verdict into the store's next health: backoff, a wait for the bucket, or a
    /// pause; logs it, and counts it toward `max_retry_hours` only while the store is active.
    private func handle(_ error: ShopifyError, _ progress: inout Progress) {
        if let cost = error.cost { progress.budget.observe(cost, at: .now) }
        let metadata: Logger.Metadata = [
            "shopify.error_code": "\(error.shopifyCode ?? error.httpStatus.map { "HTTP \($0)" } ?? "\(error.code)")",
            "shopify.error": "\(error.message)",
        ]
        let retryAfter = error.retryAfter.map {
            Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
        }
        let trouble: StoreHealth.Trouble
        switch error.code {
        case .accessDenied: trouble = .accessDenied(reason: error.httpStatus.map { "\($0)" } ?? "access denied")
        case .throttled: trouble = .throttled(retryAfter: retryAfter)
        default: trouble = .unavailable(reason: "\(error.code)", retryAfter: retryAfter)
        }
        let before = progress.health
        let policy = progress.retry
        progress.health.observe(trouble, now: Self.seconds()) { attempt, retryAfter in
            let wait = policy.delay(attempt: attempt, retryAfter: retryAfter.map { .milliseconds(Int64($0 * 1000)) })
            return Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        }
        let wait = progress.health.waitsUntil.map { max(0, $0 - Self.seconds()) } ?? 0
        switch progress.health {
        case .paused:
            progress.outage.suspended()
            if !before.isPaused {
                logger.critical(
                    "store paused: Shopify refused the token (\(error)); its work waits and is probed with backoff",
                    metadata: metadata.merging(["message_id": MessageID.storePaused.metadataValue]) { $1 }
                )
            }
        case .throttled:
            logger.notice(
                "throttled by Shopify; waiting \(String(format: "%.1f", wait)) s",
                metadata: metadata.merging([
                    "message_id": MessageID.callRetrying.metadataValue, "sync.outcome": "retrying",
                ]) { $1 }
            )
        case .backoff:
            progress.outage.failed(now: runtime.now().timeIntervalSince1970)
            logger.warning(
                "call failed (\(error)); retrying in \(String(format: "%.1f", wait)) s",
                metadata: metadata.merging([
                    "message_id": MessageID.callRetrying.metadataValue, "sync.outcome": "retrying",
                ]) { $1 }
            )
        case .ok, .disabled:
            break
        }
        if progress.health.name != before.name || progress.health.reason != before.reason {
            runtime.setStoreHealth(store, progress.health, error: error.description)
        }
    }

    private func resume(_ progress: inout Progress) {
        if progress.health.isPaused {
            logger.notice(
                "store resumed: Shopify accepts the token again",
                metadata: ["message_id": MessageID.storeResumed.metadataValue]
            )
        }
        progress.health.succeeded()
        runtime.setStoreHealth(store, progress.health, success: true)
    }

    /// While paused, one cheap read decides whether the store works again.
    private func probe(_ api: any InventoryAPI, _ progress: inout Progress) async throws {
        _ = try await call(api, cost: ShopifyDocuments.estimatedCost(.shopName), &progress) { try await $0.shopName() }
    }

    // MARK: - Logging

    private func logLineOutcomes(_ updates: [LineUpdate], lines: [LineRecord]) {
        for update in updates where update.state == .failed {
            let line = lines.first { $0.ref == update.ref }
            logger.error(
                "SKU \(line?.sku ?? "?") failed in store \(store): \(update.errorCode ?? "") \(update.error ?? "")",
                metadata: [
                    "message_id": MessageID.lineFailed.metadataValue,
                    "shopify.sku": "\(line?.sku ?? "")",
                    "shopify.inventory_item": "\(line?.inventoryItem ?? "")",
                    "shopify.location": "\(line?.location ?? "")",
                    "wms.movement_id": "\(update.ref.requestID)",
                    "sync.outcome": "failed",
                    "shopify.error_code": "\(update.errorCode ?? "")",
                    "shopify.error": "\(update.error ?? "")",
                ]
            )
        }
        for update in updates where update.state == .skipped && update.reason == .equal {
            let line = lines.first { $0.ref == update.ref }
            logger.debug(
                "bulk sync: SKU \(line?.sku ?? "?") already \(update.before ?? 0) in store \(store)",
                metadata: [
                    "message_id": MessageID.bulkSyncItem.metadataValue,
                    "shopify.sku": "\(line?.sku ?? "")",
                    "wms.movement_id": "\(update.ref.requestID)",
                    "sync.outcome": "skipped",
                ]
            )
        }
    }

    private func logInSnapshot(_ lines: [LineRecord]) {
        for line in lines {
            logger.info(
                "SKU \(line.sku) of \(line.ref.requestID) not sent to store \(store): a snapshot written for its item and location already counts it (in_snapshot)",
                metadata: [
                    "message_id": MessageID.lineSkipped.metadataValue,
                    "shopify.sku": "\(line.sku)",
                    "shopify.inventory_item": "\(line.inventoryItem ?? "")",
                    "shopify.location": "\(line.location ?? "")",
                    "wms.movement_id": "\(line.ref.requestID)",
                    "sync.outcome": "skipped",
                    "shopify.error_code": "\(LineReason.inSnapshot.rawValue)",
                ]
            )
        }
    }

    private func logBulkItems(_ updates: [LineUpdate], lines: [LineRecord]) {
        for update in updates {
            let line = lines.first { $0.ref == update.ref }
            logger.info(
                "bulk sync: SKU \(line?.sku ?? "?") set from \(update.before ?? 0) to \(update.after ?? 0) in store \(store)",
                metadata: [
                    "message_id": MessageID.bulkSyncItem.metadataValue,
                    "shopify.sku": "\(line?.sku ?? "")",
                    "shopify.inventory_item": "\(line?.inventoryItem ?? "")",
                    "shopify.location": "\(line?.location ?? "")",
                    "wms.movement_id": "\(update.ref.requestID)",
                    "sync.outcome": "applied",
                ]
            )
        }
    }

    // MARK: - Payloads

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
