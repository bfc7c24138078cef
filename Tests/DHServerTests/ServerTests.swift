import DHAudit
import DHCareRecord
import DHDescriptor
import DHIdentity
import DHRepositories
import DHRPC
import DHSchemas
import DHServer
import DHTLS
import DHTransport
import DHWire
import Foundation
import Synchronization
import Testing

let hospitalA = "1312345678"
let clinicB = "2712345678"

/// The shipped policy, deploy/policy.conf.
let shippedPolicy = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("deploy/policy.conf").path

/// A scratch directory with a PKI whose gateways are real institutions, and a copy of the
/// shipped policy.
final class ServerFixture: Sendable {
    let directory: String
    let authority: CertificateAuthority
    let server: IssuedCertificate
    let policyPath: String

    init() throws {
        directory = NSTemporaryDirectory() + "dh-server-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pki = try DevelopmentPKI.make()
        authority = pki.authority
        server = pki.server
        policyPath = directory + "/policy.conf"
        try FileManager.default.copyItem(atPath: shippedPolicy, toPath: policyPath)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func configuration() -> DataHealthServerConfiguration {
        var configuration = DataHealthServerConfiguration(
            dataDirectory: directory + "/data", policyPath: policyPath,
            tls: .server(
                certificateChain: .pem(server.certificate.pemString), privateKey: .pem(server.privateKey.pemString),
                trustRoots: [.pem(authority.certificate.pemString)]),
            transport: .init(host: "127.0.0.1", port: 0))
        configuration.treeHeadInterval = .seconds(1)
        return configuration
    }

    /// A client with the certificate of `identity`.
    func client(_ identity: String, port: Int) throws -> TLSClientTransport {
        let now = Date()
        let issued = try authority.issueWithNewKey(
            .client(identity: try PeerIdentity(uri: identity), notBefore: now - 300, notAfter: now + 86_400))
        let tls = try TLSContext(
            configuration: .client(
                certificateChain: .pem(issued.certificate.pemString), privateKey: .pem(issued.privateKey.pemString),
                trustRoots: [.pem(authority.certificate.pemString)]))
        return TLSClientTransport(host: "127.0.0.1", port: port, tls: tls, serverName: "localhost")
    }
}

func timestamp(_ date: Date) -> Google_Protobuf_Timestamp {
    var time = Google_Protobuf_Timestamp()
    time.seconds = Int64(date.timeIntervalSince1970.rounded(.down))
    return time
}

var insured: Datahealth_V1_InsuredPersonId {
    var insured = Datahealth_V1_InsuredPersonId()
    insured.insurerNumber = "06130019"
    insured.symbol = "記号1"
    insured.number = "1234567"
    insured.branchNumber = "01"
    return insured
}

/// A valid allergy record of hospital A.
func allergyRecord(key: String, id: String) -> Datahealth_V1_CareRecord {
    var record = Datahealth_V1_CareRecord()
    record.idempotencyKey = key
    record.submissionID = "\(hospitalA)^2026^\(id)"
    record.operation = .create
    record.patient.insured = insured
    record.provenance.institution.code = hospitalA
    record.provenance.institution.name = "東京都立テスト総合病院"
    record.provenance.department = "小児科"
    record.provenance.recordedAt = timestamp(Date() - 3600)
    var allergy = Datahealth_V1_Allergy()
    allergy.category = .other
    var substance = Datahealth_V1_CodedValue()
    substance.text = "ペニシリン系抗菌薬"
    allergy.substance = substance
    allergy.criticality = .high
    allergy.reaction = "アナフィラキシー"
    record.allergy = allergy
    return record
}

func metadata(purpose: String, actingUser: String? = nil, reason: String? = nil) -> CallOptions {
    var metadata = Metadata()
    metadata.addString(purpose, forKey: CallerContext.purposeKey)
    if let actingUser { metadata.addString(actingUser, forKey: CallerContext.actingUserKey) }
    if let reason { metadata.addString(reason, forKey: CallerContext.reasonKey) }
    return CallOptions(metadata: metadata)
}

func expectStatus<T>(_ code: RPCStatus.Code, _ body: () async throws -> T) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), the call succeeded")
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)")
    } catch {
        Issue.record("expected RPCError \(code), got \(error)")
    }
}

