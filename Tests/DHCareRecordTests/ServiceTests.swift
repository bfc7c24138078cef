import DHAudit
import DHIdentity
import DHRPC
import DHSchemas
import DHWire
import Foundation
import Synchronization
import Testing

@testable import DHCareRecord

let gatewayA = "dh://\(hospital)/gateway/gw-01"
let clinicB = "2712345678"
let gatewayB = "dh://\(clinicB)/gateway/gw-01"
let researcher = "dh://r-univ-01/researcher/res-7"
let testSecret = [UInt8](repeating: 0x5A, count: 32)
let testTime = Date(timeIntervalSince1970: TimeInterval(now))

/// Keeps the audit entries the service records.
final class AuditRecorder: CareRecordAuditing {
    private let stored = Mutex<[AuditEntry]>([])
    var entries: [AuditEntry] { stored.withLock { $0 } }
    func record(_ entry: AuditEntry) async throws { stored.withLock { $0.append(entry) } }
}

/// A service over an in-memory repository and consent store, on the test's fixed clock.
struct Harness {
    let repository = InMemoryCareRecordRepository()
    let audit = AuditRecorder()
    let consent = InMemoryConsentStore(now: { testTime })
    let pseudonymizer = PatientPseudonymizer(secret: testSecret)
    var configuration = CareRecordService.Configuration()
    var service: CareRecordService {
        CareRecordService(
            repository: repository, consent: consent, pseudonymizer: pseudonymizer, audit: audit,
            configuration: configuration, now: { testTime })
    }

    /// The patient id of the test patient of ``record(_:key:)``.
    var patientID: String { pseudonymizer.patientID(for: record(.allergy(.init())).patient)! }
    var pseudonym: PatientPseudonym { try! PatientPseudonym(patientID) }

    /// Calls the service as `peer` over an in-process transport.
    func call<Result: Sendable>(
        as peer: String, _ body: (Datahealth_V1_CareRecordServiceClient) async throws -> Result
    ) async throws -> Result {
        let transport = InProcessTransport(peer: try PeerIdentity(uri: peer))
        let server = RPCServer(services: [service])
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve(on: transport.server) }
            defer { transport.server.beginGracefulShutdown() }
            await transport.waitUntilServing()
            return try await body(Datahealth_V1_CareRecordServiceClient(transport: transport.client))
        }
    }

    /// Submits `batches` as `peer` in one call.
    func submit(
        _ batches: [[Datahealth_V1_CareRecord]], as peer: String = gatewayA
    ) async throws -> Datahealth_V1_SubmitRecordsResponse {
        try await call(as: peer) { client in
            try await client.submitRecords(options: options(purpose: "treatment")) { writer in
                for batch in batches {
                    var request = Datahealth_V1_SubmitRecordsRequest()
                    request.records = batch
                    try await writer.write(request)
                }
            }
        }
    }

    func summary(as peer: String, purpose: String = "treatment") async throws -> Datahealth_V1_PatientSummary {
        try await call(as: peer) { client in
            var request = Datahealth_V1_GetPatientSummaryRequest()
            request.patient.patientID = patientID
            return try await client.getPatientSummary(request, options: options(purpose: purpose))
        }
    }
}

func options(purpose: String, actingUser: String? = nil) -> CallOptions {
    var metadata = Metadata()
    metadata.addString(purpose, forKey: CallerContext.purposeKey)
    if let actingUser { metadata.addString(actingUser, forKey: CallerContext.actingUserKey) }
    return CallOptions(metadata: metadata)
}

/// A record of `institution` (default: the test hospital) with its own submission id.
func submission(
    _ item: Datahealth_V1_CareRecord.Item, key: String, id: String, institution: String = hospital,
    operation: Datahealth_V1_Operation = .create
) -> Datahealth_V1_CareRecord {
    var value = record(item, key: key)
    value.submissionID = "\(institution)^2026^\(id)"
    value.provenance.institution.code = institution
    value.operation = operation
    return value
}

