internal import COpenSSL
public import DHIdentity

/// What one step of a ``TLSConnection`` produced. The driver sends ``ciphertext`` to the peer
/// (even when ``error`` is set: it may hold the alert telling the peer why), hands
/// ``plaintext`` to the application, and closes the transport after an error or once both
/// sides have closed.
public struct TLSOutput: Sendable, Hashable {
    /// Bytes to send to the peer, in order.
    public var ciphertext: [UInt8] = []
    /// Application data received from the peer.
    public var plaintext: [UInt8] = []
    /// True in the output of the step that completed the handshake.
    public var handshakeCompleted = false
    /// True when the peer sent close_notify: no more data will come.
    public var peerClosed = false
    /// Set when the connection failed in this step; it is then in state `.failed`.
    public var error: TLSError?

    public init() {}

    public static func == (lhs: TLSOutput, rhs: TLSOutput) -> Bool {
        lhs.ciphertext == rhs.ciphertext && lhs.plaintext == rhs.plaintext
            && lhs.handshakeCompleted == rhs.handshakeCompleted && lhs.peerClosed == rhs.peerClosed
            && lhs.error?.code == rhs.error?.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ciphertext)
        hasher.combine(plaintext)
        hasher.combine(handshakeCompleted)
        hasher.combine(peerClosed)
        hasher.combine(error?.code)
    }
}

/// One TLS connection as a socket-free engine over memory BIOs: feed it the ciphertext that
/// arrived, and it returns the ciphertext to send and the plaintext received. A transport
/// (for example a SwiftNIO channel handler) moves the bytes and enforces the handshake timeout.
///
/// A connection belongs to one task or event loop at a time: it is not `Sendable`.
///
/// ```
/// let client = try TLSConnection(context: clientContext, serverName: "api.example.jp")
/// var output = client.startHandshake()       // send output.ciphertext
/// output = client.receive(bytesFromServer)   // …until output.handshakeCompleted
/// let record = try client.send(Array("hello".utf8))
/// ```
public final class TLSConnection {
    public enum State: Sendable, Hashable {
        /// Before the handshake completed.
        case handshaking
        /// Application data flows both ways.
        case established
        /// close_notify was sent or received; nothing more can be sent. After sending it,
        /// data still arrives until the peer's close_notify (``TLSOutput/peerClosed``).
        case closed
        /// The connection failed (see ``TLSConnection/error``).
        case failed
    }

    /// The context this connection was made with; a reload does not change it.
    public let context: TLSContext
    public private(set) var state: State = .handshaking
    /// Why the connection failed, once it has.
    public private(set) var error: TLSError?
    /// The peer's verified identity, from its certificate's `dh://` SAN URI; set when the
    /// handshake completes (servers, and clients whose certificate carries one).
    public private(set) var peerIdentity: PeerIdentity?
    /// The peer's verified certificate, once the handshake completed (read from the SSL on
    /// demand: an idle connection keeps no copy of it).
    public var peerCertificate: Certificate? {
        guard handshakeCompleted, let x509 = SSL_get0_peer_certificate(ssl) else { return nil }
        return try? Certificate(x509: x509)
    }
    private var handshakeCompleted = false
    /// The ALPN protocol agreed on; set when the handshake completes.
    public private(set) var applicationProtocol: String?
    /// Whether the handshake resumed an earlier session.
    public private(set) var isResumed = false

    private let ssl: OpaquePointer
    private let notes: ConnectionNotes
    private var started = false
    private var peerSentCloseNotify = false
    /// Whether the handshake's memory BIOs were replaced by empty ones.
    private var biosRenewed = false

