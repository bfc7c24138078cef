public import DHCareRecord
public import DHStorage

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The ``CareRecordRepository`` over PostgreSQL (``DataHealthMigrations/careRecords``), with the
/// same rules as ``InMemoryCareRecordRepository``.
///
/// A batch runs in one transaction and the call returns after its commit (durable with
/// `synchronous_commit` on). Each write first claims its idempotency key with
/// `INSERT ... ON CONFLICT DO NOTHING`: a concurrent batch with the same key waits for this
/// one's commit and then sees the key as a duplicate, so a retried record is never stored twice.
public final class PostgresCareRecordRepository: CareRecordRepository {
    public let database: any PostgresQueryable

    public init(database: any PostgresQueryable) {
        self.database = database
    }

    public func apply(
        _ writes: [CareRecordWrite], institution: String, at time: Date
    ) async throws -> [CareRecordApplied] {
        guard !writes.isEmpty else { return [] }
        return try await database.withTransaction(isolation: .readCommitted) { tx in
            var outcomes: [CareRecordApplied] = []
            outcomes.reserveCapacity(writes.count)
            for write in writes {
                outcomes.append(try await Self.apply(write, institution: institution, at: time, on: tx))
            }
            return outcomes
        }
    }

    public func records(patientID: String) async throws -> [StoredCareRecord] {
        let result = try await database.query(
            """
            SELECT institution, submission_id, item_kind, patient_id, item, version, created_at, updated_at \
            FROM care_records WHERE patient_id = \(patientID) AND NOT deleted ORDER BY id
            """)
        return try result.rows.map(Self.decode)
    }

    @inline(never)
    static func decode(_ row: PostgresRow) throws -> StoredCareRecord {
        let values = try row.decode(
            String.self, String.self, String.self, String.self, [UInt8].self, Int64.self, Date.self, Date.self)
        guard let kind = CareItemKind(rawValue: values.2) else {
            throw RepositoryError(code: .corruptRow, message: "care record of unknown kind '\(values.2)'")
        }
        return StoredCareRecord(
            institution: values.0, submissionID: values.1, kind: kind, patientID: values.3, item: values.4,
            version: values.5, createdAt: values.6, updatedAt: values.7)
    }

    private static func apply(
        _ write: CareRecordWrite, institution: String, at time: Date, on tx: PostgresConnection
    ) async throws -> CareRecordApplied {
        let claimed = try await tx.execute(
            """
            INSERT INTO care_idempotency_keys (institution, idempotency_key, submission_id, version, created_at) \
            VALUES (\(institution), \(write.idempotencyKey), \(write.submissionID), 0, \(time)) \
            ON CONFLICT (institution, idempotency_key) DO NOTHING
            """)
        guard claimed == 1 else {
            let stored = try await tx.query(
                """
                SELECT version FROM care_idempotency_keys \
                WHERE institution = \(institution) AND idempotency_key = \(write.idempotencyKey)
                """)
            let version = try stored.singleRow().unwrap().decode(Int64.self, column: 0)
            return CareRecordApplied(result: .duplicate, version: version)
        }
        let existing = try await tx.query(
            """
            SELECT id, version, deleted FROM care_records \
            WHERE institution = \(institution) AND submission_id = \(write.submissionID) FOR UPDATE
            """)
        let row = try existing.singleRow().map { try $0.decode(Int64.self, Int64.self, Bool.self) }
        let version: Int64
        switch write.operation {
        case .create:
            if row != nil {
                return try await unclaim(write, institution, CareRecordRules.submissionIDUsed(write.submissionID), tx)
            }
            var replacedVersion: Int64 = 0
            if let key = write.replacementKey {
                let replaced = try await tx.query(
                    """
                    UPDATE care_records SET deleted = true, updated_at = \(time) \
                    WHERE institution = \(institution) AND patient_id = \(write.patientID) \
                    AND replacement_key = \(key) AND NOT deleted RETURNING version
                    """)
                replacedVersion = try replaced.rows.map { try $0.decode(Int64.self, column: 0) }.max() ?? 0
            }
            version = replacedVersion + 1
            try await tx.execute(
                """
                INSERT INTO care_patients (patient_id, created_at) VALUES (\(write.patientID), \(time)) \
                ON CONFLICT (patient_id) DO NOTHING
                """)
            try await tx.execute(
                """
                INSERT INTO care_records (institution, submission_id, item_kind, patient_id, replacement_key, item, \
                long_term_retention, not_yet_disclosed, version, created_at, updated_at) \
                VALUES (\(institution), \(write.submissionID), \(write.kind.rawValue), \(write.patientID), \
                \(write.replacementKey), \(write.item), \(write.longTermRetention), \(write.notYetDisclosed), \
                \(version), \(time), \(time))
                """)
        case .update:
            guard let row, !row.2 else {
                return try await unclaim(
                    write, institution, CareRecordRules.noLiveSubmission(write.submissionID, operation: .update), tx)
            }
            version = row.1 + 1
            try await tx.execute(
                """
                INSERT INTO care_patients (patient_id, created_at) VALUES (\(write.patientID), \(time)) \
                ON CONFLICT (patient_id) DO NOTHING
                """)
            try await tx.execute(
                """
                UPDATE care_records SET item_kind = \(write.kind.rawValue), patient_id = \(write.patientID), \
                replacement_key = \(write.replacementKey), item = \(write.item), \
                long_term_retention = \(write.longTermRetention), not_yet_disclosed = \(write.notYetDisclosed), \
                version = \(version), updated_at = \(time) WHERE id = \(row.0)
                """)
        case .delete:
            guard let row, !row.2 else {
                return try await unclaim(
                    write, institution, CareRecordRules.noLiveSubmission(write.submissionID, operation: .delete), tx)
            }
            version = row.1 + 1
            try await tx.execute(
                "UPDATE care_records SET deleted = true, version = \(version), updated_at = \(time) WHERE id = \(row.0)"
            )
        }
        try await tx.execute(
            """
            UPDATE care_idempotency_keys SET version = \(version) \
            WHERE institution = \(institution) AND idempotency_key = \(write.idempotencyKey)
            """)
        return CareRecordApplied(result: .accepted, version: version)
    }

    /// A rejected write leaves no trace: its claimed key is released.
    private static func unclaim(
        _ write: CareRecordWrite, _ institution: String, _ outcome: CareRecordApplied, _ tx: PostgresConnection
    ) async throws -> CareRecordApplied {
        try await tx.execute(
            """
            DELETE FROM care_idempotency_keys \
            WHERE institution = \(institution) AND idempotency_key = \(write.idempotencyKey)
            """)
        return outcome
    }
}