func penicillin() -> Datahealth_V1_Allergy {
    var allergy = Datahealth_V1_Allergy()
    allergy.category = .other
    allergy.substance = coded(text: "ペニシリン系抗菌薬")
    allergy.criticality = .high
    allergy.reaction = "アナフィラキシー"
    return allergy
}

func diagnosisList(scope: String, _ diagnoses: Datahealth_V1_Diagnosis...) -> Datahealth_V1_DiagnosisList {
    var list = Datahealth_V1_DiagnosisList()
    list.scope = scope
    list.diagnoses = diagnoses
    return list
}

func hypertension(verification: Datahealth_V1_Diagnosis.Verification = .confirmed) -> Datahealth_V1_Diagnosis {
    var diagnosis = Datahealth_V1_Diagnosis()
    diagnosis.disease = coded(coding(CodeSystem.icd10, "I10", "本態性高血圧症"))
    diagnosis.verification = verification
    return diagnosis
}

func expectStatus(_ code: RPCStatus.Code, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code), the call succeeded")
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)")
    } catch {
        Issue.record("expected RPCError \(code), got \(error)")
    }
}

extension Datahealth_V1_SubmitRecordsResponse {
    var results: [Datahealth_V1_RecordOutcome.Result] { outcomes.map(\.result) }
}

@Suite("Care record service over the in-process transport", .timeLimit(.minutes(1)))
struct CareRecordServiceTests {
    @Test("a batch is stored once: the retried batch is all DUPLICATE and changes nothing")
    func retriedBatch() async throws {
        let harness = Harness()
        let batch = [
            submission(.labResult(creatinine()), key: "k-1", id: "lab-1"),
            submission(.allergy(penicillin()), key: "k-2", id: "allergy-1"),
            submission(.diagnoses(diagnosisList(scope: "facility", diabetes())), key: "k-3", id: "dx-1"),
        ]
        let first = try await harness.submit([Array(batch[0...1]), [batch[2]]])
        #expect(first.results == [.accepted, .accepted, .accepted])
        #expect(first.outcomes.map(\.version) == [1, 1, 1])
        #expect(first.acceptedCount == 3)
        let stored = try await harness.repository.records(patientID: harness.patientID)
        #expect(stored.count == 3)

        let retry = try await harness.submit([batch])
        #expect(retry.results == [.duplicate, .duplicate, .duplicate])
        #expect(retry.duplicateCount == 3)
        #expect(try await harness.repository.records(patientID: harness.patientID) == stored)
        // The insured number is not kept: the stored record names the pseudonymous id only.
        let kept = try Datahealth_V1_CareRecord(serializedBytes: stored[0].item)
        #expect(kept.patient.patientID == harness.patientID)
        #expect(!stored.contains { String(decoding: $0.item, as: UTF8.self).contains("06130019") })
    }

    @Test("UPDATE and DELETE by submission id; unknown ids are rejected on submission_id")
    func updateAndDelete() async throws {
        let harness = Harness()
        _ = try await harness.submit([[submission(.allergy(penicillin()), key: "a-1", id: "allergy-1")]])
        var changed = penicillin()
        changed.reaction = "蕁麻疹"
        let update = try await harness.submit([
            [submission(.allergy(changed), key: "a-2", id: "allergy-1", operation: .update)]
        ])
        #expect(update.results == [.accepted])
        #expect(update.outcomes[0].version == 2)
        harness.consent.recordViewingConsent(for: harness.pseudonym, institution: hospital)
        let summary = try await harness.summary(as: gatewayA)
        #expect(summary.items.map(\.allergy.reaction) == ["蕁麻疹"])
        #expect(summary.items[0].version == 2)

        var deletion = submission(.allergy(changed), key: "a-3", id: "allergy-1", operation: .delete)
        deletion.item = nil
        let deleted = try await harness.submit([
            [deletion, submission(.allergy(changed), key: "a-4", id: "allergy-9", operation: .update)]
        ])
        #expect(deleted.results == [.accepted, .rejected])
        #expect(deleted.outcomes[0].version == 3)
        #expect(deleted.outcomes[1].fieldPath == "submission_id")
        #expect(try await harness.summary(as: gatewayA).items.isEmpty)

        let reused = try await harness.submit([[submission(.allergy(changed), key: "a-5", id: "allergy-1")]])
        #expect(reused.results == [.rejected])
        #expect(reused.outcomes[0].fieldPath == "submission_id")
    }

