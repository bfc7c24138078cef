import COpenSSL
@testable import DHTLS
import Foundation

extension TestPKI {
    /// Writes a certificate and key to files and returns them as configuration material.
    func material(
        _ pair: (certificate: Certificate, key: PrivateKey), name: String
    ) throws -> (chain: TLSConfiguration.Material, key: TLSConfiguration.Material) {
        let chain = try write(pair.certificate.pemString, to: "\(name).crt.pem")
        let key = try write(pair.key.pemString, to: "\(name).key.pem")
        return (.file(chain), .file(key))
    }

    var caMaterial: TLSConfiguration.Material {
        get throws { .file(try write(ca.certificate.pemString, to: "ca.crt.pem")) }
    }

    func serverConfiguration(
        _ pair: (certificate: Certificate, key: PrivateKey)? = nil, revocationLists: [TLSConfiguration.Material] = []
    ) throws -> TLSConfiguration {
        let files = try material(pair ?? server(), name: "server")
        return .server(
            certificateChain: files.chain, privateKey: files.key, trustRoots: [try caMaterial],
            revocationLists: revocationLists)
    }

    func clientConfiguration(
        _ pair: (certificate: Certificate, key: PrivateKey)? = nil, trustRoots: [TLSConfiguration.Material]? = nil
    ) throws -> TLSConfiguration {
        let pair = try pair ?? client()
        return .client(
            certificateChain: .pem(pair.certificate.pemString), privateKey: .pem(pair.key.pemString),
            trustRoots: try trustRoots ?? [caMaterial])
    }
}

/// The result of pumping two engines against each other until neither has bytes to send.
struct Exchange {
    var client: [TLSOutput] = []
    var server: [TLSOutput] = []

    var clientPlaintext: [UInt8] { client.flatMap(\.plaintext) }
    var serverPlaintext: [UInt8] { server.flatMap(\.plaintext) }
    var clientError: TLSError? { client.compactMap(\.error).first }
    var serverError: TLSError? { server.compactMap(\.error).first }
}

/// Moves bytes between a client and a server engine in memory, at most `rounds` times each way.
@discardableResult
func pump(
    client: TLSConnection, server: TLSConnection, toServer initial: [UInt8] = [], toClient: [UInt8] = [],
    rounds: Int = 16
) -> Exchange {
    var exchange = Exchange()
    let start = client.startHandshake()
    exchange.client.append(start)
    var toServer = initial + start.ciphertext
    var toClient = toClient
    for _ in 0..<rounds {
        if toServer.isEmpty, toClient.isEmpty { break }
        let fromServer = server.receive(toServer)
        exchange.server.append(fromServer)
        toServer = []
        toClient += fromServer.ciphertext
        let fromClient = client.receive(toClient)
        exchange.client.append(fromClient)
        toClient = []
        toServer += fromClient.ciphertext
    }
    return exchange
}

/// Raw SSL_CTX changes for peers DataHealth would never be.
enum RawPeer {
    /// A client that speaks at most TLS 1.2.
    static func tls12Only(_ context: OpaquePointer) {
        _ = dh_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION)
        _ = dh_ssl_ctx_set_max_proto_version(context, TLS1_2_VERSION)
    }

    /// A client that sends no certificate even when asked.
    static func noCertificate(_ context: OpaquePointer) {
        SSL_CTX_set_cert_cb(
            context,
            { ssl, _ in
                SSL_certs_clear(ssl)
                return 1
            }, nil)
    }

    /// A client that offers no ALPN protocol.
    static func noALPN(_ context: OpaquePointer) {
        _ = SSL_CTX_set_alpn_protos(context, nil, 0)
    }

    /// Puts an error on this thread's OpenSSL error queue, as a failed unrelated call would.
    static func leaveErrorOnQueue() {
        let garbage: [UInt8] = [0x30, 0x82, 0xFF, 0xFF, 0x00]
        garbage.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            if let x509 = d2i_X509(nil, &cursor, buffer.count) { X509_free(x509) }
        }
    }

    static var errorQueueIsEmpty: Bool { ERR_peek_error() == 0 }
}
