/// Why a caller wants the data: stated on every call (metadata key `dh-purpose`) and checked by
/// the policy (rules list the purposes they allow) and by consent (each purpose has its own
/// consent rule, see ``ConsentChecker``).
public enum Purpose: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Care of the patient in front of the clinician (診療).
    case treatment
    /// Emergency care when consent cannot be obtained: break-glass access.
    case emergency
    /// Secondary use on approved, pseudonymised data.
    case research
    /// 健康スコアリング: an insurer's or employer's statistics about its own members.
    case insuranceScoring = "insurance-scoring"
    /// Reading audit trails.
    case audit
    /// Running the platform: health checks, reflection, configuration. Never patient data.
    case operations
    /// A patient reading their own record through a PHR service.
    case patientAccess = "patient-access"

    public var description: String { rawValue }

    /// The purpose assumed when a caller of `role` sends no `dh-purpose`. Gateways and
    /// clinicians have none: they must always say why.
    public static func implied(for role: PeerIdentity.Role) -> Purpose? {
        switch role {
        case .gateway, .clinician: nil
        case .genomeLab: .treatment
        case .phrBackend: .patientAccess
        case .researcher: .research
        case .insurer: .insuranceScoring
        case .auditor: .audit
        case .ops, .server: .operations
        }
    }
}

/// Who is calling and why: the certificate identity, and for gateways the user they act for
/// and the purpose of use, taken from call metadata (see ``init(identity:metadata:configuration:)``).
///
/// Both the identity and the acting user are audited.
public struct CallerContext: Sendable, Hashable, CustomStringConvertible {
    /// Limits on what metadata may carry.
    public struct Configuration: Sendable, Hashable {
        /// The longest break-glass reason accepted, in UTF-8 bytes.
        public var maximumReasonLength: Int

        public init(maximumReasonLength: Int = 1_000) {
            self.maximumReasonLength = maximumReasonLength
        }
    }

    /// Metadata key: the user a gateway acts for, `dh://ORG/clinician/ID` or just `ID` (the
    /// clinician's id within the gateway's own institution).
    public static let actingUserKey = "dh-acting-user"
    /// Metadata key: the ``Purpose`` of the call, e.g. `treatment`.
    public static let purposeKey = "dh-purpose"
    /// Metadata key: the reason for emergency (break-glass) access, in words.
    public static let reasonKey = "dh-purpose-reason"

    /// The authenticated certificate identity.
    public let identity: PeerIdentity
    /// The clinician a gateway acts for; always of the gateway's organisation and role
    /// `clinician`. Nil when the gateway calls for the institution itself, and for every
    /// other role.
    public let actingUser: PeerIdentity?
    public let purpose: Purpose
    /// The stated reason for emergency access; only with ``Purpose/emergency``.
    public let reason: String?

