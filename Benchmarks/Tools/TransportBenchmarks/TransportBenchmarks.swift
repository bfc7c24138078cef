// The dh-rpc/1 transport over mutual TLS 1.3 on loopback: one process runs the server and
// the client, each on its own event loops, as the figures (a)-(c) ask.
//
//   swift run -c release --package-path Benchmarks TransportBenchmarks [--quick] [--only a,a',b,c,d]
//       [--event-loops-as-global-executor]

import CHeapStats
import DHIdentity
import DHRPC
import DHTLS
import DHTransport
import DHWire
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

typealias Request = Dh_Echo_V1_EchoRequest
typealias Response = Dh_Echo_V1_EchoResponse

enum EchoMethods {
    static let get = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Get", kind: .unary)
    static let collect = MethodDescriptor(service: "dh.echo.v1.Echo", method: "Collect", kind: .clientStreaming)
}

/// Echoes unary requests; counts streamed ones.
struct BenchmarkEcho: RPCService {
    func register(with router: inout RPCRouter) {
        router.registerUnary(EchoMethods.get) { (request: Request, _) in
            var response = Response()
            response.sequence = request.sequence
            response.payload = request.payload
            return response
        }
        router.registerClientStreaming(EchoMethods.collect) { (requests: RPCAsyncSequence<Request>, _) in
            var response = Response()
            for try await request in requests {
                response.sequence += 1
                response.payload = request.payload.isEmpty ? [] : [request.payload[0]]
            }
            return response
        }
    }
}

@main
enum TransportBenchmarks {
    static func main() async throws {
        // `--event-loops-as-global-executor`: the program opts in to running its tasks on the
        // transport's event loops (TransportExecution), before any task starts.
        if CommandLine.arguments.contains("--event-loops-as-global-executor") {
            guard TransportExecution.useEventLoopsAsGlobalExecutor() else {
                print("the event loops could not be made the global executor")
                exit(1)
            }
        }
        // `main` is isolated to the main actor; the clients run as callers usually do, in tasks
        // on the global executor.
        try await Task.detached { try await run() }.value
    }

    /// `--idle-clients PORT N DIRECTORY`: opens N connections to the server, one call each,
    /// prints "ready" and keeps them open until standard input closes.
    static func idleClients(port: Int, count: Int, directory: String) async throws {
        let tls = try TLSContext(
            configuration: .client(
                certificateChain: .file(directory + "/clients/gateway.crt.pem"),
                privateKey: .file(directory + "/clients/gateway.key.pem"),
                trustRoots: [.file(directory + "/ca.crt.pem")]))
        var idle: [TLSClientTransport] = []
        for _ in 0..<count {
            let transport = TLSClientTransport(host: "127.0.0.1", port: port, tls: tls)
            let _: Response = try await RPCClient(transport: transport).unary(EchoMethods.get, request: Request())
            idle.append(transport)
        }
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        while readLine() != nil {}
        for transport in idle { await transport.close() }
    }

