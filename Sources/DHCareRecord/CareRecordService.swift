internal import DHAccess
internal import DHAudit
public import DHIdentity
public import DHRPC
public import DHSchemas
internal import DHWire

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `datahealth.v1.CareRecordService`: gateways submit their institution's records; clinicians,
/// through a gateway, read a patient's summary merged across institutions (docs/CARE_RECORDS.md).
public struct CareRecordService: Datahealth_V1_CareRecordServiceHandler {
    public struct Configuration: Sendable {
        /// The most records one `SubmitRecordsRequest` may carry.
        public var maximumRecordsPerBatch = 1_000
        /// The most records one `SubmitRecords` call may carry.
        public var maximumRecordsPerCall = 100_000
        /// How many batches of one call are stored at once, each in its own transaction: a
        /// batch is validated and stored while the ones before it commit, unless it touches
        /// their idempotency keys, submission ids or replaced items (then it waits for them).
        /// 1 stores one batch after another.
        public var maximumBatchesStoring = 4
        /// The validator's own limits.
        public var validation = CareRecordValidator.Configuration()
        /// Lab results shown per test: those of the last year, and at least the latest three.
        public var labResultWindowDays = 365
        public var labResultMinimumCount = 3
        /// Prescriptions shown: those of the last 100 days, and at least the latest three.
        public var prescriptionWindowDays = 100
        public var prescriptionMinimumCount = 3
        /// Diagnoses, allergies, drug contraindications and infection results are shown for this
        /// many years after registration, unless flagged for long-term retention.
        public var profileRetentionYears = 5
        /// How long a per-visit viewing consent lasts (24 hours), and how far in the future its
        /// time may lie (clocks of gateways and server differ a little).
        public var viewingConsentValidity: Duration = .seconds(24 * 3600)
        public var consentClockSkew: Duration = .seconds(300)
        /// WatchPatient: the most patients one watch follows, how many changes are read at
        /// once, how often the change log is asked when nothing came, and how long a consent
        /// decision is trusted before it is asked again.
        public var maximumWatchedPatients = 1_000
        public var watchBatchSize = 500
        public var watchPollInterval: Duration = .milliseconds(250)
        public var watchConsentRecheck: Duration = .seconds(60)

        public init() {}
    }

    public let configuration: Configuration
    private let repository: any CareRecordRepository
    private let consent: any ConsentChecker
    private let pseudonymizer: PatientPseudonymizer
    private let validator: CareRecordValidator
    private let audit: (any CareRecordAuditing)?
    private let now: @Sendable () -> Date

