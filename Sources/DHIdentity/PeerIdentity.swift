/// The authenticated identity of a caller, taken from the SAN URI of its client certificate:
/// `dh://ORG/ROLE/ID`. The scheme is documented in docs/IDENTITY.md.
public struct PeerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// What a caller does. A fixed set: a certificate naming any other role carries no identity.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// A hospital or clinic gateway calling on behalf of its institution.
        case gateway
        /// A clinician's application.
        case clinician
        /// A genome sequencing or analysis laboratory.
        case genomeLab = "genome-lab"
        /// A personal-health-record backend (mobile apps' servers).
        case phrBackend = "phr-backend"
        /// A researcher working on approved, pseudonymised data.
        case researcher
        /// A health insurer.
        case insurer
        /// An auditor reading audit trails.
        case auditor
        /// DataHealth's own operators.
        case ops
        /// A DataHealth server (server-to-server calls).
        case server
    }

    /// The URI scheme of DataHealth identities.
    public static let scheme = "dh"
    /// The longest ORG accepted.
    public static let maximumOrganizationLength = 63
    /// The longest ID accepted.
    public static let maximumIDLength = 128

    /// The organisation: a 10-digit 医療機関コード, or another organisation id.
    public let organization: String
    public let role: Role
    /// The caller within the organisation and role.
    public let id: String

    /// Validates the three parts; throws ``IdentityError`` naming the part that is wrong.
    public init(organization: String, role: Role, id: String) throws(IdentityError) {
        try Self.validateOrganization(organization)
        try Self.validateID(id)
        self.organization = organization
        self.role = role
        self.id = id
    }

    /// Parses `dh://ORG/ROLE/ID`. The text must be exactly in that form: lower-case scheme,
    /// no user, port, query, fragment, percent-encoding or trailing slash.
    public init(uri: String) throws(IdentityError) {
        let prefix = Self.scheme + "://"
        guard uri.hasPrefix(prefix) else {
            throw IdentityError(code: .notDataHealthURI, message: "'\(uri)' does not start with \(prefix)")
        }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw IdentityError(
                code: .malformedURI,
                message: "'\(uri)' must have exactly three parts after \(prefix): ORG/ROLE/ID")
        }
        guard let role = Role(rawValue: String(parts[1])) else {
            throw IdentityError(
                code: .unknownRole,
                message: "role '\(parts[1])' is not one of "
                    + Role.allCases.map(\.rawValue).joined(separator: ", "))
        }
        try self.init(organization: String(parts[0]), role: role, id: String(parts[2]))
    }

    /// `dh://ORG/ROLE/ID`.
    public var uri: String { "\(Self.scheme)://\(organization)/\(role.rawValue)/\(id)" }

    /// Whether ORG is a 医療機関コード (ten digits) rather than another organisation id.
    public var isMedicalInstitution: Bool { organization.utf8.allSatisfy(Self.isDigit) }

    public var description: String { uri }

    /// Finds the identity among a certificate's SAN URIs: exactly one `dh:` URI must be
    /// present and valid. Other URIs are ignored.
    public init(subjectAlternativeNameURIs uris: [String]) throws(IdentityError) {
        let candidates = uris.filter { $0.lowercased().hasPrefix(Self.scheme + ":") }
        guard let first = candidates.first else {
            throw IdentityError(code: .missing, message: "the certificate has no \(Self.scheme):// SAN URI")
        }
        guard candidates.count == 1 else {
            throw IdentityError(
                code: .ambiguous,
                message: "the certificate has \(candidates.count) \(Self.scheme):// SAN URIs; exactly one is allowed")
        }
        try self.init(uri: first)
    }

    // MARK: Validation

    static func validateOrganization(_ organization: String) throws(IdentityError) {
        let bytes = Array(organization.utf8)
        if !bytes.isEmpty, bytes.allSatisfy(isDigit) {
            // 医療機関コード: prefecture (01–47), point-table digit, seven-digit institution code.
            guard bytes.count == 10 else {
                throw IdentityError(
                    code: .invalidOrganization,
                    message: "a numeric organisation must be a 10-digit 医療機関コード, not \(bytes.count) digits")
            }
            let prefecture = Int(bytes[0] - 0x30) * 10 + Int(bytes[1] - 0x30)
            guard (1...47).contains(prefecture) else {
                throw IdentityError(
                    code: .invalidOrganization,
                    message: "医療機関コード '\(organization)' starts with prefecture \(prefecture), not 01–47")
            }
            return
        }
        guard bytes.count >= 2, bytes.count <= maximumOrganizationLength,
            isLowercaseLetter(bytes[0]),
            bytes.allSatisfy({ isLowercaseLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") }),
            bytes.last != UInt8(ascii: "-")
        else {
            throw IdentityError(
                code: .invalidOrganization,
                message: "organisation '\(organization)' must be a 10-digit 医療機関コード or 2–\(maximumOrganizationLength) "
                    + "characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'")
        }
    }

    static func validateID(_ id: String) throws(IdentityError) {
        let bytes = Array(id.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumIDLength,
            bytes.allSatisfy(isIDCharacter), id != ".", id != ".."
        else {
            throw IdentityError(
                code: .invalidID,
                message: "id '\(id)' must be 1–\(maximumIDLength) characters of A-Z, a-z, 0-9, '.', '_', '~' and '-' "
                    + "(and not '.' or '..')")
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    private static func isIDCharacter(_ byte: UInt8) -> Bool {
        isDigit(byte) || isLowercaseLetter(byte) || (byte >= 0x41 && byte <= 0x5A)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            || byte == UInt8(ascii: "-")
    }
}

/// Why a certificate or text carries no valid ``PeerIdentity``.
public struct IdentityError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case missing, ambiguous, notDataHealthURI, malformedURI, invalidOrganization, unknownRole, invalidID
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The certificate has no `dh:` SAN URI.
        public static let missing = Code(.missing)
        /// The certificate has more than one `dh:` SAN URI.
        public static let ambiguous = Code(.ambiguous)
        /// The text does not start with `dh://`.
        public static let notDataHealthURI = Code(.notDataHealthURI)
        /// The URI is not of the form `dh://ORG/ROLE/ID`.
        public static let malformedURI = Code(.malformedURI)
        /// ORG is neither a valid 医療機関コード nor a valid organisation id.
        public static let invalidOrganization = Code(.invalidOrganization)
        /// ROLE is not one of ``PeerIdentity/Role``.
        public static let unknownRole = Code(.unknownRole)
        /// ID is empty, too long, or holds a character outside the allowed set.
        public static let invalidID = Code(.invalidID)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