    /// `--serve DIRECTORY`: the echo server alone, with the PKI in DIRECTORY; prints its port and
    /// serves until standard input closes (the server process of `--two-processes`).
    static func serveAlone(directory: String) async throws {
        let (transport, serving) = try startServer(tls: serverContext(directory: directory))
        let port = try await transport.listeningPort()
        FileHandle.standardOutput.write(Data("port \(port)\n".utf8))
        // Waits for standard input to close on a thread of its own.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                while readLine() != nil {}
                continuation.resume()
            }
        }
        transport.beginGracefulShutdown()
        try await serving.value
    }

    /// The server's TLS context, from the PKI in `directory`.
    static func serverContext(directory: String) throws -> TLSContext {
        func path(_ name: String) -> TLSConfiguration.Material { .file(directory + "/" + name) }
        return try TLSContext(
            configuration: .server(
                certificateChain: path("server.crt.pem"), privateKey: path("server.key.pem"),
                trustRoots: [path("ca.crt.pem")], revocationLists: [path("ca.crl.pem")]))
    }

    /// The echo server on 127.0.0.1. Its handlers are short and never block: they run on their
    /// connection's event loop, as gRPC C++'s callback handlers run on its polling threads.
    static func startServer(tls: TLSContext) -> (TLSServerTransport, Task<Void, any Error>) {
        let transport = TLSServerTransport(tls: tls, configuration: .init(handlerExecution: .connectionEventLoop))
        let server = RPCServer(services: [BenchmarkEcho()])
        return (transport, Task { try await server.serve(on: transport) })
    }

    static func run() async throws {
        let arguments = CommandLine.arguments
        if let index = arguments.firstIndex(of: "--idle-clients"), index + 3 < arguments.count,
            let port = Int(arguments[index + 1]), let count = Int(arguments[index + 2])
        {
            try await idleClients(port: port, count: count, directory: arguments[index + 3])
            return
        }
        if let index = arguments.firstIndex(of: "--serve"), index + 1 < arguments.count {
            try await serveAlone(directory: arguments[index + 1])
            return
        }
        // `--two-processes`: the server runs in a child process, as gRPC C++'s does; CPU time then
        // adds the child's.
        let twoProcesses = arguments.contains("--two-processes")
        let quick = arguments.contains("--quick")
        // `--only a,c` runs just those figures (for profiling one of them).
        let only = arguments.firstIndex(of: "--only").flatMap { index in
            index + 1 < arguments.count ? Set(arguments[index + 1].split(separator: ",").map(String.init)) : nil
        }
        func runs(_ figure: String) -> Bool { only?.contains(figure) ?? true }
        let sequentialCalls = quick ? 2_000 : 20_000
        let concurrentCalls = quick ? 8_000 : 64_000
        let streamMessages = quick ? 10_000 : 50_000

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dh-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try DevelopmentPKI.make()
        for file in pki.files {
            let url = directory.appendingPathComponent(file.name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.contents.write(to: url, atomically: true, encoding: .utf8)
        }
        func path(_ name: String) -> TLSConfiguration.Material { .file(directory.appendingPathComponent(name).path) }
        let serverTLS = try serverContext(directory: directory.path)
        let clientTLS = try TLSContext(
            configuration: .client(
                certificateChain: path("clients/gateway.crt.pem"), privateKey: path("clients/gateway.key.pem"),
                trustRoots: [path("ca.crt.pem")]))

        let (transport, serving) = startServer(tls: serverTLS)
        var port = try await transport.listeningPort()
        var serverProcess: (process: Process, input: Pipe)?
        if twoProcesses {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--serve", directory.path]
            let input = Pipe()
            let output = Pipe()
            child.standardInput = input
            child.standardOutput = output
            try child.run()
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard line.hasPrefix("port "), let childPort = Int(line.dropFirst(5).prefix { $0.isNumber }) else {
                print("the server process did not start: \(line)")
                exit(1)
            }
            port = childPort
            serverProcess = (child, input)
        }
        // CPU time of the client and the server, wherever the server runs.
        func callsCPUTime() -> Duration {
            cpuTime() + (serverProcess.map { processCPUTime(pid: $0.process.processIdentifier) } ?? .zero)
        }
        let clientTransport = TLSClientTransport(host: "127.0.0.1", port: port, tls: clientTLS)
        let client = RPCClient(transport: clientTransport)

        let message = {
            var message = Request()
            message.payload = [UInt8](repeating: 0x5A, count: 1024)
            return message
        }()
        print(
            "dh-rpc/1 over mutual TLS 1.3, loopback, 1 KiB messages, one connection"
                + (twoProcesses ? "; server and client in two processes" : "; server and client in one process")
                + (arguments.contains("--event-loops-as-global-executor")
                    ? "; tasks on the event loops (TransportExecution.useEventLoopsAsGlobalExecutor)" : ""))

        // Warm up: connection, TLS, allocator.
        for _ in 0..<500 { let _: Response = try await client.unary(EchoMethods.get, request: message) }

        // `--deadline`: sequential calls carry a deadline (10 s), as callers' calls usually do.
        var callOptions = CallOptions()
        if arguments.contains("--deadline") { callOptions.timeout = .seconds(10) }
        let clock = ContinuousClock()
        // (a) Sequential unary: from a task on Swift's global executor, as most callers are,
        // and (a') from a task that prefers the connection's event loop (`client.executor`).
        func sequential(label: String) async throws {
            var sequential = Latencies()
            sequential.samples.reserveCapacity(sequentialCalls)
            let sequentialStart = clock.now
            let sequentialCPU = callsCPUTime()
            for index in 0..<sequentialCalls {
                var request = message
                request.sequence = Int64(index)
                let start = clock.now
                let _: Response = try await client.unary(EchoMethods.get, request: request, options: callOptions)
                sequential.samples.append(clock.now - start)
            }
            let sequentialTime = clock.now - sequentialStart
            let sequentialCPUPerCall = (callsCPUTime() - sequentialCPU) / sequentialCalls
            print(
                "\(label): \(sequentialCalls) calls, \(Int(Double(sequentialCalls) / seconds(sequentialTime))) calls/s, "
                    + "p50 \(microseconds(sequential.percentile(0.5))), p99 \(microseconds(sequential.percentile(0.99))), "
                    + "CPU \(microseconds(sequentialCPUPerCall)) per call (client and server)")
        }
        if runs("a") {
            try await sequential(label: "(a) sequential unary")
        }
        if runs("a'") {
            try await withTaskExecutorPreference(clientTransport.executor) {
                try await sequential(label: "(a') sequential unary, caller on the connection's event loop")
            }
        }

        // (b) 32 calls in flight.
        if runs("b") {
            let inFlight = 32
            let perTask = concurrentCalls / inFlight
            let concurrentStart = clock.now
            let concurrentCPU = callsCPUTime()
            let concurrent = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<inFlight {
                    group.addTask {
                        var samples: [Duration] = []
                        samples.reserveCapacity(perTask)
                        for _ in 0..<perTask {
                            let start = clock.now
                            let _: Response = try await client.unary(EchoMethods.get, request: message)
                            samples.append(clock.now - start)
                        }
                        return samples
                    }
                }
                var all = Latencies()
                for try await samples in group { all.samples += samples }
                return all
            }
            let concurrentTime = clock.now - concurrentStart
            let concurrentCPUPerCall = (callsCPUTime() - concurrentCPU) / (perTask * inFlight)
            print(
                "(b) unary, 32 in flight: \(perTask * inFlight) calls, "
                    + "\(Int(Double(perTask * inFlight) / seconds(concurrentTime))) calls/s, "
                    + "p50 \(microseconds(concurrent.percentile(0.5))), p99 \(microseconds(concurrent.percentile(0.99))), "
                    + "CPU \(microseconds(concurrentCPUPerCall)) per call")
        }

        // (c) Client streaming.
        if runs("c") {
            let streamStart = clock.now
            let streamCPU = callsCPUTime()
            let summary: Response = try await client.clientStreaming(EchoMethods.collect) {
                (writer: RPCWriter<Request>) in
                for _ in 0..<streamMessages { try await writer.write(message) }
            }
            let streamTime = clock.now - streamStart
            precondition(summary.sequence == Int64(streamMessages))
            let rate = Double(streamMessages) / seconds(streamTime)
            let streamCPUPerMessage = (callsCPUTime() - streamCPU) / streamMessages
            print(
                "(c) client stream: \(streamMessages) × 1 KiB, \(Int(rate)) msgs/s, "
                    + String(format: "%.1f MB/s", rate * 1024 / 1_000_000)
                    + ", CPU \(microseconds(streamCPUPerMessage)) per message")
        }

        if runs("tls-memory"), !twoProcesses {
            // The TLS layer's share of (d): server TLS connections after their handshakes with
            // in-process clients, the clients then released.
            var servers: [TLSConnection] = []
            var clients: [TLSConnection] = []
            let heap0 = dh_heap_in_use()
            for _ in 0..<200 {
                let client = try TLSConnection(context: clientTLS, serverName: "localhost")
                let server = try TLSConnection(context: serverTLS)
                var toServer = client.startHandshake().ciphertext
                for _ in 0..<10 where !toServer.isEmpty {
                    let fromServer = server.receive(toServer).ciphertext
                    toServer = client.receive(fromServer).ciphertext
                }
                precondition(server.state == .established)
                servers.append(server)
                clients.append(client)
            }
            let heap1 = dh_heap_in_use()
            clients = []
            let heap2 = dh_heap_in_use()
            print("TLS only: pair +\((heap1 - heap0) / 200) B, server +\((heap2 - heap0) / 200) B heap per connection")
            servers = []
            let heap3 = dh_heap_in_use()
            for _ in 0..<200 { servers.append(try TLSConnection(context: serverTLS)) }
            print("TLS only: new server connection +\((dh_heap_in_use() - heap3) / 200) B before its handshake")
            servers = []
        }

        // (d) The server's memory per idle connection: its resident memory before and after
        // another process (this program with `--idle-clients`) opened idle connections, each
        // made by one call and then left open.
        if runs("d"), !twoProcesses {
            let idleConnections = quick ? 50 : 200
            let before = residentBytes()
            let heapBefore = dh_heap_in_use()
            let connectionsBefore = transport.connectionCount
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--idle-clients", String(port), String(idleConnections), directory.path]
            let input = Pipe()
            let output = Pipe()
            child.standardInput = input
            child.standardOutput = output
            try child.run()
            // The child prints one line once every connection made its call.
            let ready = output.fileHandleForReading.availableData
            precondition(String(decoding: ready, as: UTF8.self).hasPrefix("ready"), "the idle clients failed")
            let after = residentBytes()
            let heapAfter = dh_heap_in_use()
            precondition(transport.connectionCount >= connectionsBefore + idleConnections)
            print(
                "(d) idle connections: \(idleConnections), server resident memory "
                    + String(format: "+%.1f KiB", Double(after - before) / Double(idleConnections) / 1024)
                    + " per connection (heap in use "
                    + String(
                        format: "+%.1f KiB)", Double(Int(heapAfter) - Int(heapBefore)) / Double(idleConnections) / 1024)
            )
            try input.fileHandleForWriting.close()
            child.waitUntilExit()
        }

        await clientTransport.close()
        if let serverProcess {
            try serverProcess.input.fileHandleForWriting.close()
            serverProcess.process.waitUntilExit()
        }
        transport.beginGracefulShutdown()
        try await serving.value
    }
}
