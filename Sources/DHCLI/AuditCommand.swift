internal import ArgumentParser
internal import DHAudit
internal import DHRepositories
internal import DHStorage
internal import DHTLS
import Foundation

/// `dh audit`: verify the tamper-evident audit log, prove entries in it, and search it.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, prove and search the tamper-evident audit log.",
        discussion: """
            The log is an RFC 9162 Merkle tree whose heads the server signs (docs/AUDIT.md). \
            `verify` and `prove` read the log's database; `check-proof` needs only a proof, a \
            signed head and the log's public key, so anyone can run it offline.

            Examples:
              dh audit verify --data-dir /var/lib/datahealth --public-key audit-log.pub.pem
              dh audit prove --data-dir /var/lib/datahealth --index 1200 > entry-1200.proof
              dh audit check-proof entry-1200.proof --public-key audit-log.pub.pem
              dh audit prove --data-dir /var/lib/datahealth --consistency 1024 4096 > grow.proof
              dh audit query --data-dir /var/lib/datahealth --patient P-0001
              dh audit public-key /var/lib/datahealth/audit-log.key.pem > audit-log.pub.pem
            """,
        subcommands: [
            AuditVerifyCommand.self, AuditProveCommand.self, AuditCheckProofCommand.self, AuditQueryCommand.self,
            AuditPublicKeyCommand.self,
        ]
    )
}

/// Reads a PEM public key from a file.
func readPublicKey(_ path: String) throws -> PublicKey {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw ValidationError("cannot read the public key file \(path)")
    }
    do {
        return try PublicKey(pem: text)
    } catch {
        throw ValidationError("\(path) holds no PEM public key (-----BEGIN PUBLIC KEY-----)")
    }
}

func parseHead(_ line: String, option: String) throws -> SignedTreeHead {
    do {
        return try SignedTreeHead(text: line.trimmingCharacters(in: .whitespacesAndNewlines))
    } catch {
        throw ValidationError("\(option): \(error.message)")
    }
}