    /// Validates the combination.
    ///
    /// - Throws: ``CallerContextError`` with code `actingUserNotAllowed` (not a gateway),
    ///   `invalidActingUser` (not a clinician), `foreignActingUser` (another organisation),
    ///   `missingPurpose` (a gateway or clinician with no purpose), `reasonNotAllowed` (a reason
    ///   without `emergency`), `invalidReason` (empty, too long or with control characters).
    public init(
        identity: PeerIdentity, actingUser: PeerIdentity? = nil, purpose: Purpose?, reason: String? = nil,
        configuration: Configuration = Configuration()
    ) throws(CallerContextError) {
        if let actingUser {
            guard identity.role == .gateway else {
                throw CallerContextError(
                    code: .actingUserNotAllowed,
                    message: "only a gateway may assert an acting user; \(identity) is a \(identity.role.rawValue)")
            }
            guard actingUser.role == .clinician else {
                throw CallerContextError(
                    code: .invalidActingUser,
                    message: "the acting user \(actingUser) must be a clinician, not a \(actingUser.role.rawValue)")
            }
            guard actingUser.organization == identity.organization else {
                throw CallerContextError(
                    code: .foreignActingUser,
                    message: "gateway \(identity) may only act for users of organisation \(identity.organization), "
                        + "not \(actingUser)")
            }
        }
        guard let purpose = purpose ?? Purpose.implied(for: identity.role) else {
            throw CallerContextError(
                code: .missingPurpose,
                message: "a \(identity.role.rawValue) must state its purpose in '\(Self.purposeKey)' (one of "
                    + Purpose.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        if let reason {
            guard purpose == .emergency else {
                throw CallerContextError(
                    code: .reasonNotAllowed,
                    message: "'\(Self.reasonKey)' is only for purpose emergency, not \(purpose)")
            }
            try Self.validate(reason: reason, configuration: configuration)
        }
        self.identity = identity
        self.actingUser = actingUser
        self.purpose = purpose
        self.reason = reason
    }

    /// Reads the context from call metadata. Keys are matched case-insensitively; each of
    /// ``actingUserKey``, ``purposeKey`` and ``reasonKey`` may appear at most once; other keys
    /// are ignored.
    ///
    /// - Throws: ``CallerContextError``: `duplicateKey`, `unknownPurpose`, `invalidActingUser`,
    ///   and everything ``init(identity:actingUser:purpose:reason:configuration:)`` throws.
    public init(
        identity: PeerIdentity, metadata: [(key: String, value: String)],
        configuration: Configuration = Configuration()
    ) throws(CallerContextError) {
        var values: [String: String] = [:]
        for (key, value) in metadata {
            let key = key.lowercased()
            guard key == Self.actingUserKey || key == Self.purposeKey || key == Self.reasonKey else { continue }
            guard values[key] == nil else {
                throw CallerContextError(code: .duplicateKey, message: "metadata key '\(key)' appears more than once")
            }
            values[key] = value
        }
        var purpose: Purpose?
        if let text = values[Self.purposeKey] {
            guard let parsed = Purpose(rawValue: text) else {
                throw CallerContextError(
                    code: .unknownPurpose,
                    message: "purpose '\(text)' is not one of "
                        + Purpose.allCases.map(\.rawValue).joined(separator: ", "))
            }
            purpose = parsed
        }
        var actingUser: PeerIdentity?
        if let text = values[Self.actingUserKey] {
            guard identity.role == .gateway else {
                throw CallerContextError(
                    code: .actingUserNotAllowed,
                    message: "only a gateway may assert an acting user; \(identity) is a \(identity.role.rawValue)")
            }
            actingUser = try Self.parseActingUser(text, for: identity)
        }
        try self.init(
            identity: identity, actingUser: actingUser, purpose: purpose, reason: values[Self.reasonKey],
            configuration: configuration)
    }

    /// The metadata a client sends to state this context.
    public var metadata: [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [(Self.purposeKey, purpose.rawValue)]
        if let actingUser { pairs.append((Self.actingUserKey, actingUser.uri)) }
        if let reason { pairs.append((Self.reasonKey, reason)) }
        return pairs
    }

    /// `dh://ORG/gateway/ID as dh://ORG/clinician/ID for treatment`.
    public var description: String {
        var text = identity.uri
        if let actingUser { text += " as \(actingUser.uri)" }
        text += " for \(purpose.rawValue)"
        return text
    }

    private static func parseActingUser(_ text: String, for identity: PeerIdentity) throws(CallerContextError)
        -> PeerIdentity
    {
        do throws(IdentityError) {
            if text.hasPrefix(PeerIdentity.scheme + ":") {
                return try PeerIdentity(uri: text)
            }
            return try PeerIdentity(organization: identity.organization, role: .clinician, id: text)
        } catch {
            throw CallerContextError(
                code: .invalidActingUser,
                message: "acting user '\(text)' is neither dh://ORG/clinician/ID nor a clinician id: \(error.message)",
                cause: error)
        }
    }

    private static func validate(reason: String, configuration: Configuration) throws(CallerContextError) {
        let trimmed = reason.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw CallerContextError(code: .invalidReason, message: "the break-glass reason is empty")
        }
        guard reason.utf8.count <= configuration.maximumReasonLength else {
            throw CallerContextError(
                code: .invalidReason,
                message: "the break-glass reason is \(reason.utf8.count) bytes; at most "
                    + "\(configuration.maximumReasonLength) are accepted")
        }
        guard !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CallerContextError(code: .invalidReason, message: "the break-glass reason holds control characters")
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (including full-width spaces).
    func trimmingWhitespace() -> Substring {
        let text = Substring(self)
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return Substring(scalars[first...last])
    }
}

/// Why call metadata does not make a valid ``CallerContext``.
public struct CallerContextError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case actingUserNotAllowed, invalidActingUser, foreignActingUser, missingPurpose, unknownPurpose
            case reasonNotAllowed, invalidReason, duplicateKey
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A caller other than a gateway asserted an acting user.
        public static let actingUserNotAllowed = Code(.actingUserNotAllowed)
        /// The acting user is not a valid clinician identity or id.
        public static let invalidActingUser = Code(.invalidActingUser)
        /// The acting user belongs to another organisation than the gateway.
        public static let foreignActingUser = Code(.foreignActingUser)
        /// A gateway or clinician stated no purpose.
        public static let missingPurpose = Code(.missingPurpose)
        /// The purpose is not one of ``Purpose``.
        public static let unknownPurpose = Code(.unknownPurpose)
        /// A reason was given for a purpose other than emergency.
        public static let reasonNotAllowed = Code(.reasonNotAllowed)
        /// The reason is empty, too long or holds control characters.
        public static let invalidReason = Code(.invalidReason)
        /// A metadata key appeared more than once.
        public static let duplicateKey = Code(.duplicateKey)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The identity error behind an invalid acting user.
    public var cause: IdentityError?

    public init(code: Code, message: String, cause: IdentityError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }
}
