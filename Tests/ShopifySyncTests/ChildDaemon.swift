import Foundation
import Testing

/// A real `shopify-sync daemon` process, started from the built binary, for crash and systemd tests.
final class ChildDaemon {
    let process = Process()
    let logPath: String

    /// The built `shopify-sync` executable: $SHOPIFY_SYNC_BIN, else next to the test bundle, else .build/debug.
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["SHOPIFY_SYNC_BIN"] { return path }
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for folder in [bundleFolder, bundleFolder.deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("shopify-sync").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/shopify-sync").path
    }

    /// `daemon`, with `--allow-root` when the tests run as root (in a container): the daemon refuses root otherwise.
    static var daemonArguments: [String] { geteuid() == 0 ? ["daemon", "--allow-root"] : ["daemon"] }

    /// Starts `executable` (the built `shopify-sync` unless another, such as strace, is given) with `arguments`
    /// and `--config config`.
    init(
        config: String,
        logPath: String,
        environment: [String: String] = [:],
        executable: String = ChildDaemon.executable,
        arguments: [String] = ChildDaemon.daemonArguments
    ) throws {
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments + ["--config", config]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "WATCHDOG_USEC")
        env.removeValue(forKey: "WATCHDOG_PID")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit (polling, so the cooperative pool is not blocked); nil on timeout.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else { return nil }
        return process.terminationStatus
    }

    func killHard() async {
        signal(SIGKILL)
        _ = await waitForExit(timeout: .seconds(10))
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
