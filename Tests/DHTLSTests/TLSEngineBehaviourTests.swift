import DHIdentity
import COpenSSL
@testable import DHTLS
import Foundation
import Testing

/// A small deterministic generator, so a failing split pattern can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("TLS engine: delivery, shutdown, concurrency and session limits")
struct TLSEngineBehaviourTests {
    /// Moves bytes in pieces whose sizes `split` chooses, until neither side has anything to send.
    private func pumpInPieces(
        client: TLSConnection, server: TLSConnection, split: (Int) -> Int
    ) -> (clientDone: Bool, serverDone: Bool) {
        var toServer = client.startHandshake().ciphertext
        var toClient: [UInt8] = []
        var clientDone = false
        var serverDone = false
        for _ in 0..<10_000 {
            if toServer.isEmpty, toClient.isEmpty { break }
            if !toServer.isEmpty {
                let count = min(toServer.count, max(1, split(toServer.count)))
                let output = server.receive(Array(toServer.prefix(count)))
                toServer.removeFirst(count)
                serverDone = serverDone || output.handshakeCompleted
                toClient += output.ciphertext
            }
            if !toClient.isEmpty {
                let count = min(toClient.count, max(1, split(toClient.count)))
                let output = client.receive(Array(toClient.prefix(count)))
                toClient.removeFirst(count)
                clientDone = clientDone || output.handshakeCompleted
                toServer += output.ciphertext
            }
        }
        return (clientDone, serverDone)
    }

