/// Why a TLS context could not be set up, or why a TLS connection failed.
///
/// Handshake failures name what failed (``Code-swift.struct/expired``,
/// ``Code-swift.struct/revoked``, ``Code-swift.struct/noIdentity`` …) and carry OpenSSL's own
/// reason text. The same codes are used when the *peer* refused us with a TLS alert; then
/// ``reportedByPeer`` is true.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case expired, notYetValid, unknownCA, revoked, revocationUnavailable, wrongKeyUsage
            case noIdentity, invalidIdentity, noClientCertificate, hostnameMismatch, certificateRejected
            case protocolVersion, noALPNMatch, handshakeFailure, connectionFailure
            case notEstablished, closed, invalidConfiguration, internalError
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The peer's certificate (or one in its chain) is past its notAfter.
        public static let expired = Code(.expired)
        /// The peer's certificate (or one in its chain) is before its notBefore.
        public static let notYetValid = Code(.notYetValid)
        /// The peer's certificate is self-signed or does not chain to a configured CA.
        public static let unknownCA = Code(.unknownCA)
        /// The peer's certificate is on a configured CRL.
        public static let revoked = Code(.revoked)
        /// CRL checking is on, but a needed CRL is missing, expired, not yet valid or badly signed.
        public static let revocationUnavailable = Code(.revocationUnavailable)
        /// The peer's certificate is not meant for this use (extendedKeyUsage: a client
        /// certificate without clientAuth, a server certificate without serverAuth).
        public static let wrongKeyUsage = Code(.wrongKeyUsage)
        /// The client certificate has no `dh://ORG/ROLE/ID` SAN URI.
        public static let noIdentity = Code(.noIdentity)
        /// The client certificate's `dh://` SAN URI is malformed, or there are several.
        public static let invalidIdentity = Code(.invalidIdentity)
        /// The client sent no certificate.
        public static let noClientCertificate = Code(.noClientCertificate)
        /// The server's certificate does not name the host or IP address the client asked for.
        public static let hostnameMismatch = Code(.hostnameMismatch)
        /// The peer's certificate failed verification for another reason (bad signature, …).
        public static let certificateRejected = Code(.certificateRejected)
        /// The peer offered no TLS 1.3 (for example a TLS 1.2-only client).
        public static let protocolVersion = Code(.protocolVersion)
        /// No common ALPN protocol, or the client offered none.
        public static let noALPNMatch = Code(.noALPNMatch)
        /// The handshake failed for another reason.
        public static let handshakeFailure = Code(.handshakeFailure)
        /// After the handshake: a record did not decrypt, the peer sent a fatal alert, …
        public static let connectionFailure = Code(.connectionFailure)
        /// Application data was written before the handshake completed.
        public static let notEstablished = Code(.notEstablished)
        /// The connection is closed or has failed; nothing more can be sent.
        public static let closed = Code(.closed)
        /// A certificate, key, CA bundle or CRL cannot be loaded, or they do not fit together.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// OpenSSL failed where it should not (for example, out of memory).
        public static let internalError = Code(.internalError)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// OpenSSL's reason text (its error queue, joined), when OpenSSL reported the failure.
    public var openSSLReason: String?
    /// The X.509 verification result (`X509_V_ERR_*`), when certificate verification failed.
    public var verifyResult: Int?
    /// True when the peer reported the failure with a TLS alert.
    public var reportedByPeer: Bool
    /// The error that led to this one (a ``PKIError`` or ``IdentityError``), if any.
    public var cause: (any Error & Sendable)?

    public init(
        code: Code, message: String, openSSLReason: String? = nil, verifyResult: Int? = nil,
        reportedByPeer: Bool = false, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.openSSLReason = openSSLReason
        self.verifyResult = verifyResult
        self.reportedByPeer = reportedByPeer
        self.cause = cause
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let openSSLReason { text += " [\(openSSLReason)]" }
        return text
    }
}
