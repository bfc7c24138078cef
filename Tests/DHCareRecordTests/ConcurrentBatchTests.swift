import DHIdentity
import DHRPC
import DHSchemas
import DHSynth
import Foundation
import Synchronization
import Testing

@testable import DHCareRecord

/// An in-memory repository that logs when each batch's store starts and ends. The first store
/// holds (at most `hold`) until a second one starts, so that batches stored one after the
/// other and batches stored at once are told apart without relying on timing.
final class ObservedRepository: CareRecordRepository {
    struct State {
        var started = 0
        var running = 0
        var mostRunning = 0
        /// "start K" / "end K", K the first idempotency key of the batch.
        var events: [String] = []
    }

    let inner = InMemoryCareRecordRepository()
    let hold: Duration
    let state = Mutex(State())

    init(hold: Duration) { self.hold = hold }

    func apply(_ writes: [CareRecordWrite], institution: String, at time: Date) async throws -> [CareRecordApplied] {
        let name = writes.first?.idempotencyKey ?? ""
        let first = state.withLock { state in
            state.started += 1
            state.running += 1
            state.mostRunning = max(state.mostRunning, state.running)
            state.events.append("start \(name)")
            return state.started == 1
        }
        if first {
            let clock = ContinuousClock()
            let deadline = clock.now + hold
            while state.withLock({ $0.started }) < 2 && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let applied = try await inner.apply(writes, institution: institution, at: time)
        state.withLock { state in
            state.running -= 1
            state.events.append("end \(name)")
        }
        return applied
    }

    func records(patientID: String) async throws -> [StoredCareRecord] {
        try await inner.records(patientID: patientID)
    }

    func changes(after sequence: Int64, patientIDs: [String], limit: Int) async throws -> [CareRecordChange] {
        try await inner.changes(after: sequence, patientIDs: patientIDs, limit: limit)
    }

    func latestChangeSequence() async throws -> Int64 { try await inner.latestChangeSequence() }

    func patientIDs(matchingFacts digest: String) async throws -> [String] {
        try await inner.patientIDs(matchingFacts: digest)
    }
}

/// Submits `batches` in one call to a service over `repository`, as the test hospital's gateway.
func submit(
    _ batches: [[Datahealth_V1_CareRecord]], to repository: any CareRecordRepository, storing: Int
) async throws -> Datahealth_V1_SubmitRecordsResponse {
    var configuration = CareRecordService.Configuration()
    configuration.maximumBatchesStoring = storing
    let service = CareRecordService(
        repository: repository, consent: InMemoryConsentStore(now: { testTime }),
        pseudonymizer: PatientPseudonymizer(secret: testSecret), configuration: configuration, now: { testTime })
    let transport = InProcessTransport(peer: try PeerIdentity(uri: gatewayA))
    let server = RPCServer(services: [service])
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve(on: transport.server) }
        defer { transport.server.beginGracefulShutdown() }
        await transport.waitUntilServing()
        let client = Datahealth_V1_CareRecordServiceClient(transport: transport.client)
        return try await client.submitRecords(options: options(purpose: "treatment")) { writer in
            for batch in batches {
                var request = Datahealth_V1_SubmitRecordsRequest()
                request.records = batch
                try await writer.write(request)
            }
        }
    }
}

/// A record of the test patient (`patient` > 0: another insured person of the same insurer).
func patientRecord(
    _ item: Datahealth_V1_CareRecord.Item, key: String, id: String, patient: Int = 0,
    operation: Datahealth_V1_Operation = .create
) -> Datahealth_V1_CareRecord {
    var value = submission(item, key: key, id: id, operation: operation)
    if patient > 0 { value.patient.insured.number = "\(7_000_000 + patient)" }
    return value
}

@Suite("SubmitRecords stores the batches of one call at once", .timeLimit(.minutes(1)))
struct ConcurrentBatchTests {
    @Test("independent batches are stored at once, at most maximumBatchesStoring, outcomes in submission order")
    func independentBatches() async throws {
        let repository = ObservedRepository(hold: .seconds(20))
        let batches = (0..<8).map { batch in
            (0..<5).map { index in
                patientRecord(
                    .allergy(penicillin()), key: "i-\(batch)-\(index)", id: "allergy-\(batch)-\(index)",
                    patient: batch * 5 + index)
            }
        }
        let response = try await submit(batches, to: repository, storing: 3)
        #expect(response.outcomes.map(\.idempotencyKey) == batches.flatMap { $0.map(\.idempotencyKey) })
        #expect(response.results == Array(repeating: .accepted, count: 40))
        #expect(response.acceptedCount == 40)
        let observed = repository.state.withLock { $0 }
        #expect(observed.started == 8)
        #expect(observed.mostRunning >= 2)
        #expect(observed.mostRunning <= 3)
    }