    @Test("a handshake fed one byte at a time, or in random pieces, completes", arguments: [0, 1, 2, 3])
    func dripFed(seed: UInt64) throws {
        let pki = try TestPKI()
        let server = try TLSConnection(context: TLSContext(configuration: pki.serverConfiguration()))
        let client = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration()), serverName: "localhost")
        var random = SplitMix64(state: seed)
        let done =
            seed == 0
            ? pumpInPieces(client: client, server: server) { _ in 1 }
            : pumpInPieces(client: client, server: server) { Int.random(in: 1...$0, using: &random) }
        #expect(done.clientDone)
        #expect(done.serverDone)
        #expect(server.state == .established)
        #expect(server.peerIdentity != nil)
        #expect(client.state == .established)
    }

    @Test("close_notify both ways; data still arrives after our own close")
    func gracefulShutdown() throws {
        let pki = try TestPKI()
        let server = try TLSConnection(context: TLSContext(configuration: pki.serverConfiguration()))
        let client = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration()), serverName: "localhost")
        pump(client: client, server: server)

        // The server closes first (as after GOAWAY); the client still sends its last data.
        let serverClose = server.close()
        #expect(server.state == .closed)
        #expect(server.close().isEmpty)  // only once
        #expect(throws: TLSError.self) { try server.send([1]) }
        let atClient = client.receive(serverClose)
        #expect(atClient.peerClosed)
        #expect(client.state == .closed)
        // Received close_notify, not yet sent ours: close() sends it.
        let lastWords = Array("bye".utf8)
        let clientClose = client.close()
        #expect(!clientClose.isEmpty)
        #expect(throws: TLSError.self) { try client.send(lastWords) }

        let atServer = server.receive(clientClose)
        #expect(atServer.peerClosed)
        #expect(server.receive([1, 2, 3]) == TLSOutput())  // nothing more after both closed
    }

    @Test("data sent before the peer's close_notify is delivered with it")
    func dataThenClose() throws {
        let pki = try TestPKI()
        let server = try TLSConnection(context: TLSContext(configuration: pki.serverConfiguration()))
        let client = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration()), serverName: "localhost")
        pump(client: client, server: server)
        let serverClose = server.close()
        let bytes = try client.send(Array("last".utf8)) + client.close()
        let atServer = server.receive(bytes)
        #expect(atServer.plaintext == Array("last".utf8))
        #expect(atServer.peerClosed)
        #expect(client.receive(serverClose).peerClosed)
    }

    @Test("one context serves many connections from concurrent tasks")
    func concurrentConnections() async throws {
        let pki = try TestPKI()
        let serverContext = try TLSContext(configuration: pki.serverConfiguration())
        let clientContext = try TLSContext(configuration: pki.clientConfiguration())
        let identities = try await withThrowingTaskGroup(of: PeerIdentity?.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let server = try TLSConnection(context: serverContext)
                    let client = try TLSConnection(context: clientContext, serverName: "localhost")
                    pump(client: client, server: server)
                    let message = Array("call \(index)".utf8)
                    guard server.receive(try client.send(message)).plaintext == message else { return nil }
                    return server.peerIdentity
                }
            }
            var identities: [PeerIdentity?] = []
            for try await identity in group { identities.append(identity) }
            return identities
        }
        #expect(identities.count == 16)
        #expect(identities.allSatisfy { $0?.id == "gw-01" })
    }

    @Test("the client session cache is bounded, and tickets can be turned off")
    func sessionLimits() throws {
        let pki = try TestPKI()
        let serverContext = try TLSContext(configuration: pki.serverConfiguration())
        var clientConfiguration = try pki.clientConfiguration()
        clientConfiguration.limits.clientSessionCacheCapacity = 1
        let clientContext = try TLSContext(configuration: clientConfiguration)

        func connect(_ client: TLSContext, _ server: TLSContext, _ name: String) throws -> TLSConnection {
            let connection = try TLSConnection(context: client, serverName: name)
            let exchange = pump(client: connection, server: try TLSConnection(context: server))
            #expect(exchange.serverError == nil)
            return connection
        }
        _ = try connect(clientContext, serverContext, "localhost")
        _ = try connect(clientContext, serverContext, "127.0.0.1")  // evicts localhost's session
        #expect(clientContext.sessionCache?.count == 1)
        #expect(try connect(clientContext, serverContext, "127.0.0.1").isResumed)
        #expect(try !connect(clientContext, serverContext, "localhost").isResumed)

        var noTickets = try pki.serverConfiguration()
        noTickets.limits.ticketsPerHandshake = 0
        let ticketless = try TLSContext(configuration: noTickets)
        let fresh = try TLSContext(configuration: pki.clientConfiguration())
        _ = try connect(fresh, ticketless, "localhost")
        #expect(fresh.sessionCache?.count == 0)
        #expect(try !connect(fresh, ticketless, "localhost").isResumed)

        var noCache = try pki.clientConfiguration()
        noCache.limits.clientSessionCacheCapacity = 0
        let uncached = try TLSContext(configuration: noCache)
        #expect(uncached.sessionCache == nil)
        _ = try connect(uncached, serverContext, "localhost")
        #expect(try !connect(uncached, serverContext, "localhost").isResumed)
    }

    @Test("a client refuses a server that selects no ALPN protocol")
    func serverWithoutALPN() throws {
        let pki = try TestPKI()
        let plainServer = try TLSContext(configuration: pki.serverConfiguration()) { context in
            SSL_CTX_set_alpn_select_cb(context, nil, nil)
            SSL_CTX_set_client_hello_cb(context, nil, nil)
        }
        let client = try TLSConnection(
            context: TLSContext(configuration: pki.clientConfiguration()), serverName: "localhost")
        let exchange = pump(client: client, server: try TLSConnection(context: plainServer))
        #expect(exchange.clientError?.code == .noALPNMatch)
        #expect(client.state == .failed)
        #expect(client.applicationProtocol == nil)
    }

    @Test(
        "bytes that are not a TLS 1.3 ClientHello fail the handshake cleanly",
        arguments: [
            Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
            [UInt8](repeating: 0, count: 64),
            [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00],  // a ClientHello cut short
            [0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAA, count: 32),  // data before a handshake
        ])
    func garbage(bytes: [UInt8]) throws {
        let pki = try TestPKI()
        let context = try TLSContext(configuration: pki.serverConfiguration())
        let server = try TLSConnection(context: context)
        let output = server.receive(bytes)
        let error = try #require(output.error)
        #expect(error.code == .handshakeFailure, "\(error)")
        #expect(error.openSSLReason != nil)
        #expect(server.state == .failed)
        #expect(RawPeer.errorQueueIsEmpty)
        // The context still serves.
        let next = try TLSConnection(context: context)
        try pump(client: TLSConnection(context: TLSContext(configuration: pki.clientConfiguration())), server: next)
        #expect(next.state == .established)
    }
}
