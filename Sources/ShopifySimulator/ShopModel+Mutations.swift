import Foundation

/// The resolver stage of the two inventory writes: validation into userErrors, then all-or-nothing application.
extension ShopModel {
    /// `inventoryAdjustQuantities` with a coerced `input`; applies nothing when any userError is returned.
    mutating func adjustQuantities(_ input: SimJSON, now: Date) -> PayloadModel {
        let (name, reason, reference, rows) = Self.header(input, rows: "changes")
        var errors = headerErrors(reason: reason, reference: reference)
        if !QuantityName.adjustable.contains(name) {
            errors.append(
                UserErrorModel(
                    field: ["input", "name"],
                    message: "The specified quantity name is invalid. Valid values are: "
                        + QuantityName.adjustable.joined(separator: ", ") + ".",
                    code: "INVALID_QUANTITY_NAME"
                )
            )
        }
        guard errors.isEmpty else { return PayloadModel(group: nil, userErrors: errors) }

        // Ledger documents (captured: inventory-adjust-ledger-document-validation.json).
        var ledgers: Set<String> = []
        for (index, row) in rows.enumerated() {
            let path = ["input", "changes", String(index), "ledgerDocumentUri"]
            let ledger = row["ledgerDocumentUri"]?.stringValue
            if let ledger { ledgers.insert(ledger) }
            if name == "available", ledger != nil {
                errors.append(
                    UserErrorModel(
                        field: path,
                        message: "A ledger document URI is not allowed when adjusting available.",
                        code: "INVALID_AVAILABLE_DOCUMENT"
                    )
                )
            } else if name != "available", ledger == nil {
                errors.append(
                    UserErrorModel(
                        field: path,
                        message: "A ledger document URI is required except when adjusting available.",
                        code: "INVALID_QUANTITY_DOCUMENT"
                    )
                )
            } else if let ledger, ledger.hasPrefix("gid://shopify/") {
                errors.append(
                    UserErrorModel(
                        field: path,
                        message: "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                        code: "INTERNAL_LEDGER_DOCUMENT"
                    )
                )
            }
        }
        if ledgers.count > 1 {
            errors.append(
                UserErrorModel(
                    field: ["input", "changes"],
                    message: "All changes must have the same ledger document URI or, in the case of adjusting"
                        + " available, no ledger document URI.",
                    code: "MAX_ONE_LEDGER_DOCUMENT"
                )
            )
        }

        var scratch: [String: ItemModel] = [:]
        var changes: [ChangeModel] = []
        for (index, row) in rows.enumerated() {
            let prefix = ["input", "changes", String(index)]
            let itemID = row["inventoryItemId"]?.stringValue ?? ""
            let locationID = row["locationId"]?.stringValue ?? ""
            let delta = row["delta"]?.intValue ?? 0
            guard
                var level = level(
                    itemID: itemID,
                    locationID: locationID,
                    prefix: prefix,
                    errors: &errors,
                    notStockedMessage: "The inventory item is not stocked at the location.",
                    in: scratch
                )
            else { continue }
            if let stale = Self.staleError(
                row,
                current: level[name],
                prefix: prefix,
                message: "The changeFromQuantity argument no longer matches the persisted quantity."
            ) {
                errors.append(stale)
                continue
            }
            // Bounds from the schema's enum descriptions (no capture of an adjust out of bounds).
            let after = level[name] + delta
            if after > 2_000_000_000 {
                errors.append(
                    UserErrorModel(
                        field: prefix + ["delta"],
                        message: "The quantity can't be higher than 2,000,000,000.",
                        code: "INVALID_QUANTITY_TOO_HIGH"
                    )
                )
                continue
            }
            if after < -2_000_000_000 {
                errors.append(
                    UserErrorModel(
                        field: prefix + ["delta"],
                        message: "The quantity can't be lower than -2,000,000,000.",
                        code: "INVALID_QUANTITY_TOO_LOW"
                    )
                )
                continue
            }
            guard delta != 0 else { continue }
            level[name] = after
            let ledger = row["ledgerDocumentUri"]?.stringValue
            changes.append(
                ChangeModel(
                    name: name,
                    delta: delta,
                    itemID: itemID,
                    locationID: locationID,
                    ledgerDocumentUri: ledger
                )
            )
            if QuantityName.mirroredIntoOnHand.contains(name) {
                level["on_hand"] += delta
                changes.append(
                    ChangeModel(
                        name: "on_hand",
                        delta: delta,
                        itemID: itemID,
                        locationID: locationID,
                        ledgerDocumentUri: nil
                    )
                )
            }
            scratch[itemID, default: items[itemID]!].levels[locationID] = level
        }
        return commit(
            errors: errors,
            changes: changes,
            scratch: scratch,
            reason: reason,
            reference: reference,
            now: now
        )
    }

