#if SHOPIFY_SYNC_FUZZING
import CFuzzDriver
import Foundation

// Built by `make fuzz` with `-sanitize=fuzzer,address`: the executable's entry point (SwiftPM names it
// `shopify_sync_fuzz_main`) hands over to libFuzzer's driver, which calls `fuzzOne` once per input. The target is
// named by $SHOPIFY_SYNC_FUZZ_TARGET. Linked with lld: gold fails on libFuzzer's archive.

private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["SHOPIFY_SYNC_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("set SHOPIFY_SYNC_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(64)
    }
    return target
}()

@_cdecl("shopify_sync_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    _ = target
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}

/// One input. libFuzzer's own `main`, linked in too but not the entry point, needs the symbol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#endif
