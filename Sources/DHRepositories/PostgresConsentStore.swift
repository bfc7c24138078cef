public import DHIdentity
public import DHStorage

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The ``ConsentChecker`` over PostgreSQL (``DataHealthMigrations/consent``): the same rules as
/// ``InMemoryConsentStore`` (``ConsentRules``), with every decision, grant and review persisted.
///
/// A check reads the patient's opt-outs, latest viewing consent per institution, PHR links and
/// break-glass grants in one pipeline (one round trip, one snapshot). Any database failure is
/// ``ConsentError`` `unavailable`: consent never defaults to allow. The clock is injected.
public final class PostgresConsentStore: ConsentChecker {
    public let database: any PostgresQueryable
    public let configuration: ConsentConfiguration
    private let now: @Sendable () -> Date

    public init(
        database: any PostgresQueryable, configuration: ConsentConfiguration = ConsentConfiguration(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.database = database
        self.configuration = configuration
        self.now = now
    }

    // MARK: ConsentChecker

    public func check(_ request: ConsentRequest) async throws(ConsentError) -> ConsentDecision {
        let time = now()
        let record = try await unavailableOnFailure { try await self.record(for: request.patient) }
        return ConsentRules.decide(request, record: record, now: time, configuration: configuration)
    }

    public func beginBreakGlass(
        patient: PatientPseudonym, caller: CallerContext
    ) async throws(ConsentError) -> BreakGlassGrant {
        let reason = try ConsentRules.breakGlassReason(for: caller)
        let time = now()
        let expires = time + seconds(configuration.breakGlassDuration)
        let identity = caller.identity.uri
        let actingUser = caller.actingUser?.uri
        let row = try await unavailableOnFailure {
            try await self.database.withTransaction(isolation: .readCommitted) { tx in
                // One grant per person and patient at a time: opening runs one at a time per patient.
                try await tx.execute(
                    """
                    INSERT INTO consent_patients (patient, updated_at) VALUES (\(patient.value), \(time)) \
                    ON CONFLICT (patient) DO NOTHING
                    """)
                try await tx.execute("SELECT 1 FROM consent_patients WHERE patient = \(patient.value) FOR UPDATE")
                let open = try await tx.query(
                    """
                    SELECT id, patient, identity, acting_user, reason, opened_at, expires_at, needs_review, reviewed_by FROM break_glass_grants \
                    WHERE patient = \(patient.value) AND identity = \(identity) \
                    AND acting_user IS NOT DISTINCT FROM \(actingUser) \
                    AND opened_at <= \(time) AND expires_at > \(time) \
                    ORDER BY opened_at DESC, id DESC LIMIT 1
                    """)
                if let row = open.rows.first { return try GrantRow(row) }
                let inserted = try await tx.query(
                    """
                    INSERT INTO break_glass_grants (patient, identity, acting_user, reason, opened_at, expires_at) \
                    VALUES (\(patient.value), \(identity), \(actingUser), \(reason), \(time), \(expires)) \
                    RETURNING id, patient, identity, acting_user, reason, opened_at, expires_at, needs_review, reviewed_by
                    """)
                return try GrantRow(try inserted.singleRow().unwrap())
            }
        }
        return try row.grant()
    }

    // MARK: Recording the patient's decisions

    public func setSharingOptOut(_ optOut: Bool, for patient: PatientPseudonym) async throws(ConsentError) {
        let time = now()
        try await unavailableOnFailure {
            try await self.database.execute(
                """
                INSERT INTO consent_patients (patient, sharing_opt_out, updated_at) \
                VALUES (\(patient.value), \(optOut), \(time)) \
                ON CONFLICT (patient) DO UPDATE SET sharing_opt_out = EXCLUDED.sharing_opt_out, \
                updated_at = EXCLUDED.updated_at
                """)
        }
    }

    public func setSecondaryUseOptOut(_ optOut: Bool, for patient: PatientPseudonym) async throws(ConsentError) {
        let time = now()
        try await unavailableOnFailure {
            try await self.database.execute(
                """
                INSERT INTO consent_patients (patient, secondary_use_opt_out, updated_at) \
                VALUES (\(patient.value), \(optOut), \(time)) \
                ON CONFLICT (patient) DO UPDATE SET secondary_use_opt_out = EXCLUDED.secondary_use_opt_out, \
                updated_at = EXCLUDED.updated_at
                """)
        }
    }

    /// Records a per-visit viewing consent for `institution`, given at `givenAt` (default: now).
    /// Earlier consents stay as history; the latest one per institution decides.
    public func recordViewingConsent(
        for patient: PatientPseudonym, institution: String, givenAt: Date? = nil
    ) async throws(ConsentError) {
        let time = givenAt ?? now()
        let expires = time + seconds(configuration.viewingConsentValidity)
        try await unavailableOnFailure {
            try await self.database.execute(
                """
                INSERT INTO consent_viewing (patient, institution, given_at, expires_at) \
                VALUES (\(patient.value), \(institution), \(time), \(expires))
                """)
        }
    }

    public func setPHRLink(
        _ linked: Bool, for patient: PatientPseudonym, service organization: String
    ) async throws(ConsentError) {
        let time = now()
        try await unavailableOnFailure {
            if linked {
                try await self.database.execute(
                    """
                    INSERT INTO consent_phr_links (patient, organization, linked_at) \
                    VALUES (\(patient.value), \(organization), \(time)) ON CONFLICT DO NOTHING
                    """)
            } else {
                try await self.database.execute(
                    """
                    DELETE FROM consent_phr_links WHERE patient = \(patient.value) AND organization = \(organization)
                    """)
            }
        }
    }

    // MARK: Break-glass review

    /// Break-glass grants not yet reviewed, oldest first.
    public func grantsNeedingReview(limit: Int = 1_000) async throws(ConsentError) -> [BreakGlassGrant] {
        let rows = try await unavailableOnFailure {
            let result = try await self.database.query(
                """
                SELECT id, patient, identity, acting_user, reason, opened_at, expires_at, needs_review, reviewed_by FROM break_glass_grants WHERE needs_review \
                ORDER BY opened_at, id LIMIT \(limit)
                """)
            return try result.rows.map(GrantRow.init)
        }
        return try rows.map { row throws(ConsentError) in try row.grant() }
    }

    /// Every break-glass grant for `patient`, open, expired and reviewed, oldest first.
    public func breakGlassGrants(for patient: PatientPseudonym) async throws(ConsentError) -> [BreakGlassGrant] {
        let rows = try await unavailableOnFailure {
            try await self.grantRows(patient: patient, on: self.database)
        }
        return try rows.map { row throws(ConsentError) in try row.grant() }
    }

    /// Marks a grant reviewed by `reviewer`.
    ///
    /// - Throws: ``ConsentError`` `unknownGrant` or `unavailable`.
    public func markReviewed(grant id: String, by reviewer: PeerIdentity) async throws(ConsentError) {
        guard id.hasPrefix("bg-"), let number = Int64(id.dropFirst(3)) else {
            throw ConsentError(code: .unknownGrant, message: "no break-glass grant '\(id)'")
        }
        let time = now()
        let updated = try await unavailableOnFailure {
            try await self.database.execute(
                """
                UPDATE break_glass_grants SET needs_review = false, reviewed_by = \(reviewer.uri), \
                reviewed_at = \(time) WHERE id = \(number)
                """)
        }
        guard updated == 1 else { throw ConsentError(code: .unknownGrant, message: "no break-glass grant '\(id)'") }
    }

    // MARK: Reading

    /// The patient's decisions, read in one pipeline.
    func record(for patient: PatientPseudonym) async throws -> PatientConsentRecord {
        let results = try await database.pipeline([
            "SELECT sharing_opt_out, secondary_use_opt_out FROM consent_patients WHERE patient = \(patient.value)",
            """
            SELECT DISTINCT ON (institution) institution, given_at FROM consent_viewing \
            WHERE patient = \(patient.value) ORDER BY institution, given_at DESC
            """,
            "SELECT organization FROM consent_phr_links WHERE patient = \(patient.value)",
            """
            SELECT id, patient, identity, acting_user, reason, opened_at, expires_at, needs_review, reviewed_by FROM break_glass_grants WHERE patient = \(patient.value) \
            ORDER BY opened_at, id
            """,
        ])
        return try Self.decodeRecord(results)
    }

    /// Reads the four results of ``record(for:)``. (Kept out of the async function: the
    /// optimizer of Swift 6.3 crashes when this is inlined into it.)
    @inline(never)
    static func decodeRecord(_ results: [PostgresResult]) throws -> PatientConsentRecord {
        var record = PatientConsentRecord()
        if let flags = try results[0].singleRow() {
            record.sharingOptOut = try flags.decode(Bool.self, column: 0)
            record.secondaryUseOptOut = try flags.decode(Bool.self, column: 1)
        }
        for row in results[1].rows {
            record.viewingConsents[try row.decode(String.self, column: 0)] = try row.decode(Date.self, column: 1)
        }
        for row in results[2].rows {
            record.phrLinks.insert(try row.decode(String.self, column: 0))
        }
        for row in results[3].rows {
            record.breakGlassGrants.append(try GrantRow(row).grant())
        }
        return record
    }

    private func grantRows(patient: PatientPseudonym, on database: any PostgresQueryable) async throws -> [GrantRow] {
        let result = try await database.query(
            """
            SELECT id, patient, identity, acting_user, reason, opened_at, expires_at, needs_review, reviewed_by FROM break_glass_grants WHERE patient = \(patient.value) \
            ORDER BY opened_at, id
            """)
        return try result.rows.map(GrantRow.init)
    }
}

/// A `break_glass_grants` row as stored.
struct GrantRow: Sendable {
    var id: Int64
    var patient: String
    var identity: String
    var actingUser: String?
    var reason: String
    var openedAt: Date
    var expiresAt: Date
    var needsReview: Bool
    var reviewedBy: String?

