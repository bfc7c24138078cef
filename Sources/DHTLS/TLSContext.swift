internal import COpenSSL
import Synchronization

/// An OpenSSL `SSL_CTX` set up from a ``TLSConfiguration``: TLS 1.3 only, peers verified,
/// CRLs checked when configured, ALPN enforced, session resumption on.
///
/// A context is immutable once made and shared by every connection made from it, on any
/// thread. To change certificates, keys, CAs or CRLs, make a new context (see
/// ``ReloadableTLSContext``); connections keep the context they were made with.
public final class TLSContext: Sendable {
    public let configuration: TLSConfiguration
    /// The SSL_CTX. Never changed after `init`; the lock serialises the calls that read it.
    private let context: Mutex<OpaquePointer>
    /// ALPN protocols in wire form (length-prefixed), in preference order.
    let applicationProtocolsWire: [UInt8]
    /// Sessions a client may resume; nil for servers and when resumption is off.
    let sessionCache: ClientSessionCache?

    /// Loads the material and sets up the context.
    ///
    /// - Throws: ``TLSError`` with code ``TLSError/Code-swift.struct/invalidConfiguration``
    ///   (material that cannot be loaded or does not fit together, no ALPN protocol, no CA)
    ///   or ``TLSError/Code-swift.struct/internalError``.
    public convenience init(configuration: TLSConfiguration) throws(TLSError) {
        try self.init(configuration: configuration, customize: { _ in })
    }

    /// Sets up the context, then lets `customize` change the raw SSL_CTX (tests use this to
    /// make peers DataHealth would never be, such as a TLS 1.2-only client).
    init(configuration: TLSConfiguration, customize: (OpaquePointer) -> Void) throws(TLSError) {
        self.configuration = configuration
        self.applicationProtocolsWire = try Self.wireFormat(configuration.applicationProtocols)
        if configuration.role == .client, configuration.limits.clientSessionCacheCapacity > 0 {
            self.sessionCache = ClientSessionCache(capacity: configuration.limits.clientSessionCacheCapacity)
        } else {
            self.sessionCache = nil
        }
        OpenSSLErrorQueue.clear()
        let context = try Self.makeContext(configuration, applicationProtocolsWire: applicationProtocolsWire)
        customize(context)
        OpenSSLErrorQueue.clear()
        self.context = Mutex(context)
    }

    deinit {
        context.withLock { SSL_CTX_free($0) }
    }

    /// A new SSL for one connection, or nil when OpenSSL cannot allocate one.
    func makeSSL() -> OpaquePointer? {
        context.withLock { SSL_new($0) }
    }

    // MARK: Setup

