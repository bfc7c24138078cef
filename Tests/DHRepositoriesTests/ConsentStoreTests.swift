import DHIdentity
import DHRepositories
import DHStorage
import Foundation
import Synchronization
import Testing

/// A clock the test moves by hand (whole seconds, so times round-trip exactly).
final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

func caller(
    _ uri: String, acting: String? = nil, purpose: Purpose? = nil, reason: String? = nil
) throws -> CallerContext {
    try CallerContext(
        identity: try PeerIdentity(uri: uri), actingUser: acting.map { try PeerIdentity(uri: $0) }, purpose: purpose,
        reason: reason)
}

private let gw = "dh://1312345678/gateway/gw-01"
private let doctorID = "dh://1312345678/clinician/D0001"
private let hour: TimeInterval = 3600

/// A consent store on a fresh database, with a hand-moved clock.
struct ConsentFixture {
    let clock = ManualClock()
    let database: TestDatabase
    let pool: PostgresConnectionPool
    let store: PostgresConsentStore
    let patient = try! PatientPseudonym("P-0001")

    init(configuration: ConsentConfiguration = ConsentConfiguration()) async throws {
        database = try await TestDatabase.make()
        pool = try database.pool()
        let clock = clock
        store = PostgresConsentStore(database: pool, configuration: configuration, now: { clock.now })
    }

    func check(_ context: CallerContext, institution: String? = nil) async throws -> ConsentDecision {
        try await store.check(ConsentRequest(patient: patient, caller: context, recordInstitution: institution))
    }
}

extension RepositoryTests {
    @Suite("PostgreSQL consent store")
    struct ConsentStoreTests {
        @Test("treatment: own records always; other institutions' only with a viewing consent under 24 hours")
        func treatment() async throws {
            let fixture = try await ConsentFixture()
            defer { Task { await fixture.pool.close() } }
            let doctor = try caller(gw, acting: doctorID, purpose: .treatment)
            #expect(try await fixture.check(doctor, institution: "1312345678").basis == .ownInstitution)
            let none = try await fixture.check(doctor, institution: "2712345678")
            #expect(!none.isAllowed)
            #expect(none.basis == .noViewingConsent)

            try await fixture.store.recordViewingConsent(for: fixture.patient, institution: "1312345678")
            let given = try await fixture.check(doctor, institution: "2712345678")
            #expect(given.isAllowed)
            #expect(given.basis == .viewingConsent)
            #expect(given.validUntil == fixture.clock.now + 24 * hour)

            let other = try caller(
                "dh://2712345678/gateway/gw", acting: "dh://2712345678/clinician/X", purpose: .treatment)
            #expect(try await fixture.check(other, institution: "1312345678").basis == .noViewingConsent)

            fixture.clock.advance(24 * hour - 1)
            #expect(try await fixture.check(doctor, institution: "2712345678").isAllowed)
            fixture.clock.advance(1)
            let expired = try await fixture.check(doctor, institution: "2712345678")
            #expect(!expired.isAllowed)
            #expect(expired.basis == .viewingConsentExpired)
            #expect(try await fixture.check(doctor, institution: "1312345678").isAllowed)

            // A new visit, a new consent; the old one stays as history.
            try await fixture.store.recordViewingConsent(for: fixture.patient, institution: "1312345678")
            #expect(try await fixture.check(doctor, institution: "2712345678").isAllowed)
            let history = try await fixture.pool.query(
                "SELECT count(*) FROM consent_viewing WHERE patient = \(fixture.patient.value)"
            ).singleRow()?.decode(Int.self, column: 0)
            #expect(history == 2)
        }

        @Test("opt-outs: sharing stops other institutions' records, secondary use stops research and scoring")
        func optOuts() async throws {
            let fixture = try await ConsentFixture()
            defer { Task { await fixture.pool.close() } }
            let doctor = try caller(gw, acting: doctorID, purpose: .treatment)
            let researcher = try caller("dh://univ-tokyo/researcher/r1")
            let insurer = try caller("dh://kenpo-a/insurer/batch")
            try await fixture.store.recordViewingConsent(for: fixture.patient, institution: "1312345678")
            try await fixture.store.setSharingOptOut(true, for: fixture.patient)
            let denied = try await fixture.check(doctor, institution: "2712345678")
            #expect(denied.basis == .sharingOptOut)
            #expect(try await fixture.check(doctor, institution: "1312345678").isAllowed)
            #expect(try await fixture.check(researcher).basis == .noSecondaryUseOptOut)

            try await fixture.store.setSecondaryUseOptOut(true, for: fixture.patient)
            for context in [researcher, insurer] {
                #expect(try await fixture.check(context).basis == .secondaryUseOptOut)
            }
            // Setting one opt-out leaves the other as it was.
            try await fixture.store.setSharingOptOut(false, for: fixture.patient)
            #expect(try await fixture.check(doctor, institution: "2712345678").isAllowed)
            #expect(try await fixture.check(researcher).basis == .secondaryUseOptOut)
            try await fixture.store.setSecondaryUseOptOut(false, for: fixture.patient)
            #expect(try await fixture.check(insurer).isAllowed)
        }

