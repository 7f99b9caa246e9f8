import CCurl
import Dispatch
import Synchronization

/// An ``HTTPTransport`` over libcurl that reuses one easy handle, so one connection per instance.
///
/// Use one instance per store: requests on an instance run one at a time, in order, on a dedicated serial
/// queue (never on Swift's cooperative pool), and reuse the connection (keep-alive; HTTP/2 over TLS where
/// the server offers it through ALPN). TLS peers and host names are always verified, against `caFile` when
/// given (instead of the system's CA store) and the system's store otherwise; an `https://` URL is never
/// sent in plain HTTP and redirects are not followed. Proxies come from the environment (`https_proxy`,
/// `no_proxy`, ...), as libcurl does by default. Cancelling the calling task aborts the transfer within
/// about a second and throws `.cancelled`.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    // `handle` is used only on `queue`; that confinement is what makes the class Sendable.
    private let handle: UnsafeMutableRawPointer
    private let queue: DispatchQueue
    private let userAgent: String
    private let caFile: String?

    /// The largest response body of a POST accepted; a longer one fails with `.badResponse`.
    public static let maximumResponseBytes = 64 * 1024 * 1024

    /// The largest body of a GET (a bulk operation's JSONL result) accepted; a longer one fails with `.badResponse`.
    public static let maximumDownloadBytes = 1024 * 1024 * 1024

    /// Creates a transport with its own connection; `label` names its queue (for example the store name).
    ///
    /// `caFile`: a PEM file of the CA certificates trusted for the peer (the store's `ca_file`); nil trusts
    /// the system's store.
    public init(label: String = "default", userAgent: String = ShopifySyncVersion.userAgent, caFile: String? = nil) {
        CurlGlobal.initialize()
        guard let handle = curl_easy_init() else {
            fatalError("curl_easy_init failed: libcurl is out of memory")
        }
        self.handle = handle
        self.queue = DispatchQueue(label: "shopify-sync.curl.\(label)")
        self.userAgent = userAgent
        self.caFile = caFile
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    public func post(
        url: String,
        headers: [(String, String)],
        body: [UInt8],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        try await send(
            url: url,
            headers: headers,
            method: .post(body),
            connectTimeout: connectTimeout,
            totalTimeout: totalTimeout
        )
    }

    /// A plain GET on the same connection rules as ``post(url:headers:body:connectTimeout:totalTimeout:)``
    /// (verified TLS, no redirects); the body may be up to ``maximumDownloadBytes``.
    public func get(
        url: String,
        headers: [(String, String)],
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        try await send(
            url: url,
            headers: headers,
            method: .get,
            connectTimeout: connectTimeout,
            totalTimeout: totalTimeout
        )
    }

    private enum Method {
        case post([UInt8])
        case get
    }

    private func send(
        url: String,
        headers: [(String, String)],
        method: Method,
        connectTimeout: Duration,
        totalTimeout: Duration
    ) async throws(ShopifyError) -> HTTPResponse {
        let flag = CancellationFlag()
        let result: Result<HTTPResponse, ShopifyError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(
                        returning: self.perform(
                            url: url,
                            headers: headers,
                            method: method,
                            connectTimeout: connectTimeout,
                            totalTimeout: totalTimeout,
                            flag: flag
                        )
                    )
                }
            }
        } onCancel: {
            flag.cancel()
        }
        return try result.get()
    }

    // MARK: - On the queue

    private func perform(
        url: String,
        headers: [(String, String)],
        method: Method,
        connectTimeout: Duration,
        totalTimeout: Duration,
        flag: CancellationFlag
    ) -> Result<HTTPResponse, ShopifyError> {
        if flag.isCancelled { return .failure(Self.cancelledError) }
        curl_easy_reset(handle)
        // Pointers into this frame (body, sink, error buffer) must not outlive it.
        defer { curl_easy_reset(handle) }

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (name, value) in headers {
            let line = "\(Self.headerSafe(name)): \(Self.headerSafe(value))"
            guard let appended = curl_slist_append(headerList, line) else {
                return .failure(ShopifyError(code: .network, message: "out of memory building headers"))
            }
            headerList = appended
        }
        // No `Expect: 100-continue` round trip on large bodies.
        if let appended = curl_slist_append(headerList, "Expect:") { headerList = appended }

        let body: [UInt8]?
        let limit: Int
        switch method {
        case .post(let bytes):
            body = bytes
            limit = Self.maximumResponseBytes
        case .get:
            body = nil
            limit = Self.maximumDownloadBytes
        }
        let sink = ResponseSink(flag: flag, limit: limit)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let payload = body.map { $0.isEmpty ? [0] : $0 } ?? [0]

        let code: CURLcode = withExtendedLifetime(sink) {
            payload.withUnsafeBufferPointer { payloadBuffer in
                errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                    var setupError = CURLE_OK
                    func check(_ result: CURLcode) {
                        if setupError == CURLE_OK, result != CURLE_OK { setupError = result }
                    }
                    let h = handle
                    check(ccurl_easy_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorPointer.baseAddress))
                    check(url.withCString { ccurl_easy_setopt_string(h, CURLOPT_URL, $0) })
                    if let body {
                        check(ccurl_easy_setopt_long(h, CURLOPT_POST, 1))
                        check(ccurl_easy_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                        check(
                            ccurl_easy_setopt_pointer(
                                h,
                                CURLOPT_POSTFIELDS,
                                UnsafeMutableRawPointer(mutating: payloadBuffer.baseAddress)
                            )
                        )
                    } else {
                        check(ccurl_easy_setopt_long(h, CURLOPT_HTTPGET, 1))
                    }
                    check(ccurl_easy_setopt_slist(h, CURLOPT_HTTPHEADER, headerList))
                    check(userAgent.withCString { ccurl_easy_setopt_string(h, CURLOPT_USERAGENT, $0) })
                    check(ccurl_easy_setopt_string(h, CURLOPT_ACCEPT_ENCODING, ""))
                    check(ccurl_easy_setopt_long(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
                    check(ccurl_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.curlMilliseconds))
                    check(ccurl_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, totalTimeout.curlMilliseconds))
                    check(ccurl_easy_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1))
                    // 2 is "verify the host name"; libcurl treats the old value 1 the same way.
                    check(ccurl_easy_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2))
                    if let caFile {
                        // The file alone is trusted: without clearing the built-in CA folder, the system's
                        // certificates would still be accepted beside it.
                        check(caFile.withCString { ccurl_easy_setopt_string(h, CURLOPT_CAINFO, $0) })
                        check(ccurl_easy_setopt_string(h, CURLOPT_CAPATH, nil))
                    }
                    check(ccurl_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1))
                    check(ccurl_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0))
                    check(ccurl_easy_setopt_write_callback(h, CURLOPT_WRITEFUNCTION, curlWriteBody))
                    check(ccurl_easy_setopt_pointer(h, CURLOPT_WRITEDATA, sinkPointer))
                    check(ccurl_easy_setopt_write_callback(h, CURLOPT_HEADERFUNCTION, curlWriteHeader))
                    check(ccurl_easy_setopt_pointer(h, CURLOPT_HEADERDATA, sinkPointer))
                    check(ccurl_easy_setopt_long(h, CURLOPT_NOPROGRESS, 0))
                    check(ccurl_easy_setopt_xferinfo_callback(h, curlProgress))
                    check(ccurl_easy_setopt_pointer(h, CURLOPT_XFERINFODATA, sinkPointer))
                    if setupError != CURLE_OK { return setupError }
                    return curl_easy_perform(h)
                }
            }
        }

        if code == CURLE_OK {
            var status = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var version = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
            return .success(
                HTTPResponse(
                    status: status,
                    headers: sink.headers,
                    body: sink.body,
                    httpVersion: Self.versionName(version)
                )
            )
        }
        if flag.isCancelled { return .failure(Self.cancelledError) }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let summary = String(cString: curl_easy_strerror(code))
        var message = detail.isEmpty ? summary : "\(summary): \(detail)"
        message = Self.redact(message, headers: headers)
        if Self.isTLSFailure(code) {
            // The handshake failed before any request byte was sent, and nothing is retried in plain HTTP.
            message = "TLS handshake failed, nothing was sent (\(message))"
            if let caFile { message += "; CAs trusted from \(caFile)" }
        }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(ShopifyError(code: .timeout, message: message))
        case CURLE_WRITE_ERROR where sink.tooLarge:
            return .failure(
                ShopifyError(code: .badResponse, message: "response larger than \(limit) bytes")
            )
        default:
            var error = ShopifyError(code: .network, message: message)
            error.notSent = Self.isBeforeSending(code)
            return .failure(error)
        }
    }

    /// libcurl's codes for a failure before any request byte left: no name, no connection, no TLS session.
    private static func isBeforeSending(_ code: CURLcode) -> Bool {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT: true
        default: isTLSFailure(code)
        }
    }

    static let cancelledError = ShopifyError(code: .cancelled, message: "request cancelled")

    /// libcurl's codes for a TLS handshake or certificate verification that failed.
    private static func isTLSFailure(_ code: CURLcode) -> Bool {
        switch code {
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE:
            return true
        default:
            return false
        }
    }

    /// `CURLINFO_HTTP_VERSION` as written on a status line: "HTTP/1.1", "HTTP/2", ...
    private static func versionName(_ version: Int) -> String? {
        switch version {
        case Int(CURL_HTTP_VERSION_1_0): "HTTP/1.0"
        case Int(CURL_HTTP_VERSION_1_1): "HTTP/1.1"
        case Int(CURL_HTTP_VERSION_2_0): "HTTP/2"
        case Int(CURL_HTTP_VERSION_3): "HTTP/3"
        default: nil
        }
    }

    /// CR and LF would end the header line early; they never belong in a value.
    private static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }

    /// Removes credential header values from a message (libcurl never puts them there; this makes sure).
    static func redact(_ message: String, headers: [(String, String)]) -> String {
        var message = message
        for (name, value) in headers where value.count >= 4 {
            let lower = name.lowercased()
            if lower.contains("token") || lower.contains("authorization") || lower.contains("key")
                || lower.contains("cookie")
            {
                message = message.replacing(value, with: "<redacted>")
            }
        }
        return message
    }
}

