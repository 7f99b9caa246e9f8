import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// Sending a written-down call and settling what Shopify answered.
extension StoreWorker {
    /// Sends an intent's call (the same payload and key every time) and settles what Shopify answered.
    ///
    /// A call is never sent under its key after the key's idempotency window: an adjust call then ends as
    /// `outcome_unknown_expired`, a set call is planned anew against a fresh read. A call that cannot be read
    /// back fails its lines (`unreadable_intent`) instead of blocking the store.
    func send(_ intent: StoredIntent, api: any InventoryAPI, _ progress: inout Progress) async throws {
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
            try runtime.state.recordAttempt(
                intentID: intent.id,
                error: failure.error.description,
                mayHaveSent: !failure.error.notSent
            )
            if !failure.error.isRetryable {
                // A top-level GraphQL error: the document was refused before anything was applied.
                try failAll(
                    members,
                    of: intent,
                    code: failure.error.shopifyCode ?? FailureCode.graphQLError.rawValue,
                    error: failure.error.message,
                    keep: false
                )
            } else if progress.outage.shouldGiveUp(maxRetryHours: runtime.current.config.maxRetryHours) {
                if try runtime.state.intent(id: intent.id)?.mayHaveSent ?? true {
                    // The call may have been applied: its lines end, and the call is kept with its key.
                    try holdUnknown(intent, members: members, cause: failure.error.description)
                } else {
                    // No attempt ever reached Shopify: nothing was applied, and a requeue sends it anew.
                    try failAll(
                        members,
                        of: intent,
                        code: FailureCode.shopifyUnavailable.rawValue,
                        error: "Shopify could not be reached; nothing was sent: \(failure.error.message)",
                        keep: false
                    )
                }
            }
            throw Hold.wait
        }
        progress.observe(result.cost, at: runtime.monotonicNow())
        try settle(intent, members: members, rows: rows, result: result, &progress)
        runtime.spoolBell.ring()
    }

    /// Ends an intent's lines as `outcome_unknown`, keeping the call held with its key for `requeue`.
    func holdUnknown(_ intent: StoredIntent, members: [LineRecord], cause: String) throws {
        let sent = RequestReport.timestamp(Date(timeIntervalSince1970: intent.createdAt))
        try failAll(
            members,
            of: intent,
            code: FailureCode.outcomeUnknown.rawValue,
            error: "no answer from Shopify (\(cause)); the call may have been applied. Key \(intent.idempotencyKey), "
                + "first sent \(sent): requeue resends it with the same key until the idempotency window ends",
            keep: true
        )
    }

    /// Fails every line a call carried with `code`, logs each, and wakes the spool loop; `keep` holds the call
    /// with its key (its outcome is unknown), otherwise it is deleted (nothing it carried was applied).
    func failAll(_ members: [LineRecord], of intent: StoredIntent, code: String, error: String, keep: Bool) throws {
        let updates = members.map { LineUpdate(ref: $0.ref, state: .failed, errorCode: code, error: error) }
        if keep {
            try runtime.state.update(updates, holding: intent.id)
        } else {
            try runtime.state.update(updates, settling: intent.id)
        }
        logLineOutcomes(updates, lines: members)
        runtime.spoolBell.ring()
    }

    /// An intent whose key Shopify may have forgotten: an adjust call is not sent again, a set call is re-read.
    func expire(_ intent: StoredIntent, members: [LineRecord]) throws {
        switch intent.kind {
        case .set:
            try runtime.state.update(
                members.map { LineUpdate(ref: $0.ref, state: .pending, newGeneration: true) },
                settling: intent.id
            )
            runtime.spoolBell.ring()
        case .adjust:
            let sent = RequestReport.timestamp(Date(timeIntervalSince1970: intent.createdAt))
            try failAll(
                members,
                of: intent,
                code: FailureCode.outcomeUnknownExpired.rawValue,
                error: "call \(intent.idempotencyKey), first sent \(sent), has no known outcome and is past its "
                    + "idempotency window; not sent again: check these items with drift, then bulk sync them",
                keep: true
            )
        }
    }

    /// A stored call that cannot be read back can never be sent: its lines fail with a code, once.
    func failUnreadable(_ intent: StoredIntent, members: [LineRecord], error: any Error) throws {
        logger.error(
            "stored call \(intent.idempotencyKey) cannot be read back; its \(members.count) line(s) fail",
            metadata: [
                "message_id": MessageID.lineFailed.metadataValue,
                "shopify.idempotency_key": "\(intent.idempotencyKey)",
                "error": "\(error)",
            ]
        )
        // Held, not deleted: whether it was ever sent is unknown, and its key stays on record.
        try failAll(
            members,
            of: intent,
            code: FailureCode.unreadableIntent.rawValue,
            error: "the stored call cannot be read back: \(error)",
            keep: true
        )
    }

    /// Records a call's verdict from Shopify's answer, by ``ShopifyErrorClass``.
    ///
    /// No userError: every member applied. Otherwise nothing was applied, and the most serious class decides:
    /// possibly applied (held, `outcome_unknown`, critical), retry with the same key, reopen under a new key,
    /// or fail the call; else the rows named fail or are re-read, and the rest goes again under a new key.
    func settle(
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
                let figure = figures[line.ref]
                let unchanged = line.kind == .set && figure?.isUnchanged == true
                return LineUpdate(
                    ref: line.ref,
                    state: unchanged ? .skipped : .applied,
                    reason: unchanged ? .equal : nil,
                    before: figure?.before,
                    after: line.kind == .set ? figure?.after : nil
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
            try failAll(members, of: intent, code: code, error: message, keep: false)
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

    func rowsOf(_ intent: StoredIntent) throws -> [Settlement.Row] {
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
}
