/// What data a call touches, as the service determines it before asking the policy.
public enum DataTarget: Sendable, Hashable, CustomStringConvertible {
    /// No patient data and no dataset (health checks, reflection, configuration).
    case none
    /// Patient records held for the institution with this organisation id (医療機関コード).
    case patientRecords(institution: String)
    /// A named research dataset.
    case dataset(String)
    /// Records of the members (insured persons) of this insurer.
    case memberRecords(insurer: String)
    /// The audit log.
    case auditLog

    public var description: String {
        switch self {
        case .none: "no data"
        case .patientRecords(let institution): "patient records of institution \(institution)"
        case .dataset(let name): "dataset \(name)"
        case .memberRecords(let insurer): "member records of insurer \(insurer)"
        case .auditLog: "the audit log"
        }
    }
}

/// One data scope a rule grants. In the policy file: `none`, `own-institution`,
/// `any-institution-with-consent`, `dataset:NAME` (or `dataset:*`), `own-members`, `audit-log`.
public enum DataScope: Sendable, Hashable, CustomStringConvertible {
    /// Calls that touch no patient data and no dataset.
    case none
    /// Patient records of the caller's own organisation.
    case ownInstitution
    /// Patient records of any institution; the service must then check the patient's consent
    /// (``ConsentChecker``) for the caller and purpose.
    case anyInstitutionWithConsent
    /// A named dataset; `*` names every dataset.
    case dataset(String)
    /// Records of the caller's own members (an insurer's insured persons).
    case ownMembers
    /// The audit log.
    case auditLog

    public var description: String {
        switch self {
        case .none: "none"
        case .ownInstitution: "own-institution"
        case .anyInstitutionWithConsent: "any-institution-with-consent"
        case .dataset(let name): "dataset:\(name)"
        case .ownMembers: "own-members"
        case .auditLog: "audit-log"
        }
    }

    /// Whether this scope covers `target` for a caller of `organization`.
    func covers(_ target: DataTarget, organization: String) -> Bool {
        switch (self, target) {
        case (.none, .none): true
        case (.ownInstitution, .patientRecords(let institution)): institution == organization
        case (.anyInstitutionWithConsent, .patientRecords): true
        case (.dataset(let name), .dataset(let wanted)): name == "*" || name == wanted
        case (.ownMembers, .memberRecords(let insurer)): insurer == organization
        case (.auditLog, .auditLog): true
        default: false
        }
    }
}

/// Matches identities: `*` (anyone), `role:ROLE`, or `dh://ORG/ROLE/ID` where each part may
/// be `*`.
public struct IdentityPattern: Sendable, Hashable, CustomStringConvertible {
    /// Nil parts match anything.
    public let organization: String?
    public let role: PeerIdentity.Role?
    public let id: String?

    public init(organization: String?, role: PeerIdentity.Role?, id: String?) {
        self.organization = organization
        self.role = role
        self.id = id
    }

    public func matches(_ identity: PeerIdentity) -> Bool {
        (organization.map { $0 == identity.organization } ?? true) && (role.map { $0 == identity.role } ?? true)
            && (id.map { $0 == identity.id } ?? true)
    }

    public var description: String {
        if organization == nil, id == nil {
            return role.map { "role:\($0.rawValue)" } ?? "*"
        }
        return "dh://\(organization ?? "*")/\(role?.rawValue ?? "*")/\(id ?? "*")"
    }
}

/// Matches RPC methods: `*`, `/package.Service/*` or `/package.Service/Method`.
public struct MethodPattern: Sendable, Hashable, CustomStringConvertible {
    /// Nil: every service.
    public let service: String?
    /// Nil: every method of the service.
    public let method: String?

    public init(service: String?, method: String?) {
        self.service = service
        self.method = method
    }

    /// Whether `path` (`/package.Service/Method`) matches.
    public func matches(_ path: String) -> Bool {
        guard let service else { return true }
        guard let (pathService, pathMethod) = Self.split(path), pathService == service else { return false }
        return method.map { $0 == pathMethod } ?? true
    }

    public var description: String {
        guard let service else { return "*" }
        return "/\(service)/\(method ?? "*")"
    }

    /// Whether `path` is a well-formed `/package.Service/Method`.
    public static func isMethodPath(_ path: String) -> Bool {
        guard let (service, method) = split(path) else { return false }
        return service.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(PolicyParser.isIdentifier)
            && PolicyParser.isIdentifier(method)
    }