// MARK: - Global initialisation

private enum CurlGlobal {
    private static let initialized: Bool = ccurl_global_init_default() == CURLE_OK

    static func initialize() {
        precondition(initialized, "curl_global_init failed")
    }
}

// MARK: - Per-request state

/// Set from any thread by the cancellation handler, read by libcurl's progress callback.
private final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isCancelled: Bool { value.load(ordering: .acquiring) }

    func cancel() { value.store(true, ordering: .releasing) }
}

/// Collects one response; used only on the transport's queue, from libcurl's callbacks.
private final class ResponseSink {
    let flag: CancellationFlag
    /// The largest body accepted.
    let limit: Int
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var tooLarge = false

    init(flag: CancellationFlag, limit: Int) {
        self.flag = flag
        self.limit = limit
    }

    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = String(decoding: bytes, as: UTF8.self)
        while let last = line.last, last == "\n" || last == "\r" || last == "\r\n" { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new status line (after 100 Continue or a proxy's CONNECT): only the final block counts.
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon]).trimmingWhitespace()
        let value = String(line[line.index(after: colon)...]).trimmingWhitespace()
        headers.append((name: name, value: value))
    }
}

private func sink(from userdata: UnsafeMutableRawPointer?) -> ResponseSink? {
    guard let userdata else { return nil }
    return Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
}

private let curlWriteBody: curl_write_callback = { data, size, count, userdata in
    guard let sink = sink(from: userdata), let data else { return 0 }
    let length = size * count
    if sink.body.count + length > sink.limit {
        sink.tooLarge = true
        return 0
    }
    sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

private let curlWriteHeader: curl_write_callback = { data, size, count, userdata in
    guard let sink = sink(from: userdata), let data else { return 0 }
    let length = size * count
    sink.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

private let curlProgress: curl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let sink = sink(from: userdata) else { return 0 }
    return sink.flag.isCancelled ? 1 : 0
}
