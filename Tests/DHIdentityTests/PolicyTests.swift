import DHIdentity
import Foundation
import Testing

/// The complete example policy of docs/POLICY.md (the ```policy block), so the document stays valid.
let examplePolicyText: String = {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/POLICY.md")
    let text = try! String(contentsOf: docs, encoding: .utf8)
    let start = text.range(of: "```policy\n")!.upperBound
    let end = text.range(of: "```", range: start..<text.endIndex)!.lowerBound
    return String(text[start..<end])
}()

func caller(
    _ uri: String, acting: String? = nil, purpose: Purpose? = nil, reason: String? = nil
) throws -> CallerContext {
    let identity = try PeerIdentity(uri: uri)
    return try CallerContext(
        identity: identity, actingUser: acting.map { try PeerIdentity(uri: $0) }, purpose: purpose, reason: reason)
}

struct PolicyCase: Sendable, CustomTestStringConvertible {
    var identity: String
    var acting: String?
    var purpose: Purpose?
    var method: String
    var target: DataTarget
    var outcome: PolicyDecision.Outcome
    /// The deciding rule, for allowed and explicitly denied calls.
    var rule: String?
    var scope: DataScope?

    var testDescription: String {
        "\(identity)\(acting.map { " as \($0)" } ?? "") \(purpose?.rawValue ?? "-") \(method) \(target) → \(outcome)"
    }
}

let records = "/datahealth.records.v1.Records"
let gw = "dh://1312345678/gateway/gw-01"
let doctor = "dh://1312345678/clinician/D0001"