    /// Splits `/package.Service/Method` into its service and method.
    static func split(_ path: String) -> (service: Substring, method: Substring)? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (parts[0], parts[1])
    }
}

/// One `[allow NAME]` or `[deny NAME]` section of a policy file.
public struct PolicyRule: Sendable, Hashable {
    public enum Effect: String, Sendable, Hashable {
        case allow, deny
    }

    /// What a rule demands of the acting user a gateway asserts.
    public enum ActingUserRequirement: Sendable, Hashable, CustomStringConvertible {
        /// With or without an acting user (the default).
        case any
        /// The call must carry an acting user.
        case required
        /// The call must not carry an acting user.
        case forbidden
        /// The call must carry an acting user matching one of these patterns.
        case matching([IdentityPattern])

        func accepts(_ actingUser: PeerIdentity?) -> Bool {
            switch self {
            case .any: true
            case .required: actingUser != nil
            case .forbidden: actingUser == nil
            case .matching(let patterns): actingUser.map { user in patterns.contains { $0.matches(user) } } ?? false
            }
        }

        public var description: String {
            switch self {
            case .any: "any"
            case .required: "required"
            case .forbidden: "forbidden"
            case .matching(let patterns): patterns.map(\.description).joined(separator: ", ")
            }
        }
    }

    public var name: String
    public var effect: Effect
    /// The line of the section header in the file.
    public var line: Int
    public var subjects: [IdentityPattern]
    public var actingUser: ActingUserRequirement
    public var methods: [MethodPattern]
    /// Nil: every purpose (deny rules only; allow rules must list theirs).
    public var purposes: Set<Purpose>?
    /// Nil: every scope (deny rules only; allow rules must list theirs).
    public var scopes: [DataScope]?
    /// Free text shown in explanations.
    public var note: String?

    public init(
        name: String, effect: Effect, line: Int = 0, subjects: [IdentityPattern],
        actingUser: ActingUserRequirement = .any, methods: [MethodPattern], purposes: Set<Purpose>?,
        scopes: [DataScope]?, note: String? = nil
    ) {
        self.name = name
        self.effect = effect
        self.line = line
        self.subjects = subjects
        self.actingUser = actingUser
        self.methods = methods
        self.purposes = purposes
        self.scopes = scopes
        self.note = note
    }

    /// `rule 'NAME' (line N)`.
    public var label: String { "\(effect.rawValue) rule '\(name)' (line \(line))" }

    /// Why this rule does not apply to `request`, or nil and the scope it grants when it does.
    /// Why the rule does not apply to this caller and method whatever the data, or nil when it does.
    func evaluateMethod(caller: CallerContext, method: String) -> String? {
        var unscoped = self
        unscoped.scopes = nil
        return unscoped.evaluate(AccessRequest(caller: caller, method: method, target: .none)).mismatch
    }

    func evaluate(_ request: AccessRequest) -> (mismatch: String?, scope: DataScope?) {
        let caller = request.caller
        guard subjects.contains(where: { $0.matches(caller.identity) }) else {
            return ("\(caller.identity) is not among " + subjects.map(\.description).joined(separator: ", "), nil)
        }
        guard methods.contains(where: { $0.matches(request.method) }) else {
            return ("method \(request.method) is not among " + methods.map(\.description).joined(separator: ", "), nil)
        }
        guard actingUser.accepts(caller.actingUser) else {
            let stated = caller.actingUser.map { "acting user \($0)" } ?? "no acting user"
            return ("the call has \(stated); the rule wants acting-user = \(actingUser)", nil)
        }
        if let purposes, !purposes.contains(caller.purpose) {
            return (
                "purpose \(caller.purpose) is not among " + purposes.map(\.rawValue).sorted().joined(separator: ", "),
                nil
            )
        }
        guard let scopes else { return (nil, nil) }
        // Own data first: it needs no cross-institution consent.
        let ordered = scopes.filter { $0 == .ownInstitution } + scopes.filter { $0 != .ownInstitution }
        guard
            let scope = ordered.first(where: { $0.covers(request.target, organization: caller.identity.organization) })
        else {
            return (
                "\(request.target) is outside scopes " + scopes.map(\.description).joined(separator: ", ")
                    + " for organisation \(caller.identity.organization)", nil
            )
        }
        return (nil, scope)
    }
}

/// A question for the policy: may this caller call this method on this data?
public struct AccessRequest: Sendable, Hashable {
    public var caller: CallerContext
    /// `/package.Service/Method`.
    public var method: String
    public var target: DataTarget

