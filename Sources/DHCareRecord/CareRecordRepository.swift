public import DHAudit
internal import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The kind of information item or document a stored record holds.
public enum CareItemKind: String, Sendable, Hashable, CaseIterable {
    case diagnoses, allergy, drugContraindication = "drug_contraindication", infection
    case labResult = "lab_result", prescription, referralLetter = "referral_letter", checkupReport = "checkup_report"
}

/// What a submission does to the item registered under its submission id.
public enum CareRecordOperation: String, Sendable, Hashable {
    case create, update, delete
}

/// One validated record, ready to store: everything the repository needs, already derived
/// by the service (the pseudonymous patient id, the item's kind and replacement key, the
/// record as protobuf bytes). The insured person's numbers are not part of it.
public struct CareRecordWrite: Sendable, Hashable {
    public var idempotencyKey: String
    public var submissionID: String
    public var operation: CareRecordOperation
    /// The pseudonymous patient id (64 lowercase hex digits).
    public var patientID: String
    public var kind: CareItemKind
    /// Items of one institution and patient with the same key replace each other: a diagnosis
    /// list per scope, a lab result per order id and test. Nil: nothing is replaced.
    public var replacementKey: String?
    public var longTermRetention: Bool
    public var notYetDisclosed: Bool
    /// The submitted `CareRecord`, with the patient reduced to its pseudonymous id.
    public var item: [UInt8]
    /// The record's `Provenance` (protobuf bytes), for the change it makes (``CareRecordChange``).
    public var provenance: [UInt8]
    /// The keyed digest of the patient's four basic facts, when the record gave them
    /// (``PatientPseudonymizer/factsDigest(for:)``): kept with the patient id for emergency
    /// identification.
    public var factsDigest: String?

    public init(
        idempotencyKey: String, submissionID: String, operation: CareRecordOperation, patientID: String,
        kind: CareItemKind, replacementKey: String?, longTermRetention: Bool = false, notYetDisclosed: Bool = false,
        item: [UInt8], provenance: [UInt8] = [], factsDigest: String? = nil
    ) {
        self.provenance = provenance
        self.factsDigest = factsDigest
        self.idempotencyKey = idempotencyKey
        self.submissionID = submissionID
        self.operation = operation
        self.patientID = patientID
        self.kind = kind
        self.replacementKey = replacementKey
        self.longTermRetention = longTermRetention
        self.notYetDisclosed = notYetDisclosed
        self.item = item
    }
}

/// What storing one ``CareRecordWrite`` did.
public struct CareRecordApplied: Sendable, Hashable {
    public enum Result: String, Sendable, Hashable {
        /// Stored now.
        case accepted
        /// Stored earlier under the same idempotency key; nothing changed.
        case duplicate
        /// Refused by the stored state (an UPDATE or DELETE of an unknown submission id, a
        /// CREATE reusing one); nothing of it was stored.
        case rejected
    }

    public var result: Result
    /// The item's version after the record (for a duplicate: as stored then).
    public var version: Int64
    public var fieldPath: String
    public var message: String

    public init(result: Result, version: Int64, fieldPath: String = "", message: String = "") {
        self.result = result
        self.version = version
        self.fieldPath = fieldPath
        self.message = message
    }
}

/// A stored, live record.
public struct StoredCareRecord: Sendable, Hashable {
    public var institution: String
    public var submissionID: String
    public var kind: CareItemKind
    public var patientID: String
    public var item: [UInt8]
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        institution: String, submissionID: String, kind: CareItemKind, patientID: String, item: [UInt8],
        version: Int64, createdAt: Date, updatedAt: Date
    ) {
        self.institution = institution
        self.submissionID = submissionID
        self.kind = kind
        self.patientID = patientID
        self.item = item
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One committed change to a patient's records, in commit order (``sequence``), for watchers.
public struct CareRecordChange: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case added, updated, deleted
    }

    /// Increases with every change, in the order the changes were committed.
    public var sequence: Int64
    public var patientID: String
    public var institution: String
    public var itemKind: CareItemKind
    public var submissionID: String
    public var kind: Kind
    public var version: Int64
    /// The submitting record's `Provenance` (protobuf bytes).
    public var provenance: [UInt8]
    public var changedAt: Date

    public init(
        sequence: Int64, patientID: String, institution: String, itemKind: CareItemKind, submissionID: String,
        kind: Kind, version: Int64, provenance: [UInt8], changedAt: Date
    ) {
        self.sequence = sequence
        self.patientID = patientID
        self.institution = institution
        self.itemKind = itemKind
        self.submissionID = submissionID
        self.kind = kind
        self.version = version
        self.provenance = provenance
        self.changedAt = changedAt
    }

    /// The change an accepted write makes.
    static func kind(of operation: CareRecordOperation) -> Kind {
        switch operation {
        case .create: .added
        case .update: .updated
        case .delete: .deleted
        }
    }
}

