import DHIdentity
import DHServer
import DHTLS
import DHTestSupport
import Foundation
import Testing

/// `dh call`, `dh list` and `dh describe` as operators run them: the dh binary against a server.
@Suite("dh call, list and describe against a running server", .timeLimit(.minutes(3)))
struct ToolTests {
    static let dh = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/dh").path

    /// Writes a client certificate for `identity` and returns the flags that use it.
    func flags(_ fixture: ServerFixture, _ identity: String, name: String) throws -> [String] {
        let now = Date()
        let issued = try fixture.authority.issueWithNewKey(
            .client(identity: try PeerIdentity(uri: identity), notBefore: now - 300, notAfter: now + 86_400))
        let base = fixture.directory + "/" + name
        try issued.certificate.pemString.write(toFile: base + ".crt.pem", atomically: true, encoding: .utf8)
        try issued.privateKey.pemString.write(toFile: base + ".key.pem", atomically: true, encoding: .utf8)
        try fixture.authority.certificate.pemString.write(
            toFile: fixture.directory + "/ca.crt.pem", atomically: true, encoding: .utf8)
        return ["--cert", base + ".crt.pem", "--key", base + ".key.pem", "--ca", fixture.directory + "/ca.crt.pem"]
    }

    @Test("list, describe, and calls of every kind, with exit codes that follow the status")
    func tools() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.dh), "build dh first (make test does)")
        let fixture = try ServerFixture()
        let server = try await DataHealthServer.start(fixture.configuration()) { _ in }
        let running = Task { try await server.run() }
        defer {
            server.beginGracefulShutdown()
        }
        let target = "127.0.0.1:\(try await server.listeningPort())"
        let ops = try flags(fixture, "dh://datahealth/ops/op-1", name: "ops")
        let gateway = try flags(fixture, "dh://\(hospitalA)/gateway/gw-01", name: "gateway")
        let researcher = try flags(fixture, "dh://r-univ-01/researcher/res-7", name: "researcher")

        let listed = try await Subprocess.run(Self.dh, ["list", target] + ops)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(
            listed.stdoutText
                == "datahealth.ops.v1.Health\ndatahealth.ops.v1.Reflection\ndatahealth.v1.CareRecordService\n")
        let methods = try await Subprocess.run(Self.dh, ["list", target, "datahealth.v1.CareRecordService"] + ops)
        #expect(methods.stdoutText.contains("datahealth.v1.CareRecordService.WatchPatient\n"))
        let described = try await Subprocess.run(
            Self.dh, ["describe", target, "datahealth.v1.CareRecordService"] + ops)
        #expect(
            described.stdoutText.contains(
                "rpc SubmitRecords(stream datahealth.v1.SubmitRecordsRequest) returns (datahealth.v1.SubmitRecordsResponse);"
            ))
        let message = try await Subprocess.run(Self.dh, ["describe", target, "datahealth.v1.ViewingConsent"] + ops)
        #expect(message.stdoutText.contains("google.protobuf.Timestamp given_at = 2;"), "\(message.stdoutText)")

        // Unary.
        let health = try await Subprocess.run(
            Self.dh, ["call", target, "datahealth.ops.v1.Health/Check", "-d", "{}"] + ops)
        #expect(health.status == 0 && health.stdoutText == "{\"status\":\"SERVING\"}\n", "\(health.stderr)")

        // Client streaming: two requests as JSON lines on standard input.
        func batch(_ key: String) throws -> String {
            let record = try allergyRecord(key: key, id: key).jsonString()
            return "{\"records\": [\(record)]}"
        }
        let submitted = try await Subprocess.run(
            Self.dh,
            ["call", target, "datahealth.v1.CareRecordService/SubmitRecords", "-H", "dh-purpose:treatment"] + gateway,
            stdin: Array((try batch("t-1") + "\n" + batch("t-2") + "\n").utf8))
        #expect(submitted.status == 0, "\(submitted.stderr)")
        #expect(submitted.stdoutText.contains("\"acceptedCount\":2"), "\(submitted.stdoutText)")

        // Server streaming: the watch prints each change as a line until its deadline.
        let patient = "{\"patients\": [{\"insured\": \(try insured.jsonString())}], \"afterSequence\": \"1\"}"
        let watched = try await Subprocess.run(
            Self.dh,
            [
                "call", target, "datahealth.v1.CareRecordService/WatchPatient", "-H", "dh-purpose:treatment", "-H",
                "dh-acting-user:D0001", "--deadline", "2", "-d", patient,
            ] + gateway)
        #expect(watched.status == 4, "DEADLINE_EXCEEDED ends the watch: \(watched.stderr)")
        // Both records' changes, one line each, in increasing sequence.
        let lines = watched.stdoutText.split(separator: "\n")
        #expect(lines.count == 2, "\(watched.stdoutText)")
        let sequences = lines.compactMap { line in
            line.firstRange(of: "\"sequence\":\"").flatMap { found in
                Int64(line[found.upperBound...].prefix { $0.isNumber })
            }
        }
        #expect(sequences.count == 2 && sequences[0] < sequences[1], "\(watched.stdoutText)")
        #expect(lines.allSatisfy { $0.contains("\"KIND_ADDED\"") })

        // Refused: the exit status is the status code, the reason is in words.
        let refused = try await Subprocess.run(
            Self.dh, ["call", target, "datahealth.v1.CareRecordService/GetPatientSummary", "-d", "{}"] + researcher)
        #expect(refused.status == 7)
        #expect(refused.stderr.contains("PERMISSION_DENIED"))
        let badJSON = try await Subprocess.run(
            Self.dh, ["call", target, "datahealth.ops.v1.Health/Check", "-d", "{\"nope\": 1}"] + ops)
        #expect(badJSON.status == 3 && badJSON.stderr.contains("no such field"), "\(badJSON.stderr)")
        let unknown = try await Subprocess.run(
            Self.dh, ["call", target, "datahealth.ops.v1.Health/Nope", "-d", "{}"] + ops)
        #expect(unknown.status != 0 && unknown.stderr.contains("no method"), "\(unknown.stderr)")

        // Without reflection: the schema from a descriptor set.
        let protos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protos").path
        let setPath = fixture.directory + "/ops.pb"
        let compiled = try await Subprocess.run(
            URL(fileURLWithPath: Self.dh).deletingLastPathComponent().appendingPathComponent("dh-protoc").path,
            ["-I" + protos, "--include_imports", "--descriptor_set_out=" + setPath, "datahealth/ops/v1/health.proto"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let offline = try await Subprocess.run(
            Self.dh, ["call", target, "datahealth.ops.v1.Health/List", "-d", "{}", "--descriptor-set", setPath] + ops)
        #expect(offline.status == 0 && offline.stdoutText.contains("\"datahealth.v1.CareRecordService\""))
        server.beginGracefulShutdown()
        try await running.value
    }
}