let policyCases: [PolicyCase] = [
    // Operations: no data, only health and reflection.
    .init(
        identity: "dh://datahealth/ops/alice", method: "/grpc.health.v1.Health/Check", target: .none,
        outcome: .allowed, rule: "ops-platform", scope: DataScope.none),
    .init(
        identity: "dh://datahealth/server/api-2", method: "/datahealth.reflection.v1.Reflection/List",
        target: .none, outcome: .allowed, rule: "ops-platform", scope: DataScope.none),
    .init(
        identity: "dh://datahealth/ops/alice", method: "\(records)/Get",
        target: .patientRecords(institution: "1312345678"),
        outcome: .noMatchingRule),
    .init(
        identity: "dh://datahealth/ops/alice", method: "/grpc.health.v1.Health/Check",
        target: .patientRecords(institution: "1312345678"), outcome: .noMatchingRule),
    // Gateway submission: own institution only.
    .init(
        identity: gw, purpose: .treatment, method: "\(records)/Upload",
        target: .patientRecords(institution: "1312345678"),
        outcome: .allowed, rule: "gateway-submit", scope: .ownInstitution),
    .init(
        identity: gw, acting: doctor, purpose: .treatment, method: "\(records)/Upload",
        target: .patientRecords(institution: "1312345678"), outcome: .allowed, rule: "gateway-submit",
        scope: .ownInstitution),
    .init(
        identity: gw, purpose: .treatment, method: "\(records)/Upload",
        target: .patientRecords(institution: "2712345678"),
        outcome: .noMatchingRule),
    // Clinician through the gateway: needs the acting user.
    .init(
        identity: gw, acting: doctor, purpose: .treatment, method: "\(records)/Get",
        target: .patientRecords(institution: "1312345678"), outcome: .allowed, rule: "clinician-through-gateway",
        scope: .ownInstitution),
    .init(
        identity: gw, acting: doctor, purpose: .treatment, method: "\(records)/Get",
        target: .patientRecords(institution: "2712345678"), outcome: .allowed, rule: "clinician-through-gateway",
        scope: .anyInstitutionWithConsent),
    .init(
        identity: gw, acting: doctor, purpose: .emergency, method: "\(records)/Watch",
        target: .patientRecords(institution: "2712345678"), outcome: .allowed, rule: "clinician-through-gateway",
        scope: .anyInstitutionWithConsent),
    .init(
        identity: gw, purpose: .treatment, method: "\(records)/Get", target: .patientRecords(institution: "1312345678"),
        outcome: .noMatchingRule),
    .init(
        identity: gw, acting: doctor, purpose: .operations, method: "\(records)/Get",
        target: .patientRecords(institution: "1312345678"), outcome: .noMatchingRule),
    .init(
        identity: gw, acting: doctor, purpose: .treatment, method: "\(records)/Chat",
        target: .patientRecords(institution: "1312345678"), outcome: .noMatchingRule),
    // Explicit deny beats allow: the suspended gateway, even with a matching allow rule.
    .init(
        identity: "dh://1312345678/gateway/gw-old", acting: doctor, purpose: .treatment, method: "\(records)/Get",
        target: .patientRecords(institution: "1312345678"), outcome: .deniedByRule, rule: "suspended-gateway"),
    .init(
        identity: "dh://1312345678/gateway/gw-old", purpose: .operations, method: "/grpc.health.v1.Health/Check",
        target: .none, outcome: .deniedByRule, rule: "suspended-gateway"),
    // Genome lab.
    .init(
        identity: "dh://genomics-inc/genome-lab/seq-1", method: "/datahealth.genome.v1.GenomeCases/Submit",
        target: .patientRecords(institution: "genomics-inc"), outcome: .allowed, rule: "genome-lab",
        scope: .ownInstitution),
    .init(
        identity: "dh://genomics-inc/genome-lab/seq-1", method: "/datahealth.genome.v1.GenomeCases/Submit",
        target: .patientRecords(institution: "1312345678"), outcome: .noMatchingRule),
    .init(
        identity: "dh://genomics-inc/genome-lab/seq-1", purpose: .research,
        method: "/datahealth.genome.v1.GenomeCases/Submit", target: .patientRecords(institution: "genomics-inc"),
        outcome: .noMatchingRule),
    // PHR backend.
    .init(
        identity: "dh://phr-co/phr-backend/app", method: "\(records)/Get",
        target: .patientRecords(institution: "2712345678"), outcome: .allowed, rule: "phr-backend",
        scope: .anyInstitutionWithConsent),
    .init(
        identity: "dh://phr-co/phr-backend/app", method: "\(records)/Upload",
        target: .patientRecords(institution: "2712345678"), outcome: .noMatchingRule),
    // Researcher: named datasets of one university only.
    .init(
        identity: "dh://univ-tokyo/researcher/r1", method: "/datahealth.research.v1.Datasets/Read",
        target: .dataset("ndb-2024-diabetes"), outcome: .allowed, rule: "researcher-diabetes-study",
        scope: .dataset("ndb-2024-diabetes")),
    .init(
        identity: "dh://univ-tokyo/researcher/r1", method: "/datahealth.research.v1.Datasets/Read",
        target: .dataset("ndb-2024-cancer"), outcome: .noMatchingRule),
    .init(
        identity: "dh://univ-kyoto/researcher/r1", method: "/datahealth.research.v1.Datasets/Read",
        target: .dataset("ndb-2024-diabetes"), outcome: .noMatchingRule),
    // Explicit deny on purpose: research never reads raw records, whatever the allow rules say.
    .init(
        identity: "dh://univ-tokyo/researcher/r1", method: "\(records)/Get",
        target: .patientRecords(institution: "1312345678"), outcome: .deniedByRule, rule: "no-secondary-use-of-records"),
    .init(
        identity: "dh://kenpo-a/insurer/batch", method: "\(records)/Get",
        target: .patientRecords(institution: "1312345678"), outcome: .deniedByRule, rule: "no-secondary-use-of-records"),
    // Insurer: own members only.
    .init(
        identity: "dh://kenpo-a/insurer/batch", method: "/datahealth.scoring.v1.Scoring/Build",
        target: .memberRecords(insurer: "kenpo-a"), outcome: .allowed, rule: "insurer-scoring", scope: .ownMembers),
    .init(
        identity: "dh://kenpo-a/insurer/batch", method: "/datahealth.scoring.v1.Scoring/Build",
        target: .memberRecords(insurer: "kenpo-b"), outcome: .noMatchingRule),
    // Auditor: the audit log only.
    .init(
        identity: "dh://mhlw/auditor/a1", method: "/datahealth.audit.v1.Audit/Query", target: .auditLog,
        outcome: .allowed, rule: "auditor", scope: .auditLog),
    .init(
        identity: "dh://mhlw/auditor/a1", method: "/datahealth.audit.v1.Audit/Query",
        target: .patientRecords(institution: "1312345678"), outcome: .noMatchingRule),
    .init(identity: "dh://mhlw/auditor/a1", method: "\(records)/Get", target: .auditLog, outcome: .noMatchingRule),
]

