import DHIdentity
import Testing

/// `decideMethod`: the gate before a handler knows which data a call touches.
@Suite("Policy: the method-level gate")
struct MethodGateTests {
    static let policy = try! Policy(
        parsing: """
            version = 1

            [allow gateway-read]
            who         = role:gateway
            acting-user = required
            methods     = /datahealth.v1.CareRecordService/GetPatientSummary
            purposes    = treatment
            scopes      = own-institution, any-institution-with-consent

            [allow researcher-datasets]
            who      = role:researcher
            methods  = /datahealth.research.v1.Datasets/*
            purposes = research
            scopes   = dataset:ndb-2024-diabetes

            # A deny with scopes concerns some data only: the gate leaves it to the handler.
            [deny no-diabetes-data-for-r-9]
            who     = dh://univ-tokyo/researcher/r-9
            methods = *
            scopes  = dataset:ndb-2024-diabetes

            [deny suspended]
            who     = dh://1312345678/gateway/gw-old
            methods = *
            """, source: "gate.policy")

    func caller(_ uri: String, actingUser: String? = nil, purpose: Purpose) throws -> CallerContext {
        var metadata: [(key: String, value: String)] = [("dh-purpose", purpose.rawValue)]
        if let actingUser { metadata.append(("dh-acting-user", actingUser)) }
        return try CallerContext(identity: try PeerIdentity(uri: uri), metadata: metadata)
    }

    @Test("an allow rule for caller, method, purpose and acting user opens the gate, whatever its scopes")
    func opens() throws {
        let decision = Self.policy.decideMethod(
            caller: try caller("dh://1312345678/gateway/gw-01", actingUser: "D1", purpose: .treatment),
            method: "/datahealth.v1.CareRecordService/GetPatientSummary")
        #expect(decision.isAllowed)
        #expect(decision.rule?.name == "gateway-read")
        #expect(decision.scope == nil, "the data scope is decided later, with the data")
        let research = Self.policy.decideMethod(
            caller: try caller("dh://univ-tokyo/researcher/r-1", purpose: .research),
            method: "/datahealth.research.v1.Datasets/Extract")
        #expect(research.isAllowed)
    }

    @Test("the gate stays shut for another method, purpose or a missing acting user")
    func shut() throws {
        let gateway = try caller("dh://1312345678/gateway/gw-01", actingUser: "D1", purpose: .treatment)
        #expect(!Self.policy.decideMethod(caller: gateway, method: "/datahealth.v1.CareRecordService/SubmitRecords").isAllowed)
        let noUser = try caller("dh://1312345678/gateway/gw-01", purpose: .treatment)
        let refused = Self.policy.decideMethod(caller: noUser, method: "/datahealth.v1.CareRecordService/GetPatientSummary")
        #expect(refused.outcome == .noMatchingRule)
        #expect(refused.nearMisses.contains { $0.contains("acting") })
        let researcher = try caller("dh://univ-tokyo/researcher/r-1", purpose: .research)
        #expect(!Self.policy.decideMethod(caller: researcher, method: "/datahealth.v1.CareRecordService/GetPatientSummary").isAllowed)
    }

    @Test("a deny rule without scopes shuts the gate; one with scopes is left to the data decision")
    func denies() throws {
        let suspended = try caller("dh://1312345678/gateway/gw-old", actingUser: "D1", purpose: .treatment)
        let decision = Self.policy.decideMethod(caller: suspended, method: "/datahealth.v1.CareRecordService/GetPatientSummary")
        #expect(decision.outcome == .deniedByRule && decision.rule?.name == "suspended")

        let limited = try caller("dh://univ-tokyo/researcher/r-9", purpose: .research)
        let method = "/datahealth.research.v1.Datasets/Extract"
        #expect(Self.policy.decideMethod(caller: limited, method: method).isAllowed)
        // With the data known, the scoped deny decides.
        let data = Self.policy.decide(
            AccessRequest(caller: limited, method: method, target: .dataset("ndb-2024-diabetes")))
        #expect(data.outcome == .deniedByRule && data.rule?.name == "no-diabetes-data-for-r-9")
        let other = try caller("dh://univ-tokyo/researcher/r-1", purpose: .research)
        #expect(Self.policy.decide(AccessRequest(caller: other, method: method, target: .dataset("ndb-2024-diabetes"))).isAllowed)
    }
}
