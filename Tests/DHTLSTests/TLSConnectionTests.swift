import COpenSSL
import DHIdentity
import Foundation
import Testing

@testable import DHTLS

@Suite("TLS engine: mutual TLS 1.3 over memory BIOs")
struct TLSConnectionTests {
    @Test("mutual handshake, identity, ALPN and data both ways", arguments: PrivateKey.Algorithm.allCases)
    func mutualHandshake(algorithm: PrivateKey.Algorithm) throws {
        let pki = try TestPKI(algorithm: algorithm)
        let identity = try PeerIdentity(organization: "1312345678", role: .clinician, id: "dr.sato")
        let serverContext = try TLSContext(configuration: pki.serverConfiguration())
        let clientContext = try TLSContext(configuration: pki.clientConfiguration(pki.client(identity)))
        let server = try TLSConnection(context: serverContext)
        let client = try TLSConnection(context: clientContext, serverName: "localhost")
        #expect(throws: TLSError.self) { try client.send([1]) }

        let handshake = pump(client: client, server: server)
        #expect(handshake.clientError == nil)
        #expect(handshake.serverError == nil)
        #expect(client.state == .established)
        #expect(server.state == .established)
        #expect(handshake.client.contains { $0.handshakeCompleted })
        #expect(handshake.server.contains { $0.handshakeCompleted })
        #expect(server.peerIdentity == identity)
        #expect(server.peerCertificate?.subjectAlternativeNames.uris == [identity.uri])
        #expect(client.peerIdentity == nil)
        #expect(client.peerCertificate?.subjectAlternativeNames.dnsNames == ["localhost"])
        #expect(server.applicationProtocol == "dh-rpc/1")
        #expect(client.applicationProtocol == "dh-rpc/1")
        #expect(!server.isResumed)
        #expect(!client.isResumed)

        let request = Array("GET /dh.Patients/Find".utf8)
        let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let toServer = try client.send(request) + client.send(large)
        #expect(!toServer.isEmpty)
        #expect(toServer.count > request.count + large.count)  // records add headers and tags
        let received = server.receive(toServer)
        #expect(received.plaintext == request + large)
        #expect(received.error == nil)
        let reply = server.receive(try client.send([])).plaintext
        #expect(reply.isEmpty)
        let response = client.receive(try server.send(Array("ok".utf8)))
        #expect(response.plaintext == Array("ok".utf8))

        // The records can go straight into the caller's memory, told their size first.
        var direct: [UInt8] = []
        var calls = 0
        try request.withUnsafeBytes { bytes in
            try client.send(bytes) { size, copy in
                calls += 1
                direct = [UInt8](repeating: 0, count: size + 16)
                let copied = direct.withUnsafeMutableBytes { copy($0) }
                #expect(copied == size)
                direct.removeLast(16)
            }
        }
        #expect(calls == 1)
        #expect(direct.count > request.count)
        #expect(server.receive(direct).plaintext == request)
        try [UInt8]().withUnsafeBytes { bytes in
            try client.send(bytes) { _, _ in Issue.record("nothing to send, yet output was called") }
        }

        // Inputs above a megabyte reach OpenSSL in pieces; all of it comes out.
        let huge = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 7) }
        let hugeReceived = server.receive(try client.send(huge))
        #expect(hugeReceived.plaintext.count == huge.count)
        #expect(hugeReceived.plaintext == huge)

        // Split delivery: one byte at a time still yields the whole message.
        let dripped = try client.send(Array("drip".utf8))
        var collected: [UInt8] = []
        for byte in dripped { collected += server.receive([byte]).plaintext }
        #expect(collected == Array("drip".utf8))

        let closeNotify = client.close()
        #expect(!closeNotify.isEmpty)
        #expect(client.state == .closed)
        let closed = server.receive(closeNotify)
        #expect(closed.peerClosed)
        #expect(server.state == .closed)
        #expect(throws: TLSError.self) { try client.send([1]) }
    }

    @Test("session resumption with TLS 1.3 tickets")
    func resumption() throws {
        let pki = try TestPKI()
        let identity = try PeerIdentity(organization: "genomics-inc", role: .genomeLab, id: "seq-1")
        let serverContext = try TLSContext(configuration: pki.serverConfiguration())
        let clientContext = try TLSContext(configuration: pki.clientConfiguration(pki.client(identity)))

        let first = try TLSConnection(context: clientContext, serverName: "localhost")
        let firstServer = try TLSConnection(context: serverContext)
        pump(client: first, server: firstServer)
        #expect(first.state == .established)
        #expect(!first.isResumed)
        #expect(clientContext.sessionCache?.count == 1)  // tickets arrived with the handshake

        let second = try TLSConnection(context: clientContext, serverName: "localhost")
        #expect(clientContext.sessionCache?.count == 0)  // each ticket is used once
        let secondServer = try TLSConnection(context: serverContext)
        let exchange = pump(client: second, server: secondServer)
        #expect(exchange.serverError == nil)
        #expect(second.isResumed)
        #expect(secondServer.isResumed)
        #expect(secondServer.peerIdentity == identity)
        #expect(secondServer.applicationProtocol == "dh-rpc/1")
        #expect(secondServer.receive(try second.send([7, 8, 9])).plaintext == [7, 8, 9])

        // Another server name has no session to resume.
        let other = try TLSConnection(context: clientContext, serverName: "127.0.0.1")
        let otherServer = try TLSConnection(context: serverContext)
        pump(client: other, server: otherServer)
        #expect(other.state == .established)
        #expect(!other.isResumed)

        // A server context made anew (a reload) has new ticket keys: full handshake.
        let reloaded = try TLSContext(configuration: serverContext.configuration)
        let third = try TLSConnection(context: clientContext, serverName: "localhost")
        let thirdServer = try TLSConnection(context: reloaded)
        pump(client: third, server: thirdServer)
        #expect(thirdServer.state == .established)
        #expect(!thirdServer.isResumed)
    }

    enum BadClient: String, CaseIterable, Sendable {
        case expired, notYetValid, unknownCA, selfSigned, revoked, serverAuthOnly, noIdentity, invalidIdentity
        case noCertificate, tls12, wrongALPN, noALPN
    }

    @Test("each bad client gets its own error code and the server keeps serving", arguments: BadClient.allCases)
    func badClient(_ bad: BadClient) throws {
        let pki = try TestPKI()
        let otherCA = try CertificateAuthority.makeDevelopmentCA(
            commonName: "Somebody Else's CA", privateKey: .generate(), notBefore: pki.now - 60,
            notAfter: pki.now + pki.day)
        let revokedClient = try pki.client()
        let crl = try pki.ca.makeRevocationList(
            entries: [.init(serialNumber: revokedClient.certificate.serialNumber, revocationDate: pki.now - 30)],
            number: 1, thisUpdate: pki.now - 60, nextUpdate: pki.now + pki.day)
        let crlFile = try pki.write(crl.pemString, to: "ca.crl.pem")
        let serverContext = try TLSContext(
            configuration: pki.serverConfiguration(revocationLists: [.file(crlFile)]))

        let identity = try PeerIdentity(organization: "1312345678", role: .gateway, id: "gw-01")
        var client = try pki.clientConfiguration()
        var customize: (OpaquePointer) -> Void = { _ in }
        let expected: TLSError.Code
        func profile(_ change: (inout CertificateProfile) -> Void) throws -> TLSConfiguration {
            var profile = CertificateProfile.client(identity: identity, notBefore: pki.now - 60, notAfter: pki.now + 60)
            change(&profile)
            return try pki.clientConfiguration(pki.issue(profile))
        }
        switch bad {
        case .expired:
            client = try pki.clientConfiguration(
                pki.client(notBefore: pki.now - 2 * pki.day, notAfter: pki.now - pki.day))
            expected = .expired
        case .notYetValid:
            client = try pki.clientConfiguration(
                pki.client(notBefore: pki.now + pki.day, notAfter: pki.now + 2 * pki.day))
            expected = .notYetValid
        case .unknownCA:
            client = try pki.clientConfiguration(pki.client(by: otherCA))
            expected = .unknownCA
        case .selfSigned:
            client = try pki.clientConfiguration((otherCA.certificate, otherCA.privateKey))
            expected = .unknownCA
        case .revoked:
            client = try pki.clientConfiguration(revokedClient)
            expected = .revoked
        case .serverAuthOnly:
            client = try profile { $0.extendedKeyUsage = [.serverAuth] }
            expected = .wrongKeyUsage
        case .noIdentity:
            client = try profile { $0.subjectAlternativeNames.uris = ["https://example.org/gw"] }
            expected = .noIdentity
        case .invalidIdentity:
            client = try profile { $0.subjectAlternativeNames.uris = ["dh://1312345678/doctor/gw-01"] }
            expected = .invalidIdentity
        case .noCertificate:
            customize = RawPeer.noCertificate
            expected = .noClientCertificate
        case .tls12:
            customize = RawPeer.tls12Only
            expected = .protocolVersion
        case .wrongALPN:
            client.applicationProtocols = ["h2", "http/1.1"]
            expected = .noALPNMatch
        case .noALPN:
            customize = RawPeer.noALPN
            expected = .noALPNMatch
        }

        let badContext = try TLSContext(configuration: client, customize: customize)
        let badClient = try TLSConnection(context: badContext, serverName: "localhost")
        let server = try TLSConnection(context: serverContext)
        let exchange = pump(client: badClient, server: server)
        let error = try #require(exchange.serverError, "\(bad)")
        #expect(error.code == expected, "\(bad): \(error)")
        #expect(!error.reportedByPeer)
        #expect(error.openSSLReason != nil || error.code == .noIdentity || error.code == .invalidIdentity)
        #expect(server.state == .failed)
        #expect(server.peerIdentity == nil)
        #expect(RawPeer.errorQueueIsEmpty)
        // The server told the client: it fails too, and never gets a usable connection.
        let clientError = try #require(exchange.clientError, "\(bad)")
        #expect(badClient.state == .failed)
        // TLS alerts name some failures exactly; others (not yet valid, no identity, …) arrive as
        // a generic alert, so the client knows less than the server.
        if [.expired, .revoked, .unknownCA, .noALPNMatch].contains(expected), bad != .selfSigned {
            #expect(clientError.reportedByPeer, "\(bad): \(clientError)")
            #expect(clientError.code == expected, "\(bad): \(clientError)")
        }
        #expect(throws: TLSError.self) { try server.send([1]) }
        #expect(server.receive([0x17, 0x03, 0x03, 0x00, 0x01, 0x00]).error?.code == expected)

        // The same server context goes on serving good clients.
        let good = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration()), serverName: "localhost")
        let next = try TLSConnection(context: serverContext)
        let fine = pump(client: good, server: next)
        #expect(fine.serverError == nil)
        #expect(next.state == .established)
        #expect(next.peerIdentity == identity)
    }

    @Test("the client refuses a server with the wrong name, an unknown CA or an expired certificate")
    func badServer() throws {
        let pki = try TestPKI()
        let otherCA = try CertificateAuthority.makeDevelopmentCA(
            privateKey: .generate(), notBefore: pki.now - 60, notAfter: pki.now + pki.day)
        let cases: [(String, (Certificate, PrivateKey), TLSError.Code)] = [
            ("db.example.jp", try pki.server(), .hostnameMismatch),
            ("10.0.0.1", try pki.server(), .hostnameMismatch),
            (
                "localhost",
                try pki.issue(
                    .server(commonName: "x", dnsNames: ["localhost"], notBefore: pki.now - 60, notAfter: pki.now + 60),
                    by: otherCA), .unknownCA
            ),
            ("localhost", try pki.server(notBefore: pki.now - 2 * pki.day, notAfter: pki.now - pki.day), .expired),
            ("localhost", try pki.client(), .wrongKeyUsage),
        ]
        let clientContext = try TLSContext(configuration: pki.clientConfiguration())
        for (name, pair, expected) in cases {
            let serverContext = try TLSContext(configuration: pki.serverConfiguration(pair))
            let client = try TLSConnection(context: clientContext, serverName: name)
            let server = try TLSConnection(context: serverContext)
            let exchange = pump(client: client, server: server)
            let error = try #require(exchange.clientError)
            #expect(error.code == expected, "\(name): \(error)")
            #expect(error.verifyResult != nil)
            #expect(client.state == .failed)
            #expect(server.state != .established)
        }
        // The IP address in the server certificate's SAN is accepted.
        let client = try TLSConnection(context: clientContext, serverName: "::1")
        let server = try TLSConnection(context: TLSContext(configuration: pki.serverConfiguration()))
        pump(client: client, server: server)
        #expect(client.state == .established)
    }

    @Test("reload swaps certificates for new connections; existing ones keep theirs")
    func reload() throws {
        let pki = try TestPKI()
        let reloadable = try ReloadableTLSContext(configuration: pki.serverConfiguration())
        let oldClient = try TLSContext(configuration: pki.clientConfiguration())
        let before = reloadable.current

        let established = try TLSConnection(context: oldClient, serverName: "localhost")
        let establishedServer = try TLSConnection(context: reloadable.current)
        pump(client: established, server: establishedServer)
        #expect(establishedServer.state == .established)

        // Ops replace the CA, the server certificate and key on disk, then reload.
        let newPKI = try TestPKI()
        let newServer = try newPKI.server()
        _ = try pki.write(newPKI.ca.certificate.pemString, to: "ca.crt.pem")
        _ = try pki.write(newServer.certificate.pemString, to: "server.crt.pem")
        _ = try pki.write(newServer.key.pemString, to: "server.key.pem")
        let configuration = before.configuration
        let after = try reloadable.reload()
        #expect(after !== before)
        #expect(reloadable.current === after)
        #expect(after.configuration == configuration)

        // The connection made before the reload still works and keeps its context.
        #expect(establishedServer.context === before)
        #expect(establishedServer.receive(try established.send([1, 2, 3])).plaintext == [1, 2, 3])

        // A client of the old CA is now refused; a client of the new CA is served the new certificate.
        let refused = try TLSConnection(context: oldClient, serverName: "localhost")
        let refusingServer = try TLSConnection(context: reloadable.current)
        let failed = pump(client: refused, server: refusingServer)
        #expect(failed.clientError?.code == .unknownCA)

        let newClient = try TLSContext(
            configuration: pki.clientConfiguration(
                newPKI.client(), trustRoots: [.pem(newPKI.ca.certificate.pemString)]))
        let accepted = try TLSConnection(context: newClient, serverName: "localhost")
        let acceptingServer = try TLSConnection(context: reloadable.current)
        pump(client: accepted, server: acceptingServer)
        #expect(acceptingServer.state == .established)
        #expect(accepted.peerCertificate == newServer.certificate)

        // A reload from broken files fails and leaves the current context in place.
        _ = try pki.write("garbage", to: "server.key.pem")
        let error = try #require(throws: TLSError.self) { try reloadable.reload() }
        #expect(error.code == .invalidConfiguration)
        #expect(error.cause is PKIError)
        #expect(reloadable.current === after)
    }

    @Test("a revoked certificate is refused only once its CRL is loaded")
    func revocationByReload() throws {
        let pki = try TestPKI()
        let client = try pki.client()
        let emptyCRL = try pki.ca.makeRevocationList(
            entries: [], number: 1, thisUpdate: pki.now - 60, nextUpdate: pki.now + pki.day)
        let crlFile = try pki.write(emptyCRL.pemString, to: "ca.crl.pem")
        let reloadable = try ReloadableTLSContext(
            configuration: pki.serverConfiguration(revocationLists: [.file(crlFile)]))
        let clientContext = try TLSContext(configuration: pki.clientConfiguration(client))

        let first = try TLSConnection(context: reloadable.current)
        try pump(client: TLSConnection(context: clientContext, serverName: "localhost"), server: first)
        #expect(first.state == .established)

        let revoked = try pki.ca.makeRevocationList(
            entries: [.init(serialNumber: client.certificate.serialNumber, revocationDate: pki.now)], number: 2,
            thisUpdate: pki.now - 60, nextUpdate: pki.now + pki.day)
        _ = try pki.write(revoked.pemString, to: "ca.crl.pem")
        try reloadable.reload()
        // The client holds a ticket from the first connection; the new context cannot open it,
        // so the certificate is checked again and refused.
        let second = try TLSConnection(context: reloadable.current)
        let exchange = try pump(client: TLSConnection(context: clientContext, serverName: "localhost"), server: second)
        #expect(exchange.serverError?.code == .revoked)
        #expect(!second.isResumed)

        // CRL checking needs a CRL for the issuing CA: without one, nobody is accepted.
        let otherCA = try TestPKI()
        let foreignCRL = try otherCA.ca.makeRevocationList(
            entries: [], number: 1, thisUpdate: pki.now - 60, nextUpdate: pki.now + pki.day)
        let strict = try TLSContext(
            configuration: pki.serverConfiguration(revocationLists: [.pem(foreignCRL.pemString)]))
        let third = try TLSConnection(context: strict)
        let noCRL = try pump(client: TLSConnection(context: clientContext, serverName: "localhost"), server: third)
        #expect(noCRL.serverError?.code == .revocationUnavailable)
    }

    @Test("OpenSSL's error queue is cleared around every operation")
    func errorQueue() throws {
        let pki = try TestPKI()
        let serverContext = try TLSContext(configuration: pki.serverConfiguration())

        // An error left by unrelated code does not fail or taint a good handshake…
        RawPeer.leaveErrorOnQueue()
        #expect(!RawPeer.errorQueueIsEmpty)
        let client = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration()), serverName: "localhost")
        let server = try TLSConnection(context: serverContext)
        #expect(RawPeer.errorQueueIsEmpty)
        RawPeer.leaveErrorOnQueue()
        let exchange = pump(client: client, server: server)
        #expect(exchange.serverError == nil)
        #expect(server.state == .established)
        #expect(RawPeer.errorQueueIsEmpty)

        // …nor shows up in the reason of a later failure, which leaves the queue empty too.
        RawPeer.leaveErrorOnQueue()
        let expired = try pki.client(notBefore: pki.now - 2 * pki.day, notAfter: pki.now - pki.day)
        let badClient = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration(expired)), serverName: "localhost")
        let badServer = try TLSConnection(context: serverContext)
        RawPeer.leaveErrorOnQueue()
        let failed = pump(client: badClient, server: badServer)
        let error = try #require(failed.serverError)
        #expect(error.code == .expired)
        let reason = try #require(error.openSSLReason)
        #expect(reason.contains("certificate verify failed"))
        #expect(!reason.contains("asn1"))
        #expect(!reason.contains("ASN1"))
        #expect(RawPeer.errorQueueIsEmpty)

        // Receiving on the failed connection reports the same error and leaves the queue empty.
        RawPeer.leaveErrorOnQueue()
        #expect(badServer.receive([1, 2, 3]).error?.code == .expired)
    }

    @Test("configuration errors name the material that cannot be used")
    func configurationErrors() throws {
        let pki = try TestPKI()
        var configuration = try pki.serverConfiguration()
        let missing = pki.directory.appendingPathComponent("absent.pem").path

        var broken = configuration
        broken.certificateChain = .file(missing)
        var error = try #require(throws: TLSError.self) { try TLSContext(configuration: broken) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains(missing))

        broken = configuration
        broken.privateKey = .pem(try PrivateKey.generate().pemString)
        error = try #require(throws: TLSError.self) { try TLSContext(configuration: broken) }
        #expect(error.code == .invalidConfiguration)
        #expect((error.cause as? PKIError)?.code == .keyMismatch)

        broken = configuration
        broken.trustRoots = []
        #expect(throws: TLSError.self) { try TLSContext(configuration: broken) }

        broken = configuration
        broken.revocationLists = [.pem(pki.ca.certificate.pemString)]
        #expect(throws: TLSError.self) { try TLSContext(configuration: broken) }

        configuration.applicationProtocols = []
        error = try #require(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(error.code == .invalidConfiguration)
        configuration.applicationProtocols = [String(repeating: "x", count: 256)]
        #expect(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(RawPeer.errorQueueIsEmpty)
    }
}
