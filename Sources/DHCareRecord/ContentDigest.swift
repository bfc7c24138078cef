internal import DHTLS

enum ContentDigest {
    static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hash(bytes).hex }
}