@Suite("The assembled server: embedded PostgreSQL, policy, consent, audit, care records over mutual TLS", .timeLimit(.minutes(3)))
struct ServerTests {
    @Test("records flow end to end; every call is audited once; a policy reload takes effect")
    func endToEnd() async throws {
        let fixture = try ServerFixture()
        let lines = LineCollector()
        let server = try await DataHealthServer.start(fixture.configuration()) { lines.append($0) }
        let running = Task { try await server.run() }
        var calls = 0
        do {
            let port = try await server.listeningPort()
            #expect(lines.all.contains { $0.hasPrefix("applied migration 3") })
            #expect(lines.all.contains { $0.hasPrefix("created ") && $0.hasSuffix("pseudonym.key") })

            // Health and reflection, for load balancers and tools.
            let gatewayA = try fixture.client("dh://\(hospitalA)/gateway/gw-01", port: port)
            let health = Datahealth_Ops_V1_HealthClient(transport: gatewayA)
            let overall = try await health.check(Datahealth_Ops_V1_HealthCheckRequest(), options: metadata(purpose: "operations"))
            calls += 1
            #expect(overall.status == .serving, "\(overall.detail)")
            var unknown = Datahealth_Ops_V1_HealthCheckRequest()
            unknown.service = "datahealth.v1.NoSuchService"
            await expectStatus(.notFound) { try await health.check(unknown, options: metadata(purpose: "operations")) }
            calls += 1
            let statuses = try await health.list(Datahealth_Ops_V1_HealthListRequest(), options: metadata(purpose: "operations"))
            calls += 1
            #expect(statuses.services["datahealth.v1.CareRecordService"]?.status == .serving)
            let reflection = Datahealth_Ops_V1_ReflectionClient(transport: gatewayA)
            let listed = try await reflection.listServices(
                Datahealth_Ops_V1_ListServicesRequest(), options: metadata(purpose: "operations"))
            calls += 1
            #expect(
                listed.services == [
                    "datahealth.ops.v1.Health", "datahealth.ops.v1.Reflection", "datahealth.v1.CareRecordService",
                ])
            for symbol in [
                "datahealth.v1.CareRecordService.SubmitRecords", "datahealth.v1.LabResult.Status", "datahealth.v1.CareRecord",
            ] {
                var request = Datahealth_Ops_V1_FileContainingSymbolRequest()
                request.symbol = symbol
                let found = try await reflection.fileContainingSymbol(request, options: metadata(purpose: "operations"))
                calls += 1
                let set = try FileDescriptorSet(serializedBytes: found.fileDescriptorSet)
                #expect(set.file.last?.name == "datahealth/v1/care_record.proto", "\(symbol)")
                #expect(set.file.contains { $0.name == "datahealth/v1/common.proto" })
                #expect(set.file.contains { $0.name == "google/protobuf/timestamp.proto" })
            }
            var missing = Datahealth_Ops_V1_FileContainingSymbolRequest()
            missing.symbol = "datahealth.v1.Nothing"
            await expectStatus(.notFound) {
                try await reflection.fileContainingSymbol(missing, options: metadata(purpose: "operations"))
            }
            calls += 1
            let opsCalls = calls

            // Hospital A's gateway submits two records; the retried call stores nothing twice.
            let clientA = Datahealth_V1_CareRecordServiceClient(transport: gatewayA)
            func submit() async throws -> Datahealth_V1_SubmitRecordsResponse {
                try await clientA.submitRecords(options: metadata(purpose: "treatment")) { writer in
                    var request = Datahealth_V1_SubmitRecordsRequest()
                    request.records = [allergyRecord(key: "k-1", id: "al-1"), allergyRecord(key: "k-2", id: "al-2")]
                    try await writer.write(request)
                }
            }
            let first = try await submit()
            calls += 1
            #expect(first.acceptedCount == 2)
            let retried = try await submit()
            calls += 1
            #expect(retried.acceptedCount == 0 && retried.duplicateCount == 2)
            await gatewayA.close()

            // A clinician at clinic B, through its gateway, with the patient's consent of today.
            let gatewayB = try fixture.client("dh://\(clinicB)/gateway/gw-01", port: port)
            let clientB = Datahealth_V1_CareRecordServiceClient(transport: gatewayB)
            var request = Datahealth_V1_GetPatientSummaryRequest()
            request.patient.insured = insured
            // Without consent: other institutions' records stay closed.
            await expectStatus(.permissionDenied) {
                try await clientB.getPatientSummary(request, options: metadata(purpose: "treatment", actingUser: "D0001"))
            }
            calls += 1
            request.consent.channel = .cardReader
            request.consent.givenAt = timestamp(Date() - 60)
            let summary = try await clientB.getPatientSummary(
                request, options: metadata(purpose: "treatment", actingUser: "D0001"))
            calls += 1
            #expect(summary.items.count == 2)
            #expect(summary.items.allSatisfy { $0.provenance.institution.code == hospitalA })

            // Break-glass read: allowed with a reason, flagged.
            var emergency = Datahealth_V1_GetEmergencySummaryRequest()
            emergency.patient.insured = insured
            emergency.reason = "意識障害で救急搬送、本人同意取得不能"
            let urgent = try await clientB.getEmergencySummary(
                emergency, options: metadata(purpose: "emergency", actingUser: "D0001"))
            calls += 1
            #expect(urgent.items.count == 2)
            await gatewayB.close()

            // A researcher never reaches care records.
            let researcher = try fixture.client("dh://r-univ-01/researcher/res-7", port: port)
            await expectStatus(.permissionDenied) {
                try await Datahealth_V1_CareRecordServiceClient(transport: researcher).getPatientSummary(
                    request, options: metadata(purpose: "research"))
            }
            calls += 1

            // Every call wrote exactly one entry; the log verifies against its signed heads.
            #expect(await server.auditLog.size == calls)
            let store = PostgresAuditStore(database: server.database)
            let entries = try await store.records(in: UInt64(opsCalls)..<UInt64(calls)).map {
                try AuditEntry(encoded: $0.entryBytes)
            }
            #expect(entries.map(\.outcome) == [.allowed, .allowed, .denied, .allowed, .allowed, .denied])
            let patientID = summary.patientID
            #expect(entries[3].patient == patientID && entries[3].actingUser == "dh://\(clinicB)/clinician/D0001")
            #expect(entries[4].breakGlass && entries[4].purpose == "emergency" && entries[4].reason == emergency.reason)
            #expect(entries[5].identity == "dh://r-univ-01/researcher/res-7")
            _ = try await server.auditLog.signTreeHead()
            let verification = try await store.verify(publicKey: server.auditPublicKey)
            #expect(verification.passed, "\(verification)")

            // A policy without the clinician rule, reloaded: the same read is now refused.
            let policy = try String(contentsOfFile: fixture.policyPath, encoding: .utf8)
            let narrowed = policy.replacingOccurrences(
                of: "methods     = /datahealth.v1.CareRecordService/GetPatientSummary\n", with: "methods     = ")
            #expect(narrowed != policy)
            try narrowed.write(toFile: fixture.policyPath, atomically: true, encoding: .utf8)
            #expect(server.reloadPolicy().hasPrefix("policy reloaded"))
            let gatewayB2 = try fixture.client("dh://\(clinicB)/gateway/gw-01", port: port)
            await expectStatus(.permissionDenied) {
                try await Datahealth_V1_CareRecordServiceClient(transport: gatewayB2).getPatientSummary(
                    request, options: metadata(purpose: "treatment", actingUser: "D0001"))
            }
            await gatewayB2.close()
            // A broken file keeps the policy in force.
            try "version = 1\n[allow broken\n".write(toFile: fixture.policyPath, atomically: true, encoding: .utf8)
            #expect(server.reloadPolicy().hasPrefix("policy NOT reloaded"))
            await researcher.close()
        } catch {
            server.beginGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        server.beginGracefulShutdown()
        try await running.value
        #expect(lines.all.contains("database: embedded cluster stopped"))
    }

    @Test("a broken policy file stops the start before anything listens")
    func brokenPolicy() async throws {
        let fixture = try ServerFixture()
        try "version = 1\n[allow nothing\n".write(toFile: fixture.policyPath, atomically: true, encoding: .utf8)
        do {
            _ = try await DataHealthServer.start(fixture.configuration()) { _ in }
            Issue.record("the server started with a broken policy")
        } catch let error as ServerError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("policy"))
        }
    }
}

/// Collects report lines.
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