    /// `inventorySetQuantities` with a coerced `input`; applies nothing when any userError is returned.
    mutating func setQuantities(_ input: SimJSON, now: Date) -> PayloadModel {
        let (name, reason, reference, rows) = Self.header(input, rows: "quantities")
        var errors = headerErrors(reason: reason, reference: reference)
        if !QuantityName.settable.contains(name) {
            errors.append(
                UserErrorModel(
                    field: ["input", "name"],
                    message: "The quantity name must be either 'available' or 'on_hand'.",
                    code: "INVALID_NAME"
                )
            )
        }
        guard errors.isEmpty else { return PayloadModel(group: nil, userErrors: errors) }

        var pairCounts: [String: Int] = [:]
        for row in rows {
            let pair = (row["inventoryItemId"]?.stringValue ?? "") + "\n" + (row["locationId"]?.stringValue ?? "")
            pairCounts[pair, default: 0] += 1
        }
        var scratch: [String: ItemModel] = [:]
        var changes: [ChangeModel] = []
        for (index, row) in rows.enumerated() {
            let prefix = ["input", "quantities", String(index)]
            let itemID = row["inventoryItemId"]?.stringValue ?? ""
            let locationID = row["locationId"]?.stringValue ?? ""
            let quantity = row["quantity"]?.intValue ?? 0
            let errorCount = errors.count
            let found = level(
                itemID: itemID,
                locationID: locationID,
                prefix: prefix,
                errors: &errors,
                notStockedMessage: "The specified inventory item is not stocked at the location.",
                in: scratch
            )
            if quantity > 1_000_000_000 {
                errors.append(
                    UserErrorModel(
                        field: prefix + ["quantity"],
                        message: "The quantity can't be higher than 1,000,000,000.",
                        code: "INVALID_QUANTITY_TOO_HIGH"
                    )
                )
            } else if name == "on_hand", quantity < 0 {
                errors.append(
                    UserErrorModel(
                        field: prefix + ["quantity"],
                        message: "The quantity can't be negative.",
                        code: "INVALID_QUANTITY_NEGATIVE"
                    )
                )
            } else if quantity < -1_000_000_000 {
                errors.append(
                    UserErrorModel(
                        field: prefix + ["quantity"],
                        message: "The quantity can't be lower than -1,000,000,000.",
                        code: "INVALID_QUANTITY_TOO_LOW"
                    )
                )
            }
            if pairCounts[itemID + "\n" + locationID, default: 0] > 1 {
                errors.append(
                    UserErrorModel(
                        field: prefix + ["locationId"],
                        message: "The combination of inventoryItemId and locationId must be unique.",
                        code: "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"
                    )
                )
            }
            guard var level = found, errors.count == errorCount else { continue }
            if let stale = Self.staleError(
                row,
                current: level[name],
                prefix: prefix,
                message: "The changeFromQuantity value does not match persisted value."
            ) {
                errors.append(stale)
                continue
            }
            let delta = quantity - level[name]
            guard delta != 0 else { continue }
            level["available"] += delta
            level["on_hand"] += delta
            changes.append(ChangeModel(name: "available", delta: delta, itemID: itemID, locationID: locationID))
            changes.append(ChangeModel(name: "on_hand", delta: delta, itemID: itemID, locationID: locationID))
            scratch[itemID, default: items[itemID]!].levels[locationID] = level
        }
        return commit(
            errors: errors,
            changes: changes,
            scratch: scratch,
            reason: reason,
            reference: reference,
            now: now
        )
    }

    // MARK: - Shared steps

    /// The fields both writes share: the quantity name, the reason, the reference document, and the rows.
    private static func header(
        _ input: SimJSON,
        rows key: String
    ) -> (name: String, reason: String, reference: String?, rows: [SimJSON]) {
        (
            input["name"]?.stringValue ?? "",
            input["reason"]?.stringValue ?? "",
            input["referenceDocumentUri"]?.stringValue,
            input[key]?.arrayValue ?? []
        )
    }

