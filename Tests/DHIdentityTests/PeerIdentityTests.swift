import DHIdentity
import Testing

@Suite("PeerIdentity: the dh://ORG/ROLE/ID scheme")
struct PeerIdentityTests {
    @Test("valid identities parse into their parts and print back")
    func valid() throws {
        let hospital = try PeerIdentity(uri: "dh://1312345678/clinician/dr.sato_01")
        #expect(hospital.organization == "1312345678")
        #expect(hospital.role == .clinician)
        #expect(hospital.id == "dr.sato_01")
        #expect(hospital.isMedicalInstitution)
        #expect(hospital.uri == "dh://1312345678/clinician/dr.sato_01")
        let lab = try PeerIdentity(uri: "dh://genomics-inc/genome-lab/Seq~A-1")
        #expect(lab.role == .genomeLab)
        #expect(!lab.isMedicalInstitution)
        for role in PeerIdentity.Role.allCases {
            #expect(try PeerIdentity(uri: "dh://ops-team/\(role.rawValue)/x").role == role)
        }
    }

    @Test(
        "invalid identities name the part that is wrong",
        arguments: [
            ("https://1312345678/gateway/a", IdentityError.Code.notDataHealthURI),
            ("DH://1312345678/gateway/a", .notDataHealthURI),
            ("dh://1312345678/gateway", .malformedURI),
            ("dh://1312345678/gateway/a/b", .malformedURI),
            ("dh://1312345678/gateway/a/", .malformedURI),
            ("dh://1312345678/doctor/a", .unknownRole),
            ("dh://1312345678/Gateway/a", .unknownRole),
            ("dh://131234567/gateway/a", .invalidOrganization),
            ("dh://4812345678/gateway/a", .invalidOrganization),
            ("dh://0012345678/gateway/a", .invalidOrganization),
            ("dh://Hospital/gateway/a", .invalidOrganization),
            ("dh://1hospital/gateway/a", .invalidOrganization),
            ("dh://hospital-/gateway/a", .invalidOrganization),
            ("dh://user@hospital/gateway/a", .invalidOrganization),
            ("dh://hospital:443/gateway/a", .invalidOrganization),
            ("dh:///gateway/a", .invalidOrganization),
            ("dh://hospital/gateway/", .invalidID),
            ("dh://hospital/gateway/a%20b", .invalidID),
            ("dh://hospital/gateway/a?b", .invalidID),
            ("dh://hospital/gateway/a#b", .invalidID),
            ("dh://hospital/gateway/..", .invalidID),
            ("dh://hospital/gateway/医師", .invalidID),
            ("dh://hospital/gateway/" + String(repeating: "a", count: 129), .invalidID),
        ])
    func invalid(uri: String, code: IdentityError.Code) {
        #expect(throws: IdentityError.self) { try PeerIdentity(uri: uri) }
        do {
            _ = try PeerIdentity(uri: uri)
        } catch {
            #expect(error.code == code, "\(uri): \(error)")
        }
    }
}
