import DHRPC
import DHTransport
import Foundation
import Testing

@testable import DHCLI

#if canImport(Glibc)
import Glibc
#endif

@Suite("dh serve")
struct ServeCommandTests {
    @Test("serves a PKI directory on loopback (UNIMPLEMENTED: no services yet) and stops cleanly on SIGTERM")
    func serveAndStop() async throws {
        let pki = try TransportPKI()
        let command = try ServeCommand.parse(["--pki", pki.directory.path, "--listen", "127.0.0.1:0"])
        let (lines, input) = AsyncStream<String>.makeStream()
        try await withTimeLimit {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await command.serve { line in input.yield(line) }
                    input.finish()
                }
                var iterator = lines.makeAsyncIterator()
                let listening = try #require(await iterator.next())
                #expect(listening.hasPrefix("dh serve: listening on 127.0.0.1:"))
                let port = try #require(Int(listening.split(separator: ":").last ?? ""))

                let client = makeClient(port: port, tls: try pki.clientContext())
                await expectStatus(.unimplemented) {
                    let _: Response = try await RPCClient(transport: client).unary(
                        EchoMethods.get, request: request("x"))
                }
                await client.close()

                // The signal goes to this process, where `dh serve` handles it.
                kill(getpid(), SIGTERM)
                var rest: [String] = []
                while let line = await iterator.next() { rest.append(line) }
                try await group.waitForAll()
                #expect(rest.first?.hasPrefix("dh serve: shutting down") == true)
                #expect(rest.last == "dh serve: stopped")
            }
        }
    }
}