    /// The compare-and-set check of a row's `changeFromQuantity` (null skips it). The code comes from the schema's
    /// user-error enums, not a capture; each write has its own wording.
    private static func staleError(
        _ row: SimJSON,
        current: Int,
        prefix: [String],
        message: String
    ) -> UserErrorModel? {
        guard let expected = row["changeFromQuantity"]?.intValue, expected != current else { return nil }
        return UserErrorModel(
            field: prefix + ["changeFromQuantity"],
            message: message,
            code: "CHANGE_FROM_QUANTITY_STALE"
        )
    }

    private func headerErrors(reason: String, reference: String?) -> [UserErrorModel] {
        var errors: [UserErrorModel] = []
        if !InventoryReason.set.contains(reason) {
            errors.append(
                UserErrorModel(
                    field: ["input", "reason"],
                    message: InventoryReason.message,
                    code: "INVALID_REASON"
                )
            )
        }
        if let reference, !Self.isValidReferenceDocument(reference) {
            errors.append(
                UserErrorModel(
                    field: ["input", "referenceDocumentUri"],
                    message: "The specified reference document is invalid.",
                    code: "INVALID_REFERENCE_DOCUMENT"
                )
            )
        }
        return errors
    }

    /// "Valid URI with scheme and content. For GID format, all components (app, entity, id) must be present."
    /// (the schema's description of `referenceDocumentUri`; no capture of a rejection).
    static func isValidReferenceDocument(_ uri: String) -> Bool {
        guard let colon = uri.firstIndex(of: ":"), colon != uri.startIndex else { return false }
        let scheme = uri[..<colon]
        guard scheme.first!.isLetter, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
        else { return false }
        let rest = uri[uri.index(after: colon)...]
        guard !rest.isEmpty else { return false }
        if scheme == "gid" {
            let parts = rest.drop { $0 == "/" }.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count >= 3 && parts.prefix(3).allSatisfy { !$0.isEmpty }
        }
        return true
    }

    /// Looks up the level a row names (`scratch` holds the items earlier rows changed), appending the userErrors Shopify gives for unknown ids or a missing level.
    private func level(
        itemID: String,
        locationID: String,
        prefix: [String],
        errors: inout [UserErrorModel],
        notStockedMessage: String,
        in scratch: [String: ItemModel]
    ) -> LevelModel? {
        let item = scratch[itemID] ?? items[itemID]
        let locationKnown = locationNames[locationID] != nil
        if item == nil {
            errors.append(
                UserErrorModel(
                    field: prefix + ["inventoryItemId"],
                    message: "The specified inventory item could not be found.",
                    code: "INVALID_INVENTORY_ITEM"
                )
            )
        }
        if !locationKnown {
            errors.append(
                UserErrorModel(
                    field: prefix + ["locationId"],
                    message: "The specified location could not be found.",
                    code: "INVALID_LOCATION"
                )
            )
        }
        guard let item, locationKnown else { return nil }
        guard let level = item.levels[locationID] else {
            // The code is InventoryAdjustQuantitiesUserErrorCode.ITEM_NOT_STOCKED_AT_LOCATION (schema); the field
            // path is not captured anywhere, the location is named here.
            errors.append(
                UserErrorModel(
                    field: prefix + ["locationId"],
                    message: notStockedMessage,
                    code: "ITEM_NOT_STOCKED_AT_LOCATION"
                )
            )
            return nil
        }
        return level
    }

    /// All or nothing: any error returns them with a null group and keeps every quantity; no change is a null group.
    private mutating func commit(
        errors: [UserErrorModel],
        changes: [ChangeModel],
        scratch: [String: ItemModel],
        reason: String,
        reference: String?,
        now: Date
    ) -> PayloadModel {
        guard errors.isEmpty else { return PayloadModel(group: nil, userErrors: errors) }
        guard !changes.isEmpty else { return PayloadModel(group: nil, userErrors: []) }
        items.merge(scratch) { $1 }
        let group = AdjustmentGroupModel(
            id: makeGroupID(),
            createdAt: Self.timestamp(now),
            reason: reason,
            referenceDocumentUri: reference,
            changes: changes
        )
        return PayloadModel(group: group, userErrors: [])
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
