#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// A patient as services know them: a pseudonym, never a name, マイナンバー or insurance number.
public struct PatientPseudonym: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    /// 1–128 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'.
    ///
    /// - Throws: ``ConsentError/Code-swift.struct/invalidPatient``.
    public init(_ value: String) throws(ConsentError) {
        do throws(IdentityError) {
            try PeerIdentity.validateID(value)
        } catch {
            throw ConsentError(code: .invalidPatient, message: "patient pseudonym: \(error.message)")
        }
        self.value = value
    }

    public var description: String { value }
}

/// A consent question: may this caller, for its stated purpose, use this patient's data?
public struct ConsentRequest: Sendable, Hashable {
    public var patient: PatientPseudonym
    /// Carries the purpose, and for break-glass the acting user.
    public var caller: CallerContext
    /// The institution whose records are read; nil when the data is not one institution's
    /// (datasets, member records, searches across institutions).
    public var recordInstitution: String?

    public init(patient: PatientPseudonym, caller: CallerContext, recordInstitution: String?) {
        self.patient = patient
        self.caller = caller
        self.recordInstitution = recordInstitution
    }
}

/// Emergency access to one patient by one person, opened with a stated reason, valid for a
/// limited time, and always flagged for review.
public struct BreakGlassGrant: Sendable, Hashable {
    public var id: String
    public var patient: PatientPseudonym
    /// The certificate identity that opened it.
    public var identity: PeerIdentity
    /// The clinician a gateway acted for (always present for gateways).
    public var actingUser: PeerIdentity?
    public var reason: String
    public var openedAt: Date
    public var expiresAt: Date
    /// Every grant starts flagged; only a review clears it.
    public var needsReview: Bool
    /// Who reviewed it, once reviewed.
    public var reviewedBy: PeerIdentity?

    public init(
        id: String, patient: PatientPseudonym, identity: PeerIdentity, actingUser: PeerIdentity?, reason: String,
        openedAt: Date, expiresAt: Date, needsReview: Bool = true, reviewedBy: PeerIdentity? = nil
    ) {
        self.id = id
        self.patient = patient
        self.identity = identity
        self.actingUser = actingUser
        self.reason = reason
        self.openedAt = openedAt
        self.expiresAt = expiresAt
        self.needsReview = needsReview
        self.reviewedBy = reviewedBy
    }

    /// Whether this grant is for the person behind `caller`.
    func belongs(to caller: CallerContext) -> Bool {
        identity == caller.identity && actingUser == caller.actingUser
    }
}

/// The answer to a ``ConsentRequest``, with its basis.
public struct ConsentDecision: Sendable, Hashable, CustomStringConvertible {
    /// Why the answer is what it is.
    public struct Basis: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case ownInstitution, viewingConsent, breakGlass, noSecondaryUseOptOut, patientLink, auditDuty
            case sharingOptOut, noViewingConsent, viewingConsentExpired, secondaryUseOptOut
            case breakGlassNotOpen, breakGlassExpired, noPatientLink, purposeNotForPatientData, noPatientNamed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        // Allowed:
        /// Treatment reading the caller's own institution's records: no platform consent needed.
        public static let ownInstitution = Basis(.ownInstitution)
        /// A per-visit viewing consent for the caller's institution, within its validity.
        public static let viewingConsent = Basis(.viewingConsent)
        /// An open break-glass grant for this person and patient (flagged for review).
        public static let breakGlass = Basis(.breakGlass)
        /// Research or insurance scoring, and the patient has not opted out of secondary use.
        public static let noSecondaryUseOptOut = Basis(.noSecondaryUseOptOut)
        /// The patient linked this PHR service to their record.
        public static let patientLink = Basis(.patientLink)
        /// Auditing access, which the law requires and consent cannot refuse.
        public static let auditDuty = Basis(.auditDuty)
        // Denied:
        /// The patient opted out of sharing between institutions.
        public static let sharingOptOut = Basis(.sharingOptOut)
        /// No per-visit viewing consent for the caller's institution.
        public static let noViewingConsent = Basis(.noViewingConsent)
        /// The last viewing consent for the caller's institution has expired.
        public static let viewingConsentExpired = Basis(.viewingConsentExpired)
        /// The patient opted out of secondary use.
        public static let secondaryUseOptOut = Basis(.secondaryUseOptOut)
        /// Emergency purpose, but no break-glass grant was opened for this person and patient.
        public static let breakGlassNotOpen = Basis(.breakGlassNotOpen)
        /// The break-glass grant for this person and patient has expired.
        public static let breakGlassExpired = Basis(.breakGlassExpired)
        /// The patient has not linked this PHR service.
        public static let noPatientLink = Basis(.noPatientLink)
        /// The purpose (operations) never reaches patient data.
        public static let purposeNotForPatientData = Basis(.purposeNotForPatientData)
        /// Other institutions' records were asked for without naming a patient (``Authorizer``).
        public static let noPatientNamed = Basis(.noPatientNamed)

