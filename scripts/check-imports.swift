// Checks, from `swift package dump-package` on stdin, that each target of the package declares exactly the
// modules its files import: every module it imports is a dependency it names (not one it only reaches through
// another target), and every dependency it names is imported by one of its files. Then checks that the unit
// suites do not depend, through the package's own targets, on the simulator or the HTTP stack.
//
// Usage: swift package dump-package | swift scripts/check-imports.swift REPOSITORY
import Foundation

/// Modules of the toolchain and the platform, which no target declares.
let platformModules: Set<String> = [
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
    "Synchronization", "Testing", "XCTest", "_Concurrency", "os",
]
/// Test suites that must build without Hummingbird, NIO or GraphQL.
let unitSuites = ["ShopifySyncCoreTests", "SpoolTests", "SyncStateTests", "SystemdTests"]
/// What those suites must not reach: targets and packages.
let httpTargets: Set<String> = ["ShopifySimulator", "SimulatorTestSupport", "ShopifySync"]
let httpPackages: Set<String> = ["hummingbird", "GraphQL", "swift-nio", "swift-http-types"]

struct Target {
    var name: String
    var type: String
    var path: String
    /// Targets of this package it depends on.
    var targets: [String]
    /// Products of other packages it depends on, with their package.
    var products: [(name: String, package: String)]
    var declared: Set<String> { Set(targets).union(products.map(\.name)) }
}

let repository = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "."
let manifest = try JSONSerialization.jsonObject(with: FileHandle.standardInput.readDataToEndOfFile())
guard let targetList = (manifest as? [String: Any])?["targets"] as? [[String: Any]] else {
    FileHandle.standardError.write(Data("check-imports: no targets in the manifest dump\n".utf8))
    exit(2)
}
let targets: [Target] = targetList.map { entry in
    let name = entry["name"] as? String ?? "?"
    let type = entry["type"] as? String ?? "regular"
    var target = Target(
        name: name,
        type: type,
        path: entry["path"] as? String ?? (type == "test" ? "Tests/\(name)" : "Sources/\(name)"),
        targets: [],
        products: []
    )
    for dependency in entry["dependencies"] as? [[String: [Any]]] ?? [] {
        if let values = dependency["byName"] ?? dependency["target"], let dependencyName = values.first as? String {
            target.targets.append(dependencyName)
        } else if let values = dependency["product"], let product = values.first as? String,
            let package = values.dropFirst().first as? String
        {
            target.products.append((product, package))
        }
    }
    return target
}

/// The modules the Swift files under `path` import (`import M`, `@testable import M`, `import struct M.T`).
func imports(under path: String) -> Set<String> {
    let pattern = try! NSRegularExpression(
        pattern: #"^\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)"#,
        options: [.anchorsMatchLines]
    )
    var found: Set<String> = []
    let root = URL(fileURLWithPath: repository).appendingPathComponent(path)
    let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
    while let file = files?.nextObject() as? URL {
        guard file.pathExtension == "swift", let text = try? String(contentsOf: file, encoding: .utf8) else {
            continue
        }
        let range = NSRange(text.startIndex..., in: text)
        for match in pattern.matches(in: text, range: range) {
            if let module = Range(match.range(at: 1), in: text) { found.insert(String(text[module])) }
        }
    }
    return found
}

var problems: [String] = []
for target in targets where target.type != "system" {
    let imported = imports(under: target.path).subtracting(platformModules).subtracting([target.name])
    for module in imported.subtracting(target.declared).sorted() {
        problems.append("\(target.name) imports \(module) but does not declare it in Package.swift")
    }
    for module in target.declared.subtracting(imported).sorted() {
        problems.append("\(target.name) declares \(module) but none of its files imports it")
    }
}

let byName = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
for suite in unitSuites {
    var seen: Set<String> = []
    var queue = [suite]
    while let name = queue.popLast() {
        guard seen.insert(name).inserted, let target = byName[name] else { continue }
        if httpTargets.contains(name) { problems.append("\(suite) depends on \(name), which needs the HTTP stack") }
        for product in target.products where httpPackages.contains(product.package) {
            problems.append("\(suite) depends on \(product.package) through \(name)")
        }
        queue += target.targets
    }
}

for problem in problems { FileHandle.standardError.write(Data("check-imports: \(problem)\n".utf8)) }
if problems.isEmpty {
    print(
        "check-imports: every target declares exactly the modules it imports; "
            + "\(unitSuites.joined(separator: ", ")) build without the HTTP stack"
    )
}
exit(problems.isEmpty ? 0 : 1)
