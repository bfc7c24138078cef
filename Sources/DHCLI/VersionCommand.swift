internal import ArgumentParser
internal import DHStorage
internal import DHTLS

/// `dh version`: the release, and with `--libraries` the C libraries loaded at run time.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the DataHealth release and the C libraries it runs on.",
        discussion: """
            Examples:
              dh version
              dh version --libraries
            """
    )

    @Flag(help: "Also print the versions of OpenSSL and libpq loaded at run time.")
    var libraries = false

    func run() throws {
        print("dh \(DataHealthVersion.current)")
        guard libraries else { return }
        let openssl = OpenSSLLibrary.version
        let supported = OpenSSLLibrary.isSupported && OpenSSLLibrary.supportsTLS13Only()
        print(
            "openssl \(openssl.major).\(openssl.minor).\(openssl.patch) (\(OpenSSLLibrary.versionText))"
                + (supported ? "; TLS 1.3 only: available" : "; TLS 1.3 only: NOT available"))
        print("libpq \(LibPQ.version)" + (LibPQ.isThreadSafe ? "; thread-safe" : "; NOT thread-safe"))
        if !supported {
            throw ExitCode.failure
        }
    }
}