    @Test("a diagnosis list replaces the institution's previous list for the scope; only confirmed ones are shown")
    func diagnosisListReplacement() async throws {
        let harness = Harness()
        let first = diagnosisList(scope: "internal-medicine", diabetes(), hypertension())
        let other = diagnosisList(scope: "pediatrics", hypertension(verification: .suspected))
        _ = try await harness.submit([
            [
                submission(.diagnoses(first), key: "d-1", id: "dx-1"),
                submission(.diagnoses(other), key: "d-2", id: "dx-2"),
            ]
        ])
        let second = diagnosisList(scope: "internal-medicine", diabetes())
        let replaced = try await harness.submit([[submission(.diagnoses(second), key: "d-3", id: "dx-3")]])
        #expect(replaced.results == [.accepted])
        #expect(replaced.outcomes[0].version == 2)

        let summary = try await harness.summary(as: gatewayA)
        #expect(summary.items.map(\.diagnosis.disease.codings[0].code) == ["E11.9"])
        #expect(summary.items[0].provenance.submissionID == "\(hospital)^2026^dx-3")
        #expect(try await harness.repository.records(patientID: harness.patientID).count == 2)
    }

    @Test("a final lab result overwrites the interim one with the same order id and test")
    func interimThenFinal() async throws {
        let harness = Harness()
        var interim = creatinine(status: .interim)
        interim.quantity = quantity("0.95", "mg/dL")
        _ = try await harness.submit([[submission(.labResult(interim), key: "l-1", id: "lab-1")]])
        let final = try await harness.submit([[submission(.labResult(creatinine()), key: "l-2", id: "lab-2")]])
        #expect(final.outcomes.map(\.version) == [2])
        var otherOrder = creatinine()
        otherOrder.orderID = "ORD-20261124-0001"
        _ = try await harness.submit([[submission(.labResult(otherOrder), key: "l-3", id: "lab-3")]])

        let labs = try await harness.summary(as: gatewayA).items.map(\.labResult)
        #expect(labs.map(\.status) == [.final, .final])
        #expect(labs.map(\.quantity.value) == ["0.72", "0.72"])
        #expect(labs.map(\.orderID) == ["ORD-20261123-0042", "ORD-20261124-0001"])
    }

    @Test("an invalid record is REJECTED with its field path and nothing of it is stored")
    func invalidRecord() async throws {
        let harness = Harness()
        var lab = creatinine()
        lab.quantity = quantity("0.72", "")
        let response = try await harness.submit([
            [
                submission(.allergy(penicillin()), key: "i-1", id: "allergy-1"),
                submission(.labResult(lab), key: "i-2", id: "lab-1"),
            ]
        ])
        #expect(response.results == [.accepted, .rejected])
        #expect(response.outcomes[1].fieldPath == "lab_result.quantity.unit")
        #expect(response.rejectedCount == 1)
        #expect(try await harness.repository.records(patientID: harness.patientID).map(\.kind) == [.allergy])
        // The key of the rejected record was not kept: the corrected record is accepted under it.
        let corrected = try await harness.submit([[submission(.labResult(creatinine()), key: "i-2", id: "lab-1")]])
        #expect(corrected.results == [.accepted])
    }

    @Test("a record of another institution fails the call with PERMISSION_DENIED and nothing of the batch is stored")
    func otherInstitution() async throws {
        let harness = Harness()
        await expectStatus(.permissionDenied) {
            _ = try await harness.submit([
                [
                    submission(.allergy(penicillin()), key: "o-1", id: "allergy-1"),
                    submission(.allergy(penicillin()), key: "o-2", id: "allergy-2", institution: clinicB),
                ]
            ])
        }
        #expect(try await harness.repository.records(patientID: harness.patientID).isEmpty)
    }