        @Test("PHR links, audit duty and operations")
        func otherPurposes() async throws {
            let fixture = try await ConsentFixture()
            defer { Task { await fixture.pool.close() } }
            let phr = try caller("dh://phr-co/phr-backend/app")
            #expect(try await fixture.check(phr).basis == .noPatientLink)
            try await fixture.store.setPHRLink(true, for: fixture.patient, service: "phr-co")
            try await fixture.store.setPHRLink(true, for: fixture.patient, service: "phr-co")
            #expect(try await fixture.check(phr).basis == .patientLink)
            #expect(try await fixture.check(caller("dh://phr-other/phr-backend/app")).basis == .noPatientLink)
            try await fixture.store.setPHRLink(false, for: fixture.patient, service: "phr-co")
            #expect(try await !fixture.check(phr).isAllowed)
            try await fixture.store.setSharingOptOut(true, for: fixture.patient)
            #expect(try await fixture.check(caller("dh://mhlw/auditor/a1")).basis == .auditDuty)
            #expect(try await fixture.check(caller("dh://datahealth/ops/alice")).basis == .purposeNotForPatientData)
        }

        @Test("break-glass: reasoned, time-boxed, one grant per person, persisted and listed for review")
        func breakGlass() async throws {
            let fixture = try await ConsentFixture()
            defer { Task { await fixture.pool.close() } }
            let emergency = try caller(gw, acting: doctorID, purpose: .emergency, reason: "unconscious on arrival")
            try await fixture.store.setSharingOptOut(true, for: fixture.patient)
            let closed = try await fixture.check(emergency, institution: "2712345678")
            #expect(closed.basis == .breakGlassNotOpen)
            #expect(closed.flaggedForReview)

            let grant = try await fixture.store.beginBreakGlass(patient: fixture.patient, caller: emergency)
            #expect(grant.reason == "unconscious on arrival")
            #expect(grant.needsReview)
            #expect(grant.expiresAt == fixture.clock.now + 4 * hour)
            #expect(grant.actingUser?.uri == doctorID)
            #expect(grant.identity.uri == gw)

            let open = try await fixture.check(emergency, institution: "2712345678")
            #expect(open.isAllowed)
            #expect(open.basis == .breakGlass)
            #expect(open.flaggedForReview)
            #expect(open.breakGlass == grant)

            // Opening again in the window returns the same grant, even when opened concurrently.
            fixture.clock.advance(hour)
            let again = try await withThrowingTaskGroup(of: BreakGlassGrant.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await fixture.store.beginBreakGlass(patient: fixture.patient, caller: emergency)
                    }
                }
                var grants: [BreakGlassGrant] = []
                for try await grant in group { grants.append(grant) }
                return grants
            }
            #expect(again.allSatisfy { $0 == grant })