    init(_ row: PostgresRow) throws {
        let values = try row.decode(
            Int64.self, String.self, String.self, String?.self, String.self, Date.self, Date.self, Bool.self,
            String?.self)
        id = values.0
        patient = values.1
        identity = values.2
        actingUser = values.3
        reason = values.4
        openedAt = values.5
        expiresAt = values.6
        needsReview = values.7
        reviewedBy = values.8
    }

    func grant() throws(ConsentError) -> BreakGlassGrant {
        do {
            return BreakGlassGrant(
                id: "bg-\(id)", patient: try PatientPseudonym(patient), identity: try PeerIdentity(uri: identity),
                actingUser: try actingUser.map { try PeerIdentity(uri: $0) },
                reason: reason, openedAt: openedAt, expiresAt: expiresAt, needsReview: needsReview,
                reviewedBy: try reviewedBy.map { try PeerIdentity(uri: $0) })
        } catch {
            throw ConsentError(code: .unavailable, message: "break-glass grant bg-\(id) is stored malformed")
        }
    }
}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw RepositoryError(code: .corruptRow, message: "a statement returned no row") }
        return self
    }
}

func seconds(_ duration: Duration) -> TimeInterval {
    let (whole, attoseconds) = duration.components
    return TimeInterval(whole) + TimeInterval(attoseconds) / 1e18
}

/// Runs `body`, turning any failure into ``ConsentError`` `unavailable` (the call must fail).
@discardableResult
func unavailableOnFailure<R: Sendable>(_ body: () async throws -> R) async throws(ConsentError) -> R {
    do {
        return try await body()
    } catch let error as ConsentError {
        throw error
    } catch {
        throw ConsentError(code: .unavailable, message: "the consent store cannot be reached")
    }
}
