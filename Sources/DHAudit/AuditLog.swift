public import DHTLS

/// One stored entry of the log: its position, its canonical bytes and its leaf hash.
public struct AuditRecord: Sendable, Hashable {
    public var index: UInt64
    public var entryBytes: [UInt8]
    public var leafHash: SHA256Digest

    public init(index: UInt64, entryBytes: [UInt8], leafHash: SHA256Digest) {
        self.index = index
        self.entryBytes = entryBytes
        self.leafHash = leafHash
    }
}

/// Where the log keeps its records and signed heads. Appends must be durable when they return.
public protocol AuditStore: Sendable {
    /// Appends records, whose indices continue the log without gaps, in one durable write.
    func append(_ records: [AuditRecord]) async throws
    /// Every leaf hash in index order: the log rebuilds its tree from these when it opens.
    func leafHashes() async throws -> [SHA256Digest]
    /// Records with indices in `range`, in order.
    func records(in range: Range<UInt64>) async throws -> [AuditRecord]
    func saveTreeHead(_ head: SignedTreeHead) async throws
    /// Every signed head, by increasing tree size.
    func treeHeads() async throws -> [SignedTreeHead]
}

/// The tamper-evident audit log: an append-only RFC 9162 Merkle tree over audit entries,
/// with heads signed by the server's key.
///
/// Appends are group-committed: callers that arrive while a write is in flight are written
/// together in the next one, so the store sees few large writes under load. An append
/// returns only once its record is durable; if the store fails, every append of that batch
/// fails and the tree does not change.
public actor AuditLog {
    public struct Configuration: Sendable {
        /// The most records written in one store call.
        public var maximumBatch: Int = 1024
        /// Sign a head after this many new entries (0: only when asked). Frequent heads bound
        /// how far verification must look to find a changed entry.
        public var signEvery: Int = 1024

        public init() {}
    }

    private let store: any AuditStore
    private let signingKey: PrivateKey
    private let configuration: Configuration
    private let now: @Sendable () -> UInt64
    private var tree: MerkleTree
    private var pending: [(entry: AuditEntry, continuation: CheckedContinuation<UInt64, any Error>)] = []
    private var writing = false
    private var signedSize = 0
    /// Set after a failed write: whether the store kept it cannot be known (a commit whose
    /// answer was lost), so the tree is rebuilt from the store before the next write.
    private var mustReload = false

    /// Opens the log over `store`, rebuilding the tree from its leaf hashes.
    public init(
        store: any AuditStore, signingKey: PrivateKey, configuration: Configuration = Configuration(),
        nowMilliseconds: @escaping @Sendable () -> UInt64
    ) async throws {
        self.store = store
        self.signingKey = signingKey
        self.configuration = configuration
        self.now = nowMilliseconds
        self.tree = MerkleTree(leafHashes: try await store.leafHashes())
    }

    /// The number of durable entries.
    public var size: Int { tree.size }

    /// Appends an entry durably and returns its index.
    public func append(_ entry: AuditEntry) async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((entry, continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(configuration.maximumBatch))
            pending.removeFirst(batch.count)
            if mustReload {
                do {
                    tree = MerkleTree(leafHashes: try await store.leafHashes())
                    mustReload = false
                } catch {
                    for item in batch { item.continuation.resume(throwing: error) }
                    continue
                }
            }
            let first = UInt64(tree.size)
            let records = batch.enumerated().map { offset, item in
                let bytes = item.entry.encoded()
                return AuditRecord(index: first + UInt64(offset), entryBytes: bytes, leafHash: MerkleHash.leaf(bytes))
            }
            do {
                try await store.append(records)
            } catch {
                mustReload = true
                for item in batch { item.continuation.resume(throwing: error) }
                continue
            }
            for record in records { tree.append(leafHash: record.leafHash) }
            // The records are durable: a head that fails to be signed or saved now is signed
            // with a later batch, and does not fail these appends.
            if configuration.signEvery > 0, tree.size - signedSize >= configuration.signEvery {
                _ = try? await signTreeHead()
            }
            for (record, item) in zip(records, batch) { item.continuation.resume(returning: record.index) }
        }
        writing = false
    }

    /// Signs and stores a head for the current tree.
    public func signTreeHead() async throws -> SignedTreeHead {
        let head = TreeHead(
            treeSize: UInt64(tree.size), rootHash: try tree.rootHash(), timestampMilliseconds: now())
        let signed = try SignedTreeHead(signing: head, with: signingKey)
        try await store.saveTreeHead(signed)
        signedSize = max(signedSize, Int(head.treeSize))
        return signed
    }

    /// The inclusion proof of entry `index` in the tree of `treeSize`.
    public func inclusionProof(index: UInt64, treeSize: UInt64) throws(AuditError) -> [SHA256Digest] {
        try tree.inclusionProof(leafIndex: Int(clamping: index), treeSize: Int(clamping: treeSize))
    }

    /// The consistency proof between two tree sizes.
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws(AuditError) -> [SHA256Digest] {
        try tree.consistencyProof(oldSize: Int(clamping: oldSize), newSize: Int(clamping: newSize))
    }
}