        public var description: String { value.rawValue }
    }

    public var isAllowed: Bool
    public var basis: Basis
    /// Set for break-glass access: the audit entry must be flagged for review.
    public var flaggedForReview: Bool
    /// The grant behind break-glass access.
    public var breakGlass: BreakGlassGrant?
    /// Until when the basis holds (viewing consent, break-glass), when it is time-limited.
    public var validUntil: Date?
    public var message: String

    public init(
        isAllowed: Bool, basis: Basis, message: String, flaggedForReview: Bool = false,
        breakGlass: BreakGlassGrant? = nil, validUntil: Date? = nil
    ) {
        self.isAllowed = isAllowed
        self.basis = basis
        self.message = message
        self.flaggedForReview = flaggedForReview
        self.breakGlass = breakGlass
        self.validUntil = validUntil
    }

    public var description: String { "\(isAllowed ? "ALLOW" : "DENY") (\(basis)): \(message)" }
}

/// Why a consent question could not be answered, or break-glass was refused.
public struct ConsentError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidPatient, breakGlassRefused, unknownGrant, unavailable
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The patient pseudonym is malformed.
        public static let invalidPatient = Code(.invalidPatient)
        /// Break-glass cannot be opened: wrong purpose, no reason, no acting user, or not a
        /// medical institution.
        public static let breakGlassRefused = Code(.breakGlassRefused)
        /// No break-glass grant with that id.
        public static let unknownGrant = Code(.unknownGrant)
        /// The consent store cannot be reached; the call must fail (never default to allow).
        public static let unavailable = Code(.unavailable)

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

/// The one consent API every service calls before it touches a patient's data.
///
/// Rules by purpose (docs/POLICY.md, "Consent"):
/// - `treatment`: the caller's own institution's records are allowed; other institutions'
///   records need a per-visit viewing consent for the caller's institution (valid 24 hours by
///   default), and a sharing opt-out denies them even then.
/// - `emergency`: allowed only under an open, unexpired break-glass grant for this person and
///   patient (``beginBreakGlass(patient:caller:)``), regardless of opt-outs; always flagged.
/// - `research`, `insurance-scoring`: denied when the patient opted out of secondary use.
/// - `patient-access`: allowed when the patient linked the caller's PHR service.
/// - `audit`: allowed (a legal duty). `operations`: denied (never patient data).
public protocol ConsentChecker: Sendable {
    /// Answers the question. A denial is a decision, not an error.
    ///
    /// - Throws: ``ConsentError`` `unavailable` when the answer cannot be known.
    func check(_ request: ConsentRequest) async throws(ConsentError) -> ConsentDecision

    /// Opens emergency access for the person behind `caller` to `patient`: purpose must be
    /// `emergency` with a stated reason (`dh-purpose-reason`), the caller a clinician or a
    /// gateway with an acting user, of a medical institution. The grant is time-boxed and
    /// flagged for review. Opening again while a grant is open returns the open grant.
    ///
    /// - Throws: ``ConsentError`` `breakGlassRefused` or `unavailable`.
    func beginBreakGlass(patient: PatientPseudonym, caller: CallerContext) async throws(ConsentError) -> BreakGlassGrant

    /// Records the patient's per-visit consent to let `institution` view their records, given
    /// at `givenAt` (nil: now); it lasts ``ConsentConfiguration/viewingConsentValidity``.
    ///
    /// - Throws: ``ConsentError`` `unavailable`.
    func recordViewingConsent(for patient: PatientPseudonym, institution: String, givenAt: Date?) async throws(ConsentError)
}

/// Consent rules' time limits.
public struct ConsentConfiguration: Sendable, Hashable {
    /// How long a per-visit viewing consent lasts (オンライン資格確認: 24 hours).
    public var viewingConsentValidity: Duration
    /// How long a break-glass grant lasts before the clinician must open a new one.
    public var breakGlassDuration: Duration

    public init(
        viewingConsentValidity: Duration = .seconds(24 * 3600), breakGlassDuration: Duration = .seconds(4 * 3600)
    ) {
        self.viewingConsentValidity = viewingConsentValidity
        self.breakGlassDuration = breakGlassDuration
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