extension CareRecordWrite {
    /// The change this write made, once accepted with `version`.
    public func change(institution: String, version: Int64, at time: Date) -> CareRecordChange {
        CareRecordChange(
            sequence: 0, patientID: patientID, institution: institution, itemKind: kind, submissionID: submissionID,
            kind: CareRecordChange.kind(of: operation), version: version, provenance: provenance, changedAt: time)
    }
}

/// Where care records live. Both implementations (``InMemoryCareRecordRepository`` and
/// DHRepositories' `PostgresCareRecordRepository`) follow the same rules:
///
/// - A batch is applied atomically: all of it or, when the store fails, none of it.
/// - An idempotency key already stored for the institution gives `duplicate` and changes nothing
///   (also for a key repeated within one batch).
/// - CREATE of a submission id the institution used before is `rejected`; UPDATE and DELETE
///   need a live record under the submission id, else `rejected`. Each change adds one to the
///   item's version.
/// - A CREATE with a replacement key removes the institution's live record for the same
///   patient and key (the previous diagnosis list of a scope, the interim lab result of an
///   order and test) and continues its version.
/// - Rejected records leave no trace, not even their idempotency key.
public protocol CareRecordRepository: Sendable {
    /// Applies `writes` of `institution` in order, in one transaction, at `time`; returns one
    /// outcome per write. Returns only after the batch is durable.
    func apply(_ writes: [CareRecordWrite], institution: String, at time: Date) async throws -> [CareRecordApplied]

    /// The patient's live records of every institution, oldest first.
    func records(patientID: String) async throws -> [StoredCareRecord]

    /// Changes to any of `patientIDs` committed after `sequence`, oldest first, at most `limit`.
    /// Every accepted write of ``apply(_:institution:at:)`` is one change, numbered in commit
    /// order: a watcher that resumes after the last sequence it saw misses nothing.
    func changes(after sequence: Int64, patientIDs: [String], limit: Int) async throws -> [CareRecordChange]

    /// The sequence of the latest committed change (0 when there is none).
    func latestChangeSequence() async throws -> Int64

    /// The patients whose records carried these four basic facts (their keyed digest); more
    /// than one when different people share name, birth date and sex.
    func patientIDs(matchingFacts digest: String) async throws -> [String]
}

/// A ``CareRecordRepository`` in memory, for tests and development.
public final class InMemoryCareRecordRepository: CareRecordRepository {
    private struct Row {
        var stored: StoredCareRecord
        var replacementKey: String?
        var deleted: Bool
    }

    private struct KeyName: Hashable {
        var institution: String
        var key: String
    }

