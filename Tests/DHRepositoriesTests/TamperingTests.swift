import ArgumentParser
import DHAudit
import DHRepositories
import DHStorage
import DHTLS
import Foundation
import Testing

@testable import DHCLI

/// Parses a full `dh` command line and returns the leaf command, as `dh` would run it.
func command<C>(_ arguments: [String], as type: C.Type) throws -> C {
    let parsed = try DataHealthCommand.parseAsRoot(arguments)
    return try #require(parsed as? C, "\(arguments) parsed as \(Swift.type(of: parsed))")
}

/// A fresh temporary directory, removed at the end.
final class Scratch: Sendable {
    let path: String

    init() throws { path = try makeTemporaryDirectory("dh-audit-cli") }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

/// A migrated database holding a log of `count` entries, a head signed every 8 entries, and
/// the log's public key in a PEM file.
struct SignedLog {
    let database: TestDatabase
    let pool: PostgresConnectionPool
    let store: PostgresAuditStore
    let log: AuditLog
    let key: PrivateKey
    let scratch: Scratch
    let publicKeyFile: String

    static func make(count: Int = 40) async throws -> SignedLog {
        let database = try await TestDatabase.make()
        let pool = try database.pool()
        let store = PostgresAuditStore(database: pool)
        let key = try PrivateKey.generate()
        var configuration = AuditLog.Configuration()
        configuration.signEvery = 8
        let log = try await AuditLog(
            store: store, signingKey: key, configuration: configuration, nowMilliseconds: { 1_800_000_000_000 })
        // One at a time, so that heads land exactly on multiples of 8.
        for number in 0..<count { _ = try await log.append(auditEntry(number)) }
        let scratch = try Scratch()
        let publicKeyFile = try scratch.write("log.pub.pem", try key.publicKey().pemString)
        return SignedLog(
            database: database, pool: pool, store: store, log: log, key: key, scratch: scratch,
            publicKeyFile: publicKeyFile)
    }

    func verifyCommand(_ extra: [String] = []) async throws -> (output: String, status: Int32) {
        try await command(
            ["audit", "verify", "--database-url", database.url, "--public-key", publicKeyFile] + extra,
            as: AuditVerifyCommand.self
        ).execute()
    }
}

/// Changes made directly in SQL, as someone with database access could.
enum Tampering: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case updateEntry, updateEntryAndLeafHash, deleteRow, deleteLastRow, insertRow, swapRows, updateQueryColumn
    case appendFarBeyondTheEnd

    var testDescription: String { rawValue }

    /// The statements; entry 13 is the usual victim. Byte 20 lies inside the identity.
    var statements: [PostgresQuery] {
        switch self {
        case .updateEntry:
            ["UPDATE audit_entries SET entry = set_byte(entry, 20, 88) WHERE index = 13"]
        case .updateEntryAndLeafHash:
            [
                """
                UPDATE audit_entries SET entry = set_byte(entry, 20, 88), \
                leaf_hash = sha256('\\x00'::bytea || set_byte(entry, 20, 88)) WHERE index = 13
                """
            ]
        case .deleteRow:
            ["DELETE FROM audit_entries WHERE index = 13"]
        case .updateQueryColumn:
            // Hides the entry from the patient's access history without touching the log itself.
            ["UPDATE audit_entries SET patient = 'P-unknown' WHERE index = 13"]
        case .deleteLastRow:
            ["DELETE FROM audit_entries WHERE index = 39"]
        case .insertRow:
            // Make room at 13 (in two steps: the primary key is checked row by row), then
            // insert a copy of entry 5 there, with a correct leaf hash.
            [
                "UPDATE audit_entries SET index = index + 1000 WHERE index >= 13",
                "UPDATE audit_entries SET index = index - 999 WHERE index >= 1000",
                """
                INSERT INTO audit_entries (index, entry, leaf_hash, time, identity, acting_user, purpose, method, \
                patient, dataset, outcome, status, break_glass) \
                SELECT 13, entry, leaf_hash, time, identity, acting_user, purpose, method, patient, dataset, \
                outcome, status, break_glass FROM audit_entries WHERE index = 5
                """,
            ]
        case .appendFarBeyondTheEnd:
            // A copy of entry 5 appended at an index far past the end, outside every signed head.
            [
                """
                INSERT INTO audit_entries (index, entry, leaf_hash, time, identity, acting_user, purpose, method, \
                patient, dataset, outcome, status, break_glass) \
                SELECT 1000000000, entry, leaf_hash, time, identity, acting_user, purpose, method, patient, dataset, \
                outcome, status, break_glass FROM audit_entries WHERE index = 5
                """
            ]
        case .swapRows:
            [
                "UPDATE audit_entries SET index = 1000 WHERE index = 10",
                "UPDATE audit_entries SET index = 10 WHERE index = 20",
                "UPDATE audit_entries SET index = 20 WHERE index = 1000",
            ]
        }
    }

