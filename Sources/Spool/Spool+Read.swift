import Glibc
import SystemPackage

extension Spool {
    /// Reads processing/NAME as a request, refusing anything that is not a plain, singly linked, regular
    /// file of at most `maxFileSize` bytes.
    ///
    /// The entry is first examined with lstat(2), so symbolic links, FIFOs, sockets and devices are refused
    /// without being opened; it is then opened with O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC and checked again
    /// with fstat(2), so a file swapped in between is caught. Nothing blocks and an oversized file is not
    /// read whole.
    ///
    /// - Throws: `SpoolRejection` when the file belongs in failed/; `SpoolError` when the spool itself
    ///   fails (code `not_found` when processing/NAME does not exist).
    public func read(_ name: String) throws -> [UInt8] {
        guard Self.isValidName(name) else {
            throw SpoolRejection(
                reason: SpoolRejection.badName,
                message: "the name \(String(reflecting: name)) does not match \(Self.nameRule)"
            )
        }
        let path = self.path(.processing, name)
        let linkInfo: Stat
        do {
            linkInfo = try Sys.lstat(path)
        } catch {
            throw self.openFailure(error, path)
        }
        try self.check(linkInfo, path: path)

        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readOnly, options: [.noFollow, .nonBlocking, .closeOnExec])
        } catch {
            throw self.openFailure(error as? Errno ?? .ioError, path)
        }
        defer { _ = try? fd.close() }
        let info: Stat
        do {
            info = try fd.stat()
        } catch {
            throw SpoolError(.stat, path, error)
        }
        try self.check(info, path: path)
        return try self.readAll(fd, sizeHint: Int(info.size), path: path)
    }

    /// The rejection (or spool error) for a failed lstat or open of processing/NAME.
    private func openFailure(_ error: Errno, _ path: FilePath) -> any Error {
        switch error {
        case .noSuchFileOrDirectory:
            return SpoolError(.notFound, path, error)
        case .tooManySymbolicLinkLevels:
            return SpoolRejection(reason: SpoolRejection.symlink, message: "the file is a symbolic link")
        case .noSuchAddressOrDevice, .operationNotSupportedByDevice, .isDirectory:
            return SpoolRejection(reason: SpoolRejection.notRegularFile, message: "the file is not a regular file")
        case .permissionDenied, .notPermitted, .ioError:
            return SpoolRejection(reason: SpoolRejection.unreadable, message: "the file cannot be opened: \(error)")
        case .overflow, .fileTooLarge:
            return SpoolRejection(reason: SpoolRejection.tooLarge, message: "the file is too large to open")
        default:
            return SpoolError(.open, path, error)
        }
    }

    /// Refuses anything but a regular file with one link and at most `maxFileSize` bytes.
    private func check(_ info: Stat, path: FilePath) throws(SpoolRejection) {
        switch info.type {
        case .regular:
            break
        case .symbolicLink:
            throw SpoolRejection(reason: SpoolRejection.symlink, message: "the file is a symbolic link")
        default:
            throw SpoolRejection(
                reason: SpoolRejection.notRegularFile,
                message: "the file is not a regular file but a \(Self.describe(info.type))"
            )
        }
        if info.linkCount != 1 {
            throw SpoolRejection(
                reason: SpoolRejection.hardLink,
                message: "the file has \(info.linkCount) hard links; a request must have exactly one"
            )
        }
        if info.size > Int64(self.maxFileSize) {
            throw self.tooLarge(size: "\(info.size) bytes")
        }
    }

    private func tooLarge(size: String) -> SpoolRejection {
        SpoolRejection(
            reason: SpoolRejection.tooLarge,
            message: "the file has \(size), more than the maximum of \(self.maxFileSize) bytes"
        )
    }

    private static func describe(_ type: FileType) -> String {
        switch type {
        case .directory: "directory"
        case .fifo: "FIFO"
        case .socket: "socket"
        case .characterSpecial: "character device"
        case .blockSpecial: "block device"
        case .symbolicLink: "symbolic link"
        default: "file of type \(String(type.rawValue, radix: 8))"
        }
    }

    /// Reads to end of file, refusing (without reading further) once more than `maxFileSize` bytes came.
    private func readAll(_ fd: FileDescriptor, sizeHint: Int, path: FilePath) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(max(sizeHint, 0), self.maxFileSize) + 1)
        let chunkSize = 64 << 10
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { buffer in
                    try fd.read(into: buffer)
                }
            } catch let error as Errno {
                if error == .ioError {
                    throw SpoolRejection(
                        reason: SpoolRejection.unreadable,
                        message: "the file cannot be read: \(error)"
                    )
                }
                throw SpoolError(.read, path, error)
            }
            if count == 0 {
                return bytes
            }
            if bytes.count + count > self.maxFileSize {
                throw self.tooLarge(size: "more than \(self.maxFileSize) bytes")
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}
