public import DHAudit
public import DHStorage
public import DHTLS

/// The audit log's records and signed heads in PostgreSQL (tables `audit_entries` and
/// `audit_tree_heads`, ``DataHealthMigrations/auditLog``).
///
/// A batch is appended by one statement (one round trip, one commit): an INSERT of one array
/// parameter per column that inserts only when the batch starts one past the largest stored
/// index (the primary key refuses a concurrent writer's duplicates). It returns once the rows
/// are durable (with `synchronous_commit` on, the server's default), and a failure leaves none
/// of the batch behind.
public struct PostgresAuditStore: AuditStore {
    public struct Configuration: Sendable, Hashable {
        /// Rows read per statement when loading leaf hashes or records.
        public var pageSize: Int = 50_000
        /// The deadline of one append (connection wait, statements and commit); nil: the
        /// pool's default call timeout.
        public var appendTimeout: Duration? = nil

        public init() {}
    }

    public let database: any PostgresQueryable
    public let configuration: Configuration

    public init(database: any PostgresQueryable, configuration: Configuration = Configuration()) {
        self.database = database
        self.configuration = configuration
    }

    // MARK: AuditStore

    public func append(_ records: [AuditRecord]) async throws {
        guard let first = records.first else { return }
        guard first.index <= UInt64(Int64.max) - UInt64(records.count) else {
            throw RepositoryError(code: .invalidArgument, message: "audit index out of range")
        }
        var columns = BatchColumns(capacity: records.count)
        for (offset, record) in records.enumerated() {
            guard record.index == first.index + UInt64(offset) else {
                throw RepositoryError(code: .invalidArgument, message: "a batch's audit indices must be consecutive")
            }
            try columns.append(record)
        }
        // One statement, so one round trip and one commit: the batch goes in whole, and only
        // where the stored log ends (checked by the same statement; the primary key refuses a
        // concurrent writer's duplicate indices).
        let inserted = try await database.execute(
            """
            INSERT INTO audit_entries (index, entry, leaf_hash, time, identity, acting_user, purpose, method, \
            patient, dataset, outcome, status, break_glass) \
            SELECT * FROM unnest(\(columns.index.value), \(columns.entry.value), \(columns.leafHash.value), \
            \(columns.time.value), \(columns.identity.value), \(columns.actingUser.value), \
            \(columns.purpose.value), \(columns.method.value), \(columns.patient.value), \
            \(columns.dataset.value), \(columns.outcome.value), \(columns.status.value), \
            \(columns.breakGlass.value)) \
            WHERE (SELECT coalesce(max(index) + 1, 0) FROM audit_entries) = \(Int64(first.index))
            """, timeout: configuration.appendTimeout)
        guard inserted == records.count else {
            throw RepositoryError(
                code: .logDiverged,
                message: "the batch starting at index \(first.index) does not continue the stored log")
        }
    }

    public func leafHashes() async throws -> [SHA256Digest] {
        var hashes: [SHA256Digest] = []
        while true {
            let from = Int64(hashes.count)
            let result = try await database.query(
                """
                SELECT index, leaf_hash FROM audit_entries WHERE index >= \(from) \
                ORDER BY index LIMIT \(configuration.pageSize)
                """)
            for (index, bytes) in try result.decode(Int64.self, [UInt8].self) {
                guard index == Int64(hashes.count) else {
                    throw RepositoryError(
                        code: .corruptRow,
                        message:
                            "the stored audit log has no entry \(hashes.count) (next is \(index)); run dh audit verify")
                }
                guard let digest = SHA256Digest(bytes: bytes) else {
                    throw RepositoryError(code: .corruptRow, message: "audit entry \(index) has a malformed leaf hash")
                }
                hashes.append(digest)
            }
            if result.count < configuration.pageSize { return hashes }
        }
    }