    /// The first bad index verification must report, and whether exactly.
    var expected: (index: UInt64, exact: Bool) {
        switch self {
        case .updateEntry, .deleteRow, .updateQueryColumn: (13, true)
        case .deleteLastRow: (39, true)
        case .appendFarBeyondTheEnd: (40, true)
        // Everything consistent except the signed roots: the last good head is of size 8.
        case .updateEntryAndLeafHash, .insertRow, .swapRows: (8, false)
        }
    }
}

extension RepositoryTests {
    @Suite("Audit tampering, proofs and dh audit")
    struct TamperingTests {
        @Test("an untouched log verifies, through the store and through dh audit verify")
        func untouched() async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            let result = try await signed.store.verify(publicKey: try signed.key.publicKey())
            #expect(result.passed)
            #expect(result.entriesChecked == 40)
            #expect(result.headsChecked == 5)
            let (output, status) = try await signed.verifyCommand()
            #expect(status == 0, "\(output)")
            #expect(output.contains("OK: 40 entries, 5 signed heads verified"))
        }

        @Test("every change made directly in SQL is found by dh audit verify", arguments: Tampering.allCases)
        func tampering(_ tampering: Tampering) async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            try await signed.pool.withTransaction { tx in
                for statement in tampering.statements { try await tx.execute(statement) }
            }
            let result = try await signed.store.verify(publicKey: try signed.key.publicKey())
            #expect(!result.passed)
            #expect(result.firstBadIndex == tampering.expected.index, "\(result)")
            #expect(result.isExact == tampering.expected.exact, "\(result)")

