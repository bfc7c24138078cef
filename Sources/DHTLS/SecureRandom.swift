internal import COpenSSL

/// Bytes from OpenSSL's cryptographically secure generator (RAND_bytes), for secrets and keys.
public enum SecureRandom {
    /// `count` random bytes.
    ///
    /// - Throws: ``PKIError/Code/keyGenerationFailed`` when the generator is not seeded.
    public static func bytes(_ count: Int) throws(PKIError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        OpenSSLErrorQueue.clear()
        guard RAND_bytes(&bytes, Int32(clamping: count)) == 1 else {
            throw PKIError.fromQueue(.keyGenerationFailed, "the random generator failed")
        }
        return bytes
    }
}