    /// Records with indices in `range`, in index order, as stored: gaps and damaged rows are
    /// returned as they are, for ``AuditVerifier`` to find.
    public func records(in range: Range<UInt64>) async throws -> [AuditRecord] {
        let upper = Int64(clamping: range.upperBound)
        var next = Int64(clamping: range.lowerBound)
        var records: [AuditRecord] = []
        while next < upper {
            let result = try await database.query(
                """
                SELECT index, entry, leaf_hash FROM audit_entries WHERE index >= \(next) AND index < \(upper) \
                ORDER BY index LIMIT \(configuration.pageSize)
                """)
            for (index, entry, leaf) in try result.decode(Int64.self, [UInt8].self, [UInt8].self) {
                // A malformed stored hash cannot match any leaf: keep the row, with an impossible hash.
                let digest = SHA256Digest(bytes: leaf) ?? SHA256Digest(words: (0, 0, 0, 0))
                records.append(AuditRecord(index: UInt64(index), entryBytes: entry, leafHash: digest))
                next = index + 1
            }
            if result.count < configuration.pageSize { break }
        }
        return records
    }

    public func saveTreeHead(_ head: SignedTreeHead) async throws {
        try await database.execute(
            """
            INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp_ms, key_id, signature) \
            VALUES (\(Int64(clamping: head.head.treeSize)), \(head.head.rootHash.bytes), \
            \(Int64(clamping: head.head.timestampMilliseconds)), \(head.keyID.bytes), \(head.signature))
            """)
    }

    public func treeHeads() async throws -> [SignedTreeHead] {
        let result = try await database.query(
            "SELECT tree_size, root_hash, timestamp_ms, key_id, signature FROM audit_tree_heads ORDER BY tree_size, id")
        var heads: [SignedTreeHead] = []
        for (size, root, timestamp, keyID, signature) in try result.decode(
            Int64.self, [UInt8].self, Int64.self, [UInt8].self, [UInt8].self)
        {
            guard let rootHash = SHA256Digest(bytes: root), let keyDigest = SHA256Digest(bytes: keyID) else {
                throw RepositoryError(code: .corruptRow, message: "a stored tree head of size \(size) is malformed")
            }
            heads.append(
                SignedTreeHead(
                    head: TreeHead(
                        treeSize: UInt64(size), rootHash: rootHash,
                        timestampMilliseconds: UInt64(bitPattern: timestamp)),
                    keyID: keyDigest, signature: signature))
        }
        return heads
    }

    // MARK: Beyond the protocol

    /// The number of stored entries (one past the largest index).
    public func count() async throws -> UInt64 {
        let next =
            try await database.query("SELECT coalesce(max(index) + 1, 0) FROM audit_entries").singleRow()?
            .decode(Int64.self, column: 0) ?? 0
        return UInt64(next)
    }

    /// Verifies every stored entry against every stored signed head and any `extraHeads`
    /// (heads kept outside the database, e.g. published or handed to an auditor), all of
    /// which must be signed by `publicKey`.
    ///
    /// Beyond ``AuditVerifier``, it checks that every row's query columns repeat its entry: a
    /// changed column (say, `patient`) would hide an entry from the queries that select by it.
    public func verify(publicKey: PublicKey, extraHeads: [SignedTreeHead] = []) async throws -> AuditVerification {
        let heads = try await treeHeads() + extraHeads
        // Page by page: the log may be far larger than memory.
        var accumulator = AuditVerifier.Accumulator()
        var next: Int64 = 0
        pages: while true {
            // Every row from `next` on, whatever its index: a row inserted far beyond the end
            // must be seen too.
            let result = try await database.query(
                """
                SELECT index, entry, leaf_hash FROM audit_entries WHERE index >= \(next) \
                ORDER BY index LIMIT \(configuration.pageSize)
                """)
            for (index, entry, leaf) in try result.decode(Int64.self, [UInt8].self, [UInt8].self) {
                let digest = SHA256Digest(bytes: leaf) ?? SHA256Digest(words: (0, 0, 0, 0))
                guard accumulator.add(AuditRecord(index: UInt64(index), entryBytes: entry, leafHash: digest)) else {
                    break pages
                }
                next = index + 1
            }
            if result.count < configuration.pageSize { break }
        }
        var result = accumulator.finish(heads: heads, publicKey: publicKey)
        if result.passed, let index = try await firstColumnMismatch() {
            result.firstBadIndex = index
            result.isExact = true
            result.problem =
                "the query columns of entry \(index) differ from the entry: queries would select it wrongly"
        }
        return result
    }

