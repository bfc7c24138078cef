import ArgumentParser
import DHIdentity
import DHSchemas
import DHTLS
import Foundation
import Testing

@testable import DHCLI

/// A fresh temporary directory, removed at the end.
final class Scratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("dh-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path + "/" + name, encoding: .utf8) }
    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + name) }
    func permissions(_ name: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path + "/" + name)[.posixPermissions] as? Int) ?? -1
    }
}

/// Parses a full `dh` command line and returns the leaf command, as `dh` would run it.
func command<C>(_ arguments: [String], as type: C.Type) throws -> C {
    let parsed = try DataHealthCommand.parseAsRoot(arguments)
    return try #require(parsed as? C, "\(arguments) parsed as \(Swift.type(of: parsed))")
}

@Suite("dh pki: init, issue, revoke")
struct PKICommandTests {
    @Test("init writes the CA, server, one client per role (keys 0600) and an empty CRL")
    func initialize() throws {
        let scratch = try Scratch()
        let dir = scratch.path + "/pki"
        let report = try command(["pki", "init", dir, "--algorithm", "ed25519"], as: PKIInitCommand.self).execute()
        for name in ["ca.crt.pem", "ca.key.pem", "ca.crl.pem", "server.crt.pem", "server.key.pem"] {
            #expect(scratch.exists("pki/" + name), "\(name)")
        }
        let ca = try Certificate(pem: scratch.read("pki/ca.crt.pem"))
        #expect(ca.isCertificateAuthority)
        let server = try Certificate(pem: scratch.read("pki/server.crt.pem"))
        #expect(server.subjectAlternativeNames.dnsNames == ["localhost"])
        #expect(server.subjectAlternativeNames.ipAddresses.contains("127.0.0.1"))
        #expect(server.issuer == ca.subject)
        for role in PeerIdentity.Role.allCases {
            let certificate = try Certificate(pem: scratch.read("pki/clients/\(role.rawValue).crt.pem"))
            let identity = try certificate.peerIdentity()
            #expect(identity.role == role)
            #expect(identity.id == "dev-\(role.rawValue)")
            let hospital = role == .gateway || role == .clinician
            #expect(identity.organization == (hospital ? "1312345678" : "datahealth-dev"))
            #expect(certificate.issuer == ca.subject)
            #expect(report.contains(identity.uri))
            let key = try PrivateKey(pem: scratch.read("pki/clients/\(role.rawValue).key.pem"))
            #expect(key.algorithm == .ed25519)
            #expect(try scratch.permissions("pki/clients/\(role.rawValue).key.pem") == 0o600)
        }
        #expect(try scratch.permissions("pki/ca.key.pem") == 0o600)
        #expect(try scratch.permissions("pki/ca.crt.pem") == 0o644)
        let crl = try CertificateRevocationList(pem: scratch.read("pki/ca.crl.pem"))
        #expect(crl.entries.isEmpty)
        #expect(crl.isSigned(by: ca))

        // The CA key pairs with the CA certificate.
        _ = try CertificateAuthority(certificate: ca, privateKey: PrivateKey(pem: scratch.read("pki/ca.key.pem")))

        // An existing PKI is replaced only with --force.
        let again = try command(["pki", "init", dir], as: PKIInitCommand.self)
        #expect(throws: CLIError.self) { try again.execute() }
        #expect(try Certificate(pem: scratch.read("pki/ca.crt.pem")) == ca)
        _ = try command(["pki", "init", dir, "--force", "--hospital", "2712345678"], as: PKIInitCommand.self).execute()
        #expect(try Certificate(pem: scratch.read("pki/ca.crt.pem")) != ca)
        let gateway = try Certificate(pem: scratch.read("pki/clients/gateway.crt.pem"))
        #expect(try gateway.peerIdentity().uri == "dh://2712345678/gateway/dev-gateway")
    }