    @Test(
        "a batch touching an earlier batch's submission id, idempotency key or replaced item waits for it",
        arguments: ["submission id", "idempotency key", "replaced item"])
    func dependentBatches(_ dependency: String) async throws {
        // The first store holds up to half a second for a second one: none may come.
        let repository = ObservedRepository(hold: .milliseconds(500))
        let first = [
            patientRecord(.allergy(penicillin()), key: "d-1", id: "allergy-1"),
            patientRecord(.diagnoses(diagnosisList(scope: "facility", diabetes())), key: "d-2", id: "dx-1"),
        ]
        var changed = penicillin()
        changed.reaction = "蕁麻疹"
        let second: Datahealth_V1_CareRecord =
            switch dependency {
            case "submission id": patientRecord(.allergy(changed), key: "d-3", id: "allergy-1", operation: .update)
            case "idempotency key": patientRecord(.allergy(changed), key: "d-1", id: "allergy-2")
            default: patientRecord(.diagnoses(diagnosisList(scope: "facility", hypertension())), key: "d-3", id: "dx-2")
            }
        let response = try await submit([first, [second]], to: repository, storing: 4)
        let observed = repository.state.withLock { $0 }
        #expect(
            observed.events == [
                "start d-1", "end d-1", "start \(second.idempotencyKey)", "end \(second.idempotencyKey)",
            ])
        #expect(observed.mostRunning == 1)
        switch dependency {
        case "submission id":
            #expect(response.results == [.accepted, .accepted, .accepted])
            #expect(response.outcomes[2].version == 2)
        case "idempotency key":
            #expect(response.results == [.accepted, .accepted, .duplicate])
        default:
            #expect(response.results == [.accepted, .accepted, .accepted])
            #expect(response.outcomes[2].version == 2)
        }
    }

    @Test("outcomes and stored records equal those of storing one batch after another")
    func sameAsOneAfterAnother() async throws {
        // A seeded mix: creates, updates and deletes of earlier submissions, diagnosis lists and
        // lab results that replace earlier ones, repeated keys, invalid records; 4 patients.
        var generator = SynthRandom(seed: 0x5EED)
        var batches: [[Datahealth_V1_CareRecord]] = []
        var created: [(id: String, patient: Int)] = []
        var keys: [String] = []
        var counter = 0
        for _ in 0..<24 {
            var batch: [Datahealth_V1_CareRecord] = []
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                counter += 1
                let patient = Int.random(in: 0..<4, using: &generator)
                var key = "m-\(counter)"
                if !keys.isEmpty && Int.random(in: 0..<10, using: &generator) == 0 {
                    key = keys.randomElement(using: &generator)!
                }
                keys.append(key)
                var record: Datahealth_V1_CareRecord
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<2 where !created.isEmpty:
                    let target = created.randomElement(using: &generator)!
                    var changed = penicillin()
                    changed.reaction = "蕁麻疹 \(counter)"
                    record = patientRecord(
                        .allergy(changed), key: key, id: target.id, patient: target.patient, operation: .update)
                case 2 where !created.isEmpty:
                    let target = created.randomElement(using: &generator)!
                    record = patientRecord(
                        .allergy(penicillin()), key: key, id: target.id, patient: target.patient, operation: .delete)
                    record.item = nil
                case 3..<5:
                    let scope = ["facility", "internal-medicine"].randomElement(using: &generator)!
                    record = patientRecord(
                        .diagnoses(diagnosisList(scope: scope, diabetes())), key: key, id: "dx-\(counter)",
                        patient: patient)
                case 5..<7:
                    var lab = creatinine(status: Bool.random(using: &generator) ? .interim : .final)
                    if Int.random(in: 0..<8, using: &generator) == 0 { lab.quantity = quantity("0.72", "") }
                    record = patientRecord(.labResult(lab), key: key, id: "lab-\(counter)", patient: patient)
                default:
                    record = patientRecord(
                        .allergy(penicillin()), key: key, id: "allergy-\(counter)", patient: patient)
                    created.append((record.submissionID.split(separator: "^").last.map(String.init)!, patient))
                }
                batch.append(record)
            }
            batches.append(batch)
        }
        let atOnce = ObservedRepository(hold: .zero)
        let oneByOne = ObservedRepository(hold: .zero)
        let together = try await submit(batches, to: atOnce, storing: 4)
        let inOrder = try await submit(batches, to: oneByOne, storing: 1)
        #expect(together == inOrder)
        #expect(together.acceptedCount > 40)
        #expect(together.duplicateCount > 0)
        #expect(together.rejectedCount > 0)
        #expect(oneByOne.state.withLock { $0.mostRunning } == 1)
        let pseudonymizer = PatientPseudonymizer(secret: testSecret)
        for patient in 0..<4 {
            let id = pseudonymizer.patientID(
                for: patientRecord(.allergy(penicillin()), key: "", id: "", patient: patient).patient)!
            let left = try await atOnce.records(patientID: id)
            let right = try await oneByOne.records(patientID: id)
            #expect(left.map(\.item) == right.map(\.item))
            #expect(left.map(\.version) == right.map(\.version))
            #expect(left.map(\.submissionID) == right.map(\.submissionID))
        }
    }
}
