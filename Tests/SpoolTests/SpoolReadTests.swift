import Foundation
import Glibc
import Spool
import SystemPackage
import TestSupport
import Testing

@Suite("Spool: reading requests safely")
struct SpoolReadTests {
    /// A way processing/NAME can be something other than a plain request file.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var label: String
        var reason: String
        var name = "request.json"
        var make: @Sendable (Spool, FilePath) throws -> Void

        var testDescription: String { self.label }
    }

    static let refusals: [Refusal] = [
        Refusal(label: "symlink to a regular file", reason: "symlink") { spool, path in
            try spool.place(.tmp, "target.json", "{}")
            try makeSymlink(to: spool.path(.tmp, "target.json").string, at: path)
        },
        Refusal(label: "symlink to /dev/zero", reason: "symlink") { _, path in
            try makeSymlink(to: "/dev/zero", at: path)
        },
        Refusal(label: "dangling symlink", reason: "symlink") { _, path in
            try makeSymlink(to: "/nonexistent/target.json", at: path)
        },
        Refusal(label: "symlink to a FIFO", reason: "symlink") { spool, path in
            try check(mkfifo(spool.path(.tmp, "fifo").string, 0o600))
            try makeSymlink(to: spool.path(.tmp, "fifo").string, at: path)
        },
        Refusal(label: "hard link", reason: "hard_link") { spool, path in
            try spool.place(.tmp, "original.json", "{}")
            try check(link(spool.path(.tmp, "original.json").string, path.string))
        },
        Refusal(label: "FIFO without a writer", reason: "not_regular_file") { _, path in
            try check(mkfifo(path.string, 0o600))
        },
        Refusal(label: "directory", reason: "not_regular_file") { _, path in
            try check(mkdir(path.string, 0o700))
        },
        Refusal(label: "socket", reason: "not_regular_file") { _, path in
            try makeSocket(at: path.string)
        },
        Refusal(label: "one byte over the limit", reason: "too_large") { spool, _ in
            try spool.place(.processing, "request.json", [UInt8](repeating: 0x20, count: 1025))
        },
        Refusal(label: "bad name", reason: "bad_name", name: "bad name.json") { spool, _ in
            try spool.place(.processing, "bad name.json", "{}")
        },
        Refusal(label: "hidden name", reason: "bad_name", name: ".hidden.json") { spool, _ in
            try spool.place(.processing, ".hidden.json", "{}")
        },
    ]

    @Test(arguments: refusals)
    func readRefuses(_ refusal: Refusal) throws {
        try withTemporarySpool(maxFileSize: 1024) { spool throws in
            let path = spool.path(.processing, refusal.name)
            try refusal.make(spool, path)

            let rejection = #expect(throws: SpoolRejection.self) { try spool.read(refusal.name) }

            #expect(rejection?.reason == refusal.reason)
            #expect(rejection?.message.isEmpty == false)
            // Nothing was moved or removed: the caller finishes the file into failed/.
            #expect(try spool.names(in: .processing).contains(refusal.name))
        }
    }

    @Test(.enabled(if: geteuid() == 0, "only root can make device nodes"))
    func readRefusesADeviceWithoutOpeningIt() throws {
        try withTemporarySpool { spool throws in
            // /dev/zero's numbers: opened, it would read forever.
            try check(mknod(spool.path(.processing, "zero.json").string, S_IFCHR | 0o600, dev_t((1 << 8) | 5)))
            let rejection = #expect(throws: SpoolRejection.self) { try spool.read("zero.json") }
            #expect(rejection?.reason == "not_regular_file")
            #expect(rejection?.message.contains("character device") == true)
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root reads any file"))
    func readRefusesAnUnreadableFile() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.processing, "a.json", "{}")
            try check(chmod(spool.path(.processing, "a.json").string, 0))
            let rejection = #expect(throws: SpoolRejection.self) { try spool.read("a.json") }
            #expect(rejection?.reason == "unreadable")
        }
    }

    @Test func readReturnsTheBytesUpToTheLimit() throws {
        try withTemporarySpool(maxFileSize: 200_000) { spool in
            let contents = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try spool.place(.processing, "big.json", contents)
            try spool.place(.processing, "empty.json", [])
            #expect(try spool.read("big.json") == contents)
            #expect(try spool.read("empty.json") == [])
        }
    }

    @Test func readOfAMissingFileIsASpoolError() throws {
        try withTemporarySpool { spool throws in
            let error = #expect(throws: SpoolError.self) { try spool.read("gone.json") }
            #expect(error?.code == .notFound)
            #expect(error?.path == spool.path(.processing, "gone.json").string)
        }
    }

    @Test func aTooLargeFileIsRefusedFromItsSize() throws {
        // A sparse file of 1 TiB would take long to read: the refusal must come from fstat.
        try withTemporarySpool(maxFileSize: 1 << 20) { spool throws in
            let path = spool.path(.processing, "huge.json")
            try spool.place(.processing, "huge.json", [])
            try check(truncate(path.string, 1 << 40))
            let rejection = #expect(throws: SpoolRejection.self) { try spool.read("huge.json") }
            #expect(rejection?.reason == "too_large")
            #expect(rejection?.message.contains("1099511627776 bytes") == true)
        }
    }
}

struct SystemCallFailed: Error, CustomStringConvertible {
    var errno: Errno
    var description: String { "system call failed: \(self.errno)" }
}

func check(_ result: CInt) throws {
    if result != 0 {
        throw SystemCallFailed(errno: Errno(rawValue: errno))
    }
}

func makeSymlink(to target: String, at path: FilePath) throws {
    try check(symlink(target, path.string))
}