    @Test("init options are checked")
    func initOptions() throws {
        let scratch = try Scratch()
        #expect(throws: (any Error).self) {
            try DataHealthCommand.parseAsRoot(["pki", "init", scratch.path, "--days", "0"])
        }
        #expect(throws: (any Error).self) {
            try DataHealthCommand.parseAsRoot(["pki", "init", scratch.path, "--algorithm", "rsa"])
        }
        let bad = try command(["pki", "init", scratch.path, "--hospital", "12345"], as: PKIInitCommand.self)
        #expect(throws: CLIError.self) { try bad.execute() }
        _ = try command(
            ["pki", "init", scratch.path, "--dns-name", "dh.local", "--ip-address", "10.0.0.5"], as: PKIInitCommand.self
        ).execute()
        let server = try Certificate(pem: scratch.read("server.crt.pem"))
        #expect(server.subjectAlternativeNames.dnsNames == ["dh.local"])
        #expect(server.subjectAlternativeNames.ipAddresses == ["10.0.0.5"])
    }

    @Test("issue makes a client certificate for one identity with the PKI's CA")
    func issue() throws {
        let scratch = try Scratch()
        _ = try command(["pki", "init", scratch.path], as: PKIInitCommand.self).execute()
        let report = try command(
            ["pki", "issue", scratch.path, "--identity", "dh://univ-tokyo/researcher/r.tanaka", "--days", "7"],
            as: PKIIssueCommand.self
        ).execute()
        let certificate = try Certificate(pem: scratch.read("clients/univ-tokyo-researcher-r.tanaka.crt.pem"))
        #expect(try certificate.peerIdentity().uri == "dh://univ-tokyo/researcher/r.tanaka")
        #expect(certificate.extendedKeyUsage == [.clientAuth])
        #expect(report.contains(certificate.serialNumber.description))
        #expect(certificate.notAfter.timeIntervalSince(certificate.notBefore) < 8 * 86_400)
        #expect(try scratch.permissions("clients/univ-tokyo-researcher-r.tanaka.key.pem") == 0o600)
        let ca = try Certificate(pem: scratch.read("ca.crt.pem"))
        #expect(certificate.issuer == ca.subject)

        // Named output; no silent overwrite; bad identities in words.
        _ = try command(
            ["pki", "issue", scratch.path, "--identity", "dh://kenpo-a/insurer/batch", "--name", "insurer-a"],
            as: PKIIssueCommand.self
        ).execute()
        #expect(scratch.exists("clients/insurer-a.crt.pem"))
        let twice = try command(
            ["pki", "issue", scratch.path, "--identity", "dh://kenpo-a/insurer/batch", "--name", "insurer-a"],
            as: PKIIssueCommand.self)
        #expect(throws: CLIError.self) { try twice.execute() }
        let invalid = try command(
            ["pki", "issue", scratch.path, "--identity", "dh://kenpo-a/doctor/x"], as: PKIIssueCommand.self)
        let error = try #require(throws: CLIError.self) { try invalid.execute() }
        #expect(error.description.contains("role 'doctor'"))
        #expect(throws: (any Error).self) {
            try DataHealthCommand.parseAsRoot([
                "pki", "issue", scratch.path, "--identity", "dh://a-b/ops/x", "--name", "../x",
            ])
        }
        let noCA = try command(
            ["pki", "issue", scratch.path + "/nowhere", "--identity", "dh://a-b/ops/x"], as: PKIIssueCommand.self)
        #expect(throws: CLIError.self) { try noCA.execute() }
    }

    @Test("revoke adds certificates and serials to the CRL and keeps earlier ones")
    func revoke() throws {
        let scratch = try Scratch()
        _ = try command(["pki", "init", scratch.path], as: PKIInitCommand.self).execute()
        let ca = try Certificate(pem: scratch.read("ca.crt.pem"))
        let auditor = try Certificate(pem: scratch.read("clients/auditor.crt.pem")).serialNumber
        let ops = try Certificate(pem: scratch.read("clients/ops.crt.pem")).serialNumber

        let first = try command(
            ["pki", "revoke", scratch.path, "--certificate", scratch.path + "/clients/auditor.crt.pem"],
            as: PKIRevokeCommand.self
        ).execute()
        var crl = try CertificateRevocationList(pem: scratch.read("ca.crl.pem"))
        #expect(crl.number == 2)
        #expect(crl.entries.map(\.serialNumber) == [auditor])
        #expect(crl.isSigned(by: ca))
        #expect(first.contains("\(auditor)  (new)"))

        let second = try command(
            ["pki", "revoke", scratch.path, "--serial", ops.description, "--serial", auditor.description],
            as: PKIRevokeCommand.self
        ).execute()
        crl = try CertificateRevocationList(pem: scratch.read("ca.crl.pem"))
        #expect(crl.number == 3)
        #expect(Set(crl.entries.map(\.serialNumber)) == [auditor, ops])
        #expect(second.contains("\(ops)  (new)"))
        #expect(!second.contains("\(auditor)  (new)"))

        // Nothing to revoke, a bad serial, or another CA's certificate: refused, CRL unchanged.
        #expect(throws: (any Error).self) { try DataHealthCommand.parseAsRoot(["pki", "revoke", scratch.path]) }
        let badSerial = try command(["pki", "revoke", scratch.path, "--serial", "xyz"], as: PKIRevokeCommand.self)
        #expect(throws: CLIError.self) { try badSerial.execute() }
        let other = try Scratch()
        _ = try command(["pki", "init", other.path], as: PKIInitCommand.self).execute()
        let foreign = try command(
            ["pki", "revoke", scratch.path, "--certificate", other.path + "/clients/ops.crt.pem"],
            as: PKIRevokeCommand.self)
        #expect(throws: CLIError.self) { try foreign.execute() }
        #expect(try CertificateRevocationList(pem: scratch.read("ca.crl.pem")).number == 3)
    }
}

