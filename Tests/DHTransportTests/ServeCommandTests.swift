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
    @Test("serves on loopback with the shipped policy, reloads it on SIGHUP, and stops cleanly on SIGTERM")
    func serveAndStop() async throws {
        let pki = try TransportPKI()
        let policy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/policy.conf").path
        let command = try ServeCommand.parse([
            "--pki", pki.directory.path, "--listen", "127.0.0.1:0", "--data-dir", pki.path("data"), "--policy", policy,
        ])
        let (lines, input) = AsyncStream<String>.makeStream()
        try await withTimeLimit {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await command.serve { line in input.yield(line) }
                    input.finish()
                }
                var iterator = lines.makeAsyncIterator()
                var startup: [String] = []
                while let line = await iterator.next() {
                    startup.append(line)
                    if line.hasPrefix("dh serve: listening") { break }
                }
                #expect(startup.contains { $0.hasPrefix("dh serve: serving ") && $0.contains("datahealth.v1.CareRecordService") })
                #expect(startup.contains("dh serve: applied migration 3 care records"))
                let listening = try #require(startup.last)
                #expect(listening.hasPrefix("dh serve: listening on 127.0.0.1:"))
                let port = try #require(Int(listening.split(separator: ":").last ?? ""))

                let client = makeClient(port: port, tls: try pki.clientContext())
                await expectStatus(.unimplemented) {
                    let _: Response = try await RPCClient(transport: client).unary(
                        EchoMethods.get, request: request("x"))
                }
                await client.close()

                // The signals go to this process, where `dh serve` handles them.
                kill(getpid(), SIGHUP)
                #expect(await iterator.next() == "dh serve: policy unchanged (\(policy))")
                kill(getpid(), SIGTERM)
                var rest: [String] = []
                while let line = await iterator.next() { rest.append(line) }
                try await group.waitForAll()
                #expect(rest.first?.hasPrefix("dh serve: shutting down") == true)
                #expect(rest.contains("dh serve: database: embedded cluster stopped"))
                #expect(rest.last == "dh serve: stopped")
            }
        }
    }
}
