import Foundation
import Glibc
import Testing

/// A power cut for a real daemon: Tests/PowerCut/powercut.c, preloaded into it, logs what is not yet on disk
/// under a root folder and can kill the daemon just before its n-th sync point; `restore` then puts the root in
/// the state a power cut at that moment could leave (see the C file for the model).
enum PowerCut {
    /// The shim, compiled once per test process into a temporary folder.
    static let library: Result<String, PowerCutError> = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PowerCut/powercut.c").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("powercut-\(UUID().uuidString).so")
            .path
        var messages = ""
        for compiler in ["cc", "clang", "gcc"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [compiler, "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", output, source, "-ldl"]
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            do {
                try process.run()
            } catch {
                messages += "\(compiler): \(error)\n"
                continue
            }
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if process.terminationStatus == 0 { return .success(output) }
            messages += "\(compiler): \(text)\n"
        }
        return .failure(PowerCutError(message: "cannot compile \(source):\n\(messages)"))
    }()

    /// The environment that preloads the shim over `root`, logging into `logFolder`, cutting before `at`.
    static func environment(root: String, logFolder: String, at cut: Int?) throws -> [String: String] {
        var environment = [
            "LD_PRELOAD": try library.get(),
            "POWERCUT_ROOT": root,
            "POWERCUT_DIR": logFolder,
        ]
        if let cut { environment["POWERCUT_AT"] = String(cut) }
        return environment
    }

    /// What a run logged.
    struct Log {
        /// Sync points passed (the last numbered S, D or A record).
        var syncPoints = 0
        /// True when the shim cut the power.
        var cut = false
    }

    /// The log's records; none when the process was killed before the shim started (nothing to undo).
    static func read(_ logFolder: String) throws -> [Substring] {
        guard FileManager.default.fileExists(atPath: "\(logFolder)/log") else { return [] }
        let text = try String(contentsOfFile: "\(logFolder)/log", encoding: .utf8)
        return text.split(separator: "\n")
    }

    static func summary(_ logFolder: String) throws -> Log {
        var log = Log()
        for line in try read(logFolder) {
            let fields = line.split(separator: " ", maxSplits: 2)
            switch fields.first {
            case "S", "D", "A": log.syncPoints = max(log.syncPoints, Int(fields[1]) ?? 0)
            case "K": log.cut = true
            default: break
            }
        }
        return log
    }

    /// Undoes what the log says was not on disk; returns what it undid, for messages.
    @discardableResult
    static func restore(logFolder: String) throws -> [String] {
        enum Entry {
            case created(folder: String, name: String)
            case removed(folder: String, name: String, saved: String)
            case renamed(from: String, fromName: String, to: String, toName: String, saved: String)

            /// The folder whose fsync makes the change durable.
            var commitFolder: String {
                switch self {
                case .created(let folder, _), .removed(let folder, _, _): folder
                case .renamed(_, _, let to, _, _): to
                }
            }
        }
        var unsynced: [Entry] = []
        var contents: [UInt64: String] = [:]
        for line in try read(logFolder) {
            let tag = line.prefix(1)
            let rest = String(line.dropFirst(2))
            let tabbed = rest.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let spaced = rest.split(separator: " ", maxSplits: 1).map(String.init)
            switch tag {
            case "F": contents[UInt64(spaced[0])!] = spaced[1]
            case "S": contents[UInt64(spaced[1])!] = nil
            case "C": unsynced.append(.created(folder: tabbed[0], name: tabbed[1]))
            case "U": unsynced.append(.removed(folder: tabbed[0], name: tabbed[1], saved: tabbed[2]))
            case "R":
                unsynced.append(
                    .renamed(from: tabbed[0], fromName: tabbed[1], to: tabbed[2], toName: tabbed[3], saved: tabbed[4])
                )
            case "D": unsynced.removeAll { $0.commitFolder == spaced[1] }
            case "A":
                unsynced.removeAll()
                contents.removeAll()
            case "K": break
            default: throw PowerCutError(message: "unknown power-cut log line: \(line)")
            }
        }
        let files = FileManager.default
        var undone: [String] = []
        for entry in unsynced.reversed() {
            switch entry {
            case .created(let folder, let name):
                let path = "\(folder)/\(name)"
                if files.fileExists(atPath: path) {
                    try files.removeItem(atPath: path)
                    undone.append("lost \(path)")
                }
            case .removed(let folder, let name, let saved):
                let path = "\(folder)/\(name)"
                guard !files.fileExists(atPath: path) else { continue }
                if saved == "-" {
                    try files.createDirectory(atPath: path, withIntermediateDirectories: false)
                } else {
                    guard Glibc.link("\(logFolder)/\(saved)", path) == 0 else {
                        throw PowerCutError(message: "cannot bring back \(path): errno \(errno)")
                    }
                }
                undone.append("back \(path)")
            case .renamed(let from, let fromName, let to, let toName, let saved):
                let source = "\(from)/\(fromName)"
                let target = "\(to)/\(toName)"
                guard files.fileExists(atPath: target), !files.fileExists(atPath: source) else { continue }
                guard Glibc.rename(target, source) == 0 else {
                    throw PowerCutError(message: "cannot move \(target) back: errno \(errno)")
                }
                if saved != "-" {
                    guard Glibc.link("\(logFolder)/\(saved)", target) == 0 else {
                        throw PowerCutError(message: "cannot bring back \(target): errno \(errno)")
                    }
                }
                undone.append("moved back \(target) to \(source)")
            }
        }
        // File contents go back to their last sync, wherever the inode now is.
        for (inode, paths) in try inodes(under: rootOf(logFolder)) {
            // The wal-index is shared memory, never durable: it goes, and SQLite rebuilds it.
            if paths.contains(where: { $0.hasSuffix("-shm") }) {
                for path in paths { try files.removeItem(atPath: path) }
                continue
            }
            guard let shadow = contents[inode] else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(logFolder)/\(shadow)"))
            for path in paths {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: data)
                try handle.close()
                undone.append("content of \(path) back to \(data.count) bytes")
            }
        }
        return undone
    }

    /// The root the log was made for, kept beside it by `prepare`.
    static func rootOf(_ logFolder: String) throws -> String {
        try String(contentsOfFile: "\(logFolder)/root", encoding: .utf8)
    }

    /// Makes an empty log folder for `root`.
    static func prepare(logFolder: String, root: String) throws {
        try FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true)
        try root.write(toFile: "\(logFolder)/root", atomically: true, encoding: .utf8)
    }

    /// Every regular file under `root`, by inode.
    static func inodes(under root: String) throws -> [UInt64: [String]] {
        var result: [UInt64: [String]] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        for case let relative as String in walker {
            let path = "\(root)/\(relative)"
            var status = stat()
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
            result[UInt64(status.st_ino), default: []].append(path)
        }
        return result
    }
}

struct PowerCutError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