    private struct State {
        var rows: [Row] = []
        var idempotency: [KeyName: Int64] = [:]
        var changes: [CareRecordChange] = []
        var facts: [String: Set<String>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func apply(
        _ writes: [CareRecordWrite], institution: String, at time: Date
    ) async throws -> [CareRecordApplied] {
        state.withLock { shared in
            // Work on a copy: the batch takes effect as a whole.
            var state = shared
            let outcomes = writes.map { Self.apply($0, institution: institution, at: time, to: &state) }
            for (write, outcome) in zip(writes, outcomes) where outcome.result == .accepted {
                if let digest = write.factsDigest, write.operation != .delete {
                    state.facts[digest, default: []].insert(write.patientID)
                }
                var change = write.change(institution: institution, version: outcome.version, at: time)
                change.sequence = Int64(state.changes.count + 1)
                state.changes.append(change)
            }
            shared = state
            return outcomes
        }
    }

    public func changes(after sequence: Int64, patientIDs: [String], limit: Int) async throws -> [CareRecordChange] {
        let wanted = Set(patientIDs)
        return state.withLock { state in
            Array(state.changes.dropFirst(Int(max(0, sequence))).filter { wanted.contains($0.patientID) }.prefix(limit))
        }
    }

    public func latestChangeSequence() async throws -> Int64 {
        state.withLock { Int64($0.changes.count) }
    }

    public func patientIDs(matchingFacts digest: String) async throws -> [String] {
        state.withLock { ($0.facts[digest] ?? []).sorted() }
    }

    public func records(patientID: String) async throws -> [StoredCareRecord] {
        state.withLock { state in
            state.rows.filter { !$0.deleted && $0.stored.patientID == patientID }.map(\.stored)
        }
    }

    private static func apply(
        _ write: CareRecordWrite, institution: String, at time: Date, to state: inout State
    ) -> CareRecordApplied {
        let name = KeyName(institution: institution, key: write.idempotencyKey)
        if let version = state.idempotency[name] { return CareRecordApplied(result: .duplicate, version: version) }
        let existing = state.rows.firstIndex {
            $0.stored.institution == institution && $0.stored.submissionID == write.submissionID
        }
        var version: Int64
        switch write.operation {
        case .create:
            if existing != nil { return CareRecordRules.submissionIDUsed(write.submissionID) }
            version = 1
            if let key = write.replacementKey,
                let replaced = state.rows.firstIndex(where: {
                    !$0.deleted && $0.stored.institution == institution && $0.stored.patientID == write.patientID
                        && $0.replacementKey == key
                })
            {
                state.rows[replaced].deleted = true
                state.rows[replaced].stored.updatedAt = time
                version = state.rows[replaced].stored.version + 1
            }
            state.rows.append(
                Row(
                    stored: StoredCareRecord(
                        institution: institution, submissionID: write.submissionID, kind: write.kind,
                        patientID: write.patientID, item: write.item, version: version, createdAt: time, updatedAt: time
                    ),
                    replacementKey: write.replacementKey, deleted: false))
        case .update, .delete:
            guard let index = existing, !state.rows[index].deleted else {
                return CareRecordRules.noLiveSubmission(write.submissionID, operation: write.operation)
            }
            version = state.rows[index].stored.version + 1
            state.rows[index].stored.version = version
            state.rows[index].stored.updatedAt = time
            if write.operation == .delete {
                state.rows[index].deleted = true
            } else {
                state.rows[index].stored.item = write.item
                state.rows[index].stored.kind = write.kind
                state.rows[index].stored.patientID = write.patientID
                state.rows[index].replacementKey = write.replacementKey
            }
        }
        state.idempotency[name] = version
        return CareRecordApplied(result: .accepted, version: version)
    }
}

/// The outcomes both repositories give for submission ids that do not fit the stored state.
public enum CareRecordRules {
    public static func submissionIDUsed(_ id: String) -> CareRecordApplied {
        CareRecordApplied(
            result: .rejected, version: 0, fieldPath: "submission_id",
            message: "submission id '\(id)' was used before; send UPDATE or DELETE to change it")
    }

    public static func noLiveSubmission(_ id: String, operation: CareRecordOperation) -> CareRecordApplied {
        CareRecordApplied(
            result: .rejected, version: 0, fieldPath: "submission_id",
            message: "no stored record under submission id '\(id)' to \(operation.rawValue)")
    }
}

/// Where the service records who read which patient's summary, and why.
public protocol CareRecordAuditing: Sendable {
    /// Records `entry` durably; throws when it cannot.
    func record(_ entry: AuditEntry) async throws
}

extension AuditLog: CareRecordAuditing {
    public func record(_ entry: AuditEntry) async throws {
        _ = try await append(entry)
    }
}