@Suite("Policy: decisions of the docs/POLICY.md example")
struct PolicyDecisionTests {
    static let policy = try! Policy(parsing: examplePolicyText, source: "docs/POLICY.md")

    @Test("the example has every role's rules")
    func example() {
        #expect(Self.policy.rules.count == 10)
        #expect(
            Self.policy.rules.filter { $0.effect == .deny }.map(\.name) == [
                "suspended-gateway", "no-secondary-use-of-records",
            ])
        let clinician = Self.policy.rules.first { $0.name == "clinician-through-gateway" }
        #expect(clinician?.methods.count == 3)  // a continued list
        #expect(clinician?.actingUser == .required)
    }

    @Test("table of decisions, allowed and denied", arguments: policyCases)
    func decide(_ testCase: PolicyCase) throws {
        let context = try caller(testCase.identity, acting: testCase.acting, purpose: testCase.purpose)
        let decision = Self.policy.decide(
            AccessRequest(caller: context, method: testCase.method, target: testCase.target))
        #expect(decision.outcome == testCase.outcome, "\(decision)")
        #expect(decision.isAllowed == (testCase.outcome == .allowed))
        #expect(decision.rule?.name == testCase.rule, "\(decision)")
        #expect(decision.scope == testCase.scope, "\(decision)")
        if testCase.outcome == .noMatchingRule {
            #expect(!decision.nearMisses.isEmpty)
            #expect(decision.description.hasPrefix("DENY: no rule allows this call"))
        }
    }

    @Test("a default denial explains which rule came closest and why it did not apply")
    func explanation() throws {
        let context = try caller(gw, acting: doctor, purpose: .research)
        let decision = Self.policy.decide(
            AccessRequest(caller: context, method: "\(records)/Get", target: .patientRecords(institution: "1312345678"))
        )
        #expect(decision.outcome == .deniedByRule)  // research on records: the explicit deny
        let operations = try caller(gw, acting: doctor, purpose: .operations)
        let denied = Self.policy.decide(
            AccessRequest(
                caller: operations, method: "\(records)/Get", target: .patientRecords(institution: "1312345678")))
        #expect(denied.outcome == .noMatchingRule)
        let text = denied.description
        #expect(text.contains("allow rule 'clinician-through-gateway' (line"))
        #expect(text.contains("purpose operations is not among emergency, treatment"))
        #expect(text.contains("allow rule 'gateway-submit'"))
        #expect(text.contains("method /datahealth.records.v1.Records/Get is not among"))

        let stranger = try caller("dh://nowhere/clinician/x", purpose: .treatment)
        let none = Self.policy.decide(AccessRequest(caller: stranger, method: "/a.B/C", target: .none))
        #expect(none.nearMisses.isEmpty == false)
        #expect(none.description.contains("no allow rule names"))

        let allowed = Self.policy.decide(
            AccessRequest(
                caller: try caller(gw, acting: doctor, purpose: .treatment), method: "\(records)/Get",
                target: .patientRecords(institution: "2712345678")))
        #expect(allowed.description.contains("consent decides for other institutions' records"))
        #expect(allowed.description.contains("the patient's consent must also allow it"))
    }

    @Test("deny beats allow wherever it appears, and the first matching allow rule decides")
    func ordering() throws {
        let policy = try Policy(
            parsing: """
                version = 1
                [allow broad]
                who = role:auditor
                methods = /a.Audit/*
                purposes = audit
                scopes = audit-log
                [allow narrow]
                who = dh://mhlw/auditor/a1
                methods = /a.Audit/Query
                purposes = audit
                scopes = audit-log
                [deny late-deny]
                who = dh://mhlw/auditor/a2
                methods = /a.Audit/Query
                scopes = audit-log
                """)
        func decide(_ uri: String, _ method: String) throws -> PolicyDecision {
            policy.decide(AccessRequest(caller: try caller(uri), method: method, target: .auditLog))
        }
        #expect(try decide("dh://mhlw/auditor/a1", "/a.Audit/Query").rule?.name == "broad")
        #expect(try decide("dh://mhlw/auditor/a2", "/a.Audit/Query").outcome == .deniedByRule)
        #expect(try decide("dh://mhlw/auditor/a2", "/a.Audit/List").rule?.name == "broad")
        // A deny rule limited to a scope does not deny other data.
        let other = policy.decide(
            AccessRequest(caller: try caller("dh://mhlw/auditor/a2"), method: "/a.Audit/Query", target: .none))
        #expect(other.outcome == .noMatchingRule)
    }

    @Test("acting-user patterns name the clinicians a rule is for")
    func actingUserPatterns() throws {
        let policy = try Policy(
            parsing: """
                version = 1
                [allow cardiology]
                who = role:gateway
                acting-user = dh://1312345678/clinician/N0042, dh://*/clinician/D0001
                methods = /r.R/Get
                purposes = treatment
                scopes = own-institution
                """)
        let rule = try #require(policy.rules.first)
        guard case .matching(let patterns) = rule.actingUser else {
            Issue.record("expected a pattern list, got \(rule.actingUser)")
            return
        }
        #expect(patterns.count == 2)
        let target = DataTarget.patientRecords(institution: "1312345678")
        let with = try caller(gw, acting: doctor, purpose: .treatment)
        let without = try caller(gw, purpose: .treatment)
        let other = try caller(gw, acting: "dh://1312345678/clinician/D0002", purpose: .treatment)
        #expect(policy.decide(AccessRequest(caller: with, method: "/r.R/Get", target: target)).isAllowed)
        #expect(!policy.decide(AccessRequest(caller: without, method: "/r.R/Get", target: target)).isAllowed)
        #expect(!policy.decide(AccessRequest(caller: other, method: "/r.R/Get", target: target)).isAllowed)

        let forbidden = try Policy(
            parsing: """
                version = 1
                [allow system-only]
                who = role:gateway
                acting-user = forbidden
                methods = /r.R/Upload
                purposes = operations
                scopes = own-institution
                """)
        let system = try caller(gw, purpose: .operations)
        let person = try caller(gw, acting: doctor, purpose: .operations)
        #expect(forbidden.decide(AccessRequest(caller: system, method: "/r.R/Upload", target: target)).isAllowed)
        let denied = forbidden.decide(AccessRequest(caller: person, method: "/r.R/Upload", target: target))
        #expect(!denied.isAllowed)
        #expect(denied.description.contains("the rule wants acting-user = forbidden"))
    }

    @Test("dataset:* covers every dataset; method * covers every method")
    func wildcards() throws {
        let policy = try Policy(
            parsing: """
                version = 1
                [allow all-data]
                who = dh://univ-tokyo/researcher/*
                methods = *
                purposes = research
                scopes = dataset:*
                """)
        let researcher = try caller("dh://univ-tokyo/researcher/r9")
        #expect(
            policy.decide(AccessRequest(caller: researcher, method: "/x.Y/Z", target: .dataset("any-one"))).isAllowed)
        #expect(!policy.decide(AccessRequest(caller: researcher, method: "/x.Y/Z", target: .none)).isAllowed)
        #expect(!policy.decide(AccessRequest(caller: researcher, method: "/x.Y/Z", target: .auditLog)).isAllowed)
    }
}

