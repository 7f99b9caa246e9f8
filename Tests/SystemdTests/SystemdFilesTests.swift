import Foundation
import Systemd
import TestSupport
import Testing

/// The repository's `systemd/` folder.
let systemdFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("systemd")

@Suite("systemd files")
struct SystemdFilesTests {
    /// The catalog's entries: id to the entry's header fields and body.
    static func catalogEntries() throws -> [String: (headers: [String: String], body: String)] {
        let text = try String(contentsOf: systemdFolder.appendingPathComponent("shopify-sync.catalog"), encoding: .utf8)
        var entries: [String: (headers: [String: String], body: String)] = [:]
        var current: String?
        var inHeaders = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- ") {
                let id = String(line.dropFirst(3))
                #expect(entries[id] == nil, "duplicate catalog entry \(id)")
                entries[id] = ([:], "")
                current = id
                inHeaders = true
            } else if let id = current {
                if inHeaders, line.isEmpty {
                    inHeaders = false
                } else if inHeaders, let colon = line.firstIndex(of: ":") {
                    entries[id]!.headers[String(line[..<colon])] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                } else {
                    entries[id]!.body += line + "\n"
                }
            }
        }
        return entries
    }

    @Test("every MessageID has a catalog entry, and every entry is a MessageID")
    func catalogMatchesMessageIDs() throws {
        let entries = try Self.catalogEntries()
        #expect(Set(entries.keys) == Set(MessageID.allCases.map(\.rawValue)))
        for (id, entry) in entries {
            #expect(entry.headers["Subject"]?.isEmpty == false, "no Subject for \(id)")
            #expect(entry.headers["Defined-By"] == "shopify-sync", "no Defined-By for \(id)")
            #expect(entry.headers["Support"] != nil, "no Support for \(id)")
            #expect(entry.body.trimmingCharacters(in: .whitespacesAndNewlines).count > 20, "no explanation for \(id)")
        }
    }

    @Test("message ids are 32 lowercase hex digits and all different")
    func messageIDsAreWellFormed() {
        let ids = MessageID.allCases.map(\.rawValue)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "bad id \(id)")
        }
    }

    @Test(
        "journalctl accepts the catalog",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/journalctl"), "journalctl is not installed")
    )
    func journalctlCompilesTheCatalog() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let catalogDirectory = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: catalogDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: systemdFolder.appendingPathComponent("shopify-sync.catalog"),
            to: catalogDirectory.appendingPathComponent("shopify-sync.catalog")
        )
        try await run("/usr/bin/journalctl", "--root=\(root.path)", "--update-catalog")
        let listed = try await run("/usr/bin/journalctl", "--root=\(root.path)", "--list-catalog")
        let listedIDs = Set(listed.split(separator: "\n").map { String($0.prefix(32)) })
        #expect(listedIDs == Set(MessageID.allCases.map(\.rawValue)))
    }

    @Test(
        "check-unit.sh passes: systemd-analyze verify is silent and the exposure is 1.5 or lower",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"),
            "systemd-analyze is not installed"
        )
    )
    func unitPassesCheck() async throws {
        let output = try await run(systemdFolder.appendingPathComponent("check-unit.sh").path)
        #expect(output.contains("verify: clean"))
        #expect(output.contains("exposure"))
    }

    @Test(
        "check-unit.sh fails a unit with an unknown setting, a missing program, or weaker hardening",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"),
            "systemd-analyze is not installed"
        ),
        arguments: [
            ["Restart=on-failure": "Restart=on-failure\nNoSuchSetting=yes"],
            ["ExecReload=/bin/kill -HUP $MAINPID": "ExecReload=/nonexistent/kill -HUP $MAINPID"],
            [
                "ProtectSystem=strict": "ProtectSystem=no",
                "PrivateUsers=yes": "PrivateUsers=no",
                "MemoryDenyWriteExecute=yes": "MemoryDenyWriteExecute=no",
            ],
        ]
    )
    func checkCatchesProblems(replacements: [String: String]) async throws {
        var unit = try String(contentsOf: systemdFolder.appendingPathComponent("shopify-sync.service"), encoding: .utf8)
        for (original, replacement) in replacements {
            #expect(unit.contains("\n" + original + "\n"))
            unit = unit.replacingOccurrences(of: "\n" + original + "\n", with: "\n" + replacement + "\n")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let broken = directory.appendingPathComponent("shopify-sync.service")
        try unit.write(
            to: broken,
            atomically: true,
            encoding: .utf8
        )
        await #expect(throws: SystemdToolError.self) {
            try await run(systemdFolder.appendingPathComponent("check-unit.sh").path, broken.path)
        }
    }

    @Test("the unit has the contract's settings")
    func unitSettings() throws {
        let unit = try String(contentsOf: systemdFolder.appendingPathComponent("shopify-sync.service"), encoding: .utf8)
        let lines = Set(unit.split(separator: "\n").map(String.init))
        for setting in [
            "Type=notify", "NotifyAccess=main", "ExecStart=@BINDIR@/shopify-sync daemon",
            "ExecReload=/bin/kill -HUP $MAINPID",
            "WatchdogSec=30", "Restart=on-failure", "TimeoutStopSec=45", "User=shopify-sync", "Group=shopify-sync",
            "LoadCredential=main.token:/etc/shopify-sync/main.token", "StateDirectory=shopify-sync",
            "ConfigurationDirectory=shopify-sync", "ReadWritePaths=/var/spool/shopify-sync", "UMask=0027",
            // Found under a real systemd (make test-systemd): a watchdog abort must end the process at once,
            // a configuration error must not restart forever, Dispatch's setpriority must not be denied.
            "Environment=SWIFT_BACKTRACE=enable=no", "TimeoutAbortSec=10", "RestartPreventExitStatus=64 78",
            "SystemCallFilter=setpriority",
        ] {
            #expect(lines.contains(setting), "missing \(setting)")
        }
    }

    @Test(
        "sysusers.d and tmpfiles.d make the user and the spool with the contract's modes",
        .enabled(if: geteuid() == 0, "systemd-tmpfiles needs root to set ownership")
    )
    func sysusersAndTmpfiles() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = FileManager.default
        for folder in ["etc", "usr/lib/sysusers.d", "usr/lib/tmpfiles.d"] {
            try files.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for name in ["passwd", "group", "shadow", "gshadow"] {
            #expect(files.createFile(atPath: root.appendingPathComponent("etc/\(name)").path, contents: Data()))
        }
        try files.copyItem(
            at: systemdFolder.appendingPathComponent("shopify-sync.sysusers"),
            to: root.appendingPathComponent("usr/lib/sysusers.d/shopify-sync.conf")
        )
        try files.copyItem(
            at: systemdFolder.appendingPathComponent("shopify-sync.tmpfiles"),
            to: root.appendingPathComponent("usr/lib/tmpfiles.d/shopify-sync.conf")
        )
        try await run("/usr/bin/systemd-sysusers", "--root=\(root.path)", "shopify-sync.conf")
        let passwd = try String(contentsOf: root.appendingPathComponent("etc/passwd"), encoding: .utf8)
        let user = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("shopify-sync:") })
        let group = try String(contentsOf: root.appendingPathComponent("etc/group"), encoding: .utf8)
        #expect(group.split(separator: "\n").contains { $0.hasPrefix("shopify-sync:") })
        let uid = try #require(UInt32(user.split(separator: ":")[2]))

        try await run("/usr/bin/systemd-tmpfiles", "--root=\(root.path)", "--create", "shopify-sync.conf")
        let expected: [(String, UInt16)] = [
            ("", 0o750), ("tmp", 0o2770), ("pending", 0o2770), ("processing", 0o750), ("done", 0o750),
            ("failed", 0o750),
        ]
        for (folder, mode) in expected {
            var info = stat()
            let path = root.appendingPathComponent("var/spool/shopify-sync/\(folder)").path
            try #require(stat(path, &info) == 0, "missing \(path)")
            #expect(UInt16(info.st_mode & 0o7777) == mode, "mode of \(folder)")
            #expect(info.st_uid == uid && info.st_gid == uid, "owner of \(folder)")
        }
    }

    @Test(
        "install.mk installs and uninstalls under DESTDIR, with ExecStart at BINDIR",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/make"), "make is not installed"),
        arguments: [
            ("/usr/local", "/usr/local/lib"), ("/usr", "/usr/lib"), ("/opt/shopify-sync", "/usr/lib"),
        ]
    )
    func installFragment(prefix: String, systemdLibrary: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "include \(systemdFolder.path)/install.mk\n".write(
            to: work.appendingPathComponent("Makefile"),
            atomically: true,
            encoding: .utf8
        )
        let example = work.appendingPathComponent("config.toml")
        try "spool_dir = \"/var/spool/shopify-sync\"\n".write(to: example, atomically: true, encoding: .utf8)
        let destdir = work.appendingPathComponent("dest").path
        let variables = ["DESTDIR=\(destdir)", "PREFIX=\(prefix)", "SYSTEMD_EXAMPLE_CONFIG=\(example.path)"]

        try await run("/usr/bin/make", ["-s", "-C", work.path, "install-systemd"] + variables)
        let installed = [
            "\(systemdLibrary)/systemd/system/shopify-sync.service",
            "\(systemdLibrary)/tmpfiles.d/shopify-sync.conf",
            "\(systemdLibrary)/sysusers.d/shopify-sync.conf",
            "\(systemdLibrary)/systemd/catalog/shopify-sync.catalog",
            "/etc/shopify-sync/config.toml.example",
        ]
        for path in installed {
            #expect(FileManager.default.fileExists(atPath: destdir + path), "not installed: \(path)")
        }
        let unit = try String(contentsOfFile: destdir + installed[0], encoding: .utf8)
        #expect(unit.contains("\nExecStart=\(prefix)/bin/shopify-sync daemon\n"))
        #expect(!unit.contains("@BINDIR@"))

        try await run("/usr/bin/make", ["-s", "-C", work.path, "uninstall-systemd"] + variables)
        for path in installed {
            #expect(!FileManager.default.fileExists(atPath: destdir + path), "not uninstalled: \(path)")
        }
    }
}

/// A program run by a test exited with a failure status.
struct SystemdToolError: Error, CustomStringConvertible {
    var command: String
    var status: Int32
    var output: String
    var description: String { "\(self.command) exited with \(self.status):\n\(self.output)" }
}

/// Runs a program and returns its output (stdout and stderr together); throws if it exits nonzero.
@discardableResult
func run(_ executable: String, _ arguments: String...) async throws -> String {
    try await run(executable, arguments)
}

@discardableResult
func run(_ executable: String, _ arguments: [String]) async throws -> String {
    try await offCooperativePool { try runBlocking(executable, arguments) }
}

/// Runs a tool and waits for it; blocking, so only through ``run(_:_:)``.
private func runBlocking(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let output = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw SystemdToolError(
            command: ([executable] + arguments).joined(separator: " "),
            status: process.terminationStatus,
            output: output
        )
    }
    return output
}
