import DHIdentity
import DHTLS
import Foundation

/// Certificates and keys made by the test run, in a fresh temporary directory.
final class TestPKI {
    let directory: URL
    let now = Date()
    let ca: CertificateAuthority

    init(algorithm: PrivateKey.Algorithm = .ecdsaP256) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dh-tls-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        ca = try CertificateAuthority.makeDevelopmentCA(
            privateKey: PrivateKey.generate(algorithm), notBefore: now - 3600, notAfter: now + 86_400 * 30)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    var day: TimeInterval { 86_400 }

    /// A certificate and key issued by `authority` (default: this PKI's CA).
    func issue(
        _ profile: CertificateProfile, by authority: CertificateAuthority? = nil,
        algorithm: PrivateKey.Algorithm = .ecdsaP256
    ) throws -> (certificate: Certificate, key: PrivateKey) {
        let key = try PrivateKey.generate(algorithm)
        return (try (authority ?? ca).issue(profile, for: key), key)
    }

    func server(notBefore: Date? = nil, notAfter: Date? = nil) throws -> (certificate: Certificate, key: PrivateKey) {
        try issue(
            .server(
                commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"],
                notBefore: notBefore ?? now - 60, notAfter: notAfter ?? now + day))
    }

    func client(
        _ identity: PeerIdentity? = nil, notBefore: Date? = nil, notAfter: Date? = nil,
        by authority: CertificateAuthority? = nil
    ) throws -> (certificate: Certificate, key: PrivateKey) {
        let identity = try identity ?? PeerIdentity(organization: "1312345678", role: .gateway, id: "gw-01")
        return try issue(
            .client(identity: identity, notBefore: notBefore ?? now - 60, notAfter: notAfter ?? now + day),
            by: authority)
    }

    /// Writes `text` to a file in the directory and returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
