import DHIdentity
import Foundation
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

@Suite("Consent: one API for every purpose")
struct ConsentTests {
    let clock = ManualClock()
    let store: InMemoryConsentStore
    let patient = try! PatientPseudonym("P-0001")
    let hour: TimeInterval = 3600

    init() {
        let clock = clock
        store = InMemoryConsentStore(now: { clock.now })
    }

    func check(_ context: CallerContext, institution: String? = nil) async throws -> ConsentDecision {
        try await store.check(ConsentRequest(patient: patient, caller: context, recordInstitution: institution))
    }

    @Test("treatment: own records always; other institutions' only with a viewing consent under 24 hours")
    func treatment() async throws {
        let doctor = try caller(gw, acting: "dh://1312345678/clinician/D0001", purpose: .treatment)
        #expect(try await check(doctor, institution: "1312345678").basis == .ownInstitution)
        #expect(try await check(doctor, institution: "1312345678").isAllowed)

        let none = try await check(doctor, institution: "2712345678")
        #expect(!none.isAllowed)
        #expect(none.basis == .noViewingConsent)
        #expect(try await check(doctor, institution: nil).basis == .noViewingConsent)

        store.recordViewingConsent(for: patient, institution: "1312345678")
        let given = try await check(doctor, institution: "2712345678")
        #expect(given.isAllowed)
        #expect(given.basis == .viewingConsent)
        #expect(given.validUntil == clock.now + 24 * hour)
        #expect(!given.flaggedForReview)

        // A consent for another institution does not help this one.
        let other = try caller("dh://2712345678/gateway/gw", acting: "dh://2712345678/clinician/X", purpose: .treatment)
        #expect(try await check(other, institution: "1312345678").basis == .noViewingConsent)

        clock.advance(24 * hour - 1)
        #expect(try await check(doctor, institution: "2712345678").isAllowed)
        clock.advance(1)
        let expired = try await check(doctor, institution: "2712345678")
        #expect(!expired.isAllowed)
        #expect(expired.basis == .viewingConsentExpired)
        // Own records do not depend on it.
        #expect(try await check(doctor, institution: "1312345678").isAllowed)

        // A new visit, a new consent.
        store.recordViewingConsent(for: patient, institution: "1312345678")
        #expect(try await check(doctor, institution: "2712345678").isAllowed)
    }

    @Test("a sharing opt-out denies other institutions' records even with a viewing consent")
    func sharingOptOut() async throws {
        let doctor = try caller(gw, acting: "dh://1312345678/clinician/D0001", purpose: .treatment)
        store.recordViewingConsent(for: patient, institution: "1312345678")
        store.setSharingOptOut(true, for: patient)
        let denied = try await check(doctor, institution: "2712345678")
        #expect(!denied.isAllowed)
        #expect(denied.basis == .sharingOptOut)
        #expect(try await check(doctor, institution: "1312345678").isAllowed)
        // The opt-out does not touch secondary use.
        #expect(try await check(caller("dh://univ-tokyo/researcher/r1")).isAllowed)
        store.setSharingOptOut(false, for: patient)
        #expect(try await check(doctor, institution: "2712345678").isAllowed)
    }

    @Test("research and insurance scoring stop at a secondary-use opt-out")
    func secondaryUse() async throws {
        let researcher = try caller("dh://univ-tokyo/researcher/r1")
        let insurer = try caller("dh://kenpo-a/insurer/batch")
        #expect(try await check(researcher).basis == .noSecondaryUseOptOut)
        #expect(try await check(insurer).isAllowed)
        store.setSecondaryUseOptOut(true, for: patient)
        for context in [researcher, insurer] {
            let denied = try await check(context)
            #expect(!denied.isAllowed)
            #expect(denied.basis == .secondaryUseOptOut)
        }
        // Care is not secondary use.
        let doctor = try caller(gw, acting: "dh://1312345678/clinician/D0001", purpose: .treatment)
        #expect(try await check(doctor, institution: "1312345678").isAllowed)
    }

    @Test("PHR access needs the patient's link; audit is a duty; operations never reach patient data")
    func otherPurposes() async throws {
        let phr = try caller("dh://phr-co/phr-backend/app")
        #expect(try await check(phr).basis == .noPatientLink)
        store.setPHRLink(true, for: patient, service: "phr-co")
        #expect(try await check(phr).basis == .patientLink)
        #expect(try await check(caller("dh://phr-other/phr-backend/app")).basis == .noPatientLink)
        store.setPHRLink(false, for: patient, service: "phr-co")
        #expect(try await !check(phr).isAllowed)

        store.setSecondaryUseOptOut(true, for: patient)
        store.setSharingOptOut(true, for: patient)
        #expect(try await check(caller("dh://mhlw/auditor/a1")).basis == .auditDuty)
        let ops = try await check(caller("dh://datahealth/ops/alice"))
        #expect(!ops.isAllowed)
        #expect(ops.basis == .purposeNotForPatientData)
    }

