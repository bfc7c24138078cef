internal import COpenSSL
internal import DHIdentity

/// What OpenSSL's callbacks learn and need during one connection's handshake. Owned by its
/// ``TLSConnection`` and reached from the callbacks through the SSL's app data; callbacks run
/// synchronously inside the connection's own calls into OpenSSL, on its thread.
final class ConnectionNotes {
    let role: TLSConfiguration.Role
    let requirePeerIdentity: Bool
    /// Our ALPN protocols in wire form, most preferred first.
    let applicationProtocolsWire: [UInt8]
    let sessionCache: ClientSessionCache?
    let sessionKey: String

    /// Set by the verify callback when the peer's certificate verified and carried an identity.
    var identity: PeerIdentity?
    /// Set by the verify callback when the peer's certificate verified but had no valid identity.
    var identityError: IdentityError?
    /// Set by the server's callbacks when the client offered no acceptable ALPN protocol.
    var applicationProtocolRefusal: String?

    init(context: TLSContext, sessionKey: String) {
        role = context.configuration.role
        requirePeerIdentity = context.configuration.requirePeerIdentity
        applicationProtocolsWire = context.applicationProtocolsWire
        sessionCache = context.sessionCache
        self.sessionKey = sessionKey
    }

    static func of(_ ssl: OpaquePointer?) -> ConnectionNotes? {
        guard let ssl, let data = dh_ssl_get_app_data(ssl) else { return nil }
        return Unmanaged<ConnectionNotes>.fromOpaque(data).takeUnretainedValue()
    }

    /// The identity in `x509`'s SAN URIs.
    static func identity(of x509: OpaquePointer) -> Result<PeerIdentity, IdentityError> {
        let uris = Certificate.subjectAlternativeNames(x509).uris
        do throws(IdentityError) {
            return .success(try PeerIdentity(subjectAlternativeNameURIs: uris))
        } catch {
            return .failure(error)
        }
    }
}

/// Certificate verification: OpenSSL's verdict, then (when required) the identity of the
/// peer's own certificate. A certificate that verifies but carries no valid identity fails
/// the handshake here, so no call can ever run without one.
func dhTLSVerify(_ preverified: Int32, _ store: OpaquePointer?) -> Int32 {
    guard preverified == 1, let store else { return preverified }
    guard X509_STORE_CTX_get_error_depth(store) == 0,
        let notes = ConnectionNotes.of(dh_x509_store_ctx_get_ssl(store)), notes.requirePeerIdentity,
        let certificate = X509_STORE_CTX_get_current_cert(store)
    else { return 1 }
    switch ConnectionNotes.identity(of: certificate) {
    case .success(let identity):
        notes.identity = identity
        return 1
    case .failure(let error):
        notes.identityError = error
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION)
        return 0
    }
}

/// Servers: a ClientHello without the ALPN extension is refused with `no_application_protocol`
/// (OpenSSL would otherwise skip ALPN selection and let the connection through).
func dhTLSClientHello(
    _ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?, _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    var data: UnsafePointer<UInt8>? = nil
    var length = 0
    if SSL_client_hello_get0_ext(ssl, UInt32(TLSEXT_TYPE_application_layer_protocol_negotiation), &data, &length) == 1 {
        return SSL_CLIENT_HELLO_SUCCESS
    }
    ConnectionNotes.of(ssl)?.applicationProtocolRefusal = "the client offered no ALPN protocol"
    alert?.pointee = SSL_AD_NO_APPLICATION_PROTOCOL
    return SSL_CLIENT_HELLO_ERROR
}

/// Servers: picks our most preferred protocol that the client offers; none is fatal.
func dhTLSSelectApplicationProtocol(
    _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let notes = ConnectionNotes.of(ssl), let out, let outLength, let offered else {
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    // The client's list: length-prefixed names; `out` must point into it (it outlives this call).
    let client = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
    var entries: [Range<Int>] = []
    var index = 0
    while index < client.count {
        let length = Int(client[index])
        guard length > 0, index + 1 + length <= client.count else { break }
        entries.append((index + 1)..<(index + 1 + length))
        index += 1 + length
    }
    let ours = notes.applicationProtocolsWire
    index = 0
    while index < ours.count {
        let length = Int(ours[index])
        let name = ours[(index + 1)..<(index + 1 + length)]
        if let match = entries.first(where: { client[$0].elementsEqual(name) }) {
            out.pointee = offered + match.lowerBound
            outLength.pointee = UInt8(match.count)
            return SSL_TLSEXT_ERR_OK
        }
        index += 1 + length
    }
    let offeredNames = entries.map { String(decoding: client[$0], as: UTF8.self) }
    notes.applicationProtocolRefusal =
        "the client offered ALPN [\(offeredNames.joined(separator: ", "))], none of which this server speaks"
    return SSL_TLSEXT_ERR_ALERT_FATAL
}

/// Clients: keeps each new session (TLS 1.3 ticket) for the next connection to the same server.
func dhTLSNewSession(_ ssl: OpaquePointer?, _ session: OpaquePointer?) -> Int32 {
    guard let notes = ConnectionNotes.of(ssl), let cache = notes.sessionCache, let session else { return 0 }
    cache.store(session, for: notes.sessionKey)
    return 0  // The cache keeps a copy; OpenSSL keeps its reference.
}
