/// A stable 128-bit hash (two FNV-1a 64 lanes with different offsets) for idempotency keys and content checks.
///
/// Not cryptographic: it names calls and request contents deterministically across runs and machines.
public enum StableHash {
    /// 32 hex digits of the hash of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var lane1: UInt64 = 0xcbf2_9ce4_8422_2325
        var lane2: UInt64 = 0x6c62_272e_07bb_0142
        let prime: UInt64 = 0x0000_0100_0000_01b3
        for byte in bytes {
            lane1 = (lane1 ^ UInt64(byte)) &* prime
            lane2 = (lane2 ^ UInt64(byte ^ 0x5a)) &* prime
            lane2 = (lane2 << 7) | (lane2 >> 57)
        }
        return hex64(lane1) + hex64(lane2)
    }

    /// A key for a list of parts: `ss1-` and the hash of the parts joined with a separator.
    public static func key(_ parts: [String]) -> String {
        "ss1-" + hex(parts.joined(separator: "\u{1f}").utf8)
    }

    private static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
