import Synchronization

#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// What a patient has decided, as a consent store holds it.
public struct PatientConsentRecord: Sendable, Hashable {
    /// Opted out of sharing between institutions.
    public var sharingOptOut: Bool
    /// Opted out of secondary use (research, insurance scoring).
    public var secondaryUseOptOut: Bool
    /// Institution (organisation id) → when the latest per-visit viewing consent was given.
    public var viewingConsents: [String: Date]
    /// Organisations of the PHR services the patient linked.
    public var phrLinks: Set<String>
    /// Break-glass grants, open and expired.
    public var breakGlassGrants: [BreakGlassGrant]

    public init(
        sharingOptOut: Bool = false, secondaryUseOptOut: Bool = false, viewingConsents: [String: Date] = [:],
        phrLinks: Set<String> = [], breakGlassGrants: [BreakGlassGrant] = []
    ) {
        self.sharingOptOut = sharingOptOut
        self.secondaryUseOptOut = secondaryUseOptOut
        self.viewingConsents = viewingConsents
        self.phrLinks = phrLinks
        self.breakGlassGrants = breakGlassGrants
    }
}

/// The consent rules as pure functions of a patient's record and the time, shared by every
/// ``ConsentChecker`` implementation.
public enum ConsentRules {
    /// Decides `request` for a patient whose decisions are `record`, at `now`.
    public static func decide(
        _ request: ConsentRequest, record: PatientConsentRecord, now: Date, configuration: ConsentConfiguration
    ) -> ConsentDecision {
        let caller = request.caller
        let organization = caller.identity.organization
        switch caller.purpose {
        case .treatment:
            if request.recordInstitution == organization {
                return ConsentDecision(
                    isAllowed: true, basis: .ownInstitution,
                    message: "the records are \(organization)'s own")
            }
            if record.sharingOptOut {
                return ConsentDecision(
                    isAllowed: false, basis: .sharingOptOut,
                    message: "patient \(request.patient) opted out of sharing between institutions")
            }
            guard let given = record.viewingConsents[organization] else {
                return ConsentDecision(
                    isAllowed: false, basis: .noViewingConsent,
                    message: "patient \(request.patient) has given \(organization) no viewing consent")
            }
            let expiry = given + configuration.viewingConsentValidity.timeInterval
            guard given <= now, now < expiry else {
                return ConsentDecision(
                    isAllowed: false, basis: .viewingConsentExpired,
                    message: "the viewing consent given to \(organization) at \(given) expired at \(expiry)")
            }
            return ConsentDecision(
                isAllowed: true, basis: .viewingConsent,
                message: "viewing consent given to \(organization) at \(given)", validUntil: expiry)

        case .emergency:
            let grants = record.breakGlassGrants.filter { $0.belongs(to: caller) }
            if let open = grants.last(where: { $0.openedAt <= now && now < $0.expiresAt }) {
                return ConsentDecision(
                    isAllowed: true, basis: .breakGlass,
                    message: "break-glass grant \(open.id) (\(open.reason)), flagged for review",
                    flaggedForReview: true, breakGlass: open, validUntil: open.expiresAt)
            }
            if let last = grants.last {
                return ConsentDecision(
                    isAllowed: false, basis: .breakGlassExpired,
                    message: "break-glass grant \(last.id) expired at \(last.expiresAt); open a new one with a reason",
                    flaggedForReview: true)
            }
            return ConsentDecision(
                isAllowed: false, basis: .breakGlassNotOpen,
                message: "emergency access needs a break-glass grant for \(caller.actingUser ?? caller.identity) "
                    + "and patient \(request.patient), opened with a stated reason",
                flaggedForReview: true)

        case .research, .insuranceScoring:
            if record.secondaryUseOptOut {
                return ConsentDecision(
                    isAllowed: false, basis: .secondaryUseOptOut,
                    message: "patient \(request.patient) opted out of secondary use (\(caller.purpose))")
            }
            return ConsentDecision(
                isAllowed: true, basis: .noSecondaryUseOptOut,
                message: "patient \(request.patient) has not opted out of secondary use")

        case .patientAccess:
            guard record.phrLinks.contains(organization) else {
                return ConsentDecision(
                    isAllowed: false, basis: .noPatientLink,
                    message: "patient \(request.patient) has not linked PHR service \(organization)")
            }
            return ConsentDecision(
                isAllowed: true, basis: .patientLink,
                message: "patient \(request.patient) linked PHR service \(organization)")

        case .audit:
            return ConsentDecision(
                isAllowed: true, basis: .auditDuty, message: "auditing access is a legal duty, not a consent matter")

        case .operations:
            return ConsentDecision(
                isAllowed: false, basis: .purposeNotForPatientData,
                message: "purpose operations never reaches patient data")
        }
    }

