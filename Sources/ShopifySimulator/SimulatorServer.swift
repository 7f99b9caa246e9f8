import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// A simulator that is running: where it listens and the state it serves.
public struct RunningSimulator: Sendable {
    public let host: String
    /// The bound port (the free one picked when the options asked for port 0).
    public let port: Int
    public let state: SimulatorState

    public init(host: String, port: Int, state: SimulatorState) {
        self.host = host
        self.port = port
        self.state = state
    }

    /// `http://127.0.0.1:PORT`: the bare Admin path here reaches the shop called "default".
    public var baseURL: String { "http://\(host):\(port)" }

    /// `http://127.0.0.1:PORT/<shop>`: a store's `endpoint` that reaches `shop`.
    public func baseURL(shop: String) -> String { "\(baseURL)/\(shop)" }

    /// The GraphQL endpoint of a shop.
    public func graphQLURL(shop: String, apiVersion: String = "2026-07") -> String {
        "\(baseURL(shop: shop))/admin/api/\(apiVersion)/graphql.json"
    }
}

/// Thrown by a response body on purpose so the connection closes before the response is complete.
private struct BrokenOnPurpose: Error {}

/// The simulator as a Hummingbird application; run it as a `Service` (for example in a `ServiceGroup`).
public struct SimulatorServer: Sendable {
    public let state: SimulatorState
    public let options: SimulatorOptions
    public let logger: Logger

    public init(options: SimulatorOptions, logger: Logger, state: SimulatorState? = nil) {
        self.options = options
        self.logger = logger
        self.state = state ?? SimulatorState(options: options)
    }

    /// The application; `onServerRunning` receives the bound port.
    ///
    /// `server` is how connections are spoken: plain HTTP/1.1 by default; the TLS tests pass a TLS builder
    /// (with HTTP/2 offered through ALPN) so the daemon meets a real handshake.
    public func application(
        server: HTTPServerBuilder = .http1(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol & Service {
        let router = Router()
        let state = self.state
        let logger = self.logger
        let boundAddress = "\(options.host):\(options.port)"
        router.post("/admin/api/:version/graphql.json") { request, context in
            try await Self.graphQL(
                request,
                context: context,
                shop: "default",
                state: state,
                logger: logger,
                boundAddress: boundAddress
            )
        }
        router.post("/:shop/admin/api/:version/graphql.json") { request, context in
            let shop = context.parameters.get("shop") ?? "default"
            return try await Self.graphQL(
                request,
                context: context,
                shop: shop,
                state: state,
                logger: logger,
                boundAddress: boundAddress
            )
        }
        // A bulk operation's result: Shopify's `url` is a signed storage URL, so no token and no cost here.
        router.get("/__sim/bulk/:file") { _, context in
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".jsonl"), let number = Int(file.dropLast(".jsonl".count)),
                let jsonl = await state.bulkResultFile(number: number)
            else {
                return Self.text("no such bulk result\n", status: .notFound)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/jsonl"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonl)))
        }
        router.get("/__sim/levels") { _, _ in
            try Self.json(await state.allLevels())
        }
        router.get("/__sim/calls") { _, _ in
            try Self.json(await state.calls())
        }
        router.get("/__sim/faults") { _, _ in
            try Self.json(await state.currentFaults())
        }
        router.post("/__sim/faults") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let current = await state.currentFaults()
            do {
                let faults = try SimulatorFaults.merging(Data(buffer: body), over: current)
                await state.setFaults(faults)
                logger.notice("faults changed", metadata: ["simulator.faults": "\(faults)"])
                return try Self.json(faults)
            } catch {
                return Self.text("invalid faults: \(error)\n", status: .badRequest)
            }
        }
        router.post("/__sim/items") { request, _ in
            let body = try await request.body.collect(upTo: 16 << 20)
            do {
                let requests = try ItemRequest.decodeList(Data(buffer: body))
                var ids: [String] = []
                for item in requests { ids.append(try await item.add(to: state)) }
                return try Self.json(["ids": ids])
            } catch {
                return Self.text("invalid items: \(error)\n", status: .badRequest)
            }
        }
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(options.host, port: options.port),
                serverName: "shopify-simulator"
            ),
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
    }