            let (output, status) = try await signed.verifyCommand()
            #expect(status == 1)
            #expect(output.hasPrefix("FAILED: "))
            let place = tampering.expected.exact ? "" : "at or after "
            #expect(output.contains("first bad entry: \(place)\(tampering.expected.index)\n"), "\(output)")
        }

        @Test("verification reads the log page by page and still finds the first bad entry")
        func paged() async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            var configuration = PostgresAuditStore.Configuration()
            configuration.pageSize = 7
            let store = PostgresAuditStore(database: signed.pool, configuration: configuration)
            let clean = try await store.verify(publicKey: try signed.key.publicKey())
            #expect(clean.passed && clean.entriesChecked == 40 && clean.headsChecked == 5, "\(clean)")
            try await signed.pool.execute("UPDATE audit_entries SET entry = set_byte(entry, 20, 88) WHERE index = 23")
            let tampered = try await store.verify(publicKey: try signed.key.publicKey())
            #expect(!tampered.passed && tampered.firstBadIndex == 23 && tampered.isExact, "\(tampered)")
        }

        @Test("a stored head changed in SQL no longer verifies with the log's key")
        func forgedHead() async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            // Claim the log was smaller when the head of size 40 was signed, to hide the tail.
            try await signed.pool.execute("UPDATE audit_tree_heads SET tree_size = 32 WHERE tree_size = 40")
            let result = try await signed.store.verify(publicKey: try signed.key.publicKey())
            #expect(!result.passed)
            #expect(result.problem?.contains("does not verify with the log's key") == true, "\(result)")
            let (output, status) = try await signed.verifyCommand()
            #expect(status == 1)
            #expect(output.hasPrefix("FAILED: "))
        }

        @Test("a rewrite that also deletes the stored heads is caught by a head kept outside the database")
        func rewriteWithHeadsDeleted() async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            let published = try #require(try await signed.store.treeHeads().last)
            // The last byte of entry 15 is in its reason, which has no query column: the row
            // stays consistent in itself.
            try await signed.pool.execute(
                """
                UPDATE audit_entries SET entry = set_byte(entry, octet_length(entry) - 1, 88), \
                leaf_hash = sha256('\\x00'::bytea || set_byte(entry, octet_length(entry) - 1, 88)) WHERE index = 15
                """)
            try await signed.pool.execute("DELETE FROM audit_tree_heads")
            let (bare, bareStatus) = try await signed.verifyCommand()
            #expect(bareStatus == 1)
            #expect(bare.contains("NOT VERIFIED"))
            let (output, status) = try await signed.verifyCommand(["--head", published.text])
            #expect(status == 1)
            #expect(output.contains("first bad entry: at or after 0"), "\(output)")
        }

        @Test("inclusion proofs printed by prove check offline, and fail when altered")
        func inclusionProofs() async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            let url = signed.database.url
            let text = try await command(
                ["audit", "prove", "--database-url", url, "--index", "13"], as: AuditProveCommand.self
            ).execute()
            #expect(text.hasPrefix("dh-inclusion-proof/1\nindex 13\ntree-size 40\n"))
            let document = try InclusionProofDocument(text: text)
            #expect(document.entry == auditEntry(13).encoded())
            #expect(document.head != nil)

            func check(_ proof: String, _ extra: [String] = []) throws -> (output: String, status: Int32) {
                let file = try signed.scratch.write("proof-\(UUID().uuidString)", proof)
                return try command(
                    ["audit", "check-proof", file, "--public-key", signed.publicKeyFile] + extra,
                    as: AuditCheckProofCommand.self
                ).execute()
            }
            let good = try check(text)
            #expect(good.status == 0, "\(good.output)")
            #expect(good.output.contains("OK: entry 13 is in the log of size 40"))

            // A smaller tree with a head of its own.
            let older = try await command(
                ["audit", "prove", "--database-url", url, "--index", "13", "--tree-size", "16"],
                as: AuditProveCommand.self
            ).execute()
            #expect(try check(older).status == 0)

            // Altered: a path hash, the index, the entry, the head, or checked with another key.
            let path = try #require(document.path.first)
            var flipped = Array(path.hex)
            flipped[0] = flipped[0] == "0" ? "1" : "0"
            let alterations = [
                text.replacingOccurrences(of: path.hex, with: String(flipped)),
                text.replacingOccurrences(of: "index 13\n", with: "index 12\n"),
                text.replacingOccurrences(
                    of: "entry " + hex(auditEntry(13).encoded()), with: "entry " + hex(auditEntry(14).encoded())),
                text.replacingOccurrences(of: "tree-size 40\n", with: "tree-size 39\n"),
                text.replacingOccurrences(of: "head dh-sth/1 40 ", with: "head dh-sth/1 41 "),
            ]
            for altered in alterations {
                #expect(altered != text)
                let result = try check(altered)
                #expect(result.status == 1, "\(altered)")
                #expect(result.output.hasPrefix("INVALID: "))
            }
            let otherKey = try PrivateKey.generate()
            let otherFile = try signed.scratch.write("other.pub.pem", try otherKey.publicKey().pemString)
            let wrongKey = try command(
                ["audit", "check-proof", try signed.scratch.write("p", text), "--public-key", otherFile],
                as: AuditCheckProofCommand.self
            ).execute()
            #expect(wrongKey.status == 1)
            // A proof without its head needs one given; a head of another size does not do.
            let headless = text.split(separator: "\n").filter { !$0.hasPrefix("head ") }.joined(separator: "\n")
            #expect(try check(headless).status == 1)
            let head40 = try #require(document.head)
            #expect(try check(headless, ["--head", head40.text]).status == 0)
            let head16 = try #require(try await signed.store.treeHeads().first { $0.head.treeSize == 16 })
            #expect(try check(headless, ["--head", head16.text]).status == 1)
        }

        @Test("consistency proofs printed by prove check offline, and fail when altered")
        func consistencyProofs() async throws {
            let signed = try await SignedLog.make()
            defer { Task { await signed.pool.close() } }
            let text = try await command(
                ["audit", "prove", "--database-url", signed.database.url, "--consistency", "16", "40"],
                as: AuditProveCommand.self
            ).execute()
            #expect(text.hasPrefix("dh-consistency-proof/1\nold-size 16\nnew-size 40\n"))
            let file = try signed.scratch.write("grow.proof", text)
            let good = try command(
                ["audit", "check-proof", file, "--public-key", signed.publicKeyFile], as: AuditCheckProofCommand.self
            ).execute()
            #expect(good.status == 0, "\(good.output)")
            #expect(good.output.contains("extends the log of size 16"))

            let document = try ConsistencyProofDocument(text: text)
            #expect(!document.path.isEmpty)
            var dropped = document
            dropped.path.removeLast()
            var swapped = document
            swapped.oldHead = document.newHead
            swapped.newHead = document.oldHead
            for altered in [dropped, swapped] {
                #expect(throws: AuditError.self) { try altered.verify(publicKey: try signed.key.publicKey()) }
                let alteredFile = try signed.scratch.write("altered-\(UUID().uuidString)", altered.text)
                let result = try command(
                    ["audit", "check-proof", alteredFile, "--public-key", signed.publicKeyFile],
                    as: AuditCheckProofCommand.self
                ).execute()
                #expect(result.status == 1)
            }

            // After a rewrite of an entry between the two heads, no proof leads to the new signed
            // root. (A rewrite below the old head leaves the signed heads consistent with each
            // other; verify finds that one.)
            try await signed.pool.execute(
                """
                UPDATE audit_entries SET entry = set_byte(entry, 20, 88), \
                leaf_hash = sha256('\\x00'::bytea || set_byte(entry, 20, 88)) WHERE index = 20
                """)
            let rewritten = try await command(
                ["audit", "prove", "--database-url", signed.database.url, "--consistency", "16", "40"],
                as: AuditProveCommand.self
            ).execute()
            let rewrittenDocument = try ConsistencyProofDocument(text: rewritten)
            // The proof is computed from the rewritten tree: it cannot lead to the old signed root.
            #expect(throws: AuditError.self) { try rewrittenDocument.verify(publicKey: try signed.key.publicKey()) }
        }

        @Test("public-key prints the PEM public key that verify and check-proof take")
        func publicKey() async throws {
            let signed = try await SignedLog.make(count: 8)
            defer { Task { await signed.pool.close() } }
            let keyFile = try signed.scratch.write("log.key.pem", signed.key.pemString)
            let printed = try command(["audit", "public-key", keyFile], as: AuditPublicKeyCommand.self).execute()
            #expect(try PublicKey(pem: printed) == (try signed.key.publicKey()))
            #expect(printed.contains("# key id \(try signed.key.publicKey().keyID.hex)"))
            let file = try signed.scratch.write("printed.pub.pem", printed)
            let (output, status) = try await command(
                ["audit", "verify", "--database-url", signed.database.url, "--public-key", file],
                as: AuditVerifyCommand.self
            ).execute()
            #expect(status == 0, "\(output)")
            #expect(throws: (any Error).self) {
                try command(["audit", "public-key", signed.publicKeyFile], as: AuditPublicKeyCommand.self).execute()
            }
        }

        @Test("prove and check-proof explain bad requests")
        func badRequests() async throws {
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot(["audit", "prove", "--database-url", "x"])
            }
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot([
                    "audit", "prove", "--database-url", "x", "--index", "1", "--consistency", "1", "2",
                ])
            }
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot(["audit", "prove", "--data-dir", "d", "--consistency", "5", "2"])
            }
            #expect(throws: (any Error).self) {
                try DataHealthCommand.parseAsRoot(["audit", "verify", "--public-key", "k.pem"])
            }
            #expect(throws: AuditError.self) { try InclusionProofDocument(text: "dh-inclusion-proof/1\nindex 1\n") }
            #expect(throws: AuditError.self) { try InclusionProofDocument(text: "something else\n") }
        }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
