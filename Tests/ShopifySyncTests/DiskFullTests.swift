import Foundation
import Testing

/// A full disk under the spool and the ledger: nothing lost, nothing to failed/, one clear journal entry, and
/// everything applied once when space returns, without a restart.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DiskFullTests {
    static var canMount: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount") }

    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(
        "ENOSPC on a small tmpfs: files stay, the daemon lives, and after space returns all is applied once",
        .enabled(if: canMount)
    )
    func diskFull() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let disk = "\(directory)/disk"
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
            #expect(try Self.run(["/bin/mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", disk]) == 0)
            defer { _ = try? Self.run(["/bin/umount", "-l", disk]) }
            let config = try String(contentsOfFile: "\(directory)/config.toml", encoding: .utf8)
                .replacingOccurrences(of: "spool_dir = \"spool\"", with: "spool_dir = \"disk/spool\"")
                .replacingOccurrences(of: "state_dir = \"state\"", with: "state_dir = \"disk/state\"")
            try config.write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
            let spool = "\(disk)/spool"
            let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            defer { daemon.signal(SIGKILL) }
            while !FileManager.default.fileExists(atPath: "\(spool)/pending") {
                try await Task.sleep(for: .milliseconds(20))
            }
            // Written while there is room, renamed into pending/ once the disk is full (a rename needs no space).
            let count = 30
            for index in 0..<count {
                let body = movement("full-\(index)", "receipt", [("A-1", nil, 1)])
                try body.write(toFile: "\(spool)/tmp/.f\(index).json", atomically: false, encoding: .utf8)
            }
            let filler = FileManager.default.createFile(atPath: "\(disk)/filler", contents: nil)
            #expect(filler)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(disk)/filler"))
            let block = Data(count: 64 * 1024)
            while (try? handle.write(contentsOf: block)) != nil {}
            try? handle.close()
            for index in 0..<count {
                #expect(rename("\(spool)/tmp/.f\(index).json", "\(spool)/pending/f\(index).json") == 0)
            }
            try await Task.sleep(for: .seconds(3))
            #expect(daemon.process.isRunning, "the daemon died on a full disk")
            let failed = (try? FileManager.default.contentsOfDirectory(atPath: "\(spool)/failed")) ?? []
            #expect(failed.isEmpty, "a local fault moved files to failed/: \(failed)")
            #expect(daemon.log.contains("a fault of this machine"), "no journal entry for the full disk")

            try FileManager.default.removeItem(atPath: "\(disk)/filler")
            let deadline = ContinuousClock.now + .seconds(60)
            var done: [String] = []
            while ContinuousClock.now < deadline {
                done = ((try? FileManager.default.contentsOfDirectory(atPath: "\(spool)/done")) ?? [])
                    .filter { $0.hasSuffix(".json") }
                if done.count == count { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(done.count == count, "after space returned only \(done.count) of \(count) files finished")
            #expect(daemon.process.isRunning)
            let level = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            #expect(level?.onHand == 5 + count, "each movement must be applied exactly once")
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(35)) == 0)
        }
    }
}
