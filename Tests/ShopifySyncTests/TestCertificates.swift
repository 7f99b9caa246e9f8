import Foundation
import HummingbirdHTTP2
import TestSupport

/// A certificate authority made for one test with the `openssl` command, and server certificates: one it signed
/// for 127.0.0.1, one for another host, one that expired in 2020, and one from a second CA nobody trusts.
///
/// Only `caFile` (the first CA) is meant to be trusted. Keys are P-256, so making them all takes milliseconds.
struct TestCertificates {
    enum Kind: String, CaseIterable, Sendable {
        case good
        case wrongHost = "wrong-host"
        case expired
        case untrusted
    }

    /// The folder holding every file; removed by ``remove()``.
    let folder: String

    /// The trusted CA's certificate (PEM), for a store's `ca_file`.
    var caFile: String { "\(folder)/ca.pem" }

    func certificateFile(_ kind: Kind) -> String { "\(folder)/\(kind.rawValue).pem" }
    func keyFile(_ kind: Kind) -> String { "\(folder)/\(kind.rawValue).key" }

    /// A server's TLS configuration presenting the `kind` certificate.
    func serverConfiguration(_ kind: Kind) throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile(kind)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile(kind), format: .pem))
        )
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    static func make() throws -> TestCertificates {
        let folder = try makeTemporaryFolder(prefix: "shopify-sync-tls")
        let certificates = TestCertificates(folder: folder)
        do {
            try certificates.makeAll()
        } catch {
            certificates.remove()
            throw error
        }
        return certificates
    }

    private func makeAll() throws {
        // A private openssl config, so the machine's own (and its default extensions) play no part.
        let config = """
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = unused
            [ca_extensions]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            [ca]
            default_ca = test_ca
            [test_ca]
            database = \(folder)/index.txt
            new_certs_dir = \(folder)
            rand_serial = yes
            default_md = sha256
            policy = any
            unique_subject = no
            [any]
            commonName = supplied

            """
        try config.write(toFile: "\(folder)/openssl.cnf", atomically: true, encoding: .utf8)
        try "".write(toFile: "\(folder)/index.txt", atomically: true, encoding: .utf8)

        try makeAuthority("ca", name: "shopify-sync test CA")
        try makeAuthority("other-ca", name: "a CA nobody trusts")
        let now = Date()
        let valid = (now.addingTimeInterval(-3600), now.addingTimeInterval(86400))
        let loopback = "IP:127.0.0.1"
        try makeServer(.good, authority: "ca", names: loopback, validity: valid)
        try makeServer(.wrongHost, authority: "ca", names: "DNS:shop.example.com,IP:127.0.0.2", validity: valid)
        try makeServer(
            .expired,
            authority: "ca",
            names: loopback,
            validity: (Date(timeIntervalSince1970: 1_577_836_800), Date(timeIntervalSince1970: 1_577_923_200))
        )
        try makeServer(.untrusted, authority: "other-ca", names: loopback, validity: valid)
    }

    /// A new P-256 key, unencrypted.
    private static let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

    private func makeAuthority(_ file: String, name: String) throws {
        let paths = ["-keyout", "\(folder)/\(file).key", "-out", "\(folder)/\(file).pem"]
        try openssl(
            ["req", "-x509", "-new", "-days", "2", "-extensions", "ca_extensions", "-subj", "/CN=\(name)"]
                + Self.newKey + paths
        )
    }

    private func makeServer(_ kind: Kind, authority: String, names: String, validity: (Date, Date)) throws {
        let request = "\(folder)/\(kind.rawValue).csr"
        let extensions = "\(folder)/\(kind.rawValue).ext"
        try """
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = \(names)

        """.write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(
            ["req", "-new", "-subj", "/CN=\(kind.rawValue)", "-keyout", keyFile(kind), "-out", request] + Self.newKey
        )
        let signer = ["-cert", "\(folder)/\(authority).pem", "-keyfile", "\(folder)/\(authority).key"]
        let dates = ["-startdate", Self.asn1Time(validity.0), "-enddate", Self.asn1Time(validity.1)]
        try openssl(
            ["ca", "-batch", "-notext", "-in", request, "-out", certificateFile(kind), "-extfile", extensions]
                + signer + dates
        )
    }

    private func openssl(_ arguments: [String]) throws {
        // `-config` goes right after the subcommand.
        _ = try runProcess(
            Self.opensslPath,
            [arguments[0], "-config", "\(folder)/openssl.cnf"] + arguments.dropFirst()
        )
    }

    /// Where Debian's `openssl` package (in the Makefile's `DEBIAN_PACKAGES`) installs the command.
    static let opensslPath = "/usr/bin/openssl"

    /// `YYYYMMDDHHMMSSZ` in UTC, as `openssl ca -startdate` takes it.
    static func asn1Time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02d%02d%02d%02dZ",
            c.year!,
            c.month!,
            c.day!,
            c.hour!,
            c.minute!,
            c.second!
        )
    }
}