    private static func wireFormat(_ protocols: [String]) throws(TLSError) -> [UInt8] {
        guard !protocols.isEmpty else {
            throw TLSError(code: .invalidConfiguration, message: "at least one ALPN protocol is required")
        }
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSError(code: .invalidConfiguration, message: "ALPN protocol '\(name)' must be 1–255 bytes")
            }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }

    private static func load<T>(
        _ what: String, _ material: TLSConfiguration.Material,
        _ parse: ([UInt8]) throws(PKIError) -> T
    ) throws(TLSError) -> T {
        do {
            switch material {
            case .file(let path): return try parse(OpenSSLSupport.readFile(path))
            case .pem(let text): return try parse(Array(text.utf8))
            }
        } catch {
            let source: String
            switch material {
            case .file(let path): source = "'\(path)'"
            case .pem: source = "PEM text"
            }
            throw TLSError(
                code: .invalidConfiguration, message: "cannot load the \(what) from \(source): \(error.message)",
                openSSLReason: error.openSSLReason, cause: error)
        }
    }

    private static func makeContext(
        _ configuration: TLSConfiguration, applicationProtocolsWire: [UInt8]
    ) throws(TLSError) -> OpaquePointer {
        let chain = try load("certificate chain", configuration.certificateChain) { bytes throws(PKIError) in
            try Certificate.chain(pemBytes: bytes)
        }
        let key = try load("private key", configuration.privateKey) { bytes throws(PKIError) in
            try PrivateKey(pem: String(decoding: bytes, as: UTF8.self))
        }
        guard !configuration.trustRoots.isEmpty else {
            throw TLSError(code: .invalidConfiguration, message: "at least one trusted CA bundle is required")
        }
        var roots: [Certificate] = []
        for bundle in configuration.trustRoots {
            roots += try load("CA bundle", bundle) { bytes throws(PKIError) in try Certificate.chain(pemBytes: bytes) }
        }
        var crls: [CertificateRevocationList] = []
        for list in configuration.revocationLists {
            crls += try load("CRL", list) { bytes throws(PKIError) in
                try CertificateRevocationList.lists(pemBytes: bytes)
            }
        }

        guard let context = SSL_CTX_new(TLS_method()) else {
            throw failure(.internalError, "cannot allocate an SSL_CTX")
        }
        do throws(TLSError) {
            try configure(
                context, configuration, chain: chain, key: key, roots: roots, crls: crls,
                applicationProtocolsWire: applicationProtocolsWire)
            return context
        } catch {
            SSL_CTX_free(context)
            throw error
        }
    }

    private static func failure(_ code: TLSError.Code, _ message: String) -> TLSError {
        TLSError(code: code, message: message, openSSLReason: OpenSSLErrorQueue.drainText())
    }

    private static func configure(
        _ context: OpaquePointer, _ configuration: TLSConfiguration, chain: [Certificate], key: PrivateKey,
        roots: [Certificate], crls: [CertificateRevocationList], applicationProtocolsWire: [UInt8]
    ) throws(TLSError) {
        let limits = configuration.limits
        guard dh_ssl_ctx_set_min_proto_version(context, TLS1_3_VERSION) == 1,
            dh_ssl_ctx_set_max_proto_version(context, TLS1_3_VERSION) == 1
        else { throw failure(.internalError, "cannot pin the protocol version to TLS 1.3") }
        // Idle connections give their read and write buffers back.
        _ = dh_ssl_ctx_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        _ = dh_ssl_ctx_set_max_cert_list(context, limits.maximumCertificateChainBytes)
        SSL_CTX_set_verify_depth(context, Int32(clamping: limits.maximumVerifyDepth))

        // Our certificate chain and key.
        do throws(PKIError) {
            let leaf = try chain[0].makeX509()
            defer { X509_free(leaf) }
            guard SSL_CTX_use_certificate(context, leaf) == 1 else {
                throw PKIError.fromQueue(.invalidCertificate, "OpenSSL refuses the certificate")
            }
            for certificate in chain.dropFirst() {
                let x509 = try certificate.makeX509()
                defer { X509_free(x509) }
                guard dh_ssl_ctx_add1_chain_cert(context, x509) == 1 else {
                    throw PKIError.fromQueue(.invalidCertificate, "OpenSSL refuses an intermediate certificate")
                }
            }
            let evpKey = try key.makeEVPKey()
            defer { EVP_PKEY_free(evpKey) }
            guard SSL_CTX_use_PrivateKey(context, evpKey) == 1, SSL_CTX_check_private_key(context) == 1 else {
                throw PKIError.fromQueue(.keyMismatch, "the private key does not belong to the certificate")
            }

            // Trust: the CA bundles, the CRLs, and (servers) the CA names sent to clients.
            guard let store = SSL_CTX_get_cert_store(context) else {
                throw PKIError.fromQueue(.internalError, "the SSL_CTX has no certificate store")
            }
            for root in roots {
                let x509 = try root.makeX509()
                defer { X509_free(x509) }
                guard X509_STORE_add_cert(store, x509) == 1 else {
                    throw PKIError.fromQueue(.invalidCertificate, "cannot trust '\(root.subject)'")
                }
                if configuration.role == .server, SSL_CTX_add_client_CA(context, x509) != 1 {
                    throw PKIError.fromQueue(.invalidCertificate, "cannot name '\(root.subject)' to clients")
                }
            }
            for list in crls {
                let crl = try list.makeCRL()
                defer { X509_CRL_free(crl) }
                guard X509_STORE_add_crl(store, crl) == 1 else {
                    throw PKIError.fromQueue(.invalidRevocationList, "cannot add the CRL of '\(list.issuer)'")
                }
            }
        } catch {
            throw TLSError(
                code: .invalidConfiguration, message: error.message, openSSLReason: error.openSSLReason, cause: error)
        }
        if !crls.isEmpty {
            guard let parameters = SSL_CTX_get0_param(context),
                X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) == 1
            else { throw failure(.internalError, "cannot turn on CRL checking") }
        }

        switch configuration.role {
        case .server:
            SSL_CTX_set_verify(
                context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dhTLSVerify)
            SSL_CTX_set_client_hello_cb(context, dhTLSClientHello, nil)
            SSL_CTX_set_alpn_select_cb(context, dhTLSSelectApplicationProtocol, nil)
            // Resumption: stateless TLS 1.3 tickets, sealed with keys this context made. A new
            // context (a reload) has new keys, so tickets from before a reload do not resume and
            // every certificate is checked again against the new CAs and CRLs.
            let sessionContext = Array("datahealth".utf8)
            guard SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count)) == 1,
                SSL_CTX_set_num_tickets(context, max(0, limits.ticketsPerHandshake)) == 1
            else { throw failure(.internalError, "cannot set up session tickets") }
            SSL_CTX_set_timeout(context, Int(limits.sessionLifetime.components.seconds))
            if limits.ticketsPerHandshake == 0 {
                _ = SSL_CTX_set_options(context, dh_ssl_op_no_ticket())
            }
        case .client:
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, dhTLSVerify)
            let failed = applicationProtocolsWire.withUnsafeBufferPointer { wire in
                SSL_CTX_set_alpn_protos(context, wire.baseAddress, UInt32(wire.count))
            }
            // SSL_CTX_set_alpn_protos returns 0 on success.
            guard failed == 0 else { throw failure(.internalError, "cannot set the ALPN protocols") }
            if limits.clientSessionCacheCapacity > 0 {
                _ = dh_ssl_ctx_set_session_cache_mode(
                    context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
                SSL_CTX_sess_set_new_cb(context, dhTLSNewSession)
            } else {
                _ = dh_ssl_ctx_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
            }
        }
    }
}

