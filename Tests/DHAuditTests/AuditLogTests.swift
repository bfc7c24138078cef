import DHAudit
import DHTLS
import Testing

private func entry(_ number: Int) -> AuditEntry {
    AuditEntry(
        timeMicroseconds: 1_732_492_800_000_000 + Int64(number), identity: "dh://1312345678/gateway/gw-01",
        actingUser: "D\(number)", purpose: "treatment", method: "/datahealth.v1.CareRecordService/GetPatientSummary",
        patient: "p-\(number % 7)", outcome: number % 5 == 0 ? .denied : .allowed,
        statusCode: number % 5 == 0 ? 7 : 0, reason: number % 5 == 0 ? "no viewing consent" : "")
}

private struct StoreDown: Error {}

private let clock: @Sendable () -> UInt64 = { 1_732_492_800_000 }

@Suite("Audit entries, signed heads and the log")
struct AuditLogTests {
    @Test("an entry's canonical encoding round-trips and rejects damage")
    func encoding() throws {
        var original = entry(3)
        original.breakGlass = true
        original.reason = "意識不明で搬送: 同意取得不能"
        original.dataset = ""
        let bytes = original.encoded()
        #expect(try AuditEntry(encoded: bytes) == original)
        #expect(bytes.first == 1)
        #expect(throws: AuditError.self) { try AuditEntry(encoded: Array(bytes.dropLast())) }
        #expect(throws: AuditError.self) { try AuditEntry(encoded: bytes + [0]) }
        var badVersion = bytes
        badVersion[0] = 9
        #expect(throws: AuditError.self) { try AuditEntry(encoded: badVersion) }
        #expect(entry(1).encoded() != entry(2).encoded())
    }

    @Test("signed heads verify with the log's key only", arguments: PrivateKey.Algorithm.allCases)
    func signedHeads(algorithm: PrivateKey.Algorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let other = try PrivateKey.generate(algorithm)
        let head = TreeHead(
            treeSize: 42, rootHash: MerkleHash.leaf([1, 2, 3]), timestampMilliseconds: 1_732_492_800_000)
        let signed = try SignedTreeHead(signing: head, with: key)
        #expect(signed.verify(with: try key.publicKey()))
        #expect(!signed.verify(with: try other.publicKey()))
        var forged = signed
        forged.head.treeSize = 41
        #expect(!forged.verify(with: try key.publicKey()))
        #expect(try SignedTreeHead(text: signed.text) == signed)
        #expect(throws: AuditError.self) { try SignedTreeHead(text: "dh-sth/1 1 zz") }
        // The public key travels as PEM to whoever checks proofs offline.
        #expect(try PublicKey(pem: try key.publicKey().pemString) == (try key.publicKey()))
    }