            let colleague = try caller(gw, acting: "dh://1312345678/clinician/D0002", purpose: .emergency)
            #expect(try await fixture.check(colleague, institution: "2712345678").basis == .breakGlassNotOpen)
            let otherPatient = try PatientPseudonym("P-0002")
            #expect(
                try await !fixture.store.check(
                    ConsentRequest(patient: otherPatient, caller: emergency, recordInstitution: "2712345678")
                ).isAllowed)

            fixture.clock.advance(3 * hour - 1)
            #expect(try await fixture.check(emergency, institution: "2712345678").isAllowed)
            fixture.clock.advance(1)
            let expired = try await fixture.check(emergency, institution: "2712345678")
            #expect(expired.basis == .breakGlassExpired)
            #expect(expired.flaggedForReview)

            let second = try await fixture.store.beginBreakGlass(patient: fixture.patient, caller: emergency)
            #expect(second.id != grant.id)
            #expect(try await fixture.check(emergency, institution: "2712345678").breakGlass == second)

            // Persisted: a second store over the same database sees both, waiting for review.
            let clock = fixture.clock
            let reopened = PostgresConsentStore(database: fixture.pool, now: { clock.now })
            #expect(try await reopened.grantsNeedingReview().map(\.id) == [grant.id, second.id])
            #expect(try await reopened.breakGlassGrants(for: fixture.patient) == [grant, second])
            let auditor = try PeerIdentity(uri: "dh://mhlw/auditor/a1")
            try await reopened.markReviewed(grant: grant.id, by: auditor)
            #expect(try await fixture.store.grantsNeedingReview().map(\.id) == [second.id])
            let reviewed = try #require(try await fixture.store.breakGlassGrants(for: fixture.patient).first)
            #expect(!reviewed.needsReview)
            #expect(reviewed.reviewedBy == auditor)
            for unknown in ["bg-999", "nonsense"] {
                let error = try await #require(throws: ConsentError.self) {
                    try await fixture.store.markReviewed(grant: unknown, by: auditor)
                }
                #expect(error.code == .unknownGrant)
            }
        }

        @Test("break-glass is refused without emergency purpose, reason, named clinician or medical institution")
        func breakGlassRefused() async throws {
            let fixture = try await ConsentFixture()
            defer { Task { await fixture.pool.close() } }
            let refused = [
                try caller(gw, acting: doctorID, purpose: .treatment),
                try caller(gw, acting: doctorID, purpose: .emergency),
                try caller(gw, purpose: .emergency, reason: "unconscious"),
                try caller("dh://clinic-net/clinician/D1", purpose: .emergency, reason: "unconscious"),
                try caller("dh://1312345678/genome-lab/lab", purpose: .emergency, reason: "unconscious"),
            ]
            for context in refused {
                let error = try await #require(throws: ConsentError.self) {
                    try await fixture.store.beginBreakGlass(patient: fixture.patient, caller: context)
                }
                #expect(error.code == .breakGlassRefused)
            }
            #expect(try await fixture.store.grantsNeedingReview().isEmpty)
        }

        @Test("time limits are configurable")
        func configuration() async throws {
            let fixture = try await ConsentFixture(
                configuration: ConsentConfiguration(
                    viewingConsentValidity: .seconds(60), breakGlassDuration: .seconds(600)))
            defer { Task { await fixture.pool.close() } }
            let emergency = try caller(doctorID, purpose: .emergency, reason: "anaphylaxis")
            let grant = try await fixture.store.beginBreakGlass(patient: fixture.patient, caller: emergency)
            #expect(grant.expiresAt == fixture.clock.now + 600)
            #expect(grant.actingUser == nil)
            #expect(try await fixture.check(emergency, institution: "2712345678").isAllowed)
            try await fixture.store.recordViewingConsent(for: fixture.patient, institution: "1312345678")
            let doctor = try caller(doctorID, purpose: .treatment)
            #expect(try await fixture.check(doctor, institution: "2712345678").isAllowed)
            fixture.clock.advance(60)
            #expect(try await !fixture.check(doctor, institution: "2712345678").isAllowed)
        }

        @Test("an unreachable database is `unavailable`, never an answer")
        func unavailable() async throws {
            let directory = try makeTemporaryDirectory("dh-no-db")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var configuration = PostgresPoolConfiguration(
                connection: PostgresConnectionConfiguration(
                    socketDirectory: directory, port: 1, user: "nobody", database: "none"))
            configuration.checkoutTimeout = .seconds(2)
            let pool = try PostgresConnectionPool(configuration: configuration)
            defer { Task { await pool.close() } }
            let store = PostgresConsentStore(database: pool)
            let patient = try PatientPseudonym("P-0001")
            let checks: [@Sendable () async throws -> Void] = [
                {
                    _ = try await store.check(
                        ConsentRequest(
                            patient: patient, caller: try caller("dh://univ-tokyo/researcher/r1"),
                            recordInstitution: nil))
                },
                {
                    _ = try await store.beginBreakGlass(
                        patient: patient, caller: try caller(doctorID, purpose: .emergency, reason: "x"))
                },
                { try await store.setSharingOptOut(true, for: patient) },
                { _ = try await store.grantsNeedingReview() },
            ]
            for body in checks {
                let error = try await #require(throws: ConsentError.self) { try await body() }
                #expect(error.code == .unavailable)
            }
        }
    }
}
