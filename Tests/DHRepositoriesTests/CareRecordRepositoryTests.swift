import DHCareRecord
import DHIdentity
import DHRPC
import DHRepositories
import DHSchemas
import DHStorage
import DHSynth
import DHWire
import Foundation
import Testing

private let hospital = "1312345678"
private let clinic = "2712345678"
private let patient = String(repeating: "ab", count: 32)
private let otherPatient = String(repeating: "cd", count: 32)
private let time = Date(timeIntervalSince1970: 1_800_000_000)

private func write(
    _ key: String, _ id: String, _ operation: CareRecordOperation = .create, kind: CareItemKind = .allergy,
    replacing: String? = nil, patient: String = patient, item: [UInt8] = [0x0A, 0x01, 0x41]
) -> CareRecordWrite {
    CareRecordWrite(
        idempotencyKey: key, submissionID: "\(hospital)^2026^\(id)", operation: operation, patientID: patient,
        kind: kind, replacementKey: replacing, item: item)
}

/// A valid allergy record of `hospital` for one insured patient, recorded a minute ago.
private func allergyRecord(key: String, id: String, substance: String = "ペニシリン系抗菌薬") -> Datahealth_V1_CareRecord {
    var record = Datahealth_V1_CareRecord()
    record.idempotencyKey = key
    record.submissionID = "\(hospital)^2026^\(id)"
    record.operation = .create
    var insured = Datahealth_V1_InsuredPersonId()
    insured.insurerNumber = "06130019"
    insured.number = "7654321"
    insured.branchNumber = "01"
    record.patient.insured = insured
    record.provenance.institution.code = hospital
    record.provenance.recordedAt.seconds = Int64(Date().timeIntervalSince1970) - 60
    var allergy = Datahealth_V1_Allergy()
    allergy.category = .other
    allergy.substance.text = substance
    record.allergy = allergy
    return record
}

extension RepositoryTests {
    @Suite("PostgreSQL care record repository")
    struct CareRecordRepositoryTests {
        /// Runs `body` with a repository on a fresh, migrated database.
        func withRepository(
            _ body: (PostgresCareRecordRepository, PostgresConnectionPool) async throws -> Void
        )
            async throws
        {
            let database = try await TestDatabase.make()
            let pool = try database.pool(maxConnections: 8)
            do {
                try await body(PostgresCareRecordRepository(database: pool), pool)
            } catch {
                await pool.close()
                throw error
            }
            await pool.close()
        }