    /// Makes a connection from `context`.
    ///
    /// - Parameter serverName: clients only: the host name or IP address the server's
    ///   certificate must name. A host name is also sent as SNI and keys session resumption.
    ///   Without one, the server's certificate is verified against the CAs only.
    /// - Throws: ``TLSError/Code-swift.struct/internalError``, or
    ///   ``TLSError/Code-swift.struct/invalidConfiguration`` for an unusable `serverName`.
    public init(context: TLSContext, serverName: String? = nil) throws(TLSError) {
        self.context = context
        self.notes = ConnectionNotes(context: context, sessionKey: serverName ?? "")
        OpenSSLErrorQueue.clear()
        guard let ssl = context.makeSSL() else {
            throw TLSError(
                code: .internalError, message: "cannot allocate an SSL", openSSLReason: OpenSSLErrorQueue.drainText())
        }
        self.ssl = ssl
        let input = BIO_new(BIO_s_mem())
        let output = BIO_new(BIO_s_mem())
        guard let input, let output else {
            if let input { BIO_free(input) }
            if let output { BIO_free(output) }
            throw TLSError(
                code: .internalError, message: "cannot allocate memory BIOs",
                openSSLReason: OpenSSLErrorQueue.drainText())
        }
        SSL_set_bio(ssl, input, output)  // The SSL owns both from here.
        _ = dh_ssl_set_app_data(ssl, Unmanaged.passUnretained(notes).toOpaque())

        switch context.configuration.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName {
                let isAddress = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1
                OpenSSLErrorQueue.clear()
                if !isAddress {
                    guard SSL_set1_host(ssl, serverName) == 1, dh_ssl_set_tlsext_host_name(ssl, serverName) == 1
                    else {
                        throw TLSError(
                            code: .invalidConfiguration, message: "'\(serverName)' is not a usable server name",
                            openSSLReason: OpenSSLErrorQueue.drainText())
                    }
                }
            }
            notes.sessionCache?.resume(ssl, for: notes.sessionKey)
        }
        OpenSSLErrorQueue.clear()
    }

    deinit {
        SSL_free(ssl)
    }

    /// Starts the handshake. Clients get their ClientHello to send; servers get nothing
    /// (they start on the first ``receive(_:)-(UnsafeRawBufferPointer)``).
    public func startHandshake() -> TLSOutput {
        var output = TLSOutput()
        guard state == .handshaking, !started else { return output }
        OpenSSLErrorQueue.clear()
        if context.configuration.role == .client { handshake(&output) }
        started = true
        output.ciphertext += drainOutgoing()
        return output
    }

    /// Feeds ciphertext received from the peer; advances the handshake and decrypts data.
    public func receive(_ ciphertext: UnsafeRawBufferPointer) -> TLSOutput {
        var output = TLSOutput()
        switch state {
        case .failed:
            output.error = error
            return output
        case .closed where peerSentCloseNotify:
            return output
        case .handshaking, .established, .closed:
            break
        }
        OpenSSLErrorQueue.clear()
        started = true
        // BIO_write takes an Int32 length: large inputs go in pieces.
        var offset = 0
        while offset < ciphertext.count {
            let piece = min(ciphertext.count - offset, 1 << 20)
            let written = BIO_write(SSL_get_rbio(ssl), ciphertext.baseAddress! + offset, Int32(piece))
            guard written == Int32(piece) else {
                fail(
                    TLSError(
                        code: .internalError, message: "cannot buffer received bytes",
                        openSSLReason: OpenSSLErrorQueue.drainText()), into: &output)
                output.ciphertext += drainOutgoing()
                return output
            }
            offset += piece
        }
        if state == .handshaking { handshake(&output) }
        if state == .established || state == .closed { read(&output, bound: ciphertext.count) }
        output.ciphertext += drainOutgoing()
        if state == .established, !biosRenewed { renewBIOs() }
        OpenSSLErrorQueue.clear()
        return output
    }

    /// Memory BIOs keep the capacity they grew to, and the handshake's flights (certificate
    /// chains) make them grow to several KiB each. Once established and drained, both are
    /// replaced by empty ones, so an idle connection holds little memory.
    private func renewBIOs() {
        guard let input = SSL_get_rbio(ssl), BIO_ctrl_pending(input) == 0,
            let output = SSL_get_wbio(ssl), BIO_ctrl_pending(output) == 0,
            let newInput = BIO_new(BIO_s_mem())
        else { return }
        guard let newOutput = BIO_new(BIO_s_mem()) else {
            BIO_free(newInput)
            return
        }
        // Both are new, so SSL_set_bio frees the old pair.
        SSL_set_bio(ssl, newInput, newOutput)
        biosRenewed = true
    }

    /// Feeds ciphertext received from the peer.
    public func receive(_ ciphertext: [UInt8]) -> TLSOutput {
        ciphertext.withUnsafeBytes { receive($0) }
    }

    /// Encrypts application data; returns the records to send.
    ///
    /// - Throws: ``TLSError/Code-swift.struct/notEstablished`` before the handshake completed,
    ///   ``TLSError/Code-swift.struct/closed`` after close or failure,
    ///   ``TLSError/Code-swift.struct/connectionFailure`` when OpenSSL refuses.
    public func send(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) -> [UInt8] {
        guard try write(plaintext) else { return [] }
        return drainOutgoing()
    }

    /// Encrypts application data and hands the records to `output` without an intermediate
    /// array: `output` gets their size and a function that copies them into memory of at least
    /// that size and returns how many bytes it copied. It is not called when there is nothing to
    /// send. Throws as the other `send` methods do.
    public func send(
        _ plaintext: UnsafeRawBufferPointer,
        output: (_ size: Int, _ copy: (UnsafeMutableRawBufferPointer) -> Int) -> Void
    ) throws(TLSError) {
        guard try write(plaintext), let bio = SSL_get_wbio(ssl) else { return }
        OpenSSLSupport.readPending(bio, output: output)
    }

    /// Hands application data to OpenSSL; false when there was none.
    private func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) -> Bool {
        switch state {
        case .handshaking:
            throw TLSError(code: .notEstablished, message: "the handshake has not completed")
        case .closed, .failed:
            throw TLSError(code: .closed, message: "the connection is \(state)", cause: error)
        case .established:
            break
        }
        guard !plaintext.isEmpty else { return false }
        OpenSSLErrorQueue.clear()
        var sent = 0
        let written = SSL_write_ex(ssl, plaintext.baseAddress, plaintext.count, &sent)
        guard written == 1, sent == plaintext.count else {
            var output = TLSOutput()
            fail(classify(SSL_get_error(ssl, written), duringHandshake: false), into: &output)
            throw output.error!
        }
        return true
    }

    /// Encrypts application data; returns the records to send.
    public func send(_ plaintext: [UInt8]) throws(TLSError) -> [UInt8] {
        let result = plaintext.withUnsafeBytes { buffer in
            Result { () throws(TLSError) in try send(buffer) }
        }
        return try result.get()
    }

    /// Sends close_notify; returns the bytes to send. After this, nothing more can be sent.
    public func close() -> [UInt8] {
        guard state == .established || (state == .closed && SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN == 0) else {
            return []
        }
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        state = .closed
        OpenSSLErrorQueue.clear()
        return drainOutgoing()
    }

    // MARK: Steps

    private func handshake(_ output: inout TLSOutput) {
        let result = SSL_do_handshake(ssl)
        guard result == 1 else {
            let reason = SSL_get_error(ssl, result)
            if reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE { return }
            fail(classify(reason, duringHandshake: true), into: &output)
            return
        }
        // Completed: record what was agreed and check what OpenSSL does not.
        var selected: UnsafePointer<UInt8>? = nil
        var selectedLength: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &selected, &selectedLength)
        if let selected, selectedLength > 0 {
            applicationProtocol = String(
                decoding: UnsafeBufferPointer(start: selected, count: Int(selectedLength)), as: UTF8.self)
        }
        isResumed = SSL_session_reused(ssl) == 1
        if let x509 = SSL_get0_peer_certificate(ssl) {
            // A resumed session skips verification; the identity comes from the session's certificate.
            if case .success(let identity) = ConnectionNotes.identity(of: x509) { peerIdentity = identity }
        }
        OpenSSLErrorQueue.clear()
        guard applicationProtocol != nil else {
            fail(
                TLSError(code: .noALPNMatch, message: "the server selected no ALPN protocol"), into: &output)
            _ = SSL_shutdown(ssl)
            return
        }
        if notes.requirePeerIdentity, peerIdentity == nil {
            fail(
                TLSError(code: .noIdentity, message: "the peer's certificate carries no dh:// identity"),
                into: &output)
            _ = SSL_shutdown(ssl)
            return
        }
        state = .established
        handshakeCompleted = true
        output.handshakeCompleted = true
    }

    private func read(_ output: inout TLSOutput, bound: Int) {
        // Each round consumes at least one record from the buffered input, so the input size
        // bounds the rounds.
        let chunk = 16 * 1024
        for _ in 0...(bound + 16) {
            var count = 0
            let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer -> Int32 in
                let result = SSL_read_ex(ssl, buffer.baseAddress, chunk, &count)
                if result == 1 { output.plaintext.append(contentsOf: buffer[..<count]) }
                return result
            }
            if result == 1 { continue }
            let reason = SSL_get_error(ssl, result)
            switch reason {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                output.peerClosed = true
                peerSentCloseNotify = true
                state = .closed
                return
            default:
                fail(classify(reason, duringHandshake: false), into: &output)
                return
            }
        }
    }

    private func fail(_ error: TLSError, into output: inout TLSOutput) {
        state = .failed
        self.error = error
        output.error = error
    }

    private func drainOutgoing() -> [UInt8] {
        guard let bio = SSL_get_wbio(ssl) else { return [] }
        return OpenSSLSupport.readAll(bio)
    }

    private func classify(_ reason: Int32, duringHandshake: Bool) -> TLSError {
        TLSErrorClassifier.classify(
            ssl: ssl, sslError: reason, notes: notes, entries: OpenSSLErrorQueue.drain(),
            duringHandshake: duringHandshake)
    }
}

@available(*, unavailable)
extension TLSConnection: Sendable {}
