internal import COpenSSL

/// A public key as DER SubjectPublicKeyInfo: what a third party needs to check a signature
/// (the audit log's signed tree heads) without any secret.
public struct PublicKey: Sendable, Hashable {
    /// The DER-encoded SubjectPublicKeyInfo.
    public let derBytes: [UInt8]

    /// Reads a DER SubjectPublicKeyInfo.
    ///
    /// - Throws: ``PKIError/Code/invalidKey``.
    public init(derBytes: [UInt8]) throws(PKIError) {
        let key = try Self.decode(derBytes)
        EVP_PKEY_free(key)
        self.derBytes = derBytes
    }

    /// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// - Throws: ``PKIError/Code/invalidKey``.
    public init(pem: String) throws(PKIError) {
        OpenSSLErrorQueue.clear()
        let key = try OpenSSLSupport.withReadBIO(Array(pem.utf8)) { bio throws(PKIError) in
            guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
                throw PKIError.fromQueue(.invalidKey, "no readable PEM public key")
            }
            return key
        }
        defer { EVP_PKEY_free(key) }
        try self.init(evpKey: key)
    }

    init(evpKey key: OpaquePointer) throws(PKIError) {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { throw PKIError.fromQueue(.invalidKey, "cannot encode the public key") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { throw PKIError.fromQueue(.invalidKey, "cannot encode the public key") }
        derBytes = bytes
    }

    /// The key in PEM.
    public var pemString: String {
        guard let key = try? Self.decode(derBytes) else { return "" }
        defer { EVP_PKEY_free(key) }
        let bytes = (try? OpenSSLSupport.writeBIO("a public key") { PEM_write_bio_PUBKEY($0, key) == 1 }) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SHA-256 of the DER encoding: the key's identifier in signed tree heads (as RFC 6962's log id).
    public var keyID: SHA256Digest { SHA256.hash(derBytes) }

    /// Whether `signature` is this key's signature of `message` (Ed25519, or ECDSA/RSA over SHA-256).
    public func verify(signature: [UInt8], for message: [UInt8]) -> Bool {
        OpenSSLErrorQueue.clear()
        defer { OpenSSLErrorQueue.clear() }
        guard let key = try? Self.decode(derBytes), let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            EVP_PKEY_free(key)
        }
        guard EVP_DigestVerifyInit(context, nil, PrivateKey.signingDigest(key), nil, key) == 1 else { return false }
        return signature.withUnsafeBufferPointer { signatureBytes in
            message.withUnsafeBufferPointer { messageBytes in
                EVP_DigestVerify(
                    context, signatureBytes.baseAddress, signatureBytes.count, messageBytes.baseAddress,
                    messageBytes.count) == 1
            }
        }
    }

    private static func decode(_ der: [UInt8]) throws(PKIError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        let key = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else { throw PKIError.fromQueue(.invalidKey, "the bytes are not a DER public key") }
        return key
    }
}

extension PrivateKey {
    /// The matching public key.
    ///
    /// - Throws: ``PKIError/Code/invalidKey``.
    public func publicKey() throws(PKIError) -> PublicKey {
        let key = try makeEVPKey()
        defer { EVP_PKEY_free(key) }
        return try PublicKey(evpKey: key)
    }

    /// Signs `message`: Ed25519 directly, ECDSA (DER signature) and RSA over SHA-256.
    ///
    /// - Throws: ``PKIError/Code/signingFailed``.
    public func sign(_ message: [UInt8]) throws(PKIError) -> [UInt8] {
        let key = try makeEVPKey()
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else {
            throw PKIError.fromQueue(.signingFailed, "cannot allocate a signing context")
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, Self.signingDigest(key), nil, key) == 1 else {
            throw PKIError.fromQueue(.signingFailed, "cannot start signing")
        }
        var length = 0
        let sized = message.withUnsafeBufferPointer { bytes in
            EVP_DigestSign(context, nil, &length, bytes.baseAddress, bytes.count)
        }
        guard sized == 1 else { throw PKIError.fromQueue(.signingFailed, "cannot size the signature") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = signature.withUnsafeMutableBufferPointer { output in
            message.withUnsafeBufferPointer { bytes in
                EVP_DigestSign(context, output.baseAddress, &length, bytes.baseAddress, bytes.count)
            }
        }
        guard signed == 1 else { throw PKIError.fromQueue(.signingFailed, "signing failed") }
        return Array(signature.prefix(length))
    }
}
