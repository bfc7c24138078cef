// The dh-rpc/1 transport over mutual TLS 1.3 on loopback: one process runs the server and
// the client, each on its own event loops, as the figures (a)-(c) ask.
//
//   swift run -c release --package-path Benchmarks TransportBenchmarks [--quick]

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

struct Latencies {
    var samples: [Duration] = []

    func percentile(_ p: Double) -> Duration {
        guard !samples.isEmpty else { return .zero }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

func microseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let micros = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    return String(format: micros < 10 ? "%.1f µs" : "%.0f µs", micros)
}

func seconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) + Double(attoseconds) / 1e18
}

/// CPU time the process used so far (user and system), which a loaded machine disturbs less
/// than wall-clock time.
func cpuTime() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

/// The process's resident memory (VmRSS), in bytes.
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
    return 0
}

@main
enum TransportBenchmarks {
    static func main() async throws {
        let quick = CommandLine.arguments.contains("--quick")
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
        let serverTLS = try TLSContext(
            configuration: .server(
                certificateChain: path("server.crt.pem"), privateKey: path("server.key.pem"),
                trustRoots: [path("ca.crt.pem")], revocationLists: [path("ca.crl.pem")]))
        let clientTLS = try TLSContext(
            configuration: .client(
                certificateChain: path("clients/gateway.crt.pem"), privateKey: path("clients/gateway.key.pem"),
                trustRoots: [path("ca.crt.pem")]))

        let transport = TLSServerTransport(tls: serverTLS)
        let server = RPCServer(services: [BenchmarkEcho()])
        let serving = Task { try await server.serve(on: transport) }
        let port = try await transport.listeningPort()
        let clientTransport = TLSClientTransport(host: "127.0.0.1", port: port, tls: clientTLS)
        let client = RPCClient(transport: clientTransport)

        let message = {
            var message = Request()
            message.payload = [UInt8](repeating: 0x5A, count: 1024)
            return message
        }()
        print("dh-rpc/1 over mutual TLS 1.3, loopback, 1 KiB messages, one connection")

        // Warm up: connection, TLS, allocator.
        for _ in 0..<500 { let _: Response = try await client.unary(EchoMethods.get, request: message) }

        // (a) Sequential unary.
        var sequential = Latencies()
        sequential.samples.reserveCapacity(sequentialCalls)
        let clock = ContinuousClock()
        let sequentialStart = clock.now
        let sequentialCPU = cpuTime()
        for index in 0..<sequentialCalls {
            var request = message
            request.sequence = Int64(index)
            let start = clock.now
            let _: Response = try await client.unary(EchoMethods.get, request: request)
            sequential.samples.append(clock.now - start)
        }
        let sequentialTime = clock.now - sequentialStart
        let sequentialCPUPerCall = (cpuTime() - sequentialCPU) / sequentialCalls
        print(
            "(a) sequential unary: \(sequentialCalls) calls, \(Int(Double(sequentialCalls) / seconds(sequentialTime))) calls/s, "
                + "p50 \(microseconds(sequential.percentile(0.5))), p99 \(microseconds(sequential.percentile(0.99))), "
                + "CPU \(microseconds(sequentialCPUPerCall)) per call (client and server)")

        // (b) 32 calls in flight.
        let inFlight = 32
        let perTask = concurrentCalls / inFlight
        let concurrentStart = clock.now
        let concurrentCPU = cpuTime()
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
        let concurrentCPUPerCall = (cpuTime() - concurrentCPU) / (perTask * inFlight)
        print(
            "(b) unary, 32 in flight: \(perTask * inFlight) calls, "
                + "\(Int(Double(perTask * inFlight) / seconds(concurrentTime))) calls/s, "
                + "p50 \(microseconds(concurrent.percentile(0.5))), p99 \(microseconds(concurrent.percentile(0.99))), "
                + "CPU \(microseconds(concurrentCPUPerCall)) per call")

        // (c) Client streaming.
        let streamStart = clock.now
        let streamCPU = cpuTime()
        let summary: Response = try await client.clientStreaming(EchoMethods.collect) { (writer: RPCWriter<Request>) in
            for _ in 0..<streamMessages { try await writer.write(message) }
        }
        let streamTime = clock.now - streamStart
        precondition(summary.sequence == Int64(streamMessages))
        let rate = Double(streamMessages) / seconds(streamTime)
        let streamCPUPerMessage = (cpuTime() - streamCPU) / streamMessages
        print(
            "(c) client stream: \(streamMessages) × 1 KiB, \(Int(rate)) msgs/s, "
                + String(format: "%.1f MB/s", rate * 1024 / 1_000_000)
                + ", CPU \(microseconds(streamCPUPerMessage)) per message")

        // (d) Memory per idle connection: resident memory before and after opening idle
        // connections (each made by one call). Client and server share this process, so the
        // figure holds both ends of each connection.
        let idleConnections = quick ? 50 : 200
        let before = residentBytes()
        var idle: [TLSClientTransport] = []
        for _ in 0..<idleConnections {
            let extra = TLSClientTransport(host: "127.0.0.1", port: port, tls: clientTLS)
            let _: Response = try await RPCClient(transport: extra).unary(EchoMethods.get, request: Request())
            idle.append(extra)
        }
        let after = residentBytes()
        precondition(transport.connectionCount >= idleConnections)
        print(
            "(d) idle connections: \(idleConnections), resident memory +\((after - before) / idleConnections / 1024) KiB "
                + "per connection (client and server ends together)")
        for extra in idle { await extra.close() }

        await clientTransport.close()
        transport.beginGracefulShutdown()
        try await serving.value
    }
}
