#if !SHOPIFY_SYNC_FUZZING
import Foundation

/// Without libFuzzer, `shopify-sync-fuzz TARGET PATH...` feeds every file under each PATH to TARGET once: the
/// seed corpus and every input a fuzzer run found are replayed this way in `make test`.
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: shopify-sync-fuzz \(names) PATH...\n".utf8))
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(under: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                    exit(66)
                }
                target.run([UInt8](data))
                count += 1
            }
        }
        print("\(target.rawValue): replayed \(count) inputs")
    }

    /// `path` itself when it is a file, else every regular file below it, in name order.
    static func files(under path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [path] }
        let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
        return names.sorted().map { "\(path)/\($0)" }.filter {
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &folder) && !folder.boolValue
        }
    }
}
#endif