        /// Runs `body` with a client of `service` over an in-process transport, as the test
        /// hospital's gateway, and the call options of a treatment purpose.
        func withGatewayClient(
            of service: CareRecordService,
            _ body: (Datahealth_V1_CareRecordServiceClient, CallOptions) async throws -> Void
        ) async throws {
            let transport = InProcessTransport(peer: try PeerIdentity(uri: "dh://\(hospital)/gateway/gw-01"))
            let server = RPCServer(services: [service])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve(on: transport.server) }
                defer { transport.server.beginGracefulShutdown() }
                await transport.waitUntilServing()
                var metadata = Metadata()
                metadata.addString("treatment", forKey: CallerContext.purposeKey)
                try await body(
                    Datahealth_V1_CareRecordServiceClient(transport: transport.client), CallOptions(metadata: metadata))
            }
        }

        /// The patient's live records in both repositories, as (submission id, version, item).
        func storedRecords(
            of patientID: String, _ postgres: PostgresCareRecordRepository, _ memory: InMemoryCareRecordRepository
        ) async throws -> (got: [[String]], expected: [[String]]) {
            let got = try await postgres.records(patientID: patientID).map {
                [$0.submissionID, "\($0.version)", "\($0.item)"]
            }
            let expected = try await memory.records(patientID: patientID).map {
                [$0.submissionID, "\($0.version)", "\($0.item)"]
            }
            return (got, expected)
        }

        func count(_ table: String, _ pool: PostgresConnectionPool) async throws -> Int {
            try await pool.query("SELECT count(*) FROM \(identifier: table)").singleRow()?.decode(Int.self, column: 0)
                ?? -1
        }

        @Test("a retried batch is DUPLICATE and stores nothing twice, also when retried concurrently")
        func idempotency() async throws {
            try await withRepository { repository, pool in
                let batch = [write("k-1", "a-1"), write("k-2", "a-2"), write("k-1", "a-3")]
                let first = try await repository.apply(batch, institution: hospital, at: time)
                #expect(first.map(\.result) == [.accepted, .accepted, .duplicate])
                let retried = try await repository.apply(batch, institution: hospital, at: time)
                #expect(retried.map(\.result) == [.duplicate, .duplicate, .duplicate])
                #expect(retried.map(\.version) == [1, 1, 1])
                // The same key is another record for another institution.
                var foreign = write("k-1", "a-1")
                foreign.submissionID = "\(clinic)^2026^a-1"
                #expect(
                    try await repository.apply([foreign], institution: clinic, at: time).map(\.result) == [.accepted])

                // Eight gateways retrying the same batch at once: each record is stored once.
                let racing = (0..<20).map { write("race-\($0)", "race-\($0)") }
                let results = try await withThrowingTaskGroup(of: [CareRecordApplied.Result].self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await repository.apply(racing, institution: hospital, at: time).map(\.result)
                        }
                    }
                    var all: [[CareRecordApplied.Result]] = []
                    for try await outcome in group { all.append(outcome) }
                    return all
                }
                let accepted = results.flatMap { $0 }.filter { $0 == .accepted }.count
                #expect(accepted == 20)
                #expect(try await count("care_records", pool) == 23)
                #expect(try await count("care_idempotency_keys", pool) == 23)
            }
        }

        @Test("a batch is one transaction: a failing record leaves nothing of the batch")
        func oneTransaction() async throws {
            try await withRepository { repository, pool in
                // PostgreSQL refuses a NUL character in text: the third statement fails.
                let batch = [write("t-1", "a-1"), write("t-2", "a-2"), write("t-3", "bad\u{0}id")]
                await #expect(throws: (any Error).self) {
                    _ = try await repository.apply(batch, institution: hospital, at: time)
                }
                #expect(try await count("care_records", pool) == 0)
                #expect(try await count("care_idempotency_keys", pool) == 0)
                #expect(try await count("care_patients", pool) == 0)
                // The gateway's retry of the corrected batch is stored in full.
                let retried = try await repository.apply(Array(batch[0...1]), institution: hospital, at: time)
                #expect(retried.map(\.result) == [.accepted, .accepted])
            }
        }

        @Test("UPDATE, DELETE and replacement follow the in-memory repository's rules")
        func sameRulesAsInMemory() async throws {
            try await withRepository { repository, _ in
                let memory = InMemoryCareRecordRepository()
                let batches: [[CareRecordWrite]] = [
                    [
                        write("s-1", "a-1"),
                        write("s-2", "dx-1", kind: .diagnoses, replacing: "diagnoses|facility"),
                        write("s-3", "lab-1", kind: .labResult, replacing: "lab|o-1|jlac10|x"),
                        write("s-4", "dx-p", kind: .diagnoses, replacing: "diagnoses|facility", patient: otherPatient),
                    ],
                    [
                        write("s-5", "a-1", .update, item: [0x0A, 0x01, 0x42]),
                        write(
                            "s-6", "dx-2", kind: .diagnoses, replacing: "diagnoses|facility", item: [0x0A, 0x01, 0x43]),
                        write(
                            "s-7", "lab-2", kind: .labResult, replacing: "lab|o-1|jlac10|x", item: [0x0A, 0x01, 0x44]),
                        write("s-8", "a-9", .update),
                        write("s-9", "a-1"),
                    ],
                    [write("s-10", "a-1", .delete), write("s-11", "a-1", .delete), write("s-5", "zz", .delete)],
                ]
                for batch in batches {
                    let stored = try await repository.apply(batch, institution: hospital, at: time)
                    let expected = try await memory.apply(batch, institution: hospital, at: time)
                    #expect(stored == expected)
                }
                let stored = try await repository.records(patientID: patient)
                let expected = try await memory.records(patientID: patient)
                #expect(stored == expected)
                #expect(stored.map(\.submissionID) == ["\(hospital)^2026^dx-2", "\(hospital)^2026^lab-2"])
                #expect(stored.map(\.version) == [2, 2])
                #expect(try await repository.records(patientID: otherPatient).count == 1)
            }
        }

        @Test("the service on PostgreSQL: a retried stream stores nothing twice, a rejected record nothing at all")
        func serviceOnPostgres() async throws {
            try await withRepository { repository, pool in
                let consent = PostgresConsentStore(database: pool)
                let service = CareRecordService(
                    repository: repository, consent: consent,
                    pseudonymizer: PatientPseudonymizer(secret: [UInt8](repeating: 7, count: 32)))
                try await withGatewayClient(of: service) { client, options in
                    var request = Datahealth_V1_SubmitRecordsRequest()
                    request.records = [
                        allergyRecord(key: "p-1", id: "allergy-1"), allergyRecord(key: "p-2", id: "allergy-2"),
                        allergyRecord(key: "p-3", id: "allergy-3", substance: ""),
                    ]
                    let batches = [request, request]
                    let first = try await client.submitRecords(options: options) { writer in
                        try await writer.write(batches[0])
                    }
                    #expect(first.outcomes.map(\.result) == [.accepted, .accepted, .rejected])
                    #expect(first.outcomes[2].fieldPath == "allergy.substance")
                    // The gateway retries the whole stream, twice over.
                    let retried = try await client.submitRecords(options: options) { writer in
                        for batch in batches { try await writer.write(batch) }
                    }
                    #expect(retried.duplicateCount == 4)
                    #expect(retried.rejectedCount == 2)
                    #expect(try await count("care_records", pool) == 2)
                    #expect(try await count("care_idempotency_keys", pool) == 2)
                    #expect(try await count("care_patients", pool) == 1)
                    let leaked = try await pool.query(
                        "SELECT count(*) FROM care_records WHERE position(\(Array("7654321".utf8)) IN item) > 0"
                    ).singleRow()?.decode(Int.self, column: 0)
                    #expect(leaked == 0)

                    var summaryRequest = Datahealth_V1_GetPatientSummaryRequest()
                    summaryRequest.patient = allergyRecord(key: "", id: "").patient
                    let summary = try await client.getPatientSummary(summaryRequest, options: options)
                    #expect(
                        summary.items.map(\.provenance.submissionID) == [
                            "\(hospital)^2026^allergy-1", "\(hospital)^2026^allergy-2",
                        ])
                }
            }
        }

        @Test("the batches of one call are stored at once; patients shared across batches are stored once")
        func concurrentBatchesOfOneCall() async throws {
            try await withRepository { repository, pool in
                var configuration = CareRecordService.Configuration()
                configuration.maximumBatchesStoring = 4
                let service = CareRecordService(
                    repository: repository, consent: PostgresConsentStore(database: pool),
                    pseudonymizer: PatientPseudonymizer(secret: [UInt8](repeating: 7, count: 32)),
                    configuration: configuration)
                // 12 batches of 20 records, five records per patient: neighbouring batches share
                // new patients, which concurrent transactions must insert without deadlocking.
                let batches = (0..<12).map { batch in
                    var request = Datahealth_V1_SubmitRecordsRequest()
                    request.records = (0..<20).map { index in
                        let number = batch * 20 + index
                        var record = allergyRecord(key: "c-\(number)", id: "allergy-\(number)")
                        record.patient.insured.number = "\(8_000_000 + (number + 3) / 5)"
                        return record
                    }
                    return request
                }
                try await withGatewayClient(of: service) { client, options in
                    let first = try await client.submitRecords(options: options) { writer in
                        for batch in batches { try await writer.write(batch) }
                    }
                    #expect(first.acceptedCount == 240)
                    #expect(first.outcomes.map(\.idempotencyKey) == (0..<240).map { "c-\($0)" })
                    let retried = try await client.submitRecords(options: options) { writer in
                        for batch in batches { try await writer.write(batch) }
                    }
                    #expect(retried.duplicateCount == 240)
                }
                #expect(try await count("care_records", pool) == 240)
                #expect(try await count("care_idempotency_keys", pool) == 240)
                #expect(try await count("care_patients", pool) == 49)
                #expect(try await count("care_changes", pool) == 240)
            }
        }

        @Test("batches of new keys and ids replacing earlier items match the in-memory repository")
        func directPathMatchesInMemory() async throws {
            try await withRepository { postgres, _ in
                let memory = InMemoryCareRecordRepository()
                var generator = SynthRandom(seed: 20_261_126)
                // Replacement keys with characters JSON and SQL quote: the key is kept as given.
                let orders = [
                    "lab|ORD-1|JLAC10|3C015", "lab|\"quoted\"|\\back", "diagnoses|小児科", "lab|tab\there", "x|'",
                ]
                var next = 0
                for round in 0..<16 {
                    var batch: [CareRecordWrite] = []
                    var used: Set<String> = []
                    for _ in 0..<(1 + Int(generator.next() % 30)) {
                        next += 1
                        let who = generator.next() % 2 == 0 ? patient : otherPatient
                        var replacing: String? = orders[Int(generator.next() % UInt64(orders.count))]
                        // One write per (patient, replacement key) in a batch, as the bulk path takes them.
                        if generator.next() % 4 == 0 || !used.insert(who + replacing!).inserted { replacing = nil }
                        batch.append(
                            write(
                                "n-\(next)", "n-\(next)", kind: replacing == nil ? .allergy : .labResult,
                                replacing: replacing, patient: who, item: [0x0A, 0x01, UInt8(round)]))
                    }
                    // Every few rounds the batch is sent again: all DUPLICATE, through the general path.
                    let rounds = round % 5 == 4 ? 2 : 1
                    for _ in 0..<rounds {
                        let at = time + Double(round)
                        let expected = try await memory.apply(batch, institution: hospital, at: at)
                        let got = try await postgres.apply(batch, institution: hospital, at: at)
                        #expect(got == expected, "round \(round)")
                    }
                }
                for who in [patient, otherPatient] {
                    let (got, expected) = try await storedRecords(of: who, postgres, memory)
                    #expect(got == expected)
                    #expect(got.contains { $0[1] != "1" })
                }
            }
        }

        @Test("random batches give the same outcomes and stored state as the in-memory repository")
        func bulkPathMatchesInMemory() async throws {
            try await withRepository { postgres, _ in
                let memory = InMemoryCareRecordRepository()
                var generator = SynthRandom(seed: 20_261_125)
                var nextKey = 0
                for round in 0..<12 {
                    var batch: [CareRecordWrite] = []
                    for _ in 0..<(1 + Int(generator.next() % 60)) {
                        // Few ids, keys and patients, so that batches collide with each other
                        // and with earlier rounds: reused keys, reused ids, replacements.
                        let reuseKey = generator.next() % 8 == 0 && nextKey > 0
                        let key = "k-\(reuseKey ? Int(generator.next() % UInt64(nextKey)) : nextKey)"
                        if !reuseKey { nextKey += 1 }
                        let id = "s-\(generator.next() % 40)"
                        let operation: CareRecordOperation =
                            switch generator.next() % 6 {
                            case 0: .update
                            case 1: .delete
                            default: .create
                            }
                        let replacing = generator.next() % 3 == 0 ? "lab|ORD-\(generator.next() % 5)" : nil
                        let who = generator.next() % 2 == 0 ? patient : otherPatient
                        batch.append(
                            write(
                                key, id, operation, kind: replacing == nil ? .allergy : .labResult,
                                replacing: replacing,
                                patient: who, item: [0x0A, 0x01, UInt8(round)]))
                    }
                    let at = time + Double(round)
                    let expected = try await memory.apply(batch, institution: hospital, at: at)
                    let got = try await postgres.apply(batch, institution: hospital, at: at)
                    #expect(got == expected, "round \(round)")
                }
                for who in [patient, otherPatient] {
                    let (got, expected) = try await storedRecords(of: who, postgres, memory)
                    #expect(Set(got) == Set(expected))
                }
                let memoryChanges = try await memory.changes(
                    after: 0, patientIDs: [patient, otherPatient], limit: 10_000)
                let postgresChanges = try await postgres.changes(
                    after: 0, patientIDs: [patient, otherPatient], limit: 10_000)
                #expect(postgresChanges.map(\.submissionID) == memoryChanges.map(\.submissionID))
                #expect(postgresChanges.map(\.kind) == memoryChanges.map(\.kind))
                // Nothing runs: a watch starting now sees none of the changes made so far.
                let latest = try await postgres.latestChangeSequence()
                #expect(latest >= postgresChanges.last?.sequence ?? 0)
                #expect(
                    try await postgres.changes(after: latest, patientIDs: [patient, otherPatient], limit: 10).isEmpty)
            }
        }

        @Test("the change log numbers concurrent batches in commit order and resumes after a sequence")
        func changeLog() async throws {
            try await withRepository { repository, _ in
                let before = try await repository.latestChangeSequence()
                #expect(try await repository.changes(after: 0, patientIDs: [patient, otherPatient], limit: 10).isEmpty)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<6 {
                        group.addTask {
                            for batch in 0..<5 {
                                let writes = (0..<20).map { index in
                                    write(
                                        "w\(writer)-\(batch)-\(index)", "w\(writer)-\(batch)-\(index)",
                                        patient: index % 2 == 0 ? patient : otherPatient)
                                }
                                _ = try await repository.apply(writes, institution: hospital, at: time)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let all = try await repository.changes(after: 0, patientIDs: [patient, otherPatient], limit: 1_000)
                #expect(all.count == 600)
                #expect(
                    try await repository.changes(after: before, patientIDs: [patient, otherPatient], limit: 1_000)
                        == all)
                #expect(all.map(\.sequence) == all.map(\.sequence).sorted())
                let onePatient = try await repository.changes(after: 0, patientIDs: [patient], limit: 1_000)
                #expect(onePatient.count == 300 && onePatient.allSatisfy { $0.patientID == patient })
                let resumed = try await repository.changes(
                    after: all[99].sequence, patientIDs: [patient, otherPatient], limit: 50)
                #expect(resumed.map(\.sequence) == Array(all[100..<150]).map(\.sequence))
            }
        }

        @Test(
            "a change committed while an older transaction still runs is read only after that one ended, behind its changes"
        )
        func changeLogWaitsForOlderTransactions() async throws {
            try await withRepository { repository, pool in
                let start = try await repository.latestChangeSequence()
                let (committing, commit) = AsyncStream<Void>.makeStream()
                let (inserted, didInsert) = AsyncStream<Void>.makeStream()
                async let older: Void = pool.withTransaction { tx in
                    // A writer that numbered its change and has not committed yet.
                    try await tx.execute(
                        """
                        INSERT INTO care_changes (sequence, patient_id, institution, item_kind, submission_id, change, \
                        version, provenance, changed_at) VALUES ((pg_current_xact_id()::text::int8 << 20) + 1, \
                        \(patient), \(hospital), 'allergy', 'older', 'added', 1, '\\x00'::bytea, now())
                        """)
                    didInsert.yield()
                    for await _ in committing { break }
                }
                for await _ in inserted { break }
                _ = try await repository.apply([write("k-newer", "newer")], institution: hospital, at: time)
                // The younger batch committed, but the older transaction could still add changes
                // numbered below it: nothing is read yet.
                #expect(try await repository.changes(after: start, patientIDs: [patient], limit: 10).isEmpty)
                commit.yield()
                try await older
                let changes = try await repository.changes(after: start, patientIDs: [patient], limit: 10)
                #expect(changes.map(\.submissionID) == ["older", "\(hospital)^2026^newer"])
                #expect(changes.map(\.sequence) == changes.map(\.sequence).sorted())
            }
        }
    }
}
