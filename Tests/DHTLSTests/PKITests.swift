import DHIdentity
@testable import DHTLS
import Foundation
import Testing

@Suite("PKI: keys, certificates, CRLs")
struct PKITests {
    @Test("keys of both algorithms round-trip through PEM", arguments: PrivateKey.Algorithm.allCases)
    func keys(algorithm: PrivateKey.Algorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        #expect(key.pemString.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(key.algorithm == algorithm)
        let again = try PrivateKey(pem: key.pemString)
        #expect(again == key)
        #expect(try PrivateKey.generate(algorithm) != key)
        // Keys never show up in logs, not even inside other values.
        #expect("\(key)" == "PrivateKey(\(algorithm.rawValue))")
        let pair = IssuedCertificate(certificate: try TestPKI().ca.certificate, privateKey: key)
        #expect(!"\(pair)".contains("PRIVATE KEY"))
        #expect(!String(reflecting: pair).contains("PRIVATE KEY"))
    }

    @Test("a development CA is a self-signed CA certificate", arguments: PrivateKey.Algorithm.allCases)
    func developmentCA(algorithm: PrivateKey.Algorithm) throws {
        let pki = try TestPKI(algorithm: algorithm)
        let certificate = pki.ca.certificate
        #expect(certificate.isCertificateAuthority)
        #expect(certificate.subject == "CN=DataHealth Development CA,O=DataHealth Development")
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.subjectCommonName == "DataHealth Development CA")
        #expect(try Certificate(pem: certificate.pemString) == certificate)
        #expect(try CertificateAuthority(certificate: certificate, privateKey: pki.ca.privateKey) == pki.ca)
    }

    @Test("a server certificate carries DNS and IP SANs and serverAuth")
    func serverCertificate() throws {
        let pki = try TestPKI()
        let (certificate, _) = try pki.server()
        #expect(!certificate.isCertificateAuthority)
        #expect(certificate.issuer == pki.ca.certificate.subject)
        #expect(certificate.subjectAlternativeNames.dnsNames == ["localhost"])
        #expect(certificate.subjectAlternativeNames.ipAddresses == ["127.0.0.1", "::1"])
        #expect(certificate.subjectAlternativeNames.uris.isEmpty)
        #expect(certificate.extendedKeyUsage == [.serverAuth])
        #expect(throws: IdentityError.self) { try certificate.peerIdentity() }
    }

    @Test("a client certificate carries its identity as a SAN URI and clientAuth")
    func clientCertificate() throws {
        let pki = try TestPKI()
        let identity = try PeerIdentity(organization: "genomics-inc", role: .genomeLab, id: "sequencer.7")
        let (certificate, _) = try pki.client(identity, by: nil)
        #expect(certificate.subjectAlternativeNames.uris == ["dh://genomics-inc/genome-lab/sequencer.7"])
        #expect(certificate.extendedKeyUsage == [.clientAuth])
        #expect(try certificate.peerIdentity() == identity)
        #expect(certificate.subject == "CN=genome-lab sequencer.7,O=genomics-inc")
    }

    @Test("validity windows and serial numbers are kept to the second")
    func validity() throws {
        let pki = try TestPKI()
        let notBefore = Date(timeIntervalSince1970: 1_700_000_000)
        let notAfter = Date(timeIntervalSince1970: 2_600_000_000)  // past 2049: GeneralizedTime
        let serial = try #require(SerialNumber(hex: "0a1b2c"))
        var profile = CertificateProfile.server(commonName: "old", notBefore: notBefore, notAfter: notAfter)
        profile.serialNumber = serial
        let (certificate, _) = try pki.issue(profile)
        #expect(certificate.notBefore == notBefore)
        #expect(certificate.notAfter == notAfter)
        #expect(certificate.serialNumber == serial)
        #expect(certificate.serialNumber.description == "0a1b2c")
        #expect(SerialNumber.random() != SerialNumber.random())
        #expect(SerialNumber.random().bytes.count == 16)
    }

    @Test("certificates without a SAN URI, with two identities, or with the wrong EKU")
    func oddCertificates() throws {
        let pki = try TestPKI()
        var noURI = CertificateProfile.server(commonName: "no uri", notBefore: pki.now, notAfter: pki.now + 60)
        noURI.extendedKeyUsage = [.clientAuth]
        let error = try #require(throws: IdentityError.self) { try pki.issue(noURI).certificate.peerIdentity() }
        #expect(error.code == .missing)

        var twoURIs = noURI
        twoURIs.subjectAlternativeNames.uris = ["dh://1312345678/gateway/a", "dh://1312345678/gateway/b"]
        let ambiguous = try #require(throws: IdentityError.self) { try pki.issue(twoURIs).certificate.peerIdentity() }
        #expect(ambiguous.code == .ambiguous)

        var otherURIs = noURI
        otherURIs.subjectAlternativeNames.uris = ["https://example.org/x", "dh://1312345678/ops/oncall"]
        #expect(try pki.issue(otherURIs).certificate.peerIdentity().role == .ops)

        let identity = try PeerIdentity(organization: "1312345678", role: .gateway, id: "gw")
        var wrongEKU = CertificateProfile.client(identity: identity, notBefore: pki.now, notAfter: pki.now + 60)
        wrongEKU.extendedKeyUsage = [.serverAuth, .codeSigning]
        #expect(try pki.issue(wrongEKU).certificate.extendedKeyUsage == [.serverAuth, .codeSigning])
        wrongEKU.extendedKeyUsage = []
        #expect(try pki.issue(wrongEKU).certificate.extendedKeyUsage == nil)
    }

    @Test("names that cannot go into a certificate are refused")
    func badNames() throws {
        let pki = try TestPKI()
        let bad: [SubjectAlternativeNames] = [
            SubjectAlternativeNames(dnsNames: ["a,DNS:evil.example"]),
            SubjectAlternativeNames(dnsNames: ["-leading.example"]),
            SubjectAlternativeNames(ipAddresses: ["300.1.1.1"]),
            SubjectAlternativeNames(uris: ["no scheme"]),
        ]
        for names in bad {
            var profile = CertificateProfile.server(commonName: "x", notBefore: pki.now, notAfter: pki.now + 60)
            profile.subjectAlternativeNames = names
            let error = try #require(throws: PKIError.self) { try pki.issue(profile) }
            #expect(error.code == .invalidName)
            #expect(OpenSSLErrorQueue.isEmpty)
        }
        let backwards = CertificateProfile.server(commonName: "x", notBefore: pki.now, notAfter: pki.now - 1)
        #expect(throws: PKIError(code: .invalidValidity, message: "notAfter must be later than notBefore")) {
            try pki.issue(backwards)
        }
    }

    @Test("a CRL lists revoked serials and round-trips through PEM")
    func revocationList() throws {
        let pki = try TestPKI(algorithm: .ed25519)
        let (revoked, _) = try pki.client()
        let (kept, _) = try pki.client()
        let entry = CertificateRevocationList.Entry(
            serialNumber: revoked.serialNumber, revocationDate: Date(timeIntervalSince1970: 1_800_000_000))
        let crl = try pki.ca.makeRevocationList(
            entries: [entry], number: 300, thisUpdate: pki.now - 60, nextUpdate: pki.now + pki.day)
        let again = try CertificateRevocationList(pem: crl.pemString)
        #expect(again == crl)
        #expect(crl.pemString.hasPrefix("-----BEGIN X509 CRL-----"))
        #expect(crl.entries == [entry])
        #expect(crl.contains(revoked.serialNumber))
        #expect(!crl.contains(kept.serialNumber))
        #expect(crl.number == 300)
        #expect(crl.issuer == pki.ca.certificate.subject)
        #expect(crl.nextUpdate == Date(timeIntervalSince1970: (pki.now + pki.day).timeIntervalSince1970.rounded(.down)))

        let path = try pki.write(crl.pemString + again.pemString, to: "two.crl.pem")
        #expect(try CertificateRevocationList.lists(file: path) == [crl, crl])
    }

    @Test("bad PEM, wrong keys and missing files give their codes and leave no OpenSSL errors")
    func badInput() throws {
        let pki = try TestPKI()
        let cases: [(PKIError.Code, () throws -> Void)] = [
            (.invalidPEM, { _ = try Certificate(pem: "not pem") }),
            (.invalidPEM, { _ = try Certificate(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") }),
            (.invalidPEM, { _ = try Certificate(pem: pki.ca.certificate.pemString + pki.ca.certificate.pemString) }),
            (.invalidKey, { _ = try PrivateKey(pem: pki.ca.certificate.pemString) }),
            (.invalidPEM, { _ = try CertificateRevocationList(pem: pki.ca.certificate.pemString) }),
            (.fileUnreadable, { _ = try Certificate.chain(file: pki.directory.appendingPathComponent("absent").path) }),
            (.keyMismatch, { _ = try CertificateAuthority(certificate: pki.ca.certificate, privateKey: .generate()) }),
            (.invalidCertificate, { _ = try Certificate(derBytes: [0x30, 0x03, 0x02, 0x01, 0x01]) }),
        ]
        for (code, body) in cases {
            let error = try #require(throws: PKIError.self) { try body() }
            #expect(error.code == code, "\(error)")
            #expect(OpenSSLErrorQueue.isEmpty, "\(error)")
        }
        let (leaf, leafKey) = try pki.server()
        let notCA = try #require(throws: PKIError.self) {
            try CertificateAuthority(certificate: leaf, privateKey: leafKey)
        }
        #expect(notCA.code == .invalidCertificate)
    }
}

@Suite("Development PKI: what dh pki init, issue and revoke build on")
struct DevelopmentPKITests {
    @Test("init makes a CA, a server certificate, one client per role and an empty CRL that work together")
    func initialize() throws {
        let pki = try DevelopmentPKI.make(organization: "1312345678")
        #expect(pki.server.certificate.subjectAlternativeNames.dnsNames == ["localhost"])
        #expect(pki.server.certificate.issuer == pki.authority.certificate.subject)
        #expect(Set(pki.clients.keys) == Set(PeerIdentity.Role.allCases))
        for (role, client) in pki.clients {
            let identity = try client.certificate.peerIdentity()
            #expect(identity.role == role)
            #expect(identity.organization == "1312345678")
            #expect(identity.id == "dev-\(role.rawValue)")
        }
        #expect(pki.revocationList.entries.isEmpty)
        #expect(pki.revocationList.number == 1)
        let names = pki.files.map(\.name)
        #expect(names.count == 5 + 2 * PeerIdentity.Role.allCases.count)
        #expect(Set(names).count == names.count)
        #expect(names.contains("clients/genome-lab.key.pem"))

        // The files work as TLS material: a gateway client reaches the server.
        let files = Dictionary(uniqueKeysWithValues: pki.files.map { ($0.name, $0.contents) })
        let server = try TLSContext(
            configuration: .server(
                certificateChain: .pem(files["server.crt.pem"]!), privateKey: .pem(files["server.key.pem"]!),
                trustRoots: [.pem(files["ca.crt.pem"]!)], revocationLists: [.pem(files["ca.crl.pem"]!)]))
        let client = try TLSContext(
            configuration: .client(
                certificateChain: .pem(files["clients/gateway.crt.pem"]!),
                privateKey: .pem(files["clients/gateway.key.pem"]!), trustRoots: [.pem(files["ca.crt.pem"]!)]))
        let serverConnection = try TLSConnection(context: server)
        try pump(client: TLSConnection(context: client, serverName: "127.0.0.1"), server: serverConnection)
        #expect(serverConnection.peerIdentity?.uri == "dh://1312345678/gateway/dev-gateway")
    }

    @Test("revoke adds serials to the CRL, keeps earlier ones and bumps the number")
    func revoke() throws {
        let pki = try DevelopmentPKI.make(algorithm: .ed25519)
        let now = Date()
        let gateway = try #require(pki.clients[.gateway]).certificate.serialNumber
        let auditor = try #require(pki.clients[.auditor]).certificate.serialNumber
        let first = try pki.authority.revoking([gateway], in: pki.revocationList, at: now, nextUpdate: now + 3600)
        #expect(first.number == 2)
        #expect(first.contains(gateway))
        let second = try pki.authority.revoking([auditor, gateway], in: first, at: now, nextUpdate: now + 3600)
        #expect(second.number == 3)
        let serials = second.entries.map(\.serialNumber)
        #expect(serials.count == 2)
        #expect(Set(serials) == [gateway, auditor])

        let other = try DevelopmentPKI.make()
        #expect(other.authority.certificate.subject != pki.authority.certificate.subject)
        #expect(first.isSigned(by: pki.authority.certificate))
        #expect(!first.isSigned(by: other.authority.certificate))
        let error = try #require(throws: PKIError.self) {
            try other.authority.revoking([gateway], in: first, at: now, nextUpdate: now + 3600)
        }
        #expect(error.code == .invalidRevocationList)

        // Two CAs with the same name: the signature tells them apart.
        let one = try CertificateAuthority.makeDevelopmentCA(privateKey: .generate(), notBefore: now, notAfter: now + 60)
        let twin = try CertificateAuthority.makeDevelopmentCA(privateKey: .generate(), notBefore: now, notAfter: now + 60)
        #expect(one.certificate.subject == twin.certificate.subject)
        let list = try one.revoking([gateway], in: nil, at: now, nextUpdate: now + 60)
        #expect(list.number == 1)
        #expect(throws: PKIError.self) { try twin.revoking([auditor], in: list, at: now, nextUpdate: now + 60) }
    }
}
