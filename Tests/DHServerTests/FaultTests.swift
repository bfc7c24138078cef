import DHCareRecord
import DHRepositories
import DHRPC
import DHSchemas
import DHServer
import DHStorage
import DHTestSupport
import DHTLS
import DHTransport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `batches` batches of `size` records of hospital A, each record its own key and submission id.
private func makeBatches(_ batches: Int, size: Int, prefix: String) -> [[Datahealth_V1_CareRecord]] {
    (0..<batches).map { batch in
        (0..<size).map { index in allergyRecord(key: "\(prefix)-\(batch)-\(index)", id: "\(prefix)-\(batch)-\(index)") }
    }
}

/// Submits one batch in one call.
private func submit(
    _ batch: [Datahealth_V1_CareRecord], with client: Datahealth_V1_CareRecordServiceClient
) async throws -> Datahealth_V1_SubmitRecordsResponse {
    try await client.submitRecords(options: metadata(purpose: "treatment")) { writer in
        var request = Datahealth_V1_SubmitRecordsRequest()
        request.records = batch
        try await writer.write(request)
    }
}

/// What a gateway does: sends each batch until it is acknowledged, resending it after
/// UNAVAILABLE (the same records, the same idempotency keys). Returns how many resends it took.
private func submitWithRetries(
    _ batches: [[Datahealth_V1_CareRecord]], with client: Datahealth_V1_CareRecordServiceClient,
    afterEach: @Sendable (Int) async throws -> Void = { _ in }
) async throws -> (retries: Int, accepted: Int, duplicates: Int) {
    var retries = 0
    var accepted = 0
    var duplicates = 0
    for (number, batch) in batches.enumerated() {
        var attempts = 0
        while true {
            attempts += 1
            do {
                let response = try await submit(batch, with: client)
                #expect(response.rejectedCount == 0)
                accepted += Int(response.acceptedCount)
                duplicates += Int(response.duplicateCount)
                break
            } catch let error as RPCError where error.code == .unavailable && attempts < 200 {
                retries += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        try await afterEach(number)
    }
    return (retries, accepted, duplicates)
}

@Suite("Faults: a dead database and a killed server lose and duplicate nothing", .timeLimit(.minutes(3)))
struct FaultTests {
    @Test("the database stops and restarts mid-stream: calls fail UNAVAILABLE, the gateway resends, every record is stored once")
    func deadDatabase() async throws {
        let fixture = try ServerFixture()
        let cluster = try EmbeddedPostgres(
            configuration: EmbeddedPostgresConfiguration(directory: fixture.directory + "/cluster"))
        try await cluster.start()
        var configuration = fixture.configuration()
        configuration.databaseURL = cluster.connectionConfiguration.conninfo
        configuration.databaseCheckoutTimeout = .seconds(2)
        let server = try await DataHealthServer.start(configuration) { _ in }
        let running = Task { try await server.run() }
        let gateway = try fixture.client("dh://\(hospitalA)/gateway/gw-01", port: try await server.listeningPort())
        let client = Datahealth_V1_CareRecordServiceClient(transport: gateway)
        let batches = makeBatches(30, size: 20, prefix: "db")
        let outcome: (retries: Int, accepted: Int, duplicates: Int)
        do {
            let outage = Mutex<Task<Void, any Error>?>(nil)
            outcome = try await submitWithRetries(batches, with: client) { number in
                guard number == 9 else { return }
                // The database goes away while the gateway keeps sending, and comes back.
                try await cluster.stop()
                outage.withLock {
                    $0 = Task {
                        try await Task.sleep(for: .seconds(2))
                        try await cluster.start()
                    }
                }
            }
            try await outage.withLock { $0 }?.value
        } catch {
            server.beginGracefulShutdown()
            _ = try? await running.value
            try? await cluster.stop()
            throw error
        }
        #expect(outcome.retries > 0, "the outage was not seen by any call")
        // Every record is stored exactly once: resent records whose first commit went through
        // came back DUPLICATE.
        #expect(outcome.accepted + outcome.duplicates == 600)
        let stored = try await server.database.query(
            "SELECT count(*), count(DISTINCT submission_id) FROM care_records WHERE institution = \(hospitalA)")
        let (records, distinct) = try #require(try stored.singleRow()).decode(Int64.self, Int64.self)
        #expect(records == 600 && distinct == 600)
        let keys = try await server.database.query("SELECT count(*) FROM care_idempotency_keys")
        #expect(try #require(try keys.singleRow()).decode(Int64.self, column: 0) == 600)
        await gateway.close()
        server.beginGracefulShutdown()
        try await running.value
        try await cluster.stop()
    }

    @Test("dh serve is killed (SIGKILL) mid-stream: after a restart every acknowledged record is there, once")
    func killedServer() async throws {
        let fixture = try ServerFixture()
        let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/dh").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build dh first (make test does)")
        let pki = fixture.directory + "/pki"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        try fixture.server.certificate.pemString.write(toFile: pki + "/server.crt.pem", atomically: true, encoding: .utf8)
        try fixture.server.privateKey.pemString.write(toFile: pki + "/server.key.pem", atomically: true, encoding: .utf8)
        try fixture.authority.certificate.pemString.write(toFile: pki + "/ca.crt.pem", atomically: true, encoding: .utf8)
        func start(_ log: String) async throws -> (BackgroundProcess, Int) {
            let process = try BackgroundProcess(
                binary,
                [
                    "serve", "--pki", pki, "--data-dir", fixture.directory + "/data", "--policy", fixture.policyPath,
                    "--listen", "127.0.0.1:0",
                ], log: URL(fileURLWithPath: fixture.directory + "/" + log))
            let line = await process.waitForLine { $0.hasPrefix("dh serve: listening on ") }
            let port = try #require(line.flatMap { Int($0.split(separator: ":").last ?? "") }, "\(process.output)")
            return (process, port)
        }
        let batches = makeBatches(40, size: 25, prefix: "kill")

        // First run: send until killed; remember what was acknowledged.
        let (first, port) = try await start("first.log")
        let gateway = try fixture.client("dh://\(hospitalA)/gateway/gw-01", port: port)
        let client = Datahealth_V1_CareRecordServiceClient(transport: gateway)
        var acknowledged = 0
        do {
            for (number, batch) in batches.enumerated() {
                if number == 15 { first.signal(SIGKILL) }
                let response = try await submit(batch, with: client)
                #expect(response.acceptedCount == 25)
                acknowledged += 1
            }
            Issue.record("the server was killed, yet every batch was acknowledged")
        } catch let error as RPCError {
            #expect(error.code == .unavailable, "\(error)")
        }
        await gateway.close()
        await first.wait()
        #expect(acknowledged >= 15)

        // Second run on the same data directory: the cluster the dead server left is taken over.
        let (second, newPort) = try await start("second.log")
        #expect(second.output.contains("taking over the embedded cluster"))
        let again = try fixture.client("dh://\(hospitalA)/gateway/gw-01", port: newPort)
        let resend = Datahealth_V1_CareRecordServiceClient(transport: again)
        // Every acknowledged batch is stored: resent, it is all DUPLICATE.
        for batch in batches.prefix(acknowledged) {
            let response = try await submit(batch, with: resend)
            #expect(response.duplicateCount == 25, "an acknowledged batch was lost")
        }
        // The rest is stored once when sent again (a batch whose commit raced the kill may
        // already be there: then it is DUPLICATE, never stored twice).
        var total = acknowledged * 25
        for batch in batches.dropFirst(acknowledged) {
            let response = try await submit(batch, with: resend)
            #expect(response.rejectedCount == 0)
            total += Int(response.acceptedCount + response.duplicateCount)
        }
        #expect(total == 1_000)
        var summaryRequest = Datahealth_V1_GetPatientSummaryRequest()
        summaryRequest.patient.insured = insured
        let summary = try await resend.getPatientSummary(
            summaryRequest, options: metadata(purpose: "treatment", actingUser: "D0001"))
        #expect(summary.items.count == 1_000)
        await again.close()
        second.signal(SIGTERM)
        #expect(await second.wait() == 0)
        #expect(second.output.contains("dh serve: database: embedded cluster stopped"))
    }
}