    /// The first row whose query columns do not repeat its entry.
    func firstColumnMismatch() async throws -> UInt64? {
        var next: Int64 = 0
        while true {
            let result = try await database.query(
                """
                SELECT index, entry, (extract(epoch FROM time) * 1000000)::bigint, identity, acting_user, purpose, \
                method, patient, dataset, outcome::int4, status::int4, break_glass FROM audit_entries \
                WHERE index >= \(next) ORDER BY index LIMIT \(configuration.pageSize)
                """)
            for row in result.rows {
                let (
                    index, bytes, time, identity, actingUser, purpose, method, patient, dataset, outcome, status, flag
                ) =
                    try row.decode(
                        Int64.self, [UInt8].self, Int64.self, String.self, String.self, String.self, String.self,
                        String.self, String.self, Int32.self, Int32.self, Bool.self)
                next = index + 1
                guard let entry = try? AuditEntry(encoded: bytes), entry.timeMicroseconds == time,
                    entry.identity == identity, entry.actingUser == actingUser, entry.purpose == purpose,
                    entry.method == method, entry.patient == patient, entry.dataset == dataset,
                    Int32(entry.outcome.rawValue) == outcome, Int32(entry.statusCode) == status,
                    entry.breakGlass == flag
                else { return UInt64(index) }
            }
            if result.count < configuration.pageSize { return nil }
        }
    }

    /// The tree over the stored leaf hashes, for proofs.
    public func merkleTree() async throws -> MerkleTree {
        MerkleTree(leafHashes: try await leafHashes())
    }
}

/// A batch as one array per column.
struct BatchColumns {
    var index, entry, leafHash, time, identity, actingUser, purpose, method, patient, dataset, outcome, status,
        breakGlass: PostgresArrayBuilder

    init(capacity: Int) {
        index = PostgresArrayBuilder(elementType: .int8, arrayType: .int8Array, capacity: capacity * 12)
        entry = PostgresArrayBuilder(elementType: .bytea, arrayType: .byteaArray, capacity: capacity * 200)
        leafHash = PostgresArrayBuilder(elementType: .bytea, arrayType: .byteaArray, capacity: capacity * 36)
        time = PostgresArrayBuilder(elementType: .timestamptz, arrayType: .timestamptzArray, capacity: capacity * 12)
        identity = PostgresArrayBuilder(elementType: .text, arrayType: .textArray, capacity: capacity * 36)
        actingUser = PostgresArrayBuilder(elementType: .text, arrayType: .textArray, capacity: capacity * 36)
        purpose = PostgresArrayBuilder(elementType: .text, arrayType: .textArray, capacity: capacity * 16)
        method = PostgresArrayBuilder(elementType: .text, arrayType: .textArray, capacity: capacity * 48)
        patient = PostgresArrayBuilder(elementType: .text, arrayType: .textArray, capacity: capacity * 20)
        dataset = PostgresArrayBuilder(elementType: .text, arrayType: .textArray, capacity: capacity * 8)
        outcome = PostgresArrayBuilder(elementType: .int4, arrayType: .int4Array, capacity: capacity * 8)
        status = PostgresArrayBuilder(elementType: .int4, arrayType: .int4Array, capacity: capacity * 8)
        breakGlass = PostgresArrayBuilder(elementType: .bool, arrayType: .boolArray, capacity: capacity * 5)
    }

    mutating func append(_ record: AuditRecord) throws {
        let entry: AuditEntry
        do {
            entry = try AuditEntry(encoded: record.entryBytes)
        } catch {
            throw RepositoryError(code: .invalidArgument, message: "audit record \(record.index): \(error.message)")
        }
        index.append(Int64(record.index).postgresValue())
        self.entry.append(record.entryBytes.postgresValue())
        leafHash.append(record.leafHash.bytes.postgresValue())
        time.append(.timestamp(microseconds: entry.timeMicroseconds))
        identity.append(entry.identity.postgresValue())
        actingUser.append(entry.actingUser.postgresValue())
        purpose.append(entry.purpose.postgresValue())
        method.append(entry.method.postgresValue())
        patient.append(entry.patient.postgresValue())
        dataset.append(entry.dataset.postgresValue())
        outcome.append(Int32(entry.outcome.rawValue).postgresValue())
        status.append(Int32(entry.statusCode).postgresValue())
        breakGlass.append(entry.breakGlass.postgresValue())
    }
}