/// `dh audit verify`.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every stored entry against the log's signed heads; report the first bad entry.",
        discussion: """
            Recomputes every leaf from the stored entries and checks every signed head stored in \
            the log, plus any given with --head (heads published or kept outside the database, \
            which an attacker with database access cannot rewrite). A changed, deleted, \
            inserted or reordered entry is reported with its index, or with the first index it \
            can be at when the stored hashes were rewritten as well.

            Exit status: 0 verified, 1 tampering found or nothing to verify against.

            Examples:
              dh audit verify --data-dir /var/lib/datahealth --public-key audit-log.pub.pem
              dh audit verify --database-url postgresql://auditor@db/datahealth \\
                  --public-key audit-log.pub.pem --head "$(cat published-head.txt)"
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The log's public key (PEM).", valueName: "file"))
    var publicKey: String

    @Option(
        help: ArgumentHelp("A signed head line (dh-sth/1 …) kept outside the database; repeatable.", valueName: "line"))
    var head: [String] = []

    func run() async throws {
        let (output, status) = try await execute()
        print(output, terminator: "")
        if status != 0 { throw ExitCode(status) }
    }

    func execute() async throws -> (output: String, status: Int32) {
        let key = try readPublicKey(publicKey)
        let extra = try head.map { try parseHead($0, option: "--head") }
        let (result, heads) = try await database.withDatabase { pool in
            let store = PostgresAuditStore(database: pool)
            return (try await store.verify(publicKey: key, extraHeads: extra), try await store.treeHeads() + extra)
        }
        return Self.report(result, heads: heads)
    }

    static func report(_ result: AuditVerification, heads: [SignedTreeHead]) -> (output: String, status: Int32) {
        guard result.passed else {
            var output = "FAILED: \(result.problem ?? "verification failed")\n"
            if let index = result.firstBadIndex {
                output +=
                    result.isExact
                    ? "first bad entry: \(index)\n" : "first bad entry: at or after \(index)\n"
            }
            return (output, 1)
        }
        guard let covered = heads.map(\.head.treeSize).max() else {
            if result.entriesChecked == 0 { return ("OK: the log is empty\n", 0) }
            return ("NOT VERIFIED: \(result.entriesChecked) entries and no signed head to check them against\n", 1)
        }
        var output =
            "OK: \(result.entriesChecked) entries, \(result.headsChecked) signed heads verified; "
            + "the latest head covers \(covered) entries\n"
        let uncovered = UInt64(result.entriesChecked) - min(UInt64(result.entriesChecked), covered)
        if uncovered > 0 { output += "note: the last \(uncovered) entries are not yet under a signed head\n" }
        return (output, 0)
    }
}

/// `dh audit prove`.
struct AuditProveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print an inclusion proof (--index) or a consistency proof (--consistency).",
        discussion: """
            The proof is printed in the text format of docs/AUDIT.md, with the signed heads it \
            proves into when the log holds heads of those sizes. Give it to anyone who holds the \
            log's public key; they check it with `dh audit check-proof`, without the database.

            --tree-size defaults to the size of the latest signed head.

            Examples:
              Entry 1200 is in the log as of its latest signed head:
                dh audit prove --data-dir /var/lib/datahealth --index 1200 > entry-1200.proof
              ... as of the head of size 4096:
                dh audit prove --data-dir /var/lib/datahealth --index 1200 --tree-size 4096
              The head of size 4096 extends the head of size 1024 (nothing was rewritten):
                dh audit prove --data-dir /var/lib/datahealth --consistency 1024 4096
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The entry to prove.")
    var index: UInt64?

    @Option(help: "The tree size to prove the entry in.")
    var treeSize: UInt64?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Two tree sizes: OLD NEW.", valueName: "size"))
    var consistency: [UInt64] = []

    func validate() throws {
        guard (index == nil) != consistency.isEmpty else {
            throw ValidationError("give one of --index and --consistency")
        }
        if !consistency.isEmpty {
            guard consistency.count == 2, consistency[0] <= consistency[1] else {
                throw ValidationError("--consistency takes two sizes, OLD NEW, with OLD <= NEW")
            }
            guard treeSize == nil else { throw ValidationError("--tree-size goes with --index") }
        }
    }

    func run() async throws {
        print(try await execute(), terminator: "")
    }

    func execute() async throws -> String {
        try await database.withDatabase { pool in
            let store = PostgresAuditStore(database: pool)
            let heads = try await store.treeHeads()
            let tree = try await store.merkleTree()
            func head(ofSize size: UInt64) -> SignedTreeHead? { heads.last { $0.head.treeSize == size } }
            if let index {
                guard let size = treeSize ?? heads.map(\.head.treeSize).max() else {
                    throw ValidationError("the log has no signed head yet: give --tree-size")
                }
                guard index < size, size <= UInt64(tree.size) else {
                    throw ValidationError("need index < tree size <= \(tree.size) (the log's size)")
                }
                let path = try tree.inclusionProof(leafIndex: Int(index), treeSize: Int(size))
                let record = try await store.records(in: index..<index + 1).first
                let document = InclusionProofDocument(
                    index: index, treeSize: size, leafHash: try tree.leafHash(at: Int(index)),
                    entry: record?.entryBytes, path: path, head: head(ofSize: size))
                return document.text
                    + (document.head == nil ? "# no signed head of size \(size): check with --head\n" : "")
            }
            let (old, new) = (consistency[0], consistency[1])
            guard new <= UInt64(tree.size) else {
                throw ValidationError("the log has \(tree.size) entries, fewer than \(new)")
            }
            let path = try tree.consistencyProof(oldSize: Int(old), newSize: Int(new))
            let document = ConsistencyProofDocument(
                oldSize: old, newSize: new, path: path, oldHead: head(ofSize: old), newHead: head(ofSize: new))
            var text = document.text
            if document.oldHead == nil { text += "# no signed head of size \(old): check with --old-head\n" }
            if document.newHead == nil { text += "# no signed head of size \(new): check with --head\n" }
            return text
        }
    }
}

