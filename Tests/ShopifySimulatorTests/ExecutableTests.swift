import Foundation
import ShopifySimulator
import TestSupport
import Testing

/// The `shopify-simulator` executable: the line the demo waits for, serving, and stopping on SIGTERM.
@Suite(.timeLimit(.minutes(1)))
struct ExecutableTests {
    /// The built executable beside the test bundle (`swift build --build-tests` builds it too).
    static var executable: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("shopify-simulator")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/shopify-simulator")
    }

    @Test func printsItsAddressServesAndStopsOnSIGTERM() async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "0", "--log-level", "warning", "--token", "shpat_cli"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Read until the announced line; blocking reads run off the cooperative pool.
        let handle = output.fileHandleForReading
        let line: String? = await Task.detached {
            var text = ""
            while !text.contains("\n") || !text.contains("listening on ") {
                let data = handle.availableData
                if data.isEmpty { return nil }
                text += String(decoding: data, as: UTF8.self)
            }
            return text.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map(String.init)
        }.value
        let announced = try #require(line)
        let base = String(announced.dropFirst("listening on ".count))
        #expect(base.hasPrefix("http://127.0.0.1:"))
        let port = try #require(Int(base.split(separator: ":").last ?? ""))

        let simulator = RunningSimulator(
            host: "127.0.0.1",
            port: port,
            state: SimulatorState(options: .init(shops: []))
        )
        let answer = try await SimulatorHTTP(simulator, token: "shpat_cli").post("{ shop { name } }")
        #expect(answer.json.at("data", "shop", "name") == .string("default"))
        let refused = try await SimulatorHTTP(simulator, token: "shpat_other").post("{ shop { name } }")
        #expect(refused.status == 401)

        process.terminate()  // SIGTERM
        try await offCooperativePool { process.waitUntilExit() }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
