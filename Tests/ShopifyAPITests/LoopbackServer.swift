import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 over raw sockets, one thread per connection, keep-alive.
///
/// It exists to test ``CurlTransport`` against a real TCP peer: it counts accepted connections, records
/// every request, and can answer, or hold a request forever without answering.
final class LoopbackServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        /// 1 for the first accepted connection, and so on.
        var connection: Int

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    enum Reply: Sendable {
        case respond(status: Int, headers: [(String, String)], body: String)
        /// Read the request and never answer (until the client gives up or the server stops).
        case hang
    }

    private struct State {
        var acceptedConnections = 0
        var requests: [Request] = []
        var openSockets: Set<Int32> = []
        var stopped = false
    }

    let port: UInt16
    private let listener: Int32
    private let state = Mutex(State())
    private let handler: @Sendable (Request) -> Reply
    /// Every request, as it arrives.
    let received: AsyncStream<Request>
    private let receivedContinuation: AsyncStream<Request>.Continuation

    var acceptedConnections: Int { state.withLock { $0.acceptedConnections } }
    var requests: [Request] { state.withLock { $0.requests } }

    init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        (received, receivedContinuation) = AsyncStream.makeStream()
        (listener, port) = try Self.makeListener()
        let server = self
        Thread.detachNewThread { server.acceptLoop() }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() {
        let sockets = state.withLock { state -> Set<Int32> in
            state.stopped = true
            return state.openSockets
        }
        // shutdown() wakes threads blocked in accept() and recv(); they close their own descriptors.
        _ = shutdown(listener, Int32(SHUT_RDWR))
        for socket in sockets { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        receivedContinuation.finish()
    }

    /// A port on 127.0.0.1 where nothing listens (bound, then closed).
    static func closedPort() throws -> UInt16 {
        let (socket, port) = try makeListener()
        close(socket)
        return port
    }

    // MARK: - Sockets

    private static func makeListener() throws -> (Int32, UInt16) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let number: Int? = state.withLock { state in
                if state.stopped { return nil }
                state.acceptedConnections += 1
                state.openSockets.insert(client)
                return state.acceptedConnections
            }
            guard let number else {
                close(client)
                break
            }
            Thread.detachNewThread { self.serve(client, connection: number) }
        }
        close(listener)
    }

    private func serve(_ socket: Int32, connection: Int) {
        defer {
            _ = state.withLock { $0.openSockets.remove(socket) }
            close(socket)
        }
        var buffer: [UInt8] = []
        while let request = readRequest(socket, buffer: &buffer, connection: connection) {
            state.withLock { $0.requests.append(request) }
            receivedContinuation.yield(request)
            switch handler(request) {
            case .hang:
                // Wait for the peer to close (or the server to stop); answer nothing.
                var scratch = [UInt8](repeating: 0, count: 1024)
                while recv(socket, &scratch, scratch.count, 0) > 0 {}
                return
            case .respond(let status, let headers, let body):
                var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                head += "Content-Length: \(body.utf8.count)\r\n\r\n"
                guard sendAll(socket, Array(head.utf8) + Array(body.utf8)) else { return }
            }
        }
    }

    private func readRequest(_ socket: Int32, buffer: inout [UInt8], connection: Int) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while true {
            if let found = buffer.firstRange(of: separator) {
                headerEnd = found.upperBound
                break
            }
            guard receive(socket, into: &buffer) else { return nil }
        }
        guard let headerEnd else { return nil }
        let lines = String(decoding: buffer[..<(headerEnd - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (
                    String(line[..<colon]),
                    String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                )
            )
        }
        let length =
            headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while buffer.count < headerEnd + length {
            guard receive(socket, into: &buffer) else { return nil }
        }
        let body = Array(buffer[headerEnd..<(headerEnd + length)])
        buffer.removeFirst(headerEnd + length)
        return Request(
            method: requestLine.first.map(String.init) ?? "",
            path: requestLine.count > 1 ? String(requestLine[1]) : "",
            headers: headers,
            body: body,
            connection: connection
        )
    }

    private func receive(_ socket: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = recv(socket, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 401: "Unauthorized"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
