import Foundation
import Glibc
import Logging
import Spool
import SystemPackage
import TestSupport
import Testing

@Suite("Spool: folders, names, claiming")
struct SpoolTests {
    // MARK: - prepare()

    @Test func prepareCreatesFoldersWithTheContractModes() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = Spool(root: FilePath(folder).appending("spool"), logger: quietLogger)
        // A restrictive umask must not change the modes.
        let previous = umask(0o077)
        defer { umask(previous) }
        try spool.prepare()

        #expect(try mode(spool.root) == 0o750)
        let expected: [SpoolFolder: mode_t] = [
            .tmp: 0o2770, .pending: 0o2770, .processing: 0o750, .done: 0o750, .failed: 0o750,
        ]
        for folder in SpoolFolder.allCases {
            let info = try Stat(spool.path(folder))
            #expect(info.type == .directory)
            #expect(info.permissions.rawValue & 0o7777 == expected[folder], "\(folder)")
        }
        #expect(try Stat(spool.path(.pending)).permissions.contains(.setGroupID))
        #expect(try Stat(spool.path(.tmp)).permissions.contains(.setGroupID))
    }

    @Test func prepareLeavesExistingFoldersAlone() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.pending, "a.json", "{}")
            #expect(chmod(spool.path(.pending).string, 0o700) == 0)
            #expect(rmdir(spool.path(.done).string) == 0)

            try spool.prepare()

            #expect(try mode(spool.path(.pending)) == 0o700)
            #expect(try mode(spool.path(.done)) == 0o750)
            #expect(try spool.pendingNames() == ["a.json"])
        }
    }

    @Test func prepareRefusesAFileWhereAFolderBelongs() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = Spool(root: FilePath(folder).appending("spool"), logger: quietLogger)
        try FileManager.default.createDirectory(atPath: spool.root.string, withIntermediateDirectories: false)
        try Data().write(to: URL(fileURLWithPath: spool.path(.failed).string))

        let error = #expect(throws: SpoolError.self) { try spool.prepare() }
        #expect(error?.code == .prepareFolder)
        #expect(error?.path == spool.path(.failed).string)
        #expect(error?.errno == .notDirectory)
    }

    @Test func prepareFailsWhenTheParentIsMissing() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = Spool(root: FilePath(folder).appending("missing/spool"), logger: quietLogger)
        let error = #expect(throws: SpoolError.self) { try spool.prepare() }
        #expect(error?.code == .prepareFolder)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.description.contains("missing/spool") == true)
    }

    // MARK: - Names

    @Test(arguments: [
        "a.json", "A.json", "0.json", "rcpt-000123.json", "a_b.c-d.json",
        "x" + String(repeating: "y", count: 194) + ".json",
    ])
    func validNames(_ name: String) {
        #expect(Spool.isValidName(name))
    }

    @Test(arguments: [
        "", ".hidden.json", "-dash.json", "_under.json", "a b.json", "a/b.json", "é.json", "a\u{0}b.json", "a:b.json",
        "a\nb.json", "x" + String(repeating: "y", count: 195) + ".json", "..", "~undecodable-ff",
        // Only names ending in .json are requests.
        "a", "x.json.tmp", "x.JSON", ".json", "x.jsonl", "x.json~",
    ])
    func invalidNames(_ name: String) {
        #expect(!Spool.isValidName(name))
    }

    @Test func pendingNamesAreOldestFirstWithoutHiddenNames() throws {
        try withTemporarySpool { spool throws in
            let now = Date()
            try spool.place(.pending, "new.json", "{}")
            try spool.place(.pending, "old.json", "{}")
            try spool.place(.pending, "bad name.json", "{}")
            try spool.place(.pending, ".partial.json", "{")
            try spool.place(.pending, "b-same.json", "{}")
            try spool.place(.pending, "a-same.json", "{}")
            try spool.setModified(.pending, "new.json", to: now)
            try spool.setModified(.pending, "old.json", to: now - 300)
            try spool.setModified(.pending, "bad name.json", to: now - 200)
            try spool.setModified(.pending, "a-same.json", to: now - 100)
            try spool.setModified(.pending, "b-same.json", to: now - 100)

            #expect(
                try spool.pendingNames() == ["old.json", "bad name.json", "a-same.json", "b-same.json", "new.json"]
            )
            #expect(try spool.names(in: .pending).contains(".partial.json"))
        }
    }

    @Test func pendingNamesRenameNamesThatAreNotUTF8() throws {
        try withTemporarySpool { spool throws in
            let raw: [CChar] = Array(spool.path(.pending).string.utf8CString.dropLast()) + [0x2F, 0x61, -1, 0x62, 0]
            let fd = open(raw, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            #expect(fd >= 0)
            close(fd)

            let names = try spool.pendingNames()

            #expect(names == ["~undecodable-61ff62"])
            #expect(!Spool.isValidName(names[0]))
            #expect(try spool.claim(names[0]) == .claimed)
        }
    }

    // MARK: - claim()

    @Test func claimMovesPendingToProcessing() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.pending, "a.json", "{\"kind\":\"movement\"}")
            #expect(try spool.claim("a.json") == .claimed)
            #expect(try spool.names(in: .pending).isEmpty)
            #expect(try spool.names(in: .processing) == ["a.json"])
            #expect(try spool.contents(.processing, "a.json") == Array("{\"kind\":\"movement\"}".utf8))
        }
    }

    @Test func claimOfAMissingFileIsVanished() throws {
        try withTemporarySpool { spool throws in
            #expect(try spool.claim("gone.json") == .vanished)
        }
    }

    @Test func claimNeverReplacesAFileInProcessing() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.pending, "a.json", "new")
            try spool.place(.processing, "a.json", "old")
            #expect(try spool.claim("a.json") == .busy)
            #expect(try spool.contents(.processing, "a.json") == Array("old".utf8))
            #expect(try spool.contents(.pending, "a.json") == Array("new".utf8))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func racingClaimersEachGetADifferentFile() async throws {
        try await withTemporarySpool { spool async throws in
            let names = (0..<300).map { "r\($0).json" }
            for name in names {
                try spool.place(.pending, name, "{}")
            }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        var mine: [String] = []
                        for name in names.shuffled() where try spool.claim(name) == .claimed {
                            mine.append(name)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.sorted() == names.sorted())
            #expect(try spool.names(in: .processing).count == names.count)
            #expect(try spool.names(in: .pending).isEmpty)
        }
    }

    @Test(arguments: ["", "a/b", "..", "."])
    func claimRefusesNamesThatAreNotOneComponent(_ name: String) throws {
        try withTemporarySpool { spool throws in
            let error = #expect(throws: SpoolError.self) { try spool.claim(name) }
            #expect(error?.code == .invalidName)
        }
    }

    @Test func claimAndSyncSurviveTogether() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.pending, "a.json", "{}")
            #expect(try spool.claim("a.json") == .claimed)
            try spool.sync(.pending, .processing)
        }
    }
}

let quietLogger = Logger(label: "test.spool", factory: { _ in SwiftLogNoOpLogHandler() })

func mode(_ path: FilePath) throws -> mode_t {
    try Stat(path).permissions.rawValue & 0o7777
}
