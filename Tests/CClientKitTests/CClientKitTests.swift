import DHCareRecord
import DHIdentity
import DHRPC
import DHSchemas
import DHTLS
import DHTestSupport
import DHTransport
import DHWire
import Foundation
import Testing

/// The Echo service the C test program calls: unary, client and server streaming.
private struct EchoService: RPCService {
    static let get = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Get", kind: .unary)
    static let collect = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Collect", kind: .clientStreaming)
    static let expand = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Expand", kind: .serverStreaming)

    func register(with router: inout RPCRouter) {
        router.registerUnary(Self.get) { (request: Dh_Echo_V1_EchoRequest, context) in
            if request.delayMs > 0 { try await Task.sleep(for: .milliseconds(Int(request.delayMs))) }
            if request.failWithCode != 0 {
                throw RPCError(code: RPCStatus.Code(wireValue: UInt8(request.failWithCode)), message: "asked to fail")
            }
            var response = Dh_Echo_V1_EchoResponse()
            response.text = request.text
            response.peer = context.peer.uri
            response.payload = request.payload
            return response
        }
        router.registerClientStreaming(Self.collect) {
            (requests: RPCAsyncSequence<Dh_Echo_V1_EchoRequest>, context) in
            var count: Int64 = 0
            var bytes = 0
            var last = ""
            for try await request in requests {
                count += 1
                bytes += request.payload.count
                last = request.text
            }
            var response = Dh_Echo_V1_EchoResponse()
            response.text = "\(last) \(bytes)"
            response.sequence = count
            return response
        }
        router.registerServerStreaming(Self.expand) {
            (request: Dh_Echo_V1_EchoRequest, responses: RPCWriter<Dh_Echo_V1_EchoResponse>, context) in
            for index in 0..<request.sequence {
                var response = Dh_Echo_V1_EchoResponse()
                response.sequence = index
                response.payload = request.payload
                try await responses.write(response)
            }
        }
    }
}

/// The C kit built once per test run into a temporary directory, with certificates for it.
private final class Kit: Sendable {
    static let shared = Result { try Kit() }

    let directory: URL
    let testProgram: String
    let example: String
    let pki: DevelopmentPKI

    init() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dh-ckit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let make = try Subprocess.find("make", package: "make")
        _ = try Subprocess.find("protoc-c", package: "protobuf-c-compiler")
        var arguments = [
            "-s", "-C", root.appendingPathComponent("deploy/clients/c").path,
            "BUILD=\(directory.appendingPathComponent("build").path)", "all", "test-program",
        ]
        // -O0 keeps the build light while other suites run; DH_CKIT_CFLAGS, e.g.
        // "-O1 -g -fsanitize=address,undefined", builds the kit with other flags.
        arguments.append("CFLAGS=\(ProcessInfo.processInfo.environment["DH_CKIT_CFLAGS"] ?? "-O0 -g")")
        // Kit.shared is first read on a Dispatch thread (below), where blocking is harmless.
        let built = try Subprocess.runBlocking(make, arguments)
        guard built.status == 0 else {
            throw Subprocess.Failure("make for the C kit exited \(built.status): \(built.stderr)")
        }
        testProgram = directory.appendingPathComponent("build/dhrpc-test").path
        example = directory.appendingPathComponent("build/dh-gateway-example").path
        // Gateways are named by their institution's 10-digit code (医療機関コード).
        pki = try DevelopmentPKI.make(organization: "1312345678")
        try write(pki, under: "pki")
        // A gateway certificate from a CA the server does not trust.
        try write(try DevelopmentPKI.make(), under: "untrusted")
    }

    private func write(_ pki: DevelopmentPKI, under folder: String) throws {
        for file in pki.files {
            let url = directory.appendingPathComponent(folder).appendingPathComponent(file.name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func serverContext() throws -> TLSContext {
        try TLSContext(
            configuration: .server(
                certificateChain: .file(path("pki/server.crt.pem")), privateKey: .file(path("pki/server.key.pem")),
                trustRoots: [.file(path("pki/ca.crt.pem"))]))
    }

    /// Runs the C test program's `testCase` against `port` as the client in `folder`.
    func run(_ testCase: String, port: Int, clientFolder folder: String = "pki") async throws -> Subprocess.Output {
        try await Subprocess.run(
            testProgram,
            [
                testCase, String(port), path("pki/ca.crt.pem"), path("\(folder)/clients/gateway.crt.pem"),
                path("\(folder)/clients/gateway.key.pem"),
            ])
    }

    /// Runs dh-gateway-example as the development gateway against `port`.
    func runExample(port: Int, _ arguments: [String]) async throws -> Subprocess.Output {
        try await Subprocess.run(
            example,
            [
                "--host", "127.0.0.1", "--port", String(port), "--ca", path("pki/ca.crt.pem"),
                "--cert", path("pki/clients/gateway.crt.pem"), "--key", path("pki/clients/gateway.key.pem"),
            ] + arguments)
    }
}

/// Serves `service` (by default Echo) over real mutual TLS on 127.0.0.1 while `body` runs.
private func withEchoServer(
    _ service: any RPCService = EchoService(), connection: RPCConnectionConfiguration = .server,
    _ body: @escaping @Sendable (Kit, Int) async throws -> Void
) async throws {
    let kit = try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try Kit.shared.get() }) }
    }
    var configuration = TLSServerTransport.Configuration(host: "127.0.0.1", port: 0)
    configuration.connection = connection
    let transport = TLSServerTransport(tls: try kit.serverContext(), configuration: configuration)
    let server = RPCServer(services: [service])
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve(on: transport) }
        defer { transport.beginGracefulShutdown() }
        let port = try await transport.listeningPort()
        try await body(kit, port)
    }
}

