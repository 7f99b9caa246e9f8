import Foundation
import TestSupport
import Testing

/// `status` run by an account that cannot enter the daemon's 0700 state folder (a WMS producer).
@Suite(.timeLimit(.minutes(1)))
struct StatusPermissionTests {
    static let setpriv = "/usr/bin/setpriv"
    static var canDropPrivileges: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv) }

    @Test(
        "status as a user who cannot read the state says so and exits 74, never a false ok",
        .enabled(if: canDropPrivileges, "needs root and setpriv to run status as nobody")
    )
    func unreadableStateIsAnError() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let open: [FileAttributeKey: Any] = [.posixPermissions: 0o755]
        for folder in [
            "", "/spool", "/spool/tmp", "/spool/pending", "/spool/processing", "/spool/done", "/spool/failed",
        ] {
            try FileManager.default.createDirectory(
                atPath: directory + folder,
                withIntermediateDirectories: true,
                attributes: open
            )
        }
        try FileManager.default.createDirectory(
            atPath: "\(directory)/state",
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        _ = FileManager.default.createFile(atPath: "\(directory)/state/state.sqlite", contents: Data())
        try "sku,store,inventory_item_id,sync\n".write(
            toFile: "\(directory)/catalog.csv",
            atomically: true,
            encoding: .utf8
        )
        try """
        spool_dir = "spool"
        state_dir = "state"
        catalog = "catalog.csv"
        [stores.main]
        shop = "main.myshopify.com"
        token_file = "main.token"
        default_location = "gid://shopify/Location/1"
        """.write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
        for file in ["config.toml", "catalog.csv"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(directory)/\(file)")
        }

        let (status, output) = try await offCooperativePool { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.setpriv)
            process.arguments = [
                "--reuid=65534", "--regid=65534", "--clear-groups",
                ChildDaemon.executable, "status", "--config", "\(directory)/config.toml",
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output)
        }
        #expect(status == 74, "\(output)")
        #expect(output.contains("cannot read the state database \(directory)/state/state.sqlite"), "\(output)")
        #expect(output.contains("Permission denied"), "\(output)")
        #expect(!output.contains("store main: ok"), "\(output)")
    }
}