    private static func graphQL(
        _ request: Request,
        context: BasicRequestContext,
        shop: String,
        state: SimulatorState,
        logger: Logger,
        boundAddress: String
    ) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 32 << 20)
        let latency = await state.latency(shop: shop)
        if latency > .zero { try await Task.sleep(for: latency) }
        // Result URLs name the simulator as the client reached it (the Host header), else the bound address.
        let baseURL = "\(request.head.scheme ?? "http")://\(request.head.authority ?? boundAddress)"
        let answer = await state.handleGraphQL(
            shop: shop,
            token: request.headers[HTTPField.Name("X-Shopify-Access-Token")!],
            contentType: request.headers[.contentType],
            body: Data(buffer: body),
            baseURL: baseURL
        )
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        let bytes = ByteBuffer(string: answer.body)
        guard answer.breakConnection else {
            return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: bytes))
        }
        logger.info("breaking the connection after applying the call", metadata: ["shopify.store": "\(shop)"])
        // Announce the full length, write half, then fail the body: Hummingbird closes the connection and the
        // client sees a truncated response, never a complete 200.
        let half = bytes.getSlice(at: 0, length: bytes.readableBytes / 2) ?? ByteBuffer()
        return Response(
            status: .init(code: answer.status),
            headers: headers,
            body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                try await writer.write(half)
                throw BrokenOnPurpose()
            }
        )
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The body of `POST /__sim/items`: one object or a list of them.
///
/// `{"shop": "au", "id": "gid://shopify/InventoryItem/1", "sku": "A-1", "levels": {"gid://shopify/Location/1": 5}}`,
/// or `locations` (a list of gids) with one `on_hand` for all of them. Without `id` an id is generated.
struct ItemRequest: Decodable {
    var shop: String?
    var id: String?
    var sku: String?
    var levels: [String: Int]?
    var locations: [String]?
    var onHand: Int?

    enum CodingKeys: String, CodingKey {
        case shop, id, sku, levels, locations
        case onHand = "on_hand"
    }

    static func decodeList(_ data: Data) throws -> [ItemRequest] {
        if let list = try? JSONDecoder().decode([ItemRequest].self, from: data) { return list }
        return [try JSONDecoder().decode(ItemRequest.self, from: data)]
    }

    func add(to state: SimulatorState) async throws -> String {
        var levels = self.levels ?? [:]
        for location in locations ?? [] { levels[location] = onHand ?? 0 }
        let shop = self.shop ?? "default"
        if let id {
            try await state.addItem(SimulatorItem(id: id, sku: sku, levels: levels), shop: shop)
            return id
        }
        return try await state.addItem(shop: shop, sku: sku, levels: levels)
    }
}

/// Runs a simulator on loopback for the duration of `body`, then shuts it down.
///
/// The simulator is listening (its port bound) before `body` starts.
public func withSimulator<T>(
    _ options: SimulatorOptions,
    server builder: HTTPServerBuilder = .http1(),
    logger: Logger,
    _ body: (RunningSimulator) async throws -> T
) async throws -> T {
    let server = SimulatorServer(options: options, logger: logger)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = server.application(server: builder) { port in
        continuation.yield(port)
        continuation.finish()
    }
    let group = ServiceGroup(
        configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger)
    )
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            try await group.run()
            continuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await tasks.next()
            throw SimulatorError("the simulator stopped before it was listening")
        }
        let running = RunningSimulator(host: options.host, port: port, state: server.state)
        do {
            let result = try await body(running)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// Runs a simulator until SIGTERM or SIGINT, calling `onListening` once its port is bound (the executable's loop).
public func runSimulator(
    _ options: SimulatorOptions,
    logger: Logger,
    onListening: @escaping @Sendable (RunningSimulator) async -> Void
) async throws {
    let server = SimulatorServer(options: options, logger: logger)
    let state = server.state
    let application = server.application { port in
        await onListening(RunningSimulator(host: options.host, port: port, state: state))
    }
    let group = ServiceGroup(
        configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    )
    try await group.run()
}