@Suite("C client kit against the TLS server", .serialized, .timeLimit(.minutes(1)))
struct CClientKitTests {
    @Test("unary calls with protobuf-c messages and raw bytes, metadata and the caller's identity")
    func unary() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("unary", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("unary OK text=hello from C peer=dh://"))
            #expect(output.stdoutText.contains("unary-raw OK text=raw"))
        }
    }

    @Test("a client stream of 200 KiB waits for the server's credit and gets one response")
    func clientStreaming() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("client-stream", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("client-stream OK count=200 text=r199 204800"))
        }
    }

    @Test("a server stream of 400 KiB is read in order while the client returns credit")
    func serverStreaming() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("server-stream", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("server-stream OK count=100 in_order=1"))
        }
    }

    @Test("a 1 MiB message each way, larger than the stream window")
    func largeMessage() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("large", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("large OK bytes=1048576 same=1"))
        }
    }

    @Test("an error status reaches the caller with its message; an unknown method is UNIMPLEMENTED")
    func errorStatus() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("error", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("error NOT_FOUND message=asked to fail"))
            #expect(output.stdoutText.contains("unknown-method UNIMPLEMENTED"))
        }
    }

    @Test("an expired deadline is DEADLINE_EXCEEDED and the connection serves the next call")
    func deadline() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("deadline", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("deadline DEADLINE_EXCEEDED"))
            #expect(output.stdoutText.contains("after-deadline OK"))
        }
    }

    @Test("the client answers the server's keepalive PINGs while it waits for a slow response")
    func keepalivePing() async throws {
        var connection = RPCConnectionConfiguration.server
        connection.keepaliveInterval = .milliseconds(100)
        connection.keepaliveTimeout = .milliseconds(800)
        try await withEchoServer(connection: connection) { kit, port in
            let output = try await kit.run("ping", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("ping OK"))
        }
    }

    @Test("after the server's GOAWAY a call fails with UNAVAILABLE and the connection is no longer usable")
    func goaway() async throws {
        var connection = RPCConnectionConfiguration.server
        connection.idleTimeout = .milliseconds(500)
        try await withEchoServer(connection: connection) { kit, port in
            let output = try await kit.run("goaway", port: port)
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("goaway first=OK second=UNAVAILABLE usable=0"), "\(output.stdoutText)")
        }
    }

    @Test("a client certificate from an untrusted CA is reported as rejected by the server")
    func untrustedClientCertificate() async throws {
        try await withEchoServer { kit, port in
            let output = try await kit.run("connect", port: port, clientFolder: "untrusted")
            #expect(output.status == 2, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("connect-error CLIENT_CERTIFICATE"), "\(output.stdoutText)")
            #expect(output.stdoutText.contains("rejected the client certificate"), "\(output.stdoutText)")
            // The server still serves a trusted client.
            let good = try await kit.run("connect", port: port)
            #expect(good.status == 0, "\(good.stdoutText) \(good.stderr)")
        }
    }

    @Test("dh-gateway-example submits sample care records and reads a patient summary")
    func gatewayExample() async throws {
        let service = CareRecordService(
            repository: InMemoryCareRecordRepository(), consent: InMemoryConsentStore(),
            pseudonymizer: PatientPseudonymizer(secret: [UInt8](repeating: 0x5A, count: 32)))
        try await withEchoServer(service) { kit, port in
            let first = try await kit.runExample(port: port, ["submit", "--sample", "300", "--batch", "64"])
            #expect(first.status == 0, "\(first.stdoutText) \(first.stderr)")
            #expect(first.stdoutText.contains("sample-allergy-299 ACCEPTED version=1"), "\(first.stdoutText)")
            #expect(first.stdoutText.contains("submitted 300: accepted 300, duplicate 0, rejected 0"))
            // A retry changes nothing.
            let retry = try await kit.runExample(port: port, ["submit", "--sample", "300"])
            #expect(
                retry.stdoutText.contains("submitted 300: accepted 0, duplicate 300, rejected 0"), "\(retry.stdoutText)"
            )
            let summary = try await kit.runExample(port: port, ["summary", "--insured", "06139999:SAMPLE:0000003:00"])
            #expect(summary.status == 0, "\(summary.stdoutText) \(summary.stderr)")
            #expect(summary.stdoutText.contains(": 1 items"), "\(summary.stdoutText)")
            #expect(summary.stdoutText.contains("allergy version=1 from 1312345678"), "\(summary.stdoutText)")
        }
    }

    @Test("dh-gateway-example submits length-delimited CareRecords from a file and prints each outcome")
    func gatewayExampleFromFile() async throws {
        let service = CareRecordService(
            repository: InMemoryCareRecordRepository(), consent: InMemoryConsentStore(),
            pseudonymizer: PatientPseudonymizer(secret: [UInt8](repeating: 0x5A, count: 32)))
        try await withEchoServer(service) { kit, port in
            var file: [UInt8] = []
            for (index, category) in [Datahealth_V1_Allergy.Category.food, .unspecified].enumerated() {
                var record = Datahealth_V1_CareRecord()
                record.idempotencyKey = "file-\(index)"
                record.submissionID = "1312345678^2026^file-\(index)"
                record.operation = .create
                var insured = Datahealth_V1_InsuredPersonId()
                insured.insurerNumber = "06130019"
                insured.number = "1234567"
                insured.branchNumber = "01"
                record.patient.insured = insured
                record.provenance.institution.code = "1312345678"
                record.provenance.recordedAt.seconds = Int64(Date().timeIntervalSince1970) - 60
                var allergy = Datahealth_V1_Allergy()
                allergy.category = category
                allergy.substance.text = "egg"
                record.item = .allergy(allergy)
                let bytes = record.serializedBytes()
                var length = bytes.count
                while length >= 0x80 {
                    file.append(UInt8(length & 0x7F) | 0x80)
                    length >>= 7
                }
                file.append(UInt8(length))
                file += bytes
            }
            let path = kit.path("records.bin")
            try Data(file).write(to: URL(fileURLWithPath: path))
            let output = try await kit.runExample(port: port, ["submit", "--records", path])
            #expect(output.status == 0, "\(output.stdoutText) \(output.stderr)")
            #expect(output.stdoutText.contains("file-0 ACCEPTED version=1"), "\(output.stdoutText)")
            #expect(output.stdoutText.contains("file-1 REJECTED allergy.category:"), "\(output.stdoutText)")
            #expect(output.stdoutText.contains("submitted 2: accepted 1, duplicate 0, rejected 1"))
        }
    }
}