    /// - Parameter audit: where every summary read, allowed or refused, is recorded before its
    ///   answer leaves, when the service runs without the access interceptor (DHAccess). Behind
    ///   the interceptor the service names the patient and any break-glass reason on the call's
    ///   ``CallAudit`` instead, and the interceptor writes the call's one entry. nil only in
    ///   tests that do not look at the audit.
    public init(
        repository: any CareRecordRepository, consent: any ConsentChecker, pseudonymizer: PatientPseudonymizer,
        audit: (any CareRecordAuditing)? = nil, configuration: Configuration = Configuration(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.audit = audit
        self.repository = repository
        self.consent = consent
        self.pseudonymizer = pseudonymizer
        self.validator = CareRecordValidator(configuration: configuration.validation)
        self.now = now
    }

    // MARK: SubmitRecords

    public func submitRecords(
        requests: RPCAsyncSequence<Datahealth_V1_SubmitRecordsRequest>, context: ServerContext
    ) async throws -> Datahealth_V1_SubmitRecordsResponse {
        let caller = try callerContext(context)
        guard caller.identity.role == .gateway else {
            throw RPCError(
                code: .permissionDenied,
                message:
                    "only a hospital gateway submits records; \(caller.identity) is a \(caller.identity.role.rawValue)")
        }
        let institution = caller.identity.organization
        var batchOutcomes: [[Datahealth_V1_RecordOutcome]] = []
        try await withThrowingTaskGroup(of: (Int, [Datahealth_V1_RecordOutcome]).self) { group in
            // Batches being stored, by their position in the call, with what they touch.
            var storing: [Int: BatchFootprint] = [:]
            var received = 0
            func collect(_ finished: (Int, [Datahealth_V1_RecordOutcome])) {
                storing[finished.0] = nil
                batchOutcomes[finished.0] = finished.1
            }
            for try await batch in requests {
                guard batch.records.count <= configuration.maximumRecordsPerBatch else {
                    throw RPCError(
                        code: .invalidArgument,
                        message:
                            "a batch holds \(batch.records.count) records; at most \(configuration.maximumRecordsPerBatch) are accepted"
                    )
                }
                received += batch.records.count
                guard received <= configuration.maximumRecordsPerCall else {
                    throw RPCError(
                        code: .resourceExhausted,
                        message:
                            "a call may carry at most \(configuration.maximumRecordsPerCall) records; start a new call"
                    )
                }
                let prepared = try prepare(batch.records, institution: institution)
                let position = batchOutcomes.count
                batchOutcomes.append(prepared.outcomes)
                guard !prepared.writes.isEmpty else { continue }
                // A batch waits for the batches before it that touch the same keys, submission
                // ids or replaced items (its outcome may depend on theirs), and for a free place.
                let footprint = BatchFootprint(prepared.writes)
                while storing.count >= max(configuration.maximumBatchesStoring, 1)
                    || storing.values.contains(where: { $0.overlaps(footprint) })
                {
                    guard let finished = try await group.next() else { break }
                    collect(finished)
                }
                storing[position] = footprint
                group.addTask { (position, try await store(prepared, institution: institution)) }
            }
            while let finished = try await group.next() { collect(finished) }
        }
        var response = Datahealth_V1_SubmitRecordsResponse()
        response.outcomes = batchOutcomes.flatMap { $0 }
        for outcome in response.outcomes {
            switch outcome.result {
            case .accepted: response.acceptedCount += 1
            case .duplicate: response.duplicateCount += 1
            default: response.rejectedCount += 1
            }
        }
        return response
    }

    /// A validated batch: every record's outcome so far (rejections final), and the writes of
    /// the valid records with their positions in the batch.
    private struct PreparedBatch: Sendable {
        var outcomes: [Datahealth_V1_RecordOutcome] = []
        var writes: [CareRecordWrite] = []
        var positions: [Int] = []
        var time: Date
    }

    /// What a batch's writes touch: the idempotency keys, the submission ids and the replaced
    /// items (patient and replacement key). Batches whose footprints do not overlap give the
    /// same outcomes whichever commits first.
    struct BatchFootprint: Sendable {
        private var keys: Set<String> = []
        private var submissions: Set<String> = []
        private var replacements: Set<String> = []

        init(_ writes: [CareRecordWrite]) {
            keys.reserveCapacity(writes.count)
            submissions.reserveCapacity(writes.count)
            for write in writes {
                keys.insert(write.idempotencyKey)
                submissions.insert(write.submissionID)
                if let key = write.replacementKey { replacements.insert(write.patientID + "|" + key) }
            }
        }

        func overlaps(_ other: BatchFootprint) -> Bool {
            !keys.isDisjoint(with: other.keys) || !submissions.isDisjoint(with: other.submissions)
                || !replacements.isDisjoint(with: other.replacements)
        }
    }

    /// Validates one batch and prepares the writes of its valid records. A record for another
    /// institution fails the call before anything of the batch is stored.
    private func prepare(_ records: [Datahealth_V1_CareRecord], institution: String) throws -> PreparedBatch {
        let time = now()
        let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
        var batch = PreparedBatch(time: time)
        batch.outcomes.reserveCapacity(records.count)
        var pseudonyms = Pseudonyms()
        for record in records {
            var outcome = Datahealth_V1_RecordOutcome()
            outcome.idempotencyKey = record.idempotencyKey
            if let problem = validator.problem(in: record, institution: institution, nowSeconds: seconds) {
                if problem.kind == .forbidden {
                    throw RPCError(code: .permissionDenied, message: "\(problem.fieldPath): \(problem.message)")
                }
                outcome.result = .rejected
                outcome.fieldPath = problem.fieldPath
                outcome.message = problem.message
            } else {
                batch.positions.append(batch.outcomes.count)
                batch.writes.append(write(for: record, receivedAt: time, pseudonyms: &pseudonyms))
            }
            batch.outcomes.append(outcome)
        }
        return batch
    }

    /// Stores a prepared batch's writes in one transaction and returns every outcome of the
    /// batch, in submission order, once it committed.
    private func store(_ batch: PreparedBatch, institution: String) async throws -> [Datahealth_V1_RecordOutcome] {
        let applied: [CareRecordApplied]
        do {
            applied = try await repository.apply(batch.writes, institution: institution, at: batch.time)
        } catch {
            throw RPCError(
                code: .unavailable,
                message: "the records could not be stored; nothing of this batch was kept, retry it",
                cause: error)
        }
        var outcomes = batch.outcomes
        for (position, result) in zip(batch.positions, applied) {
            switch result.result {
            case .accepted: outcomes[position].result = .accepted
            case .duplicate: outcomes[position].result = .duplicate
            case .rejected: outcomes[position].result = .rejected
            }
            outcomes[position].version = result.version
            outcomes[position].fieldPath = result.fieldPath
            outcomes[position].message = result.message
        }
        return outcomes
    }

    /// The stored form of a valid record: the patient replaced by the pseudonymous id, with
    /// its kind, replacement key and flags (what the repository stores).
    public func write(for record: Datahealth_V1_CareRecord, receivedAt time: Date) -> CareRecordWrite {
        var pseudonyms = Pseudonyms()
        return write(for: record, receivedAt: time, pseudonyms: &pseudonyms)
    }

    /// A batch's pseudonyms, each patient's computed once: a batch usually holds several
    /// records of each patient (one visit gives a diagnosis list, lab results, prescriptions).
    struct Pseudonyms {
        var patientIDs: [Datahealth_V1_PatientReference: String] = [:]
        var factsDigests: [Datahealth_V1_BasicFourFacts: String] = [:]
    }

    func write(
        for record: Datahealth_V1_CareRecord, receivedAt time: Date, pseudonyms: inout Pseudonyms
    ) -> CareRecordWrite {
        let patientID: String
        if let known = pseudonyms.patientIDs[record.patient] {
            patientID = known
        } else {
            patientID = pseudonymizer.patientID(for: record.patient) ?? ""
            pseudonyms.patientIDs[record.patient] = patientID
        }
        var factsDigest: String?
        if record.hasPatientFacts {
            if let known = pseudonyms.factsDigests[record.patientFacts] {
                factsDigest = known
            } else {
                factsDigest = pseudonymizer.factsDigest(for: record.patientFacts)
                pseudonyms.factsDigests[record.patientFacts] = factsDigest
            }
        }
        var stored = record
        stored.patient = Datahealth_V1_PatientReference()
        stored.patient.patientID = patientID
        stored.clearPatientFacts()
        stored.provenance.submissionID = record.submissionID
        stored.provenance.receivedAt = Self.timestamp(time)
        let operation: CareRecordOperation =
            switch record.operation {
            case .update: .update
            case .delete: .delete
            default: .create
            }
        var kind = CareItemKind.diagnoses
        var replacementKey: String?
        var longTerm = false
        var undisclosed = false
        switch record.item {
        case .diagnoses(let list)?:
            kind = .diagnoses
            replacementKey = "diagnoses|\(list.scope)"
            longTerm = list.diagnoses.contains { $0.flags.longTermRetention }
            undisclosed = list.diagnoses.contains { $0.flags.notYetDisclosed }
        case .allergy(let item)?:
            kind = .allergy
            (longTerm, undisclosed) = (item.flags.longTermRetention, item.flags.notYetDisclosed)
        case .drugContraindication(let item)?:
            kind = .drugContraindication
            (longTerm, undisclosed) = (item.flags.longTermRetention, item.flags.notYetDisclosed)
        case .infection(let item)?:
            kind = .infection
            (longTerm, undisclosed) = (item.flags.longTermRetention, item.flags.notYetDisclosed)
        case .labResult(let lab)?:
            kind = .labResult
            let test = lab.test.codings.first { CodeSystem.labSystems.contains($0.system) }
            replacementKey = "lab|\(lab.orderID)|\(test?.system ?? "")|\(test?.code ?? "")"
        case .prescription?: kind = .prescription
        case .referralLetter?: kind = .referralLetter
        case .checkupReport?: kind = .checkupReport
        case nil: break
        }
        return CareRecordWrite(
            idempotencyKey: record.idempotencyKey, submissionID: record.submissionID, operation: operation,
            patientID: patientID, kind: kind, replacementKey: replacementKey, longTermRetention: longTerm,
            notYetDisclosed: undisclosed, item: stored.serializedBytes(),
            provenance: stored.provenance.serializedBytes(),
            factsDigest: factsDigest)
    }

    // MARK: Summaries

    public func getPatientSummary(
        request: Datahealth_V1_GetPatientSummaryRequest, context: ServerContext
    ) async throws -> Datahealth_V1_PatientSummary {
        var note = AuditNote()
        return try await audited(context, &note) { note in try await patientSummary(request, context, &note) }
    }

    public func getEmergencySummary(
        request: Datahealth_V1_GetEmergencySummaryRequest, context: ServerContext
    ) async throws -> Datahealth_V1_PatientSummary {
        var note = AuditNote(breakGlass: true, reason: request.reason)
        return try await audited(context, &note) { note in try await emergencySummary(request, context, &note) }
    }

    private func patientSummary(
        _ request: Datahealth_V1_GetPatientSummaryRequest, _ context: ServerContext, _ note: inout AuditNote
    ) async throws -> Datahealth_V1_PatientSummary {
        let caller = try callerContext(context)
        note.caller = caller
        guard caller.identity.role == .gateway || caller.identity.role == .clinician else {
            throw RPCError(
                code: .permissionDenied,
                message: "a patient summary is for clinicians; \(caller.identity) is a \(caller.identity.role.rawValue)"
            )
        }
        guard caller.purpose == .treatment else {
            throw RPCError(
                code: .permissionDenied, message: "a patient summary is read for treatment, not \(caller.purpose)")
        }
        let patientID = try self.patientID(request.patient, path: "patient", present: request.hasPatient)
        note.patient = patientID
        let pseudonym = try pseudonym(patientID)
        if request.hasConsent {
            try await recordViewingConsent(
                request.consent, patient: pseudonym, institution: caller.identity.organization)
        }
        let records = try await stored(patientID)
        // Every institution whose records the summary shows must be covered by consent.
        var institutions = Set(records.map(\.institution))
        if institutions.isEmpty { institutions.insert("") }
        var validUntil: Date?
        for institution in institutions.sorted() {
            let decision = try await decide(
                ConsentRequest(
                    patient: pseudonym, caller: caller, recordInstitution: institution.isEmpty ? nil : institution))
            guard decision.isAllowed else {
                throw RPCError(code: .permissionDenied, message: "consent: \(decision.message)")
            }
            if let until = decision.validUntil { validUntil = min(validUntil ?? until, until) }
        }
        var summary = summarize(
            records, patientID: patientID, for: caller, kinds: Set(request.items.filter { $0 != .unspecified }))
        if let validUntil { summary.accessExpiresAt = Self.timestamp(validUntil) }
        return summary
    }

    private func emergencySummary(
        _ request: Datahealth_V1_GetEmergencySummaryRequest, _ context: ServerContext, _ note: inout AuditNote
    ) async throws -> Datahealth_V1_PatientSummary {
        let stated = try callerContext(context)
        note.caller = stated
        guard request.reason.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw RPCError(code: .invalidArgument, message: "reason: emergency access needs a stated reason")
        }
        let caller: CallerContext
        do {
            caller = try CallerContext(
                identity: stated.identity, actingUser: stated.actingUser, purpose: .emergency, reason: request.reason)
        } catch {
            throw RPCError(code: .invalidArgument, message: "reason: \(error.message)", cause: error)
        }
        let patientID: String
        switch request.patientIdentification {
        case .patient(let reference)?:
            patientID = try self.patientID(reference, path: "patient", present: true)
        case .basicFacts(let facts)?:
            patientID = try await self.patientID(matching: facts)
        case nil:
            throw RPCError(code: .invalidArgument, message: "patient: required")
        }
        note.patient = patientID
        let pseudonym = try pseudonym(patientID)
        let grant: BreakGlassGrant
        do {
            grant = try await consent.beginBreakGlass(patient: pseudonym, caller: caller)
        } catch {
            if error.code == .unavailable {
                throw RPCError(code: .unavailable, message: "consent: \(error.message)", cause: error)
            }
            throw RPCError(code: .permissionDenied, message: "break-glass: \(error.message)", cause: error)
        }
        let decision = try await decide(ConsentRequest(patient: pseudonym, caller: caller, recordInstitution: nil))
        guard decision.isAllowed else {
            throw RPCError(code: .permissionDenied, message: "consent: \(decision.message)")
        }
        let records = try await stored(patientID)
        var summary = summarize(records, patientID: patientID, for: caller, kinds: [])
        summary.accessExpiresAt = Self.timestamp(decision.validUntil ?? grant.expiresAt)
        if request.medicalCareNeeds { summary.items = Self.emergencyOrder(summary.items) }
        return summary
    }

