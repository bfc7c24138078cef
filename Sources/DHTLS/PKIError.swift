/// An error met while making, reading or writing keys, certificates and revocation lists.
public struct PKIError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidPEM, invalidKey, invalidCertificate, invalidRevocationList
            case invalidName, invalidValidity, keyMismatch, fileUnreadable
            case keyGenerationFailed, signingFailed, internalError
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The text holds no PEM block of the expected kind, or one that does not decode.
        public static let invalidPEM = Code(.invalidPEM)
        /// A private key does not decode, or is of an algorithm DataHealth does not use.
        public static let invalidKey = Code(.invalidKey)
        /// A certificate does not decode.
        public static let invalidCertificate = Code(.invalidCertificate)
        /// A certificate revocation list does not decode.
        public static let invalidRevocationList = Code(.invalidRevocationList)
        /// A common name, DNS name, IP address or URI cannot go into a certificate.
        public static let invalidName = Code(.invalidName)
        /// `notAfter` is not later than `notBefore`, or a time is out of range.
        public static let invalidValidity = Code(.invalidValidity)
        /// A certificate and a private key do not belong together.
        public static let keyMismatch = Code(.keyMismatch)
        /// A file cannot be opened or read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// OpenSSL could not generate a key pair.
        public static let keyGenerationFailed = Code(.keyGenerationFailed)
        /// OpenSSL could not sign a certificate or revocation list.
        public static let signingFailed = Code(.signingFailed)
        /// OpenSSL failed where it should not (for example, out of memory).
        public static let internalError = Code(.internalError)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// OpenSSL's error text, when OpenSSL reported the failure.
    public var openSSLReason: String?

    public init(code: Code, message: String, openSSLReason: String? = nil) {
        self.code = code
        self.message = message
        self.openSSLReason = openSSLReason
    }

    /// Makes an error and takes OpenSSL's queued reasons with it.
    static func fromQueue(_ code: Code, _ message: String) -> PKIError {
        PKIError(code: code, message: message, openSSLReason: OpenSSLErrorQueue.drainText())
    }

    public var description: String {
        if let openSSLReason { return "\(code): \(message) [\(openSSLReason)]" }
        return "\(code): \(message)"
    }
}