    /// Checks that `caller` may open break-glass access and returns its reason.
    ///
    /// - Throws: ``ConsentError/Code-swift.struct/breakGlassRefused``.
    public static func breakGlassReason(for caller: CallerContext) throws(ConsentError) -> String {
        guard caller.purpose == .emergency else {
            throw ConsentError(
                code: .breakGlassRefused, message: "break-glass needs purpose emergency, not \(caller.purpose)")
        }
        guard let reason = caller.reason, !reason.trimmingWhitespace().isEmpty else {
            throw ConsentError(
                code: .breakGlassRefused,
                message: "break-glass needs a stated reason in '\(CallerContext.reasonKey)'")
        }
        switch caller.identity.role {
        case .clinician:
            break
        case .gateway:
            guard caller.actingUser != nil else {
                throw ConsentError(
                    code: .breakGlassRefused,
                    message: "a gateway opens break-glass only for a named clinician ('\(CallerContext.actingUserKey)')"
                )
            }
        default:
            throw ConsentError(
                code: .breakGlassRefused,
                message: "break-glass is for clinicians and hospital gateways, not a \(caller.identity.role.rawValue)")
        }
        guard caller.identity.isMedicalInstitution else {
            throw ConsentError(
                code: .breakGlassRefused,
                message: "break-glass is for medical institutions; \(caller.identity.organization) is not a 医療機関コード")
        }
        return reason
    }
}

/// A ``ConsentChecker`` in memory, for tests and development. The clock is injected.
public final class InMemoryConsentStore: ConsentChecker {
    private struct State {
        var records: [PatientPseudonym: PatientConsentRecord] = [:]
        var nextGrant = 1
    }

    public let configuration: ConsentConfiguration
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    public init(
        configuration: ConsentConfiguration = ConsentConfiguration(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.now = now
    }

    public func check(_ request: ConsentRequest) async throws(ConsentError) -> ConsentDecision {
        let time = now()
        let record = state.withLock { $0.records[request.patient] ?? PatientConsentRecord() }
        return ConsentRules.decide(request, record: record, now: time, configuration: configuration)
    }

    public func beginBreakGlass(
        patient: PatientPseudonym, caller: CallerContext
    ) async throws(ConsentError) -> BreakGlassGrant {
        let reason = try ConsentRules.breakGlassReason(for: caller)
        let time = now()
        let duration = configuration.breakGlassDuration.timeInterval
        return state.withLock { state in
            var record = state.records[patient] ?? PatientConsentRecord()
            if let open = record.breakGlassGrants.last(where: {
                $0.belongs(to: caller) && $0.openedAt <= time && time < $0.expiresAt
            }) {
                return open
            }
            let grant = BreakGlassGrant(
                id: "bg-\(state.nextGrant)", patient: patient, identity: caller.identity, actingUser: caller.actingUser,
                reason: reason, openedAt: time, expiresAt: time + duration)
            state.nextGrant += 1
            record.breakGlassGrants.append(grant)
            state.records[patient] = record
            return grant
        }
    }

    // MARK: Recording the patient's decisions

    public func setSharingOptOut(_ optOut: Bool, for patient: PatientPseudonym) {
        update(patient) { $0.sharingOptOut = optOut }
    }

    public func setSecondaryUseOptOut(_ optOut: Bool, for patient: PatientPseudonym) {
        update(patient) { $0.secondaryUseOptOut = optOut }
    }

    /// Records a per-visit viewing consent for `institution`, given at `givenAt` (default: now).
    /// The latest consent per institution decides.
    public func recordViewingConsent(for patient: PatientPseudonym, institution: String, givenAt: Date? = nil) {
        let time = givenAt ?? now()
        update(patient) { record in
            record.viewingConsents[institution] = max(record.viewingConsents[institution] ?? time, time)
        }
    }

    public func setPHRLink(_ linked: Bool, for patient: PatientPseudonym, service organization: String) {
        update(patient) { record in
            if linked { record.phrLinks.insert(organization) } else { record.phrLinks.remove(organization) }
        }
    }

    /// Break-glass grants not yet reviewed, oldest first.
    public func grantsNeedingReview() -> [BreakGlassGrant] {
        state.withLock { state in
            state.records.values.flatMap(\.breakGlassGrants).filter(\.needsReview).sorted { $0.openedAt < $1.openedAt }
        }
    }

    /// Marks a grant reviewed.
    ///
    /// - Throws: ``ConsentError/Code-swift.struct/unknownGrant``.
    public func markReviewed(grant id: String, by reviewer: PeerIdentity) throws(ConsentError) {
        let found = state.withLock { state -> Bool in
            for (patient, var record) in state.records {
                guard let index = record.breakGlassGrants.firstIndex(where: { $0.id == id }) else { continue }
                record.breakGlassGrants[index].needsReview = false
                record.breakGlassGrants[index].reviewedBy = reviewer
                state.records[patient] = record
                return true
            }
            return false
        }
        guard found else { throw ConsentError(code: .unknownGrant, message: "no break-glass grant '\(id)'") }
    }

    private func update(_ patient: PatientPseudonym, _ change: (inout PatientConsentRecord) -> Void) {
        state.withLock { state in
            var record = state.records[patient] ?? PatientConsentRecord()
            change(&record)
            state.records[patient] = record
        }
    }
}