/// A ``TLSContext`` that can be replaced while a server runs: certificates, keys, CAs and
/// CRLs are reloaded by making a new context and swapping it in atomically. New connections
/// use ``current``; existing connections keep the context they were made with.
public final class ReloadableTLSContext: Sendable {
    private let state: Mutex<TLSContext>

    public init(configuration: TLSConfiguration) throws(TLSError) {
        state = Mutex(try TLSContext(configuration: configuration))
    }

    public init(_ context: TLSContext) {
        state = Mutex(context)
    }

    /// The context for new connections.
    public var current: TLSContext {
        state.withLock { $0 }
    }

    /// Re-reads the current configuration's files into a new context and swaps it in. When
    /// loading fails, the current context stays and the error is thrown.
    @discardableResult
    public func reload() throws(TLSError) -> TLSContext {
        try reload(configuration: current.configuration)
    }

    /// Makes a context from `configuration` and swaps it in. When that fails, the current
    /// context stays and the error is thrown.
    @discardableResult
    public func reload(configuration: TLSConfiguration) throws(TLSError) -> TLSContext {
        let context = try TLSContext(configuration: configuration)
        state.withLock { $0 = context }
        return context
    }
}

/// Client-side TLS 1.3 sessions, one per server name, the oldest dropped first when full.
/// Sessions are kept in their DER form (`i2d_SSL_SESSION`), so the cache holds plain values.
/// Each ticket is used once: resuming a session removes it.
final class ClientSessionCache: Sendable {
    private struct State {
        var sessions: [String: [UInt8]] = [:]
        var order: [String] = []
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Keeps a copy of `session` for `key`.
    func store(_ session: OpaquePointer, for key: String) {
        let length = i2d_SSL_SESSION(session, nil)
        guard length > 0 else { return }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_SSL_SESSION(session, &cursor)
        }
        guard written == length else { return }
        state.withLock { state in
            if state.sessions.updateValue(bytes, forKey: key) != nil {
                state.order.removeAll { $0 == key }
            }
            state.order.append(key)
            while state.order.count > capacity {
                state.sessions.removeValue(forKey: state.order.removeFirst())
            }
        }
    }

    /// Removes and returns the session kept for `key`, in DER form.
    func take(for key: String) -> [UInt8]? {
        state.withLock { state in
            guard let bytes = state.sessions.removeValue(forKey: key) else { return nil }
            state.order.removeAll { $0 == key }
            return bytes
        }
    }

    /// Sets the session kept for `key`, if any, on `ssl`.
    func resume(_ ssl: OpaquePointer, for key: String) {
        guard let bytes = take(for: key) else { return }
        let session = bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_SSL_SESSION(nil, &cursor, buffer.count)
        }
        guard let session else { return }
        _ = SSL_set_session(ssl, session)
        SSL_SESSION_free(session)
    }

    var count: Int { state.withLock { $0.sessions.count } }
}