@Suite("dh policy check")
struct PolicyCheckCommandTests {
    static let policy = """
        version = 1
        [allow clinician]
        who = role:gateway
        acting-user = required
        methods = /datahealth.records.v1.Records/Get
        purposes = treatment
        scopes = own-institution, any-institution-with-consent
        note = consent decides for other institutions
        [allow auditor]
        who = role:auditor
        methods = /datahealth.audit.v1.Audit/*
        purposes = audit
        scopes = audit-log
        [deny suspended]
        who = dh://1312345678/gateway/gw-old
        methods = *
        """

    func write(_ text: String, in scratch: Scratch) throws -> String {
        let path = scratch.path + "/policy.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a valid file is summarised rule by rule")
    func valid() throws {
        let scratch = try Scratch()
        let path = try write(Self.policy, in: scratch)
        let (output, status) = try command(["policy", "check", path], as: PolicyCheckCommand.self).execute()
        #expect(status == 0)
        #expect(output.hasPrefix("\(path): valid, 3 rules (2 allow, 1 deny)\n"))
        #expect(output.contains("line 2: allow clinician: role:gateway → /datahealth.records.v1.Records/Get"))
        #expect(output.contains("line 14: deny suspended: dh://1312345678/gateway/gw-old → *"))
    }

    @Test("an invalid file lists every problem with its line and exits 2")
    func invalid() throws {
        let scratch = try Scratch()
        let path = try write(
            Self.policy.replacingOccurrences(of: "purposes = audit", with: "purposes = auditing"), in: scratch)
        let (output, status) = try command(["policy", "check", path], as: PolicyCheckCommand.self).execute()
        #expect(status == 2)
        #expect(output.contains("line 12: unknown purpose 'auditing'"))
        let (missing, missingStatus) = try command(
            ["policy", "check", scratch.path + "/absent.conf"], as: PolicyCheckCommand.self
        ).execute()
        #expect(missingStatus == 2)
        #expect(missing.contains("cannot read policy file"))
    }

