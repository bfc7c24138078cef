import DHIdentity
import Testing

let hospital = "1312345678"
let gateway = try! PeerIdentity(uri: "dh://1312345678/gateway/gw-01")

@Suite("CallerContext: acting user and purpose from metadata")
struct CallerContextTests {
    @Test("a gateway acting for its own clinician, by bare id or full identity")
    func actingUser() throws {
        let short = try CallerContext(
            identity: gateway, metadata: [("dh-purpose", "treatment"), ("dh-acting-user", "D0001")])
        #expect(short.actingUser?.uri == "dh://1312345678/clinician/D0001")
        #expect(short.purpose == .treatment)
        #expect(short.reason == nil)
        #expect(short.description == "dh://1312345678/gateway/gw-01 as dh://1312345678/clinician/D0001 for treatment")

        let full = try CallerContext(
            identity: gateway,
            metadata: [
                ("DH-Purpose", "emergency"), ("dh-acting-user", "dh://1312345678/clinician/D0001"),
                ("dh-purpose-reason", "意識不明で搬送"), ("x-other", "ignored"),
            ])
        #expect(full.actingUser == short.actingUser)
        #expect(full.purpose == .emergency)
        #expect(full.reason == "意識不明で搬送")

        // The metadata a client sends reads back to the same context.
        let again = try CallerContext(identity: gateway, metadata: full.metadata)
        #expect(again == full)
    }

    @Test("purposes are implied for roles that have one, and required of gateways and clinicians")
    func purposes() throws {
        let researcher = try PeerIdentity(uri: "dh://univ-tokyo/researcher/r1")
        #expect(try CallerContext(identity: researcher, metadata: []).purpose == .research)
        #expect(try CallerContext(identity: researcher, metadata: [("dh-purpose", "audit")]).purpose == .audit)
        let insurer = try PeerIdentity(uri: "dh://kenpo-a/insurer/batch")
        #expect(try CallerContext(identity: insurer, metadata: []).purpose == .insuranceScoring)
        for role in PeerIdentity.Role.allCases {
            let identity = try PeerIdentity(organization: hospital, role: role, id: "x")
            let implied = Purpose.implied(for: role)
            let context = Result { try CallerContext(identity: identity, metadata: []) }
            switch role {
            case .gateway, .clinician:
                #expect(implied == nil)
                #expect(throws: CallerContextError.self) { try context.get() }
            default:
                #expect(try context.get().purpose == implied)
            }
        }
        let error = try #require(throws: CallerContextError.self) {
            try CallerContext(identity: gateway, metadata: [("dh-acting-user", "D0001")])
        }
        #expect(error.code == .missingPurpose)
    }

    @Test(
        "invalid metadata is refused with a code naming the problem",
        arguments: [
            (gateway.uri, [("dh-purpose", "treatmnet")], CallerContextError.Code.unknownPurpose),
            (gateway.uri, [("dh-purpose", "Treatment")], .unknownPurpose),
            (gateway.uri, [("dh-purpose", "treatment"), ("dh-purpose", "research")], .duplicateKey),
            (gateway.uri, [("dh-purpose", "treatment"), ("DH-PURPOSE", "treatment")], .duplicateKey),
            (
                gateway.uri, [("dh-purpose", "treatment"), ("dh-acting-user", "dh://2712345678/clinician/D0001")],
                .foreignActingUser
            ),
            (
                gateway.uri, [("dh-purpose", "treatment"), ("dh-acting-user", "dh://1312345678/auditor/a1")],
                .invalidActingUser
            ),
            (
                gateway.uri, [("dh-purpose", "treatment"), ("dh-acting-user", "dh://1312345678/gateway/gw-02")],
                .invalidActingUser
            ),
            (gateway.uri, [("dh-purpose", "treatment"), ("dh-acting-user", "D 0001")], .invalidActingUser),
            (gateway.uri, [("dh-purpose", "treatment"), ("dh-acting-user", "")], .invalidActingUser),
            (
                gateway.uri, [("dh-purpose", "treatment"), ("dh-acting-user", "dh://1312345678/clinician")],
                .invalidActingUser
            ),
            (
                "dh://1312345678/clinician/D0001", [("dh-purpose", "treatment"), ("dh-acting-user", "D0002")],
                .actingUserNotAllowed
            ),
            ("dh://phr-co/phr-backend/app", [("dh-acting-user", "D0002")], .actingUserNotAllowed),
            ("dh://phr-co/phr-backend/app", [("dh-acting-user", "not a user")], .actingUserNotAllowed),
            (gateway.uri, [("dh-purpose", "treatment"), ("dh-purpose-reason", "unconscious")], .reasonNotAllowed),
            (gateway.uri, [("dh-purpose", "emergency"), ("dh-purpose-reason", "  \u{3000} ")], .invalidReason),
            (gateway.uri, [("dh-purpose", "emergency"), ("dh-purpose-reason", "")], .invalidReason),
            (gateway.uri, [("dh-purpose", "emergency"), ("dh-purpose-reason", "line\nbreak")], .invalidReason),
            (
                gateway.uri,
                [("dh-purpose", "emergency"), ("dh-purpose-reason", String(repeating: "a", count: 1_001))],
                .invalidReason
            ),
        ] as [(String, [(String, String)], CallerContextError.Code)])
    func invalid(identity: String, metadata: [(String, String)], code: CallerContextError.Code) throws {
        let peer = try PeerIdentity(uri: identity)
        let error = try #require(throws: CallerContextError.self) {
            try CallerContext(identity: peer, metadata: metadata.map { (key: $0.0, value: $0.1) })
        }
        #expect(error.code == code, "\(error)")
    }

    @Test("the reason limit is configurable")
    func reasonLimit() throws {
        let metadata = [(key: "dh-purpose", value: "emergency"), (key: "dh-purpose-reason", value: "cardiac arrest")]
        #expect(throws: CallerContextError.self) {
            try CallerContext(identity: gateway, metadata: metadata, configuration: .init(maximumReasonLength: 5))
        }
        #expect(try CallerContext(identity: gateway, metadata: metadata).reason == "cardiac arrest")
    }
}
