internal import ArgumentParser
internal import DHIdentity

/// `dh policy`: authorization policy tools.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Validate an authorization policy file and explain its decisions.",
        discussion: """
            The policy file format is described in docs/POLICY.md.

            Examples:
              dh policy check policy.conf
              dh policy check policy.conf --identity dh://mhlw/auditor/a1 \\
                  --method /datahealth.audit.v1.Audit/Query --audit-log
            """,
        subcommands: [PolicyCheckCommand.self]
    )
}

/// `dh policy check FILE [--identity URI --method PATH ...]`.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a policy file and, with --identity and --method, explain one decision.",
        discussion: """
            Without --identity, checks the file and lists its rules. With --identity and
            --method, also decides one call as a server would: the caller context is built as
            from call metadata (--acting-user, --purpose, --reason), and the data the call
            touches is one of --institution, --dataset, --members, --audit-log (default: none).

            Exit status: 0 valid (and allowed), 1 denied, 2 the file is invalid.

            Examples:
              Validate a file and list its rules:
                dh policy check policy.conf
              A clinician through a gateway reading another hospital's records:
                dh policy check policy.conf --identity dh://1312345678/gateway/gw-01 \\
                    --acting-user D0001 --purpose treatment \\
                    --method /datahealth.records.v1.Records/Get --institution 2712345678
              A researcher reading a dataset (purpose research is implied for researchers):
                dh policy check policy.conf --identity dh://univ-tokyo/researcher/r1 \\
                    --method /datahealth.research.v1.Datasets/Read --dataset ndb-2024-diabetes
              An insurer's scoring over its own members:
                dh policy check policy.conf --identity dh://kenpo-a/insurer/batch \\
                    --method /datahealth.scoring.v1.Scoring/Build --members kenpo-a
            """
    )

    @Argument(help: "The policy file.")
    var file: String

    @Option(help: "The caller's certificate identity, dh://ORG/ROLE/ID.")
    var identity: String?

    @Option(help: "The method, /package.Service/Method.")
    var method: String?

    @Option(help: "The acting user a gateway asserts: dh://ORG/clinician/ID or a clinician id.")
    var actingUser: String?

    @Option(
        help:
            "The purpose of use: treatment, emergency, research, insurance-scoring, audit, operations, patient-access.")
    var purpose: String?

    @Option(help: "The break-glass reason (with --purpose emergency).")
    var reason: String?

    @Option(help: "The call reads patient records of this institution (organisation id).")
    var institution: String?

    @Option(help: "The call reads this named dataset.")
    var dataset: String?

    @Option(help: "The call reads member records of this insurer (organisation id).")
    var members: String?

    @Flag(help: "The call reads the audit log.")
    var auditLog = false

    func validate() throws {
        let targets = [institution != nil, dataset != nil, members != nil, auditLog].filter { $0 }.count
        guard targets <= 1 else {
            throw ValidationError("give at most one of --institution, --dataset, --members, --audit-log")
        }
        guard (identity == nil) == (method == nil) else {
            throw ValidationError("--identity and --method go together")
        }
        if identity == nil, actingUser != nil || purpose != nil || reason != nil || targets > 0 {
            throw ValidationError("caller and data options need --identity and --method")
        }
        if let identity { _ = try makeCaller(identity: identity) }
        if let method, !MethodPattern.isMethodPath(method) {
            throw ValidationError("--method '\(method)' is not /package.Service/Method")
        }
    }

    func run() throws {
        let (output, status) = try execute()
        print(output, terminator: "")
        if status != 0 { throw ExitCode(status) }
    }

    /// The report and the exit status.
    func execute() throws -> (output: String, status: Int32) {
        let store: PolicyStore
        do {
            store = try PolicyStore(path: file)
        } catch {
            return ("\(error)\n", 2)
        }
        let rules = store.policy.rules
        let denies = rules.filter { $0.effect == .deny }.count
        var output = "\(file): valid, \(rules.count) rules (\(rules.count - denies) allow, \(denies) deny)\n"
        guard let identity, let method else {
            for rule in rules {
                output +=
                    "  line \(rule.line): \(rule.effect.rawValue) \(rule.name): "
                    + rule.subjects.map(\.description).joined(separator: ", ") + " → "
                    + rule.methods.map(\.description).joined(separator: ", ") + "\n"
            }
            return (output, 0)
        }
        let caller = try makeCaller(identity: identity)
        let target: DataTarget =
            if let institution { .patientRecords(institution: institution) } else if let dataset {
                .dataset(dataset)
            } else if let members { .memberRecords(insurer: members) } else if auditLog { .auditLog } else { .none }
        output += "caller: \(caller)\nmethod: \(method)\ndata:   \(target)\n"
        let decision = store.decide(AccessRequest(caller: caller, method: method, target: target))
        output += decision.description + "\n"
        return (output, decision.isAllowed ? 0 : 1)
    }

    private func makeCaller(identity: String) throws -> CallerContext {
        let peer: PeerIdentity
        do {
            peer = try PeerIdentity(uri: identity)
        } catch {
            throw ValidationError("--identity: \(error.message)")
        }
        var metadata: [(key: String, value: String)] = []
        if let actingUser { metadata.append((CallerContext.actingUserKey, actingUser)) }
        if let purpose { metadata.append((CallerContext.purposeKey, purpose)) }
        if let reason { metadata.append((CallerContext.reasonKey, reason)) }
        do {
            return try CallerContext(identity: peer, metadata: metadata)
        } catch {
            throw ValidationError("caller: \(error.message)")
        }
    }
}