    @Test(
        "decisions are explained; allow exits 0, deny 1",
        arguments: [
            (
                [
                    "--identity", "dh://1312345678/gateway/gw-01", "--acting-user", "D0001", "--purpose", "treatment",
                    "--method", "/datahealth.records.v1.Records/Get", "--institution", "2712345678",
                ],
                Int32(0), "ALLOW by allow rule 'clinician' (line 2) under scope any-institution-with-consent"
            ),
            (
                [
                    "--identity", "dh://1312345678/gateway/gw-01", "--acting-user", "dh://1312345678/clinician/D0001",
                    "--purpose", "treatment", "--method", "/datahealth.records.v1.Records/Get", "--institution",
                    "1312345678",
                ],
                0, "under scope own-institution"
            ),
            (
                [
                    "--identity", "dh://1312345678/gateway/gw-01", "--purpose", "treatment",
                    "--method", "/datahealth.records.v1.Records/Get", "--institution", "1312345678",
                ],
                1, "the call has no acting user; the rule wants acting-user = required"
            ),
            (
                [
                    "--identity", "dh://1312345678/gateway/gw-old", "--acting-user", "D0001", "--purpose", "treatment",
                    "--method", "/datahealth.records.v1.Records/Get", "--institution", "1312345678",
                ],
                1, "DENY by deny rule 'suspended' (line 14)"
            ),
            (
                ["--identity", "dh://mhlw/auditor/a1", "--method", "/datahealth.audit.v1.Audit/Query", "--audit-log"],
                0, "ALLOW by allow rule 'auditor' (line 9) under scope audit-log"
            ),
            (
                [
                    "--identity", "dh://mhlw/auditor/a1", "--method", "/datahealth.audit.v1.Audit/Query",
                    "--dataset", "ndb-2024",
                ], 1, "dataset ndb-2024 is outside scopes audit-log"
            ),
            (
                [
                    "--identity", "dh://kenpo-a/insurer/batch", "--method", "/datahealth.scoring.v1.Scoring/Build",
                    "--members", "kenpo-a",
                ], 1, "no allow rule names dh://kenpo-a/insurer/batch"
            ),
        ] as [([String], Int32, String)])
    func decisions(arguments: [String], status: Int32, expected: String) throws {
        let scratch = try Scratch()
        let path = try write(Self.policy, in: scratch)
        let (output, exit) = try command(["policy", "check", path] + arguments, as: PolicyCheckCommand.self).execute()
        #expect(exit == status, "\(output)")
        #expect(output.contains(expected), "\(output)")
    }

    @Test(
        "malformed command lines are refused before the file is read",
        arguments: [
            ["--identity", "dh://mhlw/auditor/a1"],
            ["--method", "/a.B/C"],
            ["--identity", "dh://mhlw/doctor/a1", "--method", "/a.B/C"],
            ["--identity", "dh://mhlw/auditor/a1", "--method", "a.B/C"],
            ["--identity", "dh://1312345678/gateway/gw", "--method", "/a.B/C"],
            ["--identity", "dh://1312345678/gateway/gw", "--purpose", "fun", "--method", "/a.B/C"],
            ["--identity", "dh://mhlw/auditor/a1", "--acting-user", "D1", "--method", "/a.B/C"],
            ["--identity", "dh://mhlw/auditor/a1", "--method", "/a.B/C", "--audit-log", "--dataset", "d"],
            ["--purpose", "treatment"],
        ])
    func malformed(arguments: [String]) {
        #expect(throws: (any Error).self) {
            try DataHealthCommand.parseAsRoot(["policy", "check", "/nonexistent.conf"] + arguments)
        }
    }

    @Test("help teaches by example")
    func help() {
        let texts = [
            PolicyCheckCommand.helpMessage(), PolicyCommand.helpMessage(), PKICommand.helpMessage(),
            PKIInitCommand.helpMessage(), PKIIssueCommand.helpMessage(), PKIRevokeCommand.helpMessage(),
        ]
        for text in texts {
            #expect(text.contains("Examples:"))
            #expect(text.contains("dh "))
        }
    }
}

@Suite("dh pki files drive the TLS layer")
struct PKIFilesTLSTests {
    /// Runs a handshake in memory between a server made from `directory`'s files and the
    /// client `name`; returns the identity the server saw, or the server's error.
    func handshake(_ directory: String, client name: String) throws -> Result<String, TLSError> {
        let server = try TLSContext(
            configuration: .server(
                certificateChain: .file(directory + "/server.crt.pem"), privateKey: .file(directory + "/server.key.pem"),
                trustRoots: [.file(directory + "/ca.crt.pem")], revocationLists: [.file(directory + "/ca.crl.pem")]))
        let client = try TLSContext(
            configuration: .client(
                certificateChain: .file(directory + "/clients/\(name).crt.pem"),
                privateKey: .file(directory + "/clients/\(name).key.pem"), trustRoots: [.file(directory + "/ca.crt.pem")]))
        let serverConnection = try TLSConnection(context: server)
        let clientConnection = try TLSConnection(context: client, serverName: "localhost")
        var toServer = clientConnection.startHandshake().ciphertext
        for _ in 0..<16 where !toServer.isEmpty {
            let fromServer = serverConnection.receive(toServer)
            if let error = fromServer.error { return .failure(error) }
            toServer = clientConnection.receive(fromServer.ciphertext).ciphertext
        }
        return .success(serverConnection.peerIdentity?.uri ?? "none")
    }