@Suite("Policy: parse errors name their lines")
struct PolicyParseTests {
    func problems(_ text: String) -> [PolicyError.Problem] {
        do {
            _ = try Policy(parsing: text, source: "test.policy")
            Issue.record("expected the policy to be refused")
            return []
        } catch {
            #expect(error.code == .invalidPolicy)
            #expect(error.message.hasPrefix("test.policy: \(error.problems.count) problem"))
            return error.problems
        }
    }

    @Test("every problem is reported with its line")
    func lines() {
        let found = problems(
            """
            version = 1
            # a comment

            [allow good]
            who = role:gateway
            methods = /a.B/C
            purposes = treatmnet
            scopes = own-institution, everything
            colour = blue
            [allow good]
            who = role:doctor, dh://1312345678/gateway/a/b, dh://131234567/gateway/*
            methods = a.B/C, /a.B/, /a.B.*/x, /1a.B/C
            purposes = treatment
            [deny x]
            who = *
            [frobnicate y]
            methods = *
            just words
            acting-user = required
            """)
        let expected: [(Int, String)] = [
            (7, "unknown purpose 'treatmnet'"),
            (8, "unknown scope 'everything'"),
            (9, "unknown key 'colour'"),
            (10, "rule name 'good' is already used on line 4"),
            (10, "rule 'good' has no 'scopes'"),
            (11, "unknown role 'doctor'"),
            (11, "must have three parts"),
            (11, "must be a 10-digit"),
            (12, "'a.B/C' is not a method pattern"),
            (12, "'/a.B/' is not a method pattern"),
            (12, "'/a.B.*/x' is not a method pattern"),
            (12, "'/1a.B/C' is not a method pattern"),
            (14, "rule 'x' has no 'methods'"),
            (16, "a section header is '[allow NAME]' or '[deny NAME]'"),
            (17, "'methods' must be inside"),
            (18, "expected '[allow NAME]'"),
            (19, "'acting-user' must be inside"),
        ]
        let sorted = found.sorted { $0.line < $1.line }
        #expect(sorted.count == expected.count, "\(sorted)")
        for (line, text) in expected {
            #expect(
                sorted.contains { $0.line == line && $0.message.contains(text) }, "line \(line): \(text) in \(sorted)")
        }
    }

    @Test(
        "single mistakes",
        arguments: [
            ("[allow a]\nwho = *\nmethods = *\npurposes = audit\nscopes = none", 1, "must say 'version = 1'"),
            ("version = 2", 1, "version '2' is not supported"),
            ("version = 1\nversion = 1", 2, "'version' is given twice"),
            ("", 1, "must say 'version = 1'"),
            ("version = 1\n[allow Bad_Name]", 2, "rule name 'Bad_Name'"),
            ("version = 1\n[allow a", 2, "must end with ']'"),
            (
                "version = 1\n[allow a]\nwho = *\nwho = *\nmethods = *\npurposes = audit\nscopes = none", 4,
                "'who' is already set on line 3"
            ),
            ("version = 1\n[allow a]\nwho =\nmethods = *\npurposes = audit\nscopes = none", 3, "the list is empty"),
            (
                "version = 1\n[allow a]\nwho = *\nmethods = *\npurposes = audit\nscopes = dataset:Bad!", 6,
                "dataset name 'Bad!'"
            ),
            (
                "version = 1\n[allow a]\nwho = *\nmethods = *\npurposes = audit\nscopes = none\nacting-user = dh://1312345678/ops/*",
                7, "acting users are clinicians"
            ),
            (
                "version = 1\n[allow a]\nwho = *\nmethods = *\npurposes = audit\nscopes = none\nacting-user = sometimes",
                7, "'sometimes' is not an identity pattern"
            ),
            (
                "version = 1\n[deny a]\nwho = *\nmethods = *\npurposes = audit\nscopes = none\n[allow b]\nwho = *", 7,
                "rule 'b' has no 'methods'"
            ),
        ] as [(String, Int, String)])
    func single(text: String, line: Int, message: String) {
        let found = problems(text)
        #expect(found.count >= 1)
        #expect(found.first?.line == line, "\(found)")
        #expect(found.first?.message.contains(message) == true, "\(found)")
    }

    @Test("comments, CRLF line ends, continuation lines and commas or spaces all read the same")
    func layout() throws {
        let compact = try Policy(
            parsing: """
                version = 1
                [allow a]
                who = role:gateway,role:clinician
                methods = /a.B/C,/a.B/D
                purposes = treatment
                scopes = own-institution
                """)
        let fixed = try Policy(
            parsing:
                "# header\r\nversion = 1   # the format\r\n\r\n[allow a]\r\nwho = role:gateway\r\n  role:clinician\r\nmethods = /a.B/C   /a.B/D\r\npurposes = treatment\r\nscopes = own-institution\r\n"
        )
        #expect(compact.rules.map(\.subjects) == fixed.rules.map(\.subjects))
        #expect(compact.rules.map(\.methods) == fixed.rules.map(\.methods))
        #expect(compact.rules.map(\.purposes) == fixed.rules.map(\.purposes))
        #expect(fixed.rules.first?.line == 4)

        // An indented line continues the previous value, even when it looks like a key.
        let error = try #require(throws: PolicyError.self) {
            try Policy(
                parsing:
                    "version = 1\n[allow a]\nwho = role:gateway\nmethods = /a.B/C\n  purposes = treatment\nscopes = none"
            )
        }
        #expect(error.problems.map(\.line).contains(4))
        #expect(error.problems.contains { $0.message.contains("rule 'a' has no 'purposes'") })
    }
}