/// `dh audit check-proof`.
struct AuditCheckProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-proof",
        abstract: "Check a proof printed by `dh audit prove`, offline.",
        discussion: """
            Needs only the proof, the log's public key and, if the proof carries none, the \
            signed head(s) to check against. The heads' signatures are checked with the key.

            Exit status: 0 the proof holds, 1 it does not.

            Examples:
              dh audit check-proof entry-1200.proof --public-key audit-log.pub.pem
              dh audit check-proof entry-1200.proof --public-key audit-log.pub.pem \\
                  --head "dh-sth/1 4096 9f2c… 1732492800000 51ab… 3045…"
              dh audit check-proof grow.proof --public-key audit-log.pub.pem
            """)

    @Argument(help: "The proof file ('-' for standard input).")
    var proof: String

    @Option(help: ArgumentHelp("The log's public key (PEM).", valueName: "file"))
    var publicKey: String

    @Option(help: ArgumentHelp("The signed head to check against (the newer one for consistency).", valueName: "line"))
    var head: String?

    @Option(help: ArgumentHelp("For a consistency proof: the older signed head.", valueName: "line"))
    var oldHead: String?

    func run() throws {
        let (output, status) = try execute()
        print(output, terminator: "")
        if status != 0 { throw ExitCode(status) }
    }

    func execute() throws -> (output: String, status: Int32) {
        let key = try readPublicKey(publicKey)
        let text: String
        if proof == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let contents = try? String(contentsOfFile: proof, encoding: .utf8) else {
                throw ValidationError("cannot read the proof file \(proof)")
            }
            text = contents
        }
        let given = try head.map { try parseHead($0, option: "--head") }
        let givenOld = try oldHead.map { try parseHead($0, option: "--old-head") }
        do {
            if text.contains(ConsistencyProofDocument.header) {
                let document = try ConsistencyProofDocument(text: text)
                try document.verify(publicKey: key, oldHead: givenOld, newHead: given)
                return (
                    "OK: the log of size \(document.newSize) extends the log of size \(document.oldSize)\n", 0
                )
            }
            let document = try InclusionProofDocument(text: text)
            let signed = try document.verify(publicKey: key, head: given)
            var output = "OK: entry \(document.index) is in the log of size \(document.treeSize) "
            output += "(head signed at \(signed.head.timestampMilliseconds) ms)\n"
            if let bytes = document.entry, let entry = try? AuditEntry(encoded: bytes) {
                output += AuditQueryCommand.describe(index: document.index, entry: entry)
            }
            return (output, 0)
        } catch {
            return ("INVALID: \(error.message)\n", 1)
        }
    }
}

