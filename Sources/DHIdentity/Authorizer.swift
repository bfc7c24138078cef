/// Policy and consent in one call: what a service handler asks before it touches data.
public struct Authorizer: Sendable {
    public let policy: PolicyStore
    public let consent: any ConsentChecker

    public init(policy: PolicyStore, consent: any ConsentChecker) {
        self.policy = policy
        self.consent = consent
    }

    /// Decides `request` with the policy in force, then, for an allowed call about one
    /// patient, with that patient's consent.
    ///
    /// A call allowed under ``DataScope/anyInstitutionWithConsent`` must name its patient:
    /// without one, consent cannot be checked and the call is denied.
    ///
    /// - Throws: ``ConsentError`` `unavailable` when consent cannot be checked; the call must
    ///   then fail (and be audited as failed).
    public func authorize(_ request: AccessRequest, patient: PatientPseudonym?) async throws(ConsentError)
        -> Authorization
    {
        let decision = policy.decide(request)
        guard decision.isAllowed else { return Authorization(policy: decision, consent: nil) }
        guard let patient else {
            if decision.scope == .anyInstitutionWithConsent {
                let refusal = ConsentDecision(
                    isAllowed: false, basis: .noPatientNamed,
                    message:
                        "the call reads other institutions' records without naming a patient, so consent cannot be checked"
                )
                return Authorization(policy: decision, consent: refusal)
            }
            return Authorization(policy: decision, consent: nil)
        }
        let institution: String? =
            if case .patientRecords(let institution) = request.target { institution } else { nil }
        let answer = try await consent.check(
            ConsentRequest(patient: patient, caller: request.caller, recordInstitution: institution))
        return Authorization(policy: decision, consent: answer)
    }
}

/// The policy decision and, when a patient was named, the consent decision.
public struct Authorization: Sendable, Hashable, CustomStringConvertible {
    public var policy: PolicyDecision
    /// Nil when the policy denied the call, or no patient was involved.
    public var consent: ConsentDecision?

    public init(policy: PolicyDecision, consent: ConsentDecision?) {
        self.policy = policy
        self.consent = consent
    }

    public var isAllowed: Bool { policy.isAllowed && (consent?.isAllowed ?? true) }

    /// Break-glass: the audit entry must be flagged for review.
    public var flaggedForReview: Bool { consent?.flaggedForReview ?? false }

    public var description: String {
        [policy.description, consent.map { "consent: \($0)" }].compactMap { $0 }.joined(separator: "\n")
    }
}
