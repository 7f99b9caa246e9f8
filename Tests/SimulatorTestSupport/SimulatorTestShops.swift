import Logging
import ShopifySimulator

/// Shops and helpers for tests that embed the Shopify simulator.
public enum SimulatorTestShops {
    /// `Shop location` of the captured store (harry-test-heelo), so captured ids answer as captured.
    public static let shopLocation = "gid://shopify/Location/106318430514"
    /// `My Custom Location` of the captured store.
    public static let customLocation = "gid://shopify/Location/106318463282"
    /// A location the standard shop does not have.
    public static let unknownLocation = "gid://shopify/Location/999999999999"
    public static let unknownItem = "gid://shopify/InventoryItem/999999999999"

    /// `gid://shopify/InventoryItem/<n>`.
    public static func item(_ number: Int) -> String { "gid://shopify/InventoryItem/\(number)" }

    /// A shop with the captured store's two locations and items 1...count (SKU `SKU-<n>`), each stocked at
    /// both locations with `onHand`.
    public static func standard(
        name: String = "default",
        count: Int = 5,
        onHand: Int = 0,
        token: String? = nil
    ) -> SimulatorShop {
        SimulatorShop(
            name: name,
            locations: [shopLocation, customLocation],
            items: (1...max(1, count)).map { number in
                SimulatorItem(
                    id: item(number),
                    sku: "SKU-\(number)",
                    levels: [shopLocation: onHand, customLocation: onHand]
                )
            },
            token: token,
            locationNames: [shopLocation: "Shop location", customLocation: "My Custom Location"]
        )
    }

    /// A logger that drops everything below `warning`, so test output stays readable.
    public static var quietLogger: Logger {
        var logger = Logger(label: "simulator-test")
        logger.logLevel = .warning
        return logger
    }
}

/// Runs a simulator with the given shops on a free loopback port for the duration of `body`.
public func withTestSimulator<T>(
    shops: [SimulatorShop] = [SimulatorTestShops.standard()],
    restoreRate: Double = 100,
    bucket: Double = 2000,
    faults: SimulatorFaults = SimulatorFaults(),
    _ body: (RunningSimulator) async throws -> T
) async throws -> T {
    try await withSimulator(
        SimulatorOptions(shops: shops, restoreRate: restoreRate, bucket: bucket, faults: faults),
        logger: SimulatorTestShops.quietLogger,
        body
    )
}