    @Test("a large batch keeps every outcome in submission order; a foreign record anywhere stores nothing")
    func largeBatchInOrder() async throws {
        let harness = Harness()
        var lab = creatinine()
        lab.quantity = quantity("0.72", "")
        let batch = (0..<300).map { index in
            index % 7 == 3
                ? submission(.labResult(lab), key: "b-\(index)", id: "lab-\(index)")
                : submission(.allergy(penicillin()), key: "b-\(index)", id: "allergy-\(index)")
        }
        let response = try await harness.submit([batch])
        #expect(response.results == (0..<300).map { $0 % 7 == 3 ? .rejected : .accepted })
        #expect(response.outcomes.map(\.idempotencyKey) == (0..<300).map { "b-\($0)" })
        #expect(
            response.outcomes.filter { $0.result == .rejected }.allSatisfy {
                $0.fieldPath == "lab_result.quantity.unit"
            })
        #expect(try await harness.repository.records(patientID: harness.patientID).count == 300 - 43)

        // A record of another institution anywhere in a large batch: nothing of it is stored.
        let other = Harness()
        var foreign = batch
        foreign[281] = submission(.allergy(penicillin()), key: "b-281", id: "allergy-281", institution: clinicB)
        await expectStatus(.permissionDenied) { _ = try await other.submit([foreign]) }
        #expect(try await other.repository.records(patientID: other.patientID).isEmpty)
    }

    @Test("a researcher may neither submit nor read a summary")
    func researcherRefused() async throws {
        let harness = Harness()
        _ = try await harness.submit([[submission(.allergy(penicillin()), key: "r-1", id: "allergy-1")]])
        await expectStatus(.permissionDenied) {
            _ = try await harness.submit(
                [[submission(.allergy(penicillin()), key: "r-2", id: "allergy-2")]], as: researcher)
        }
        await expectStatus(.permissionDenied) { _ = try await harness.summary(as: researcher, purpose: "research") }
    }

    @Test("the summary merges both institutions with provenance, needs viewing consent, and marks undisclosed items")
    func mergedSummary() async throws {
        let harness = Harness()
        var undisclosed = diabetes()
        undisclosed.flags.notYetDisclosed = true
        undisclosed.flags.undisclosedAsOf = Datahealth_V1_PartialDate(CivilDate(year: 2026, month: 11, day: 1))
        _ = try await harness.submit([
            [submission(.diagnoses(diagnosisList(scope: "facility", undisclosed)), key: "m-1", id: "dx-1")]
        ])
        let fromB = try await harness.submit(
            [[submission(.allergy(penicillin()), key: "m-1", id: "allergy-1", institution: clinicB)]], as: gatewayB)
        #expect(fromB.results == [.accepted])

        // Clinic B reads hospital A's records: without the patient's viewing consent, refused.
        await expectStatus(.permissionDenied) { _ = try await harness.summary(as: gatewayB) }
        harness.consent.recordViewingConsent(for: harness.pseudonym, institution: clinicB)
        let summary = try await harness.summary(as: gatewayB)
        #expect(summary.patientID == harness.patientID)
        #expect(summary.items.map(\.provenance.institution.code) == [hospital, clinicB])
        #expect(summary.items.map(\.undisclosed) == [true, false])
        #expect(summary.items[0].undisclosedAsOf.day == 1)
        #expect(summary.items[1].allergy.reaction == "アナフィラキシー")
        #expect(summary.accessExpiresAt.seconds == now + 24 * 3600)

        // An opted-out patient's records are not shared, even with consent.
        harness.consent.setSharingOptOut(true, for: harness.pseudonym)
        await expectStatus(.permissionDenied) { _ = try await harness.summary(as: gatewayB) }

        // Every read is audited, the refused ones too, with the patient's id.
        let entries = harness.audit.entries
        #expect(entries.map(\.outcome) == [.denied, .allowed, .denied])
        #expect(entries.allSatisfy { $0.patient == harness.patientID && $0.identity == gatewayB })
        #expect(entries.allSatisfy { $0.method == "/datahealth.v1.CareRecordService/GetPatientSummary" })
        #expect(entries.map(\.statusCode) == [7, 0, 7])
        #expect(entries.allSatisfy { $0.purpose == "treatment" && !$0.breakGlass })
    }

    @Test("emergency access needs a reason, is time-boxed, and opens break-glass only for a named clinician")
    func emergency() async throws {
        let harness = Harness()
        _ = try await harness.submit([[submission(.allergy(penicillin()), key: "e-1", id: "allergy-1")]])
        var request = Datahealth_V1_GetEmergencySummaryRequest()
        request.patient.patientID = harness.patientID
        try await harness.call(as: gatewayB) { client in
            await expectStatus(.invalidArgument) {
                _ = try await client.getEmergencySummary(
                    request, options: options(purpose: "emergency", actingUser: "D-9"))
            }
            request.reason = "意識障害で救急搬送、本人確認不能"
            await expectStatus(.permissionDenied) {
                _ = try await client.getEmergencySummary(request, options: options(purpose: "emergency"))
            }
            let summary = try await client.getEmergencySummary(
                request, options: options(purpose: "emergency", actingUser: "D-9"))
            #expect(summary.items.map(\.provenance.institution.code) == [hospital])
            #expect(summary.accessExpiresAt.seconds == now + 4 * 3600)
        }
        let entries = harness.audit.entries
        #expect(entries.map(\.outcome) == [.failed, .denied, .allowed])
        #expect(entries.allSatisfy { $0.breakGlass })
        #expect(entries[2].reason == "意識障害で救急搬送、本人確認不能")
        #expect(entries[2].actingUser == "dh://\(clinicB)/clinician/D-9")
        #expect(entries[2].purpose == "emergency")
        let grants = harness.consent.grantsNeedingReview()
        #expect(grants.map(\.actingUser?.uri) == ["dh://\(clinicB)/clinician/D-9"])
    }

    @Test("patient ids: the same insured person in full-width digits gets the same id; another key, another id")
    func pseudonyms() {
        var insured = Datahealth_V1_InsuredPersonId()
        insured.insurerNumber = "06130019"
        insured.number = "1234567"
        insured.branchNumber = "01"
        var wide = insured
        wide.number = "１２３４５６７ "
        let pseudonymizer = PatientPseudonymizer(secret: testSecret)
        let id = pseudonymizer.patientID(for: insured)
        #expect(id.count == 64)
        #expect(pseudonymizer.patientID(for: wide) == id)
        #expect(PatientPseudonymizer(secret: [UInt8](repeating: 1, count: 32)).patientID(for: insured) != id)
        insured.branchNumber = "02"
        #expect(pseudonymizer.patientID(for: insured) != id)
    }

    @Test("lab results per test: the last year and at least the latest three; old profile items expire")
    func viewingWindows() async throws {
        let harness = Harness()
        let day: Int64 = 86_400
        var records: [Datahealth_V1_CareRecord] = []
        for (number, age) in [500, 450, 420, 400, 10].enumerated() {
            var lab = creatinine()
            lab.orderID = "ORD-\(number)"
            lab.effectiveAt = timestamp(now - Int64(age) * day)
            records.append(submission(.labResult(lab), key: "w-\(number)", id: "lab-\(number)"))
        }
        var albumin = creatinine()
        albumin.orderID = "ORD-ALB"
        albumin.test = coded(coding(CodeSystem.jlac10, "3A015-0000-023-271-01", "アルブミン"))
        albumin.effectiveAt = timestamp(now - 900 * day)
        records.append(submission(.labResult(albumin), key: "w-alb", id: "lab-alb"))
        _ = try await harness.submit([records])

        let labs = try await harness.summary(as: gatewayA).items.map(\.labResult.orderID)
        #expect(labs == ["ORD-2", "ORD-3", "ORD-4", "ORD-ALB"])

        // Six years on, the allergy registered today is gone; one flagged for long-term retention stays.
        var kept = penicillin()
        kept.flags.longTermRetention = true
        _ = try await harness.submit([
            [
                submission(.allergy(penicillin()), key: "w-a1", id: "allergy-1"),
                submission(.allergy(kept), key: "w-a2", id: "allergy-2"),
            ]
        ])
        let later = Date(timeIntervalSince1970: TimeInterval(now + 6 * 366 * day))
        let service = CareRecordService(
            repository: harness.repository, consent: harness.consent, pseudonymizer: harness.pseudonymizer,
            now: { later })
        let caller = try CallerContext(identity: try PeerIdentity(uri: gatewayA), purpose: .treatment)
        let summary = service.summarize(
            try await harness.repository.records(patientID: harness.patientID), patientID: harness.patientID,
            for: caller, kinds: [.allergy])
        #expect(summary.items.map(\.provenance.submissionID) == ["\(hospital)^2026^allergy-2"])
    }

    @Test(
        "WatchPatient streams committed changes in order, resumes after a sequence, and shows only what consent covers")
    func watchPatient() async throws {
        let harness = Harness()
        let clinicC = "3312345678"
        _ = try await harness.submit([[submission(.allergy(penicillin()), key: "w-1", id: "allergy-1")]])
        harness.consent.recordViewingConsent(for: harness.pseudonym, institution: clinicB)
        var request = Datahealth_V1_WatchPatientRequest()
        request.patients = [record(.allergy(.init())).patient]

        // From now on (after_sequence 0): the record submitted while watching arrives.
        let watchOptions = options(purpose: "treatment", actingUser: "D0001")
        let received = try await harness.call(as: gatewayB) { client in
            try await client.watchPatient(request, options: watchOptions) { changes in
                let submitting = Task {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await harness.submit([
                        [submission(.labResult(creatinine()), key: "w-2", id: "lab-1")]
                    ])
                }
                var first: Datahealth_V1_PatientChange?
                for try await change in changes {
                    first = change
                    break
                }
                #expect(try await submitting.value.results == [.accepted])
                return first
            }
        }
        #expect(received?.sequence == 2)
        #expect(received?.itemKind == .labResult && received?.kind == .added)
        #expect(received?.provenance.institution.code == hospital)
        #expect(received?.patientID == harness.patientID)

        // Resuming after sequence 0 is "from now"; after 1 gives the lab result again.
        var resume = request
        resume.afterSequence = 1
        let resumed = try await harness.call(as: gatewayB) { client in
            try await client.watchPatient(resume, options: watchOptions) { changes in
                for try await change in changes { return change.sequence }
                return 0
            }
        }
        #expect(resumed == 2)

        // Clinic C has no viewing consent: hospital A's changes are not shown to it, its own are.
        _ = try await harness.submit(
            [[submission(.allergy(penicillin()), key: "w-3", id: "allergy-c", institution: clinicC)]],
            as: "dh://\(clinicC)/gateway/gw-01")
        let seenByC = try await harness.call(as: "dh://\(clinicC)/gateway/gw-01") { client in
            try await client.watchPatient(resume, options: watchOptions) { changes -> Datahealth_V1_PatientChange? in
                for try await change in changes { return change }
                return nil
            }
        }
        #expect(seenByC?.sequence == 3 && seenByC?.provenance.institution.code == clinicC)

        // Bad requests and callers.
        await expectStatus(.invalidArgument) {
            try await harness.call(as: gatewayB) { client in
                try await client.watchPatient(Datahealth_V1_WatchPatientRequest(), options: watchOptions) { changes in
                    for try await _ in changes {}
                }
            }
        }
        await expectStatus(.permissionDenied) {
            try await harness.call(as: researcher) { client in
                try await client.watchPatient(request, options: options(purpose: "research")) { changes in
                    for try await _ in changes {}
                }
            }
        }
    }

    @Test("an emergency read finds a patient by the four basic facts: one match, none, or several people sharing them")
    func emergencyByBasicFacts() async throws {
        let harness = Harness()
        func facts(_ kana: String, sex: Datahealth_V1_Sex = .male) -> Datahealth_V1_BasicFourFacts {
            var facts = Datahealth_V1_BasicFourFacts()
            facts.name = "山田 太郎"
            facts.nameKana = kana
            facts.birthDate = Datahealth_V1_PartialDate(CivilDate(year: 2015, month: 4, day: 1))
            facts.sex = sex
            return facts
        }
        var first = submission(.allergy(penicillin()), key: "f-1", id: "allergy-1")
        first.patientFacts = facts("ヤマダ タロウ")
        _ = try await harness.submit([[first]])
        // The facts are not stored with the record, only their keyed digest.
        let stored = try await harness.repository.records(patientID: harness.patientID)
        #expect(try stored.allSatisfy { !(try Datahealth_V1_CareRecord(serializedBytes: $0.item)).hasPatientFacts })

        var request = Datahealth_V1_GetEmergencySummaryRequest()
        request.reason = "心肺停止で搬送、保険証なし"
        let emergency = options(purpose: "emergency", actingUser: "D-9")
        try await harness.call(as: gatewayB) { client in
            // Written in half-width katakana, or in hiragana: the same person.
            for written in ["ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ　たろう"] {
                request.basicFacts = facts(written)
                let summary = try await client.getEmergencySummary(request, options: emergency)
                #expect(summary.patientID == harness.patientID)
                #expect(summary.items.count == 1)
            }
            request.basicFacts = facts("ヤマダ タロウ", sex: .female)
            await expectStatus(.notFound) { _ = try await client.getEmergencySummary(request, options: emergency) }
            request.basicFacts = facts("ヤマダ タロウ", sex: .unspecified)
            await expectStatus(.invalidArgument) {
                _ = try await client.getEmergencySummary(request, options: emergency)
            }
        }

        // Another person with the same name, birth date and sex: no guessing.
        var twin = submission(.allergy(penicillin()), key: "f-2", id: "allergy-2")
        twin.patient.insured.number = "7654321"
        twin.patientFacts = facts("ヤマダ タロウ")
        _ = try await harness.submit([[twin]])
        request.basicFacts = facts("ヤマダ タロウ")
        await expectStatus(.failedPrecondition) {
            try await harness.call(as: gatewayB) { client in
                _ = try await client.getEmergencySummary(request, options: emergency)
            }
        }
        // A record whose facts are incomplete is rejected, naming the field.
        var incomplete = submission(.allergy(penicillin()), key: "f-3", id: "allergy-3")
        incomplete.patientFacts = facts("Yamada")
        let response = try await harness.submit([[incomplete]])
        #expect(response.outcomes.first?.fieldPath == "patient_facts.name_kana")
    }

    @Test(
        "for a person needing medical care, an emergency summary puts allergies, contraindications and diagnoses first")
    func medicalCareNeedsOrder() async throws {
        let harness = Harness()
        _ = try await harness.submit([
            [
                submission(.labResult(creatinine()), key: "o-1", id: "lab-1"),
                submission(.diagnoses(diagnosisList(scope: "facility", hypertension())), key: "o-2", id: "dx-1"),
                submission(.allergy(penicillin()), key: "o-3", id: "allergy-1"),
            ]
        ])
        var request = Datahealth_V1_GetEmergencySummaryRequest()
        request.patient.patientID = harness.patientID
        request.reason = "人工呼吸器装着児、呼吸状態悪化で救急搬送"
        let emergency = options(purpose: "emergency", actingUser: "D-9")
        try await harness.call(as: gatewayB) { client in
            let plain = try await client.getEmergencySummary(request, options: emergency)
            #expect(plain.items.count == 3)
            #expect(plain.items.first?.labResult.orderID == "ORD-20261123-0042")
            request.medicalCareNeeds = true
            let ordered = try await client.getEmergencySummary(request, options: emergency)
            #expect(ordered.items.count == 3)
            #expect(ordered.items[0].allergy.reaction == "アナフィラキシー")
            #expect(ordered.items[1].diagnosis.disease.codings.first?.code == "I10")
            #expect(ordered.items[2].labResult.orderID == "ORD-20261123-0042")
        }
    }
}
