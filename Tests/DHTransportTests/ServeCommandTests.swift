import DHRPC
import DHTransport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("dh serve")
struct ServeCommandTests {
    /// The `dh` binary built next to the test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dh")
    }

    @Test("serves a PKI directory on loopback (UNIMPLEMENTED: no services yet) and stops cleanly on SIGTERM")
    func serveAndStop() async throws {
        let pki = try TransportPKI()
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "\(Self.binary.path)")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--pki", pki.directory.path, "--listen", "127.0.0.1:0"]
        let output = Pipe()
        process.standardOutput = output
        let (exited, exit) = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in
            exit.yield()
            exit.finish()
        }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The first line names the port.
        var text = ""
        for _ in 0..<100 where !text.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let line = try #require(text.split(separator: "\n").first)
        #expect(line.hasPrefix("dh serve: listening on 127.0.0.1:"))
        let port = try #require(Int(line.split(separator: ":").last ?? ""))

        let client = makeClient(port: port, tls: try pki.clientContext())
        await expectStatus(.unimplemented) {
            let _: Response = try await RPCClient(transport: client).unary(EchoMethods.get, request: request("x"))
        }
        await client.close()

        kill(process.processIdentifier, SIGTERM)
        let stopped = try? await withTimeLimit(.seconds(30)) {
            for await _ in exited { return true }
            return true
        }
        guard stopped == true else {
            kill(process.processIdentifier, SIGKILL)
            return
        }
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: rest, as: UTF8.self).contains("dh serve: stopped"))
    }
}
