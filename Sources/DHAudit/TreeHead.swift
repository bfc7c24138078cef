public import DHTLS

/// The state of the log at one size: what a signed tree head vouches for.
public struct TreeHead: Sendable, Hashable {
    public var treeSize: UInt64
    public var rootHash: SHA256Digest
    /// Milliseconds since 1970-01-01T00:00:00Z when the head was signed.
    public var timestampMilliseconds: UInt64

    public init(treeSize: UInt64, rootHash: SHA256Digest, timestampMilliseconds: UInt64) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The bytes that are signed, laid out as RFC 6962's TreeHeadSignature: version (0),
    /// signature type (1, tree_hash), timestamp (u64), tree size (u64), root hash (32 bytes).
    public var signedBytes: [UInt8] {
        var bytes: [UInt8] = [0, 1]
        appendBigEndian(timestampMilliseconds, to: &bytes)
        appendBigEndian(treeSize, to: &bytes)
        bytes.append(contentsOf: rootHash.bytes)
        return bytes
    }
}

/// A tree head with the log's signature, checkable offline with the log's public key.
public struct SignedTreeHead: Sendable, Hashable {
    public var head: TreeHead
    /// SHA-256 of the signing key's DER SubjectPublicKeyInfo.
    public var keyID: SHA256Digest
    public var signature: [UInt8]

    public init(head: TreeHead, keyID: SHA256Digest, signature: [UInt8]) {
        self.head = head
        self.keyID = keyID
        self.signature = signature
    }

    /// Signs `head` with the log's key.
    public init(signing head: TreeHead, with key: PrivateKey) throws(PKIError) {
        self.head = head
        self.keyID = try key.publicKey().keyID
        self.signature = try key.sign(head.signedBytes)
    }

    /// Whether `key` is the signing key and the signature is valid.
    public func verify(with key: PublicKey) -> Bool {
        key.keyID == keyID && key.verify(signature: signature, for: head.signedBytes)
    }

    /// One line of text: `dh-sth/1 SIZE ROOT TIMESTAMP KEYID SIGNATURE`, hex throughout.
    public var text: String {
        "dh-sth/1 \(head.treeSize) \(head.rootHash.hex) \(head.timestampMilliseconds) \(keyID.hex) "
            + Hex.encode(signature)
    }

    /// Parses ``text``.
    public init(text: String) throws(AuditError) {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0] == "dh-sth/1", let size = UInt64(parts[1]),
            let root = SHA256Digest(hex: parts[2]), let timestamp = UInt64(parts[3]),
            let keyID = SHA256Digest(hex: parts[4]), let signature = Hex.decode(parts[5])
        else {
            throw AuditError(code: .treeHeadInvalid, message: "not a dh-sth/1 signed tree head")
        }
        self.init(
            head: TreeHead(treeSize: size, rootHash: root, timestampMilliseconds: timestamp), keyID: keyID,
            signature: signature)
    }
}
