import CProtobufC
import DHStorage
import DHTLS
import Testing

@Suite("C libraries link and run")
struct SystemLibraryTests {
    @Test("OpenSSL is 3.0 or later and can pin TLS 1.3")
    func openSSL() {
        #expect(OpenSSLLibrary.runtimeVersionNumber >= 0x3000_0000)
        #expect(OpenSSLLibrary.version.major >= 3)
        #expect(OpenSSLLibrary.versionText.hasPrefix("OpenSSL 3."))
        // The headers and the loaded library must agree on the major version.
        #expect(OpenSSLLibrary.headerVersionNumber >> 28 == OpenSSLLibrary.runtimeVersionNumber >> 28)
        #expect(OpenSSLLibrary.supportsTLS13Only())
    }

    @Test("libpq reports a version and is thread-safe")
    func libPQ() {
        // PostgreSQL 10 and later: major * 10000 + minor.
        #expect(LibPQ.versionNumber >= 10_0000)
        #expect(LibPQ.version.split(separator: ".").count == 2)
        #expect(LibPQ.isThreadSafe)
    }

    @Test("protobuf-c reports the version its headers declare")
    func protobufC() throws {
        let runtime = protobuf_c_version_number()
        #expect(runtime >= 1_000_000)
        #expect(runtime == dh_protobuf_c_header_version_number())
        let text = try #require(protobuf_c_version())
        #expect(String(cString: text).split(separator: ".").count == 3)
    }
}