/// What verifying a log against its signed heads found.
public struct AuditVerification: Sendable, Hashable {
    public var entriesChecked: Int
    public var headsChecked: Int
    /// Where the first change is: the index of the first entry that was changed, inserted,
    /// deleted or moved when ``isExact``; otherwise the first entry not covered by a signed
    /// head that still verifies, so the change lies at or after it. Signing heads often
    /// (``AuditLog/Configuration/signEvery``) keeps that bound tight.
    public var firstBadIndex: UInt64?
    /// Whether ``firstBadIndex`` names the changed entry itself.
    public var isExact = false
    /// Why verification failed, in words; nil when it passed.
    public var problem: String?

    public var passed: Bool { problem == nil }
}

/// Checks stored records against signed tree heads: any change, deletion, insertion or
/// reordering of an entry changes some root and is found.
public enum AuditVerifier {
    public static func verify(
        records: [AuditRecord], heads: [SignedTreeHead], publicKey: PublicKey
    ) -> AuditVerification {
        var accumulator = Accumulator()
        for record in records where !accumulator.add(record) { break }
        return accumulator.finish(heads: heads, publicKey: publicKey)
    }

    /// Verification fed one record at a time, in index order, so that a log far larger than
    /// memory can be checked page by page: it keeps two leaf hashes per entry, not the entries.
    public struct Accumulator: Sendable {
        // Entries as they are now, and the leaf hashes stored beside them.
        private var fromEntries = MerkleTree()
        private var fromStored = MerkleTree()
        private var firstStoredMismatch: UInt64?
        private var count: UInt64 = 0
        private var orderProblem: AuditVerification?

        public init() {}

        /// Takes the next record; false once the order is broken (stop feeding then).
        public mutating func add(_ record: AuditRecord) -> Bool {
            guard orderProblem == nil else { return false }
            let position = count
            if record.index != position {
                var result = AuditVerification(entriesChecked: Int(position) + 1, headsChecked: 0)
                result.firstBadIndex = position
                result.isExact = true
                result.problem =
                    "entry at position \(position) carries index \(record.index): entries were inserted, deleted or moved"
                orderProblem = result
                return false
            }
            let computed = MerkleHash.leaf(record.entryBytes)
            if computed != record.leafHash, firstStoredMismatch == nil { firstStoredMismatch = position }
            fromEntries.append(leafHash: computed)
            fromStored.append(leafHash: record.leafHash)
            count += 1
            return true
        }

        /// Checks the records taken against `heads`, all of which must be signed by `publicKey`.
        public func finish(heads: [SignedTreeHead], publicKey: PublicKey) -> AuditVerification {
            if let orderProblem { return orderProblem }
            var result = AuditVerification(entriesChecked: Int(count), headsChecked: 0)
            var lastGoodSize: UInt64 = 0
            for signed in heads.sorted(by: { $0.head.treeSize < $1.head.treeSize }) {
                result.headsChecked += 1
                guard signed.verify(with: publicKey) else {
                    result.problem = "the signed head for size \(signed.head.treeSize) does not verify with the log's key"
                    return result
                }
                let size = signed.head.treeSize
                guard size <= count else {
                    result.firstBadIndex = count
                    result.isExact = true
                    result.problem =
                        "a signed head covers \(size) entries but only \(count) remain: entries were deleted"
                    return result
                }
                let root = try? fromEntries.rootHash(treeSize: Int(size))
                if root == signed.head.rootHash {
                    lastGoodSize = size
                    continue
                }
                // The stored leaf hashes pin down which entry changed when they still match the signed root.
                let storedRoot = try? fromStored.rootHash(treeSize: Int(size))
                if storedRoot == signed.head.rootHash, let mismatch = firstStoredMismatch, mismatch < size {
                    result.firstBadIndex = mismatch
                    result.isExact = true
                    result.problem = "entry \(mismatch) differs from the entry the signed head of size \(size) covers"
                } else {
                    result.firstBadIndex = firstStoredMismatch.map { max($0, lastGoodSize) } ?? lastGoodSize
                    result.problem =
                        "entries \(lastGoodSize)..<\(size) do not hash to the signed root of size \(size); "
                        + "the first changed entry is at or after \(result.firstBadIndex!)"
                }
                return result
            }
            return result
        }
    }
}

/// An in-memory store, for tests and for tools that verify an exported log.
public actor InMemoryAuditStore: AuditStore {
    private var stored: [AuditRecord] = []
    private var heads: [SignedTreeHead] = []
    /// When set, the next append fails with this error (to test failure handling).
    public var failNextAppend: (any Error)?

    public init() {}

    public func setFailNextAppend(_ error: (any Error)?) { failNextAppend = error }

    public func append(_ records: [AuditRecord]) async throws {
        if let error = failNextAppend {
            failNextAppend = nil
            throw error
        }
        precondition(
            records.first.map { $0.index == UInt64(stored.count) } ?? true, "audit indices must continue the log")
        stored.append(contentsOf: records)
    }

    public func leafHashes() async throws -> [SHA256Digest] { stored.map(\.leafHash) }

    public func records(in range: Range<UInt64>) async throws -> [AuditRecord] {
        let lower = Int(min(range.lowerBound, UInt64(stored.count)))
        let upper = Int(min(range.upperBound, UInt64(stored.count)))
        return Array(stored[lower..<upper])
    }

    public func saveTreeHead(_ head: SignedTreeHead) async throws { heads.append(head) }

    public func treeHeads() async throws -> [SignedTreeHead] { heads }

    /// Replaces the stored records wholesale, as an attacker with database access could.
    public func overwrite(_ records: [AuditRecord]) { stored = records }
}
