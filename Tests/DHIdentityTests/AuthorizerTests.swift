import DHIdentity
import Foundation
import Testing

@Suite("Authorizer: policy, then consent")
struct AuthorizerTests {
    let directory: TemporaryDirectory
    let clock = ManualClock()
    let consent: InMemoryConsentStore
    let authorizer: Authorizer
    let patient = try! PatientPseudonym("P-0042")

    init() throws {
        directory = try TemporaryDirectory()
        let clock = clock
        consent = InMemoryConsentStore(now: { clock.now })
        let store = try PolicyStore(path: directory.write(examplePolicyText, to: "policy.conf"))
        authorizer = Authorizer(policy: store, consent: consent)
    }

    func authorize(_ context: CallerContext, _ method: String, _ target: DataTarget, patient: PatientPseudonym?)
        async throws -> Authorization
    {
        try await authorizer.authorize(AccessRequest(caller: context, method: method, target: target), patient: patient)
    }

    @Test("policy denials never reach consent; allowed calls need the patient's consent too")
    func combined() async throws {
        let clinician = try caller(gw, acting: doctor, purpose: .treatment)
        let other = DataTarget.patientRecords(institution: "2712345678")

        let noConsent = try await authorize(clinician, "\(records)/Get", other, patient: patient)
        #expect(noConsent.policy.isAllowed)
        #expect(noConsent.consent?.basis == .noViewingConsent)
        #expect(!noConsent.isAllowed)

        consent.recordViewingConsent(for: patient, institution: "1312345678")
        let allowed = try await authorize(clinician, "\(records)/Get", other, patient: patient)
        #expect(allowed.isAllowed)
        #expect(!allowed.flaggedForReview)

        let denied = try await authorize(clinician, "\(records)/Chat", other, patient: patient)
        #expect(!denied.isAllowed)
        #expect(denied.consent == nil)

        let nobody = try await authorize(clinician, "\(records)/Get", other, patient: nil)
        #expect(!nobody.isAllowed)
        #expect(nobody.consent?.basis == .noPatientNamed)

        let own = try await authorize(
            clinician, "\(records)/Get", .patientRecords(institution: "1312345678"), patient: nil)
        #expect(own.isAllowed)
        #expect(own.consent == nil)
    }

    @Test("break-glass through the authorizer is allowed and flagged")
    func breakGlass() async throws {
        let emergency = try caller(gw, acting: doctor, purpose: .emergency, reason: "cardiac arrest, unconscious")
        let target = DataTarget.patientRecords(institution: "2712345678")
        consent.setSharingOptOut(true, for: patient)
        let before = try await authorize(emergency, "\(records)/Get", target, patient: patient)
        #expect(!before.isAllowed)
        #expect(before.flaggedForReview)
        _ = try await consent.beginBreakGlass(patient: patient, caller: emergency)
        let after = try await authorize(emergency, "\(records)/Get", target, patient: patient)
        #expect(after.isAllowed)
        #expect(after.flaggedForReview)
        #expect(after.description.contains("consent: ALLOW (breakGlass)"))
    }
}
