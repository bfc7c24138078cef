internal import COpenSSL

/// A private key, held as its PKCS#8 PEM text. A value: copies are cheap and `Sendable`;
/// OpenSSL's EVP_PKEY is made from the text only for the time of an operation.
///
/// Any key OpenSSL reads is accepted (ops may bring RSA keys for TLS); DataHealth itself
/// generates only the algorithms of ``Algorithm``.
public struct PrivateKey: Sendable, Hashable {
    /// The key algorithms DataHealth generates.
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        /// ECDSA on NIST P-256 (prime256v1) with SHA-256: the default.
        case ecdsaP256 = "ecdsa-p256"
        /// Ed25519.
        case ed25519
    }

    /// The key in unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public let pemString: String

    /// Generates a new key pair.
    ///
    /// - Throws: ``PKIError/Code/keyGenerationFailed``.
    public static func generate(_ algorithm: Algorithm = .ecdsaP256) throws(PKIError) -> PrivateKey {
        OpenSSLErrorQueue.clear()
        let made: OpaquePointer? =
            switch algorithm {
            case .ecdsaP256: dh_evp_generate_ec_p256()
            case .ed25519: dh_evp_generate_ed25519()
            }
        guard let key = made else {
            throw PKIError.fromQueue(.keyGenerationFailed, "cannot generate a \(algorithm.rawValue) key")
        }
        defer { EVP_PKEY_free(key) }
        return try PrivateKey(evpKey: key)
    }

    /// Reads a PEM private key (PKCS#8 or the traditional EC/RSA forms). Encrypted keys are refused.
    ///
    /// - Throws: ``PKIError/Code/invalidKey``.
    public init(pem: String) throws(PKIError) {
        let key = try Self.decode(Array(pem.utf8))
        defer { EVP_PKEY_free(key) }
        try self.init(evpKey: key)
    }

    /// Reads a PEM private key file.
    ///
    /// - Throws: ``PKIError/Code/fileUnreadable``, ``PKIError/Code/invalidKey``.
    public init(file path: String) throws(PKIError) {
        let bytes = try OpenSSLSupport.readFile(path)
        let key = try Self.decode(bytes)
        defer { EVP_PKEY_free(key) }
        try self.init(evpKey: key)
    }

    init(evpKey key: OpaquePointer) throws(PKIError) {
        let pem = try OpenSSLSupport.writeBIO("a private key") { bio in
            PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1
        }
        self.pemString = String(decoding: pem, as: UTF8.self)
    }

    /// The algorithm, when it is one DataHealth generates.
    public var algorithm: Algorithm? {
        guard let key = try? makeEVPKey() else { return nil }
        defer { EVP_PKEY_free(key) }
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_ED25519: return .ed25519
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else { return nil }
            let group = String(decoding: name[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return group == "prime256v1" || group == "P-256" ? .ecdsaP256 : nil
        default: return nil
        }
    }

    /// A fresh EVP_PKEY; the caller frees it with EVP_PKEY_free.
    func makeEVPKey() throws(PKIError) -> OpaquePointer {
        try Self.decode(Array(pemString.utf8))
    }

    private static func decode(_ bytes: [UInt8]) throws(PKIError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        return try OpenSSLSupport.withReadBIO(bytes) { bio throws(PKIError) in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, dh_pem_no_password, nil) else {
                throw PKIError.fromQueue(.invalidKey, "no readable unencrypted PEM private key")
            }
            return key
        }
    }

    /// The digest to sign with: none for Ed25519/Ed448 (they hash internally), SHA-256 otherwise.
    static func signingDigest(_ key: OpaquePointer) -> OpaquePointer? {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_ED25519, EVP_PKEY_ED448: nil
        default: EVP_sha256()
        }
    }
}

extension PrivateKey: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the algorithm only: a key never appears in logs or error messages.
    public var description: String { "PrivateKey(\(algorithm?.rawValue ?? "other"))" }
    public var debugDescription: String { description }
}
