public import DHIdentity
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A certificate with its private key.
public struct IssuedCertificate: Sendable, Hashable {
    public var certificate: Certificate
    public var privateKey: PrivateKey

    public init(certificate: Certificate, privateKey: PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

extension CertificateAuthority {
    /// Generates a key and issues a certificate for it.
    public func issueWithNewKey(
        _ profile: CertificateProfile, algorithm: PrivateKey.Algorithm = .ecdsaP256
    ) throws(PKIError) -> IssuedCertificate {
        let key = try PrivateKey.generate(algorithm)
        return IssuedCertificate(certificate: try issue(profile, for: key), privateKey: key)
    }

    /// The next CRL: everything on `current` (if any) plus `serialNumbers`, revoked at `date`,
    /// numbered one past `current`.
    ///
    /// - Throws: ``PKIError/Code/invalidRevocationList`` when `current` was not signed by this CA.
    public func revoking(
        _ serialNumbers: [SerialNumber], in current: CertificateRevocationList?, at date: Date, nextUpdate: Date
    ) throws(PKIError) -> CertificateRevocationList {
        if let current, current.issuer != certificate.subject || !current.isSigned(by: certificate) {
            throw PKIError(
                code: .invalidRevocationList,
                message: "the CRL of '\(current.issuer)' was not signed by this CA ('\(certificate.subject)')")
        }
        var entries = current?.entries ?? []
        for serialNumber in serialNumbers where !entries.contains(where: { $0.serialNumber == serialNumber }) {
            entries.append(CertificateRevocationList.Entry(serialNumber: serialNumber, revocationDate: date))
        }
        return try makeRevocationList(
            entries: entries, number: (current?.number ?? 0) + 1, thisUpdate: date, nextUpdate: nextUpdate)
    }
}

/// A complete development PKI, as `dh pki init` writes it: a CA, a server certificate, one
/// client certificate per role, and an empty CRL. Made in memory; ``files`` names what to write.
public struct DevelopmentPKI: Sendable {
    public var authority: CertificateAuthority
    public var server: IssuedCertificate
    public var clients: [PeerIdentity.Role: IssuedCertificate]
    public var revocationList: CertificateRevocationList

    /// Makes the PKI.
    ///
    /// - Parameters:
    ///   - organization: ORG of the client identities (`dh://ORG/ROLE/dev-ROLE`).
    ///   - serverDNSNames, serverIPAddresses: the server certificate's SANs.
    ///   - validity: how long everything is valid from `now` (the CA a little longer).
    public static func make(
        organization: String = "datahealth-dev", serverDNSNames: [String] = ["localhost"],
        serverIPAddresses: [String] = ["127.0.0.1", "::1"], algorithm: PrivateKey.Algorithm = .ecdsaP256,
        now: Date = Date(), validity: TimeInterval = 90 * 86_400
    ) throws(PKIError) -> DevelopmentPKI {
        // Backdated a little, so that clocks a few minutes apart agree the certificates are valid.
        let notBefore = now - 300
        // A random suffix keeps two development CAs apart in one trust bundle.
        let suffix = String(SerialNumber.random().description.prefix(8))
        let authority = try CertificateAuthority.makeDevelopmentCA(
            commonName: "DataHealth Development CA \(suffix)", privateKey: .generate(algorithm), notBefore: notBefore, notAfter: now + validity + 86_400)
        let server = try authority.issueWithNewKey(
            .server(
                commonName: serverDNSNames.first ?? serverIPAddresses.first ?? "datahealth",
                dnsNames: serverDNSNames, ipAddresses: serverIPAddresses, notBefore: notBefore,
                notAfter: now + validity),
            algorithm: algorithm)
        var clients: [PeerIdentity.Role: IssuedCertificate] = [:]
        for role in PeerIdentity.Role.allCases {
            let identity: PeerIdentity
            do {
                identity = try PeerIdentity(organization: organization, role: role, id: "dev-\(role.rawValue)")
            } catch {
                throw PKIError(code: .invalidName, message: error.message)
            }
            clients[role] = try authority.issueWithNewKey(
                .client(identity: identity, notBefore: notBefore, notAfter: now + validity), algorithm: algorithm)
        }
        let revocationList = try authority.makeRevocationList(
            entries: [], number: 1, thisUpdate: notBefore, nextUpdate: now + validity)
        return DevelopmentPKI(authority: authority, server: server, clients: clients, revocationList: revocationList)
    }

    /// Relative file names and PEM contents: `ca.crt.pem`, `ca.key.pem`, `ca.crl.pem`,
    /// `server.crt.pem`, `server.key.pem`, and `clients/ROLE.crt.pem` / `clients/ROLE.key.pem`.
    /// Keys are unencrypted: write them with mode 0600.
    public var files: [(name: String, contents: String)] {
        var files: [(name: String, contents: String)] = [
            ("ca.crt.pem", authority.certificate.pemString),
            ("ca.key.pem", authority.privateKey.pemString),
            ("ca.crl.pem", revocationList.pemString),
            ("server.crt.pem", server.certificate.pemString),
            ("server.key.pem", server.privateKey.pemString),
        ]
        for role in PeerIdentity.Role.allCases {
            guard let client = clients[role] else { continue }
            files.append(("clients/\(role.rawValue).crt.pem", client.certificate.pemString))
            files.append(("clients/\(role.rawValue).key.pem", client.privateKey.pemString))
        }
        return files
    }
}
