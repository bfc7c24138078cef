internal import COpenSSL

/// Facts about the OpenSSL library this process runs against.
///
/// DataHealth requires OpenSSL 3.0 or later: TLS 1.3 only, with the
/// `SSL_CTX_set_min_proto_version` API and the 3.x provider model.
public enum OpenSSLLibrary {
    /// The lowest OpenSSL release DataHealth accepts (0xMNN00PP0L layout).
    public static let minimumVersionNumber: UInt = 0x3000_0000

    /// The version number of the library loaded at run time (`OpenSSL_version_num`).
    public static var runtimeVersionNumber: UInt {
        UInt(OpenSSL_version_num())
    }

    /// The version number of the headers this module was compiled against.
    public static var headerVersionNumber: UInt {
        UInt(dh_openssl_header_version_number())
    }

    /// The library's own version text, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
    public static var versionText: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "unknown" }
        return String(cString: text)
    }

    /// `major.minor.patch` decoded from the run-time version number.
    public static var version: (major: Int, minor: Int, patch: Int) {
        let number = runtimeVersionNumber
        return (Int((number >> 28) & 0xF), Int((number >> 20) & 0xFF), Int((number >> 4) & 0xFF))
    }

    /// Whether the loaded library is recent enough for DataHealth.
    public static var isSupported: Bool {
        runtimeVersionNumber >= minimumVersionNumber
    }

    /// Whether the loaded library can negotiate TLS 1.3 as the only protocol version.
    ///
    /// Creates a throwaway `SSL_CTX`, pins it to TLS 1.3 and reads the pins back.
    public static func supportsTLS13Only() -> Bool {
        guard let context = SSL_CTX_new(TLS_method()) else { return false }
        defer { SSL_CTX_free(context) }
        guard dh_ssl_ctx_set_min_proto_version(context, TLS1_3_VERSION) == 1,
            dh_ssl_ctx_set_max_proto_version(context, TLS1_3_VERSION) == 1
        else { return false }
        return dh_ssl_ctx_get_min_proto_version(context) == TLS1_3_VERSION
            && dh_ssl_ctx_get_max_proto_version(context) == TLS1_3_VERSION
    }
}
