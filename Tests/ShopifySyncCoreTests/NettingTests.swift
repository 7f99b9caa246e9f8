import Testing

@testable import ShopifySyncCore

/// SplitMix64: a small seeded generator, so random inputs are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Netting: rows per (store, item, location), calls of at most 250 rows")
struct NettingTests {
    static func delta(
        _ request: String,
        _ line: Int,
        store: String = "main",
        item: Int = 1,
        location: Int = 1,
        delta: Int,
        reason: String = "received",
        generation: Int = 0
    ) -> PendingDelta {
        PendingDelta(
            ref: LineRef(requestID: request, line: line, store: store),
            inventoryItemID: "gid://shopify/InventoryItem/\(item)",
            locationID: "gid://shopify/Location/\(location)",
            delta: delta,
            reason: reason,
            generation: generation
        )
    }

    @Test func netsPerItemAndLocation() throws {
        let batches = Netting.batches([
            Self.delta("a", 0, item: 1, location: 1, delta: 5),
            Self.delta("a", 1, item: 1, location: 2, delta: 3),
            Self.delta("b", 0, item: 1, location: 1, delta: -2),
            Self.delta("b", 1, item: 2, location: 1, delta: 7),
        ])
        let batch = try #require(batches.first)
        #expect(batches.count == 1)
        #expect(batch.store == "main")
        #expect(batch.reason == "received")
        #expect(batch.rows.map(\.delta) == [3, 3, 7])
        #expect(batch.rows.map(\.inventoryItemID).map { $0.hasSuffix("/1") } == [true, true, false])
        #expect(batch.rows.map(\.locationID).map { $0.hasSuffix("/1") } == [true, false, true])
        #expect(
            batch.rows[0].members == [
                LineRef(requestID: "a", line: 0, store: "main"), LineRef(requestID: "b", line: 0, store: "main"),
            ]
        )
        #expect(batch.nettedToZero.isEmpty)
        #expect(batch.members.count == 4)
    }

    @Test func storesAreNeverNettedTogether() {
        let batches = Netting.batches([
            Self.delta("a", 0, store: "main", delta: 5),
            Self.delta("a", 0, store: "au", delta: -5),
        ])
        #expect(batches.map(\.store) == ["main", "au"])
        #expect(batches.map { $0.rows.map(\.delta) } == [[5], [-5]])
    }

    @Test func netZeroIsSettledWithoutARow() throws {
        let batches = Netting.batches([
            Self.delta("a", 0, item: 1, delta: 4),
            Self.delta("b", 0, item: 1, delta: -1),
            Self.delta("c", 0, item: 1, delta: -3),
            Self.delta("c", 1, item: 2, delta: 2),
        ])
        let batch = try #require(batches.first)
        #expect(batches.count == 1)
        #expect(batch.rows.map(\.delta) == [2])
        #expect(batch.nettedToZero.map(\.requestID) == ["a", "b", "c"])
        #expect(
            Set(batch.members)
                == Set(
                    [("a", 0), ("b", 0), ("c", 0), ("c", 1)].map { LineRef(requestID: $0.0, line: $0.1, store: "main") }
                )
        )
    }

    @Test func onlyNetZeroStillGivesABatchWithNoRows() throws {
        let batches = Netting.batches([Self.delta("a", 0, delta: 4), Self.delta("b", 0, delta: -4)])
        let batch = try #require(batches.first)
        #expect(batches.count == 1)
        #expect(batch.rows.isEmpty)
        #expect(batch.nettedToZero.count == 2)
    }

    @Test func differentReasonsGoInDifferentBatches() {
        let batches = Netting.batches([
            Self.delta("a", 0, delta: 5, reason: "received"),
            Self.delta("b", 0, delta: -5, reason: "movement_created"),
            Self.delta("c", 0, delta: 1, reason: "received"),
        ])
        #expect(batches.map(\.reason) == ["received", "movement_created"])
        #expect(batches.map { $0.rows.map(\.delta) } == [[6], [-5]])
        #expect(batches.allSatisfy { $0.nettedToZero.isEmpty })
    }

    @Test func sixHundredRowsMakeThreeCalls() {
        var deltas = (0..<600).map { Self.delta("r", $0, item: $0 + 1, delta: $0 + 1) }
        deltas.append(Self.delta("z", 0, item: 9_999, delta: 3))
        deltas.append(Self.delta("z", 1, item: 9_999, delta: -3))
        deltas.append(Self.delta("z", 2, item: 1, delta: 1))
        let batches = Netting.batches(deltas)
        #expect(batches.map(\.rows.count) == [250, 250, 100])
        #expect(batches.map(\.nettedToZero.count) == [2, 0, 0])
        #expect(batches[0].rows.first?.members.count == 2)
        #expect(batches[0].rows.first?.delta == 2)
        #expect(batches.flatMap(\.rows).map(\.inventoryItemID) == (1...600).map { "gid://shopify/InventoryItem/\($0)" })
        #expect(batches.map(\.members.count).reduce(0, +) == 603)
        #expect(Set(batches.map(\.idempotencyKey)).count == 3)
    }

    @Test func smallerMaxRows() {
        let deltas = (0..<7).map { Self.delta("r", $0, item: $0, delta: 1) }
        #expect(Netting.batches(deltas, maxRows: 3).map(\.rows.count) == [3, 3, 1])
        #expect(Netting.batches([]).isEmpty)
    }

    /// Random inputs: every line is in exactly one batch, rows sum their members, no batch is over the limit.
    @Test(arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func everyLineInExactlyOneBatch(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let stores = ["main", "au", "eu"]
        let reasons = ["received", "movement_created", "correction"]
        let count = Int.random(in: 1...1_500, using: &random)
        var deltas: [PendingDelta] = []
        for index in 0..<count {
            deltas.append(
                Self.delta(
                    "req-\(index / 50)",
                    index % 50,
                    store: stores.randomElement(using: &random)!,
                    item: Int.random(in: 1...400, using: &random),
                    location: Int.random(in: 1...3, using: &random),
                    delta: Int.random(in: -3...3, using: &random),
                    reason: reasons.randomElement(using: &random)!,
                    generation: Int.random(in: 0...2, using: &random)
                )
            )
        }
        let maxRows = [250, 7, 1].randomElement(using: &random)!
        let batches = Netting.batches(deltas, maxRows: maxRows)
        let byRef = Dictionary(uniqueKeysWithValues: deltas.map { ($0.ref, $0) })

        let members = batches.flatMap(\.members)
        #expect(members.count == deltas.count)
        #expect(Set(members) == Set(deltas.map(\.ref)))
        for batch in batches {
            #expect(batch.rows.count <= maxRows)
            #expect(!batch.rows.isEmpty || !batch.nettedToZero.isEmpty)
            #expect(Set(batch.generations.keys) == Set(batch.members))
            for member in batch.members {
                #expect(byRef[member]?.ref.store == batch.store)
                #expect(byRef[member]?.reason == batch.reason)
                #expect(batch.generations[member] == byRef[member]?.generation)
            }
            for row in batch.rows {
                #expect(row.delta != 0)
                #expect(row.delta == row.members.compactMap { byRef[$0]?.delta }.reduce(0, +))
                #expect(row.members.allSatisfy { byRef[$0]?.inventoryItemID == row.inventoryItemID })
                #expect(row.members.allSatisfy { byRef[$0]?.locationID == row.locationID })
            }
            for member in batch.nettedToZero {
                #expect(
                    byRef[member].map { delta in deltas.contains { $0.ref == member && $0.delta == delta.delta } }
                        == true
                )
            }
        }
        // One row per (store, reason, item, location) across all batches, and input order is kept.
        let rowKeys = batches.flatMap { batch in
            batch.rows.map { "\(batch.store)|\(batch.reason)|\($0.inventoryItemID)|\($0.locationID)" }
        }
        #expect(Set(rowKeys).count == rowKeys.count)
        for batch in batches {
            let positions = batch.rows.compactMap { row in
                deltas.firstIndex { $0.ref == row.members[0] }
            }
            #expect(positions == positions.sorted())
        }
        // The zero rows' nets are zero.
        for batch in batches where !batch.nettedToZero.isEmpty {
            let zeroSum = batch.nettedToZero.compactMap { byRef[$0]?.delta }.reduce(0, +)
            #expect(zeroSum == 0)
        }
    }

    // MARK: - Idempotency keys

    static let base = [
        delta("a", 0, item: 1, delta: 5),
        delta("a", 1, item: 2, delta: -1),
        delta("b", 0, item: 1, delta: 2),
    ]

    static func key(_ deltas: [PendingDelta]) -> String? {
        let batches = Netting.batches(deltas)
        return batches.count == 1 ? batches[0].idempotencyKey : nil
    }

    @Test func keyIsDeterministic() throws {
        let key = try #require(Self.key(Self.base))
        #expect(key == Self.key(Self.base))
        #expect(key.hasPrefix("ss1-"))
        #expect(key.count == 36)
        #expect(key.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    static let changes: [(String, @Sendable ([PendingDelta]) -> [PendingDelta])] = [
        (
            "delta",
            { deltas in
                var d = deltas
                d[1].delta = -2
                return d
            }
        ),
        (
            "item",
            { deltas in
                var d = deltas
                d[1].inventoryItemID = "gid://shopify/InventoryItem/3"
                return d
            }
        ),
        (
            "location",
            { deltas in
                var d = deltas
                d[1].locationID = "gid://shopify/Location/2"
                return d
            }
        ),
        (
            "generation",
            { deltas in
                var d = deltas
                d[2].generation = 1
                return d
            }
        ),
        (
            "member line",
            { deltas in
                var d = deltas
                d[2].ref.line = 1
                return d
            }
        ),
        (
            "member request",
            { deltas in
                var d = deltas
                d[2].ref.requestID = "c"
                return d
            }
        ),
        (
            "extra member, same net",
            { deltas in deltas + [delta("c", 0, item: 2, delta: 4), delta("c", 1, item: 2, delta: -4)] }
        ),
        ("one member fewer", { deltas in Array(deltas.dropLast()) }),
        (
            "store",
            { deltas in
                deltas.map {
                    var d = $0
                    d.ref.store = "au"
                    return d
                }
            }
        ),
        (
            "reason",
            { deltas in
                deltas.map {
                    var d = $0
                    d.reason = "correction"
                    return d
                }
            }
        ),
        ("row order", { deltas in [deltas[1], deltas[0], deltas[2]] }),
    ]

    @Test(arguments: 0..<changes.count)
    func anyChangeGivesAnotherKey(_ index: Int) throws {
        let (label, change) = Self.changes[index]
        let key = try #require(Self.key(Self.base))
        let changed = try #require(Self.key(change(Self.base)), "\(label)")
        #expect(changed != key, "\(label)")
    }

    // MARK: - StableHash

    @Test func stableHashKnownValues() {
        // The first lane is FNV-1a 64: its offset basis for no bytes, and the published value for "a".
        #expect(StableHash.hex([UInt8]()).prefix(16) == "cbf29ce484222325")
        #expect(StableHash.hex("a".utf8).prefix(16) == "af63dc4c8601ec8c")
        #expect(StableHash.hex("a".utf8).count == 32)
        #expect(StableHash.hex("a".utf8) == StableHash.hex(Array("a".utf8)))
        #expect(StableHash.hex("a".utf8) != StableHash.hex("b".utf8))
    }

    @Test func stableHashKeysSeparateTheirParts() {
        let keys = [
            StableHash.key(["ab", "c"]), StableHash.key(["a", "bc"]), StableHash.key(["abc"]),
            StableHash.key(["a", "b", "c"]), StableHash.key(["a", "", "bc"]), StableHash.key([]),
        ]
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0.hasPrefix("ss1-") && $0.count == 36 })
    }
}
