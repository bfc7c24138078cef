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
        let bulk = Self.bulkEligible(writes)
        return try await database.withTransaction(isolation: .readCommitted) { tx in
            var outcomes = [CareRecordApplied?](repeating: nil, count: writes.count)
            var patientsLast: [String] = []
            if bulk.contains(true) {
                let applied = try await Self.applyInBulk(
                    writes, positions: bulk.indices.filter { bulk[$0] }, institution: institution, at: time,
                    patientsLast: &patientsLast, on: tx)
                for (position, outcome) in applied { outcomes[position] = outcome }
            }
            for position in writes.indices where !bulk[position] {
                outcomes[position] = try await Self.apply(writes[position], institution: institution, at: time, on: tx)
            }
            let results = outcomes.map { $0 ?? CareRecordApplied(result: .rejected, version: 0) }
            try await Self.recordChanges(
                zip(writes, results).compactMap { write, outcome in
                    outcome.result == .accepted
                        ? write.change(institution: institution, version: outcome.version, at: time) : nil
                }, on: tx)
            if !patientsLast.isEmpty {
                // Last: a patient that a batch still running added makes this one wait for
                // that one's commit (the references to patients are checked at commit).
                try await tx.execute(
                    """
                    INSERT INTO care_patients (patient_id, created_at) \
                    SELECT DISTINCT p, \(time) FROM unnest(string_to_array(\(patientsLast.joined(separator: ",")), ',')) p \
                    ORDER BY p ON CONFLICT (patient_id) DO NOTHING
                    """)
            }
            return results
        }
    }

    /// Which writes may be applied together by set-based statements: CREATEs whose idempotency
    /// key, submission id and (patient, replacement key) occur once in the batch, so that no
    /// other write of the batch depends on their order. The rest run one by one, in order,
    /// after them; the outcome is the same as applying the whole batch in order.
    static func bulkEligible(_ writes: [CareRecordWrite]) -> [Bool] {
        struct Replaced: Hashable {
            var patientID: String
            var key: String
        }
        var keys: [String: Int] = [:]
        var submissions: [String: Int] = [:]
        var replacements: [Replaced: Int] = [:]
        keys.reserveCapacity(writes.count)
        submissions.reserveCapacity(writes.count)
        for write in writes {
            keys[write.idempotencyKey, default: 0] += 1
            submissions[write.submissionID, default: 0] += 1
            if let key = write.replacementKey {
                replacements[Replaced(patientID: write.patientID, key: key), default: 0] += 1
            }
        }
        return writes.map { write in
            write.operation == .create && keys[write.idempotencyKey] == 1 && submissions[write.submissionID] == 1
                && (write.replacementKey.map { replacements[Replaced(patientID: write.patientID, key: $0)] == 1 }
                    ?? true)
        }
    }

    /// The usual batch (every key new, no submission id used before) straight into its tables
    /// under a savepoint: replaced items are removed first (their versions continued), keys and
    /// records copied (COPY), fact digests inserted; the caller inserts the patients last, after
    /// the change log (their references are checked at commit). A key or
    /// submission id already taken makes its COPY fail with a unique violation: the savepoint
    /// is rolled back and nil returned, and the general path (``applyInBulk``) decides each
    /// write. Returns (position in the batch, outcome).
    private static func applyDirectly(
        _ writes: [CareRecordWrite], positions: [Int], institution: String, at time: Date, on tx: PostgresConnection
    ) async throws -> [(Int, CareRecordApplied)]? {
        try await tx.execute("SAVEPOINT care_direct")
        do {
            var versions = [Int64](repeating: 1, count: positions.count)
            let replacing = positions.indices.filter { writes[positions[$0]].replacementKey != nil }
            if !replacing.isEmpty {
                // The live items these writes replace, found through the replacement index one
                // pair at a time, removed; the new item continues the highest version.
                var pairs: [UInt8] = [UInt8(ascii: "[")]
                for (n, index) in replacing.enumerated() {
                    let write = writes[positions[index]]
                    if n > 0 { pairs.append(UInt8(ascii: ",")) }
                    pairs.append(UInt8(ascii: "["))
                    appendJSONString(write.patientID, to: &pairs)
                    pairs.append(UInt8(ascii: ","))
                    appendJSONString(write.replacementKey ?? "", to: &pairs)
                    pairs.append(UInt8(ascii: "]"))
                }
                pairs.append(UInt8(ascii: "]"))
                let json = String(decoding: pairs, as: UTF8.self)
                let replaced = try await tx.query(
                    """
                    UPDATE care_records r SET deleted = true, updated_at = \(time) \
                    WHERE r.id = ANY (ARRAY(SELECT t.id FROM jsonb_array_elements(\(json)::jsonb) e \
                    CROSS JOIN LATERAL (SELECT c.id FROM care_records c WHERE c.institution = \(institution) \
                    AND c.patient_id = e.value->>0 AND c.replacement_key = e.value->>1 AND NOT c.deleted OFFSET 0) t)) \
                    AND NOT r.deleted RETURNING r.patient_id, r.replacement_key, r.version
                    """)
                if !replaced.rows.isEmpty {
                    var highest: [String: Int64] = [:]
                    for row in replaced.rows {
                        let (patientID, key, version) = try row.decode(String.self, String.self, Int64.self)
                        highest[patientID + "|" + key] = max(highest[patientID + "|" + key] ?? 0, version)
                    }
                    for index in replacing {
                        let write = writes[positions[index]]
                        if let version = highest[write.patientID + "|" + (write.replacementKey ?? "")] {
                            versions[index] = version + 1
                        }
                    }
                }
            }
            // Values every row shares are made once (their bytes are shared, not copied).
            let institutionValue = institution.postgresValue()
            let timeValue = time.postgresValue()
            _ = try await tx.copy(
                into: "care_idempotency_keys",
                columns: ["institution", "idempotency_key", "submission_id", "version", "created_at"],
                rows: positions.indices.map { index -> [PostgresValue] in
                    let write = writes[positions[index]]
                    return [
                        institutionValue, write.idempotencyKey.postgresValue(),
                        write.submissionID.postgresValue(), versions[index].postgresValue(), timeValue,
                    ]
                })
            _ = try await tx.copy(
                into: "care_records",
                columns: [
                    "institution", "submission_id", "item_kind", "patient_id", "replacement_key", "item",
                    "long_term_retention", "not_yet_disclosed", "version", "created_at", "updated_at",
                ],
                rows: positions.indices.map { index -> [PostgresValue] in
                    let write = writes[positions[index]]
                    return [
                        institutionValue, write.submissionID.postgresValue(),
                        write.kind.rawValue.postgresValue(), write.patientID.postgresValue(),
                        write.replacementKey.postgresValue(), write.item.postgresValue(),
                        write.longTermRetention.postgresValue(), write.notYetDisclosed.postgresValue(),
                        versions[index].postgresValue(), timeValue, timeValue,
                    ]
                })
            // Fact digests and patient ids are 64 hex digits: a comma separates them safely.
            let facts = positions.compactMap { position in
                writes[position].factsDigest.map { ($0, writes[position].patientID) }
            }
            if !facts.isEmpty {
                try await tx.execute(
                    """
                    INSERT INTO care_patient_facts (digest, patient_id) \
                    SELECT DISTINCT d, p FROM unnest(string_to_array(\(facts.map(\.0).joined(separator: ",")), ','), \
                    string_to_array(\(facts.map(\.1).joined(separator: ",")), ',')) AS f(d, p) \
                    ORDER BY d, p ON CONFLICT DO NOTHING
                    """)
            }
            try await tx.execute("RELEASE SAVEPOINT care_direct")
            return positions.indices.map {
                (positions[$0], CareRecordApplied(result: .accepted, version: versions[$0]))
            }
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            try await tx.execute("ROLLBACK TO SAVEPOINT care_direct")
            try await tx.execute("RELEASE SAVEPOINT care_direct")
            return nil
        }
    }

    /// Appends `value` as a JSON string.
    static func appendJSONString(_ value: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Applies independent CREATEs with a handful of statements whatever their number: the
    /// writes are copied into a temporary table, then claimed, checked, inserted and
    /// answered set-wise. Returns (position in the batch, outcome).
    ///
    /// Every look-up in the permanent tables goes row by row of the batch through an index (a
    /// `LATERAL` subquery, a correlated subquery, or `= ANY (ARRAY(...))`): left to a join, the
    /// planner, which knows nothing of the temporary table and, after a burst of intake, too
    /// little of an institution's rows, hash-joins against all the institution's records or
    /// keys, a cost that grows with everything the institution ever sent (0.2 s per batch at
    /// 70,000 records).
    private static func applyInBulk(
        _ writes: [CareRecordWrite], positions: [Int], institution: String, at time: Date,
        patientsLast: inout [String], on tx: PostgresConnection
    ) async throws -> [(Int, CareRecordApplied)] {
        if let applied = try await applyDirectly(
            writes, positions: positions, institution: institution, at: time, on: tx)
        {
            patientsLast = positions.map { writes[$0].patientID }
            return applied
        }
        try await tx.execute(
            """
            CREATE TEMPORARY TABLE IF NOT EXISTS care_incoming (
                ordinal int4 NOT NULL, idempotency_key text NOT NULL, submission_id text NOT NULL,
                item_kind text NOT NULL, patient_id text NOT NULL, replacement_key text, item bytea NOT NULL,
                long_term_retention bool NOT NULL, not_yet_disclosed bool NOT NULL, facts_digest text,
                claimed bool NOT NULL DEFAULT false, used bool NOT NULL DEFAULT false,
                version int8 NOT NULL DEFAULT 1
            ) ON COMMIT DELETE ROWS
            """)
        let rows: [[PostgresValue]] = positions.map { position in
            let write = writes[position]
            return [
                Int32(position).postgresValue(), write.idempotencyKey.postgresValue(),
                write.submissionID.postgresValue(),
                write.kind.rawValue.postgresValue(), write.patientID.postgresValue(),
                write.replacementKey.postgresValue(),
                write.item.postgresValue(), write.longTermRetention.postgresValue(),
                write.notYetDisclosed.postgresValue(), write.factsDigest.postgresValue(),
            ]
        }
        try await tx.copy(
            into: "care_incoming",
            columns: [
                "ordinal", "idempotency_key", "submission_id", "item_kind", "patient_id", "replacement_key", "item",
                "long_term_retention", "not_yet_disclosed", "facts_digest",
            ],
            rows: rows)
        // Claim the keys, with version 1 (what a CREATE without a replaced item gets, so only
        // replacements update their key afterwards; a key stored before stays unclaimed, a
        // duplicate), and count the submission ids used before. Usually every key is new and
        // no id was used: then every row goes in as it is, and nothing of the temporary table
        // needs marking.
        let (claimedCount, usedCount) = try await tx.query(
            """
            WITH claimed AS (
                INSERT INTO care_idempotency_keys (institution, idempotency_key, submission_id, version, created_at) \
                SELECT \(institution), idempotency_key, submission_id, 1, \(time) FROM care_incoming ORDER BY ordinal \
                ON CONFLICT (institution, idempotency_key) DO NOTHING RETURNING 1) \
            SELECT (SELECT count(*) FROM claimed), \
            (SELECT count(*) FROM care_incoming i CROSS JOIN LATERAL (SELECT 1 FROM care_records r \
            WHERE r.institution = \(institution) AND r.submission_id = i.submission_id LIMIT 1) u)
            """
        ).singleRow().unwrap().decode(Int64.self, Int64.self)
        let everyRowGoesIn = claimedCount == Int64(positions.count) && usedCount == 0
        if !everyRowGoesIn {
            // Which keys this transaction claimed (its rows of the key table), and which CREATEs
            // reuse a submission id: rejected, their key released.
            try await tx.execute(
                """
                UPDATE care_incoming i SET claimed = coalesce((SELECT k.xmin = pg_current_xact_id()::xid \
                FROM care_idempotency_keys k \
                WHERE k.institution = \(institution) AND k.idempotency_key = i.idempotency_key), false)
                """)
            try await tx.execute(
                """
                UPDATE care_incoming i SET used = EXISTS (SELECT 1 FROM care_records r \
                WHERE r.institution = \(institution) AND r.submission_id = i.submission_id) WHERE i.claimed
                """)
            try await tx.execute(
                """
                DELETE FROM care_idempotency_keys k WHERE k.institution = \(institution) \
                AND k.idempotency_key = ANY (ARRAY(SELECT idempotency_key FROM care_incoming WHERE used))
                """)
        }
        // The rows that go in: all of them, or those claimed and not used.
        let replacing = positions.contains(where: { writes[$0].replacementKey != nil })
        if replacing {
            // The replaced items (previous diagnosis list of the scope, interim lab result) are
            // removed and their version continued.
            try await tx.execute(
                """
                WITH targets AS MATERIALIZED (
                    SELECT i.ordinal, t.id FROM care_incoming i CROSS JOIN LATERAL (SELECT r.id FROM care_records r \
                    WHERE r.institution = \(institution) AND r.patient_id = i.patient_id \
                    AND r.replacement_key = i.replacement_key AND NOT r.deleted OFFSET 0) t \
                    WHERE (\(everyRowGoesIn) OR (i.claimed AND NOT i.used)) AND i.replacement_key IS NOT NULL), \
                replaced AS (
                    UPDATE care_records r SET deleted = true, updated_at = \(time) \
                    WHERE r.id = ANY (ARRAY(SELECT id FROM targets)) AND NOT r.deleted RETURNING r.id, r.version) \
                UPDATE care_incoming i SET version = m.version + 1 \
                FROM (SELECT t.ordinal, max(p.version) AS version FROM targets t JOIN replaced p ON p.id = t.id \
                GROUP BY t.ordinal) m WHERE i.ordinal = m.ordinal
                """)
        }
        // Patients and fact digests go in sorted: transactions inserting the same new patients
        // (batches of one call stored at once, or two institutions) then take their row locks
        // in the same order and wait for each other instead of deadlocking.
        try await tx.execute(
            """
            INSERT INTO care_patients (patient_id, created_at) \
            SELECT DISTINCT patient_id, \(time) FROM care_incoming i WHERE \(everyRowGoesIn) OR (i.claimed AND NOT i.used) \
            ORDER BY patient_id ON CONFLICT (patient_id) DO NOTHING
            """)
        try await tx.execute(
            """
            INSERT INTO care_records (institution, submission_id, item_kind, patient_id, replacement_key, item, \
            long_term_retention, not_yet_disclosed, version, created_at, updated_at) \
            SELECT \(institution), submission_id, item_kind, patient_id, replacement_key, item, \
            long_term_retention, not_yet_disclosed, version, \(time), \(time) \
            FROM care_incoming i WHERE \(everyRowGoesIn) OR (i.claimed AND NOT i.used) ORDER BY ordinal
            """)
        try await tx.execute(
            """
            INSERT INTO care_patient_facts (digest, patient_id) \
            SELECT DISTINCT facts_digest, patient_id FROM care_incoming i \
            WHERE (\(everyRowGoesIn) OR (i.claimed AND NOT i.used)) AND facts_digest IS NOT NULL \
            ORDER BY facts_digest, patient_id ON CONFLICT DO NOTHING
            """)
        if replacing {
            try await tx.execute(
                """
                WITH changed AS MATERIALIZED (
                    SELECT idempotency_key, version FROM care_incoming i \
                    WHERE (\(everyRowGoesIn) OR (i.claimed AND NOT i.used)) AND i.version <> 1) \
                UPDATE care_idempotency_keys k SET version = c.version FROM changed c \
                WHERE k.institution = \(institution) AND k.idempotency_key = ANY (ARRAY(SELECT idempotency_key FROM changed)) \
                AND k.idempotency_key = c.idempotency_key
                """)
        }
        if everyRowGoesIn && !replacing {
            return positions.map { ($0, CareRecordApplied(result: .accepted, version: 1)) }
        }
        let answers = try await tx.query(
            """
            SELECT i.ordinal, \(everyRowGoesIn) OR i.claimed, i.used, \
            CASE WHEN \(everyRowGoesIn) OR i.claimed THEN i.version ELSE coalesce((SELECT k.version \
            FROM care_idempotency_keys k WHERE k.institution = \(institution) \
            AND k.idempotency_key = i.idempotency_key), i.version) END \
            FROM care_incoming i ORDER BY i.ordinal
            """)
        // The rows go at the commit (ON COMMIT DELETE ROWS); a batch is one transaction.
        return try answers.rows.map { row in
            let (ordinal, claimed, used, version) = try row.decode(Int32.self, Bool.self, Bool.self, Int64.self)
            let position = Int(ordinal)
            let outcome: CareRecordApplied =
                if !claimed {
                    CareRecordApplied(result: .duplicate, version: version)
                } else if used {
                    CareRecordRules.submissionIDUsed(writes[position].submissionID)
                } else {
                    CareRecordApplied(result: .accepted, version: version)
                }
            return (position, outcome)
        }
    }

    /// Appends the batch's changes to the change log, numbered `(transaction id << 20) + n`:
    /// PostgreSQL's 64-bit transaction ids only grow, so numbers follow transaction order,
    /// and readers (``changes(after:patientIDs:limit:)``) only read below the oldest
    /// transaction still running, where no row can appear any more. Concurrent batches thus
    /// commit together (one WAL flush for several) instead of one after another.
    private static func recordChanges(_ changes: [CareRecordChange], on tx: PostgresConnection) async throws {
        guard !changes.isEmpty else { return }
        guard changes.count < 1 << changeOrdinalBits else {
            throw RepositoryError(
                code: .invalidArgument, message: "a transaction records at most \((1 << changeOrdinalBits) - 1) changes"
            )
        }
        let transaction = try await tx.query("SELECT pg_current_xact_id()::text::int8").singleRow().unwrap()
            .decode(Int64.self, column: 0)
        let base = transaction << changeOrdinalBits
        try await tx.copy(
            into: "care_changes",
            columns: [
                "sequence", "patient_id", "institution", "item_kind", "submission_id", "change", "version",
                "provenance", "changed_at",
            ],
            rows: changes.enumerated().map { index, change -> [PostgresValue] in
                [
                    (base + Int64(index) + 1).postgresValue(),
                    change.patientID.postgresValue(), change.institution.postgresValue(),
                    change.itemKind.rawValue.postgresValue(), change.submissionID.postgresValue(),
                    change.kind.rawValue.postgresValue(), change.version.postgresValue(),
                    change.provenance.postgresValue(), change.changedAt.postgresValue(),
                ]
            })
    }

    /// Bits of a change sequence for the change's ordinal within its transaction.
    static let changeOrdinalBits: Int64 = 20

    public func changes(after sequence: Int64, patientIDs: [String], limit: Int) async throws -> [CareRecordChange] {
        guard !patientIDs.isEmpty, limit > 0 else { return [] }
        let result = try await database.query(
            """
            SELECT sequence, patient_id, institution, item_kind, submission_id, change, version, provenance, changed_at \
            FROM care_changes WHERE sequence > \(sequence) \
            AND sequence < (pg_snapshot_xmin(pg_current_snapshot())::text::int8 << \(Int32(Self.changeOrdinalBits))) \
            AND patient_id = ANY (string_to_array(\(patientIDs.joined(separator: ",")), ',')) \
            ORDER BY sequence LIMIT \(Int64(limit))
            """)
        return try result.rows.map { row in
            let values = try row.decode(
                Int64.self, String.self, String.self, String.self, String.self, String.self, Int64.self, [UInt8].self,
                Date.self)
            guard let itemKind = CareItemKind(rawValue: values.3), let kind = CareRecordChange.Kind(rawValue: values.5)
            else {
                throw RepositoryError(code: .corruptRow, message: "care change \(values.0) is of an unknown kind")
            }
            return CareRecordChange(
                sequence: values.0, patientID: values.1, institution: values.2, itemKind: itemKind,
                submissionID: values.4, kind: kind, version: values.6, provenance: values.7, changedAt: values.8)
        }
    }

    public func patientIDs(matchingFacts digest: String) async throws -> [String] {
        try await database.query(
            "SELECT patient_id FROM care_patient_facts WHERE digest = \(digest) ORDER BY patient_id"
        ).decode(String.self)
    }

    /// The position from which a watch sees every change committed from now on: just below
    /// the oldest running transaction's changes (it may also see a few changes committed just
    /// before, by transactions younger than that one).
    public func latestChangeSequence() async throws -> Int64 {
        let result = try await database.query(
            "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::int8 << \(Int32(Self.changeOrdinalBits))) - 1")
        return try result.singleRow().unwrap().decode(Int64.self, column: 0)
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
        if let digest = write.factsDigest, write.operation != .delete {
            try await tx.execute(
                """
                INSERT INTO care_patient_facts (digest, patient_id) VALUES (\(digest), \(write.patientID)) \
                ON CONFLICT DO NOTHING
                """)
        }
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