    @Test("break-glass: a stated reason opens a flagged, time-boxed grant for one person and patient")
    func breakGlass() async throws {
        let doctor = "dh://1312345678/clinician/D0001"
        let emergency = try caller(gw, acting: doctor, purpose: .emergency, reason: "unconscious on arrival")
        store.setSharingOptOut(true, for: patient)

        let closed = try await check(emergency, institution: "2712345678")
        #expect(!closed.isAllowed)
        #expect(closed.basis == .breakGlassNotOpen)
        #expect(closed.flaggedForReview)

        let grant = try await store.beginBreakGlass(patient: patient, caller: emergency)
        #expect(grant.reason == "unconscious on arrival")
        #expect(grant.needsReview)
        #expect(grant.expiresAt == clock.now + 4 * hour)
        #expect(grant.actingUser?.uri == doctor)

        let open = try await check(emergency, institution: "2712345678")
        #expect(open.isAllowed)
        #expect(open.basis == .breakGlass)
        #expect(open.flaggedForReview)
        #expect(open.breakGlass == grant)
        // The reason travels with the grant; later calls in the window need not repeat it.
        let later = try caller(gw, acting: doctor, purpose: .emergency)
        #expect(try await check(later, institution: "2712345678").isAllowed)

        // Opening again inside the window returns the same grant.
        clock.advance(hour)
        #expect(try await store.beginBreakGlass(patient: patient, caller: emergency) == grant)

        // Another clinician of the same gateway, or another patient: not covered.
        let colleague = try caller(gw, acting: "dh://1312345678/clinician/D0002", purpose: .emergency)
        #expect(try await check(colleague, institution: "2712345678").basis == .breakGlassNotOpen)
        let otherPatient = try PatientPseudonym("P-0002")
        let elsewhere = try await store.check(
            ConsentRequest(patient: otherPatient, caller: emergency, recordInstitution: "2712345678"))
        #expect(!elsewhere.isAllowed)

        // Time-boxed: 4 hours.
        clock.advance(3 * hour - 1)
        #expect(try await check(emergency, institution: "2712345678").isAllowed)
        clock.advance(1)
        let expired = try await check(emergency, institution: "2712345678")
        #expect(!expired.isAllowed)
        #expect(expired.basis == .breakGlassExpired)
        #expect(expired.flaggedForReview)

        // A new emergency: a new grant, again flagged.
        let second = try await store.beginBreakGlass(patient: patient, caller: emergency)
        #expect(second.id != grant.id)
        #expect(try await check(emergency, institution: "2712345678").breakGlass == second)

        // Both wait for review until reviewed.
        #expect(store.grantsNeedingReview().map(\.id) == [grant.id, second.id])
        let auditor = try PeerIdentity(uri: "dh://mhlw/auditor/a1")
        try store.markReviewed(grant: grant.id, by: auditor)
        #expect(store.grantsNeedingReview().map(\.id) == [second.id])
        let unknown = try #require(throws: ConsentError.self) { try store.markReviewed(grant: "bg-999", by: auditor) }
        #expect(unknown.code == .unknownGrant)
    }

    @Test("break-glass duration and viewing validity are configurable")
    func configuration() async throws {
        let clock = ManualClock()
        let store = InMemoryConsentStore(
            configuration: ConsentConfiguration(
                viewingConsentValidity: .seconds(60), breakGlassDuration: .seconds(600)),
            now: { clock.now })
        let emergency = try caller("dh://1312345678/clinician/D0001", purpose: .emergency, reason: "anaphylaxis")
        let grant = try await store.beginBreakGlass(patient: patient, caller: emergency)
        #expect(grant.expiresAt == clock.now + 600)
        store.recordViewingConsent(for: patient, institution: "1312345678")
        let doctor = try caller("dh://1312345678/clinician/D0001", purpose: .treatment)
        let request = ConsentRequest(patient: patient, caller: doctor, recordInstitution: "2712345678")
        #expect(try await store.check(request).isAllowed)
        clock.advance(60)
        #expect(try await !store.check(request).isAllowed)
    }

    @Test(
        "break-glass is refused without emergency purpose, reason, named clinician or medical institution",
        arguments: [
            ("dh://1312345678/gateway/gw-01", "dh://1312345678/clinician/D0001", Purpose.treatment, nil as String?),
            ("dh://1312345678/gateway/gw-01", "dh://1312345678/clinician/D0001", .emergency, nil),
            ("dh://1312345678/gateway/gw-01", nil, .emergency, "unconscious"),
            ("dh://clinic-net/clinician/D1", nil, .emergency, "unconscious"),
            ("dh://1312345678/genome-lab/lab", nil, .emergency, "unconscious"),
            ("dh://1312345678/ops/alice", nil, .emergency, "unconscious"),
        ] as [(String, String?, Purpose, String?)])
    func breakGlassRefused(identity: String, acting: String?, purpose: Purpose, reason: String?) async throws {
        let context = try caller(identity, acting: acting, purpose: purpose, reason: reason)
        await #expect(throws: ConsentError.self) {
            _ = try await store.beginBreakGlass(patient: patient, caller: context)
        }
        do {
            _ = try await store.beginBreakGlass(patient: patient, caller: context)
        } catch {
            #expect(error.code == .breakGlassRefused)
        }
        #expect(store.grantsNeedingReview().isEmpty)
        if purpose == .emergency {
            #expect(try await check(context, institution: "1312345678").basis == .breakGlassNotOpen)
        }
    }

    @Test("patient pseudonyms are validated")
    func pseudonyms() {
        for bad in ["", "a b", "患者", String(repeating: "x", count: 129), ".."] {
            #expect(throws: ConsentError.self) { try PatientPseudonym(bad) }
        }
        #expect((try? PatientPseudonym("ID5-3f2a"))?.value == "ID5-3f2a")
    }
}
