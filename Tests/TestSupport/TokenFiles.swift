import Foundation

/// Writes a token file as an operator must: readable by its owner only (the daemon refuses one others may read).
public func writeToken(_ contents: String, to path: String) throws {
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
}