    @Test("concurrent appends get distinct indices and every entry proves into the signed head")
    func appendsAndProofs() async throws {
        let store = InMemoryAuditStore()
        let key = try PrivateKey.generate()
        let log = try await AuditLog(store: store, signingKey: key, nowMilliseconds: clock)
        let indices = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for number in 0..<200 { group.addTask { try await log.append(entry(number)) } }
            return try await group.reduce(into: [UInt64]()) { $0.append($1) }
        }
        #expect(indices.sorted() == Array(0..<200))
        let head = try await log.signTreeHead()
        #expect(head.head.treeSize == 200)
        let records = try await store.records(in: 0..<200)
        for record in records {
            let proof = try await log.inclusionProof(index: record.index, treeSize: 200)
            #expect(
                MerkleProof.verifyInclusion(
                    leafHash: MerkleHash.leaf(record.entryBytes), leafIndex: Int(record.index), treeSize: 200,
                    proof: proof, rootHash: head.head.rootHash))
        }
        for number in 200..<230 { _ = try await log.append(entry(number)) }
        let later = try await log.signTreeHead()
        let consistency = try await log.consistencyProof(oldSize: 200, newSize: 230)
        #expect(
            MerkleProof.verifyConsistency(
                oldSize: 200, newSize: 230, oldRoot: head.head.rootHash, newRoot: later.head.rootHash,
                proof: consistency))
        let verification = AuditVerifier.verify(
            records: try await store.records(in: 0..<230), heads: try await store.treeHeads(),
            publicKey: try key.publicKey())
        #expect(verification.passed)
        #expect(verification.entriesChecked == 230 && verification.headsChecked == 2)
    }

    @Test("a failed write fails its appends and leaves the tree as it was")
    func storeFailure() async throws {
        let store = InMemoryAuditStore()
        let log = try await AuditLog(store: store, signingKey: try PrivateKey.generate(), nowMilliseconds: clock)
        _ = try await log.append(entry(0))
        await store.setFailNextAppend(StoreDown())
        await #expect(throws: StoreDown.self) { try await log.append(entry(1)) }
        #expect(await log.size == 1)
        #expect(try await log.append(entry(2)) == 1)
        #expect(try await store.leafHashes().count == 2)
    }

    @Test("heads are signed automatically every `signEvery` entries, so a rewrite is bounded tightly")
    func automaticHeads() async throws {
        let store = InMemoryAuditStore()
        let key = try PrivateKey.generate(.ed25519)
        var configuration = AuditLog.Configuration()
        configuration.signEvery = 4
        let log = try await AuditLog(
            store: store, signingKey: key, configuration: configuration, nowMilliseconds: clock)
        for number in 0..<32 { _ = try await log.append(entry(number)) }
        let heads = try await store.treeHeads()
        #expect(heads.count >= 8)
        #expect(heads.allSatisfy { $0.verify(with: try! key.publicKey()) })
        var records = try await store.records(in: 0..<32)
        records.remove(at: 10)
        for index in records.indices { records[index].index = UInt64(index) }
        await store.overwrite(records)
        let result = AuditVerifier.verify(records: records, heads: heads, publicKey: try key.publicKey())
        #expect(!result.passed)
        #expect((7...10).contains(result.firstBadIndex ?? 99))
    }

    @Test("a reopened log rebuilds the same tree from the store")
    func reopen() async throws {
        let store = InMemoryAuditStore()
        let key = try PrivateKey.generate()
        let first = try await AuditLog(store: store, signingKey: key, nowMilliseconds: clock)
        for number in 0..<37 { _ = try await first.append(entry(number)) }
        let head = try await first.signTreeHead()
        let second = try await AuditLog(store: store, signingKey: key, nowMilliseconds: clock)
        #expect(await second.size == 37)
        #expect(try await second.signTreeHead().head.rootHash == head.head.rootHash)
    }

    /// A log of 64 entries with heads signed at 16, 40 and 64, for the tampering tests.
    private func signedLog() async throws -> (InMemoryAuditStore, PublicKey, [AuditRecord]) {
        let store = InMemoryAuditStore()
        let key = try PrivateKey.generate()
        var configuration = AuditLog.Configuration()
        configuration.signEvery = 0
        let log = try await AuditLog(
            store: store, signingKey: key, configuration: configuration, nowMilliseconds: clock)
        for number in 0..<64 {
            _ = try await log.append(entry(number))
            if [16, 40, 64].contains(number + 1) { _ = try await log.signTreeHead() }
        }
        return (store, try key.publicKey(), try await store.records(in: 0..<64))
    }

    private func verify(_ store: InMemoryAuditStore, _ key: PublicKey) async throws -> AuditVerification {
        AuditVerifier.verify(
            records: try await store.records(in: 0..<UInt64.max), heads: try await store.treeHeads(), publicKey: key)
    }

    @Test("a changed entry is found, with its index")
    func changedEntry() async throws {
        let (store, key, records) = try await signedLog()
        var tampered = records
        var changed = try AuditEntry(encoded: tampered[23].entryBytes)
        changed.outcome = .allowed
        changed.actingUser = "someone else"
        tampered[23].entryBytes = changed.encoded()
        await store.overwrite(tampered)
        let result = try await verify(store, key)
        #expect(!result.passed)
        #expect(result.firstBadIndex == 23 && result.isExact)
    }

    @Test("a changed entry with a recomputed leaf hash is still found")
    func changedEntryAndHash() async throws {
        let (store, key, records) = try await signedLog()
        var tampered = records
        var changed = try AuditEntry(encoded: tampered[50].entryBytes)
        changed.patient = "p-other"
        tampered[50].entryBytes = changed.encoded()
        tampered[50].leafHash = MerkleHash.leaf(tampered[50].entryBytes)
        await store.overwrite(tampered)
        let result = try await verify(store, key)
        #expect(!result.passed)
        // Heads at 16 and 40 still verify, so the change lies in 40..<64.
        #expect(result.firstBadIndex == 40 && !result.isExact)
    }

    @Test("deleted, inserted and reordered entries are found")
    func structuralTampering() async throws {
        let (store, key, records) = try await signedLog()

        var deleted = records
        deleted.remove(at: 10)
        for index in deleted.indices { deleted[index].index = UInt64(index) }
        await store.overwrite(deleted)
        // The rows were renumbered with their hashes, so only the head at 16 fails: at or after 0.
        let deletion = try await verify(store, key)
        #expect(!deletion.passed && deletion.firstBadIndex == 0 && !deletion.isExact)

        var truncated = Array(records.prefix(60))
        await store.overwrite(truncated)
        let truncation = try await verify(store, key)
        #expect(!truncation.passed)
        #expect(truncation.firstBadIndex == 60 && truncation.isExact)

        var inserted = records
        let extra = entry(999).encoded()
        inserted.insert(AuditRecord(index: 5, entryBytes: extra, leafHash: MerkleHash.leaf(extra)), at: 5)
        for index in inserted.indices { inserted[index].index = UInt64(index) }
        await store.overwrite(inserted)
        let insertion = try await verify(store, key)
        #expect(!insertion.passed && insertion.firstBadIndex == 0)

        var reordered = records
        reordered.swapAt(30, 31)
        for index in reordered.indices { reordered[index].index = UInt64(index) }
        await store.overwrite(reordered)
        let reordering = try await verify(store, key)
        #expect(!reordering.passed && reordering.firstBadIndex == 16)

        truncated = records
        truncated[2].index = 7
        await store.overwrite(truncated)
        let gap = try await verify(store, key)
        #expect(gap.firstBadIndex == 2 && gap.isExact)

        await store.overwrite(records)
        #expect(try await verify(store, key).passed)
    }
}
