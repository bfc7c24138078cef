internal import COpenSSL

/// A SHA-256 digest: 32 bytes held inline, so hashing allocates nothing.
public struct SHA256Digest: Sendable, Hashable, CustomStringConvertible {
    public static let byteCount = 32

    /// The digest as four big-endian 64-bit words (word 0 holds bytes 0...7).
    public var words: (UInt64, UInt64, UInt64, UInt64)

    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// A digest from exactly 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var values: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            values[index / 8] = values[index / 8] << 8 | UInt64(byte)
        }
        words = (values[0], values[1], values[2], values[3])
    }

    /// A digest from 64 hexadecimal digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex, acceptingUppercase: true) else { return nil }
        self.init(bytes: bytes)
    }

    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(Self.byteCount)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return result
    }

    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Writes the 32 bytes at `destination`.
    @usableFromInline
    func store(to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: words.0.bigEndian, toByteOffset: 0, as: UInt64.self)
        destination.storeBytes(of: words.1.bigEndian, toByteOffset: 8, as: UInt64.self)
        destination.storeBytes(of: words.2.bigEndian, toByteOffset: 16, as: UInt64.self)
        destination.storeBytes(of: words.3.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    static func load(from source: UnsafeRawPointer) -> SHA256Digest {
        SHA256Digest(
            words: (
                UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                UInt64(bigEndian: source.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            ))
    }
}

/// OpenSSL's SHA-256 implementation, fetched once: OpenSSL 3's one-shot `SHA256()` looks the
/// algorithm up in its provider tables on every call, which costs more than hashing a short
/// message.
private final class FetchedSHA256: Sendable {
    /// Immutable once fetched; OpenSSL allows a fetched algorithm to be used from any thread.
    nonisolated(unsafe) let algorithm: OpaquePointer?

    init() { algorithm = EVP_MD_fetch(nil, "SHA256", nil) }

    deinit { if let algorithm { EVP_MD_free(algorithm) } }

    static let shared = FetchedSHA256()
}

/// SHA-256 through OpenSSL (`EVP_Digest` with an algorithm fetched once).
public enum SHA256 {
    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        withUnsafeTemporaryAllocation(byteCount: SHA256Digest.byteCount, alignment: 8) { output in
            let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let input = bytes.baseAddress ?? UnsafeRawPointer(out)
            if let algorithm = FetchedSHA256.shared.algorithm {
                _ = EVP_Digest(input, bytes.count, out, nil, algorithm, nil)
            } else {
                _ = COpenSSL.SHA256(input.assumingMemoryBound(to: UInt8.self), bytes.count, out)
            }
            return SHA256Digest.load(from: output.baseAddress!)
        }
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The digest of a one-byte prefix followed by `bytes` (RFC 9162 leaf hash with prefix 0x00).
    public static func hash(prefix: UInt8, _ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        withUnsafeTemporaryAllocation(byteCount: bytes.count + 1, alignment: 8) { buffer in
            buffer[0] = prefix
            if bytes.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: bytes)
            }
            return hash(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The digest of `prefix ‖ left ‖ right`: 65 bytes (RFC 9162 node hash with prefix 0x01).
    public static func hash(prefix: UInt8, _ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = prefix
            left.store(to: buffer.baseAddress! + 1)
            right.store(to: buffer.baseAddress! + 33)
            return hash(UnsafeRawBufferPointer(buffer))
        }
    }
}

/// Lowercase hexadecimal text for bytes: digests, key ids and signatures in DataHealth's
/// text formats.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of an even number of hexadecimal digits; nil for anything else. Only lowercase
    /// digits unless `acceptingUppercase`.
    public static func decode(_ text: some StringProtocol, acceptingUppercase: Bool = false) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = nibble(characters[index], acceptingUppercase),
                let low = nibble(characters[index + 1], acceptingUppercase)
            else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8, _ acceptingUppercase: Bool) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where acceptingUppercase: character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
