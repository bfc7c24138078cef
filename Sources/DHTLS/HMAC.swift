/// HMAC-SHA256 (RFC 2104) over ``SHA256``: keyed digests, e.g. patient pseudonyms that only a
/// holder of the key can compute.
public enum HMACSHA256 {
    /// SHA-256's block size in bytes.
    static let blockSize = 64

    /// The authentication code of `message` under `key`. A key longer than the block size is
    /// hashed first, as RFC 2104 prescribes.
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> SHA256Digest {
        var block = key.count > blockSize ? SHA256.hash(key).bytes : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        var inner = block.map { $0 ^ 0x36 }
        inner += message
        var outer = block.map { $0 ^ 0x5C }
        outer += SHA256.hash(inner).bytes
        return SHA256.hash(outer)
    }
}