    @Test("a certificate from dh pki issue is accepted, and refused once dh pki revoke lists it")
    func issueThenRevoke() throws {
        let scratch = try Scratch()
        _ = try command(["pki", "init", scratch.path], as: PKIInitCommand.self).execute()
        _ = try command(
            ["pki", "issue", scratch.path, "--identity", "dh://1312345678/gateway/gw-02", "--name", "gw-02"],
            as: PKIIssueCommand.self
        ).execute()
        #expect(try handshake(scratch.path, client: "gw-02").get() == "dh://1312345678/gateway/gw-02")
        #expect(try handshake(scratch.path, client: "gateway").get() == "dh://1312345678/gateway/dev-gateway")

        _ = try command(
            ["pki", "revoke", scratch.path, "--certificate", scratch.path + "/clients/gw-02.crt.pem"],
            as: PKIRevokeCommand.self
        ).execute()
        guard case .failure(let error) = try handshake(scratch.path, client: "gw-02") else {
            Issue.record("a revoked certificate was accepted")
            return
        }
        #expect(error.code == .revoked)
        #expect(try handshake(scratch.path, client: "gateway").get() == "dh://1312345678/gateway/dev-gateway")
    }
}

@Suite("dh completion and help")
struct CompletionTests {
    @Test("completion scripts name every subcommand, for each shell", arguments: ["bash", "zsh", "fish"])
    func scripts(_ shell: String) throws {
        let script = try command(["completion", shell], as: CompletionCommand.self).script()
        for subcommand in ["serve", "pki", "policy", "migrate", "audit", "version", "completion"] {
            #expect(script.contains(subcommand), "\(shell): \(subcommand)")
        }
        #expect(script.contains("data-dir"))
    }

    @Test("an unknown shell is refused")
    func unknownShell() {
        #expect(throws: (any Error).self) { try DataHealthCommand.parseAsRoot(["completion", "tcsh"]) }
    }

    @Test("every subcommand's help teaches by example")
    func helpHasExamples() {
        let commands: [any ParsableCommand.Type] = [
            DataHealthCommand.self, ServeCommand.self, PKICommand.self, PolicyCommand.self, MigrateUpCommand.self,
            AuditCommand.self, CompletionCommand.self,
        ]
        for type in commands {
            let help = DataHealthCommand.helpMessage(for: type, includeHidden: false, columns: 200)
            #expect(help.contains("Example"), "\(type)")
        }
    }
}

@Suite("dh synth")
struct SynthCommandTests {
    @Test("writes JSON lines and length-delimited binary with the same records, the same for the same seed")
    func formats() async throws {
        let scratch = try Scratch()
        let base = ["synth", "--patients", "20", "--institution", "1312345678", "--as-of", "2026-11-24", "--seed", "9"]
        try await command(base + ["--out", scratch.path + "/a.jsonl"], as: SynthCommand.self).run()
        try await command(base + ["--out", scratch.path + "/b.jsonl"], as: SynthCommand.self).run()
        try await command(
            base + ["--format", "binary-delimited", "--out", scratch.path + "/c.bin"], as: SynthCommand.self
        ).run()
        let json = try scratch.read("a.jsonl")
        #expect(json == (try scratch.read("b.jsonl")))
        let lines = json.split(separator: "\n")
        #expect(lines.count > 40)
        let binary = [UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/c.bin")))
        var offset = 0
        var decoded: [Datahealth_V1_CareRecord] = []
        while offset < binary.count {
            var length = 0
            var shift = 0
            while true {
                let byte = binary[offset]
                offset += 1
                length |= Int(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80 { break }
            }
            decoded.append(try Datahealth_V1_CareRecord(serializedBytes: Array(binary[offset..<(offset + length)])))
            offset += length
        }
        #expect(decoded == (try lines.map { try Datahealth_V1_CareRecord(jsonString: String($0)) }))
    }

    @Test("bad options are refused")
    func badOptions() {
        for arguments in [
            ["synth", "--institution", "12345"], ["synth", "--records-per-patient", "9-3"], ["synth", "--as-of", "2026-13-01"],
            ["synth", "--submit", "127.0.0.1:7443"],
        ] {
            #expect(throws: (any Error).self, "\(arguments)") { try DataHealthCommand.parseAsRoot(arguments) }
        }
    }
}