    public init(caller: CallerContext, method: String, target: DataTarget) {
        self.caller = caller
        self.method = method
        self.target = target
    }
}

/// The policy's answer, with the reasons behind it.
public struct PolicyDecision: Sendable, Hashable, CustomStringConvertible {
    public enum Outcome: String, Sendable, Hashable {
        /// An allow rule matched and no deny rule did.
        case allowed
        /// A deny rule matched.
        case deniedByRule
        /// No rule matched: default deny.
        case noMatchingRule
    }

    public var outcome: Outcome
    /// The rule that decided; nil for ``Outcome/noMatchingRule``.
    public var rule: PolicyRule?
    /// For allowed calls: the scope that granted the data. When it is
    /// ``DataScope/anyInstitutionWithConsent`` the service must also ask ``ConsentChecker``.
    public var scope: DataScope?
    /// For ``Outcome/noMatchingRule``: each rule for this caller and why it did not apply.
    public var nearMisses: [String]

    public var isAllowed: Bool { outcome == .allowed }

    /// Several lines: the outcome, the rule (and its note), and near misses.
    public var description: String {
        var lines: [String]
        switch outcome {
        case .allowed:
            lines = ["ALLOW by \(rule?.label ?? "?")" + (scope.map { " under scope \($0)" } ?? "")]
        case .deniedByRule:
            lines = ["DENY by \(rule?.label ?? "?")"]
        case .noMatchingRule:
            lines = ["DENY: no rule allows this call (default deny)"]
        }
        if let note = rule?.note { lines.append("  note: \(note)") }
        if scope == .anyInstitutionWithConsent {
            lines.append("  the patient's consent must also allow it")
        }
        lines += nearMisses.map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// A parsed authorization policy: rules in file order. Default deny; any matching deny rule
/// beats every allow rule; otherwise the first matching allow rule decides.
public struct Policy: Sendable, Hashable {
    public var rules: [PolicyRule]

    public init(rules: [PolicyRule]) {
        self.rules = rules
    }

    public func decide(_ request: AccessRequest) -> PolicyDecision {
        var firstAllow: (PolicyRule, DataScope?)?
        var nearMisses: [String] = []
        for rule in rules {
            let (mismatch, scope) = rule.evaluate(request)
            if let mismatch {
                // Only rules written for this caller help explain a denial.
                if rule.effect == .allow, rule.subjects.contains(where: { $0.matches(request.caller.identity) }) {
                    nearMisses.append("\(rule.label) does not apply: \(mismatch)")
                }
                continue
            }
            switch rule.effect {
            case .deny:
                return PolicyDecision(outcome: .deniedByRule, rule: rule, scope: nil, nearMisses: [])
            case .allow:
                if firstAllow == nil { firstAllow = (rule, scope) }
            }
        }
        if let (rule, scope) = firstAllow {
            return PolicyDecision(outcome: .allowed, rule: rule, scope: scope, nearMisses: [])
        }
        if nearMisses.isEmpty {
            nearMisses = ["no allow rule names \(request.caller.identity)"]
        }
        return PolicyDecision(outcome: .noMatchingRule, rule: nil, scope: nil, nearMisses: nearMisses)
    }

    /// The gate every call passes before its handler runs, when the data it will touch is not
    /// known yet: a deny rule without scopes that matches refuses the call; otherwise an allow
    /// rule must match the caller, method, purpose and acting user. The handler then asks
    /// ``decide(_:)`` about the data itself.
    public func decideMethod(caller: CallerContext, method: String) -> PolicyDecision {
        var firstAllow: PolicyRule?
        var nearMisses: [String] = []
        for rule in rules {
            let mismatch = rule.evaluateMethod(caller: caller, method: method)
            switch rule.effect {
            case .deny:
                if mismatch == nil, rule.scopes == nil {
                    return PolicyDecision(outcome: .deniedByRule, rule: rule, scope: nil, nearMisses: [])
                }
            case .allow:
                if let mismatch {
                    if rule.subjects.contains(where: { $0.matches(caller.identity) }) {
                        nearMisses.append("\(rule.label) does not apply: \(mismatch)")
                    }
                } else if firstAllow == nil {
                    firstAllow = rule
                }
            }
        }
        if let rule = firstAllow {
            return PolicyDecision(outcome: .allowed, rule: rule, scope: nil, nearMisses: [])
        }
        if nearMisses.isEmpty { nearMisses = ["no allow rule names \(caller.identity)"] }
        return PolicyDecision(outcome: .noMatchingRule, rule: nil, scope: nil, nearMisses: nearMisses)
    }
}