/// `dh audit query`.
struct AuditQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Search the audit log: who did what to whose record, when and why.",
        discussion: """
            Every filter given must match. Entries come newest first, --limit at a time; the \
            last line says how to get the next page. Times are ISO 8601 (2026-11-25T09:00:00Z or \
            2026-11-25). The entries shown are the stored canonical entries; `dh audit verify` \
            proves they are the logged ones.

            Examples:
              Who looked at a patient's record, when and why:
                dh audit query --data-dir /var/lib/datahealth --patient P-0001
              What one clinician did through a gateway in November:
                dh audit query --data-dir /var/lib/datahealth \\
                    --identity dh://1312345678/gateway/gw-01 --acting-user dh://1312345678/clinician/D0001 \\
                    --since 2026-11-01 --until 2026-12-01
              Denied calls of one method:
                dh audit query --data-dir /var/lib/datahealth \\
                    --method /datahealth.records.v1.Records/Get --outcome denied
              Break-glass access waiting for review:
                dh audit query --data-dir /var/lib/datahealth --break-glass
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The patient pseudonym.")
    var patient: String?

    @Option(help: "The caller's certificate identity, dh://ORG/ROLE/ID.")
    var identity: String?

    @Option(help: "The user a gateway acted for.")
    var actingUser: String?

    @Option(help: "The method, /package.Service/Method.")
    var method: String?

    @Option(help: "The stated purpose: treatment, emergency, research, insurance-scoring, audit, patient-access.")
    var purpose: String?

    @Option(help: "The dataset.")
    var dataset: String?

    @Option(help: "allowed, denied or failed.")
    var outcome: String?

    @Flag(help: "Only break-glass (emergency) access.")
    var breakGlass = false

    @Option(help: "Entries at or after this time (ISO 8601).")
    var since: String?

    @Option(help: "Entries before this time (ISO 8601).")
    var until: String?

    @Option(help: "Entries per page.")
    var limit = 50

    @Option(help: "Continue a previous search: entries with smaller indices only.")
    var before: UInt64?

    func validate() throws {
        _ = try makeQuery()
    }

    func run() async throws {
        print(try await execute(), terminator: "")
    }

    func makeQuery() throws -> AuditQuery {
        var query = AuditQuery(
            identity: identity, actingUser: actingUser, patient: patient, purpose: purpose, method: method,
            dataset: dataset, breakGlass: breakGlass ? true : nil, limit: limit, before: before)
        if let outcome {
            switch outcome {
            case "allowed": query.outcome = .allowed
            case "denied": query.outcome = .denied
            case "failed": query.outcome = .failed
            default: throw ValidationError("--outcome must be allowed, denied or failed")
            }
        }
        query.since = try since.map { try Self.parseTime($0, option: "--since") }
        query.until = try until.map { try Self.parseTime($0, option: "--until") }
        guard (1...AuditQuery.maximumLimit).contains(limit) else {
            throw ValidationError("--limit must be 1...\(AuditQuery.maximumLimit)")
        }
        return query
    }

    func execute() async throws -> String {
        let query = try makeQuery()
        let page = try await database.withDatabase { try await PostgresAuditStore(database: $0).search(query) }
        var output = page.results.map { Self.describe(index: $0.index, entry: $0.entry) }.joined()
        if page.results.isEmpty { output = "no matching entries\n" }
        if let cursor = page.nextCursor { output += "more: repeat with --before \(cursor)\n" }
        return output
    }

    static func parseTime(_ text: String, option: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return date }
        throw ValidationError("\(option) '\(text)' is not an ISO 8601 time (2026-11-25T09:00:00Z or 2026-11-25)")
    }

    /// One entry as one block of text.
    static func describe(index: UInt64, entry: AuditEntry) -> String {
        let time = Date(timeIntervalSince1970: Double(entry.timeMicroseconds) / 1_000_000)
        let outcome =
            switch entry.outcome {
            case .allowed: "allowed"
            case .denied: "denied"
            case .failed: "failed"
            }
        var line = "#\(index) \(time.ISO8601Format()) \(outcome) status=\(entry.statusCode) \(entry.method)\n"
        line += "  by \(entry.identity)"
        if !entry.actingUser.isEmpty { line += " for \(entry.actingUser)" }
        if !entry.purpose.isEmpty { line += " purpose=\(entry.purpose)" }
        line += "\n"
        if !entry.patient.isEmpty { line += "  patient \(entry.patient)\n" }
        if !entry.dataset.isEmpty { line += "  dataset \(entry.dataset)\n" }
        if entry.breakGlass { line += "  BREAK-GLASS (flagged for review)\n" }
        if !entry.reason.isEmpty { line += "  reason: \(entry.reason)\n" }
        return line
    }
}

/// `dh audit public-key`.
struct AuditPublicKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public-key",
        abstract: "Print the public key (PEM) of the log's signing key, for verify and check-proof.",
        discussion: """
            Hand the printed key to auditors and patients' representatives: it is all they need, \
            with a proof and a signed head, to check the log offline. The key ID in every signed \
            head line is SHA-256 of this key's DER form, printed last.

            Example:
              dh audit public-key /var/lib/datahealth/audit-log.key.pem > audit-log.pub.pem
            """)

    @Argument(help: "The log's private signing key (PEM).")
    var key: String

    func run() throws {
        print(try execute(), terminator: "")
    }

    func execute() throws -> String {
        let publicKey: PublicKey
        do {
            publicKey = try PrivateKey(file: key).publicKey()
        } catch {
            throw ValidationError("\(key): \(error)")
        }
        return publicKey.pemString + "# key id \(publicKey.keyID.hex)\n"
    }
}