    /// For a person needing medical care (医療的ケア児等), what an emergency team must see first
    /// comes first: allergies and drug contraindications, infections, diagnoses, the regular
    /// medications, then test results and documents. Within a group the order stays (by
    /// registration).
    static func emergencyOrder(_ items: [Datahealth_V1_SummaryItem]) -> [Datahealth_V1_SummaryItem] {
        func rank(_ item: Datahealth_V1_SummaryItem) -> Int {
            switch item.item {
            case .allergy?: 0
            case .drugContraindication?: 1
            case .infection?: 2
            case .diagnosis?: 3
            case .prescription?: 4
            case .labResult?: 5
            default: 6
            }
        }
        return items.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(
            \.element)
    }

    public func watchPatient(
        request: Datahealth_V1_WatchPatientRequest, responses: RPCWriter<Datahealth_V1_PatientChange>,
        context: ServerContext
    ) async throws {
        let caller = try callerContext(context)
        guard caller.identity.role == .gateway || caller.identity.role == .clinician else {
            throw RPCError(
                code: .permissionDenied,
                message: "watching patients is for clinicians; \(caller.identity) is a \(caller.identity.role.rawValue)"
            )
        }
        guard caller.purpose == .treatment else {
            throw RPCError(
                code: .permissionDenied, message: "patients are watched for treatment, not \(caller.purpose)")
        }
        guard !request.patients.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "patients: name at least one patient to watch")
        }
        guard request.patients.count <= configuration.maximumWatchedPatients else {
            throw RPCError(
                code: .invalidArgument,
                message:
                    "patients: at most \(configuration.maximumWatchedPatients) patients per watch, got \(request.patients.count)"
            )
        }
        guard request.afterSequence >= 0 else {
            throw RPCError(code: .invalidArgument, message: "after_sequence: must not be negative")
        }
        var patientIDs: [String] = []
        var pseudonyms: [String: PatientPseudonym] = [:]
        for (position, reference) in request.patients.enumerated() {
            let id = try patientID(reference, path: "patients[\(position)]", present: true)
            if pseudonyms[id] == nil {
                pseudonyms[id] = try pseudonym(id)
                patientIDs.append(id)
                CallAudit.current?.touched(patient: id)
            }
        }
        var after = request.afterSequence
        if after == 0 {
            do {
                after = try await repository.latestChangeSequence()
            } catch {
                throw RPCError(code: .unavailable, message: "the change log cannot be read", cause: error)
            }
        }
        // Consent is asked per patient and institution, and asked again after a while: a
        // viewing consent that expires during the watch stops the changes it covered.
        var decided: [String: (allowed: Bool, until: Date)] = [:]
        while !Task.isCancelled {
            let changes: [CareRecordChange]
            do {
                changes = try await repository.changes(
                    after: after, patientIDs: patientIDs, limit: configuration.watchBatchSize)
            } catch {
                throw RPCError(
                    code: .unavailable, message: "the change log cannot be read; resume after sequence \(after)",
                    cause: error)
            }
            for change in changes {
                after = change.sequence
                let key = change.patientID + "|" + change.institution
                let current = now()
                if decided[key].map({ $0.until <= current }) ?? true, let pseudonym = pseudonyms[change.patientID] {
                    let decision = try await decide(
                        ConsentRequest(patient: pseudonym, caller: caller, recordInstitution: change.institution))
                    let recheck = current + Self.seconds(configuration.watchConsentRecheck)
                    decided[key] = (decision.isAllowed, min(decision.validUntil ?? recheck, recheck))
                }
                guard decided[key]?.allowed == true else { continue }
                try await responses.write(Self.patientChange(change))
            }
            if changes.count < configuration.watchBatchSize {
                try await Task.sleep(for: configuration.watchPollInterval)
            }
        }
        throw CancellationError()
    }

    static func patientChange(_ change: CareRecordChange) -> Datahealth_V1_PatientChange {
        var message = Datahealth_V1_PatientChange()
        message.sequence = change.sequence
        message.patientID = change.patientID
        message.itemKind =
            switch change.itemKind {
            case .diagnoses: .diagnosis
            case .allergy: .allergy
            case .drugContraindication: .drugContraindication
            case .infection: .infection
            case .labResult: .labResult
            case .prescription: .prescription
            case .referralLetter: .referralLetter
            case .checkupReport: .checkupReport
            }
        message.kind =
            switch change.kind {
            case .added: .added
            case .updated: .updated
            case .deleted: .deleted
            }
        if let provenance = try? Datahealth_V1_Provenance(serializedBytes: change.provenance) {
            message.provenance = provenance
        }
        return message
    }

    /// The caller's items, merged across institutions, oldest first. Only confirmed diagnoses
    /// are shared (never suspected, refuted or billing-only ones); items marked
    /// not-to-be-provided are left out; not-yet-disclosed items are marked `undisclosed`;
    /// a referral letter is shown only to its addressee and its author.
    func summarize(
        _ records: [StoredCareRecord], patientID: String, for caller: CallerContext, kinds: Set<Datahealth_V1_ItemKind>
    ) -> Datahealth_V1_PatientSummary {
        var summary = Datahealth_V1_PatientSummary()
        summary.patientID = patientID
        summary.generatedAt = Self.timestamp(now())
        func wanted(_ kind: Datahealth_V1_ItemKind) -> Bool { kinds.isEmpty || kinds.contains(kind) }
        let time = now()
        let profileCutoff = time - Double(configuration.profileRetentionYears) * 365.2425 * 86_400
        for stored in records {
            guard let record = try? Datahealth_V1_CareRecord(serializedBytes: stored.item) else { continue }
            var base = Datahealth_V1_SummaryItem()
            base.provenance = record.provenance
            base.version = stored.version
            func add(_ item: Datahealth_V1_SummaryItem.Item, flags: Datahealth_V1_ItemFlags?) {
                var entry = base
                if let flags {
                    if flags.notToBeProvided { return }
                    if !flags.longTermRetention, stored.createdAt < profileCutoff { return }
                    if flags.notYetDisclosed {
                        entry.undisclosed = true
                        if flags.hasUndisclosedAsOf { entry.undisclosedAsOf = flags.undisclosedAsOf }
                    }
                }
                entry.item = item
                summary.items.append(entry)
            }
            switch record.item {
            case .diagnoses(let list)? where wanted(.diagnosis):
                for diagnosis in list.diagnoses where diagnosis.verification == .confirmed && !diagnosis.billingOnly {
                    add(.diagnosis(diagnosis), flags: diagnosis.flags)
                }
            case .allergy(let item)? where wanted(.allergy): add(.allergy(item), flags: item.flags)
            case .drugContraindication(let item)? where wanted(.drugContraindication):
                add(.drugContraindication(item), flags: item.flags)
            case .infection(let item)? where wanted(.infection): add(.infection(item), flags: item.flags)
            case .labResult(let item)? where wanted(.labResult): add(.labResult(item), flags: nil)
            case .prescription(let item)? where wanted(.prescription): add(.prescription(item), flags: nil)
            case .referralLetter(let letter)? where wanted(.referralLetter):
                let organization = caller.identity.organization
                if letter.addressee.code == organization || stored.institution == organization {
                    add(.referralLetter(letter), flags: nil)
                }
            case .checkupReport(let item)? where wanted(.checkupReport): add(.checkupReport(item), flags: nil)
            default: break
            }
        }
        summary.items = retained(summary.items, at: time)
        return summary
    }

    /// Applies the viewing windows: per lab test, the results of the last year and at least the
    /// latest three (by `effective_at`); of prescriptions, those of the last 100 days and at
    /// least the latest three (by `provenance.recorded_at`).
    func retained(_ items: [Datahealth_V1_SummaryItem], at time: Date) -> [Datahealth_V1_SummaryItem] {
        let seconds = Int64(time.timeIntervalSince1970)
        var groups: [String: [(index: Int, at: Int64)]] = [:]
        for (index, item) in items.enumerated() {
            switch item.item {
            case .labResult(let lab)?:
                let test = lab.test.codings.first { CodeSystem.labSystems.contains($0.system) }
                groups["lab|\(test?.system ?? "")|\(test?.code ?? "")", default: []].append(
                    (index, lab.effectiveAt.seconds))
            case .prescription?:
                groups["prescription", default: []].append((index, item.provenance.recordedAt.seconds))
            default: break
            }
        }
        var dropped = Set<Int>()
        for (key, members) in groups {
            let isLab = key.hasPrefix("lab|")
            let days = isLab ? configuration.labResultWindowDays : configuration.prescriptionWindowDays
            let minimum = isLab ? configuration.labResultMinimumCount : configuration.prescriptionMinimumCount
            let cutoff = seconds - Int64(days) * 86_400
            for (rank, member) in members.sorted(by: { $0.at > $1.at }).enumerated()
            where rank >= minimum && member.at < cutoff {
                dropped.insert(member.index)
            }
        }
        return items.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    }

    // MARK: Audit

    /// What the audit entry of a summary read says beyond the call itself.
    struct AuditNote {
        var caller: CallerContext?
        var patient = ""
        var breakGlass = false
        var reason = ""
    }

    /// Runs `body` and records its outcome durably before returning it; an answer whose
    /// audit entry cannot be written is not given (UNAVAILABLE).
    private func audited<R>(
        _ context: ServerContext, _ note: inout AuditNote, _ body: (inout AuditNote) async throws -> R
    ) async throws -> R {
        let result: Result<R, RPCError>
        do {
            result = .success(try await body(&note))
        } catch let error as RPCError {
            result = .failure(error)
        } catch {
            result = .failure(RPCError(code: .internal, message: "internal error", cause: error))
        }
        if let record = CallAudit.current {
            // Behind the access interceptor: it writes the call's one entry; name what was read.
            if !note.patient.isEmpty { record.touched(patient: note.patient) }
            if note.breakGlass { record.breakGlass(reason: note.reason) }
        } else if let audit {
            let status: RPCStatus.Code
            let outcome: AuditEntry.Outcome
            var reason = note.reason
            switch result {
            case .success:
                (status, outcome) = (.ok, .allowed)
            case .failure(let error):
                status = error.code
                outcome = error.code == .permissionDenied ? .denied : .failed
                reason = reason.isEmpty ? error.message : "\(reason) (\(error.message))"
            }
            let entry = AuditEntry(
                timeMicroseconds: Int64((now().timeIntervalSince1970 * 1_000_000).rounded()),
                identity: context.peer.uri, actingUser: note.caller?.actingUser?.uri ?? "",
                purpose: note.breakGlass ? Purpose.emergency.rawValue : (note.caller?.purpose.rawValue ?? ""),
                method: context.method.path, patient: note.patient, outcome: outcome, statusCode: status.rawValue,
                breakGlass: note.breakGlass, reason: reason)
            do {
                try await audit.record(entry)
            } catch {
                throw RPCError(
                    code: .unavailable, message: "the access cannot be audited; nothing was read", cause: error)
            }
        }
        return try result.get()
    }

    // MARK: Helpers

    /// The one patient whose records carried these four basic facts. None: NOT_FOUND; several
    /// (same name, birth date and sex): FAILED_PRECONDITION, since reading the wrong person's
    /// record is worse than reading none.
    private func patientID(matching facts: Datahealth_V1_BasicFourFacts) async throws -> String {
        let seconds = Int64(now().timeIntervalSince1970.rounded(.down))
        if let problem = validator.problem(inFacts: facts, nowSeconds: seconds) {
            throw RPCError(code: .invalidArgument, message: problem)
        }
        guard let digest = pseudonymizer.factsDigest(for: facts) else {
            throw RPCError(
                code: .invalidArgument, message: "basic_facts: name in katakana, birth date and sex are required")
        }
        let matches: [String]
        do {
            matches = try await repository.patientIDs(matchingFacts: digest)
        } catch {
            throw RPCError(code: .unavailable, message: "patients cannot be looked up", cause: error)
        }
        switch matches.count {
        case 0:
            throw RPCError(
                code: .notFound,
                message:
                    "basic_facts: no patient with these facts; identify the patient by insurance card or patient id")
        case 1:
            return matches[0]
        default:
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "basic_facts: \(matches.count) patients share this name, birth date and sex; identify the patient by insurance card or patient id"
            )
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }

    /// Records the viewing consent the patient gave at this visit (オンライン資格確認's 同意取得):
    /// it lets the caller's institution see other institutions' records for 24 hours. A consent
    /// from the future or already expired is refused (INVALID_ARGUMENT).
    private func recordViewingConsent(
        _ given: Datahealth_V1_ViewingConsent, patient: PatientPseudonym, institution: String
    ) async throws {
        guard given.hasGivenAt else {
            throw RPCError(code: .invalidArgument, message: "consent.given_at: required when a consent is given")
        }
        let givenAt = Date(
            timeIntervalSince1970: TimeInterval(given.givenAt.seconds) + TimeInterval(given.givenAt.nanos) / 1e9)
        let current = now()
        guard givenAt <= current + Self.seconds(configuration.consentClockSkew) else {
            throw RPCError(code: .invalidArgument, message: "consent.given_at: \(givenAt) lies in the future")
        }
        guard givenAt + Self.seconds(configuration.viewingConsentValidity) > current else {
            throw RPCError(
                code: .invalidArgument,
                message: "consent.given_at: a viewing consent given at \(givenAt) has expired; ask the patient again")
        }
        do {
            try await consent.recordViewingConsent(
                for: patient, institution: institution, givenAt: min(givenAt, current))
        } catch {
            throw RPCError(code: .unavailable, message: "consent cannot be recorded: \(error.message)", cause: error)
        }
    }

    private func callerContext(_ context: ServerContext) throws -> CallerContext {
        var pairs: [(key: String, value: String)] = []
        for entry in context.requestMetadata {
            if case .string(let value) = entry.value { pairs.append((entry.key, value)) }
        }
        do {
            return try CallerContext(identity: context.peer, metadata: pairs)
        } catch {
            throw RPCError(code: .invalidArgument, message: "call metadata: \(error.message)", cause: error)
        }
    }

    private func patientID(_ reference: Datahealth_V1_PatientReference, path: String, present: Bool) throws -> String {
        guard present, let id = pseudonymizer.patientID(for: reference) else {
            throw RPCError(code: .invalidArgument, message: "\(path): required: the insured person or a patient id")
        }
        if case .patientID = reference.id {
            let bytes = Array(id.utf8)
            guard bytes.count == 64, bytes.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            else {
                throw RPCError(code: .invalidArgument, message: "\(path).patient_id: must be 64 lowercase hex digits")
            }
        } else if case .insured(let insured) = reference.id, insured.insurerNumber.isEmpty || insured.number.isEmpty {
            throw RPCError(code: .invalidArgument, message: "\(path).insured: needs the insurer number and the number")
        }
        return id
    }

    private func pseudonym(_ patientID: String) throws -> PatientPseudonym {
        do {
            return try PatientPseudonym(patientID)
        } catch {
            throw RPCError(code: .invalidArgument, message: "patient: \(error.message)", cause: error)
        }
    }

    private func decide(_ request: ConsentRequest) async throws -> ConsentDecision {
        do {
            return try await consent.check(request)
        } catch {
            throw RPCError(code: .unavailable, message: "consent cannot be checked: \(error.message)", cause: error)
        }
    }

    private func stored(_ patientID: String) async throws -> [StoredCareRecord] {
        do {
            return try await repository.records(patientID: patientID)
        } catch {
            throw RPCError(code: .unavailable, message: "the records cannot be read", cause: error)
        }
    }

    static func timestamp(_ date: Date) -> Google_Protobuf_Timestamp {
        var timestamp = Google_Protobuf_Timestamp()
        let seconds = date.timeIntervalSince1970.rounded(.down)
        timestamp.seconds = Int64(seconds)
        timestamp.nanos = Int32(((date.timeIntervalSince1970 - seconds) * 1e9).rounded(.down))
        return timestamp
    }
}
