import DHAccess
import DHAudit
import DHIdentity
import DHRPC
import DHTLS
import Foundation
import Testing

private let policyText = """
    version = 1

    [allow gateway-echo]
    who         = role:gateway
    acting-user = any
    methods     = /dh.echo.v1.Echo/*
    purposes    = treatment, emergency
    scopes      = own-institution

    [deny suspended-gateway]
    who     = dh://1312345678/gateway/gw-old
    methods = *
    """

private struct Echo: Dh_Echo_V1_EchoHandler {
    func get(request: Dh_Echo_V1_EchoRequest, context: ServerContext) async throws -> Dh_Echo_V1_EchoResponse {
        if request.failWithCode != 0 {
            throw RPCError(code: RPCStatus.Code(wireValue: UInt8(request.failWithCode)), message: "asked to fail")
        }
        CallAudit.current?.touched(patient: request.text)
        if request.sequence == 911 { CallAudit.current?.breakGlass(reason: "意識不明で搬送、同意取得不能") }
        var response = Dh_Echo_V1_EchoResponse()
        response.text = request.text
        response.peer = CallAudit.current?.caller.description ?? "no caller"
        return response
    }

    func collect(
        requests: RPCAsyncSequence<Dh_Echo_V1_EchoRequest>, context: ServerContext
    ) async throws
        -> Dh_Echo_V1_EchoResponse
    { Dh_Echo_V1_EchoResponse() }

    func expand(
        request: Dh_Echo_V1_EchoRequest, responses: RPCWriter<Dh_Echo_V1_EchoResponse>, context: ServerContext
    ) async throws {}

    func update(
        requests: RPCAsyncSequence<Dh_Echo_V1_EchoRequest>, responses: RPCWriter<Dh_Echo_V1_EchoResponse>,
        context: ServerContext
    ) async throws {}
}

private struct StoreDown: Error {}

/// A server with the access interceptor over an in-memory audit log, called as `peer`.
private func withGuardedServer(
    peer: String, _ body: (Dh_Echo_V1_EchoClient, InMemoryAuditStore, PublicKey) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dh-access-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let policyPath = directory.appendingPathComponent("policy.conf").path
    try policyText.write(toFile: policyPath, atomically: true, encoding: .utf8)
    let store = InMemoryAuditStore()
    let key = try PrivateKey.generate(.ed25519)
    var configuration = AuditLog.Configuration()
    configuration.signEvery = 1
    let log = try await AuditLog(
        store: store, signingKey: key, configuration: configuration, nowMilliseconds: { 1_795_478_400_000 })
    let interceptor = AccessInterceptor(
        policy: try PolicyStore(path: policyPath), auditLog: log, nowMicroseconds: { 1_795_478_400_000_000 })
    let transport = InProcessTransport(peer: try PeerIdentity(uri: peer))
    let server = RPCServer(services: [Echo()], interceptors: [interceptor])
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve(on: transport.server) }
        defer { transport.server.beginGracefulShutdown() }
        await transport.waitUntilServing()
        try await body(Dh_Echo_V1_EchoClient(transport: transport.client), store, try key.publicKey())
    }
}

private func request(_ text: String, sequence: Int64 = 0, fail: Int32 = 0) -> Dh_Echo_V1_EchoRequest {
    var request = Dh_Echo_V1_EchoRequest()
    request.text = text
    request.sequence = sequence
    request.failWithCode = fail
    return request
}

private func options(_ pairs: [(String, String)]) -> CallOptions {
    var metadata = Metadata()
    for (key, value) in pairs { metadata.addString(value, forKey: key) }
    return CallOptions(metadata: metadata)
}

private func entries(_ store: InMemoryAuditStore) async throws -> [AuditEntry] {
    try await store.records(in: 0..<UInt64.max).map { try AuditEntry(encoded: $0.entryBytes) }
}

private func code(_ body: () async throws -> Void) async -> RPCStatus.Code? {
    do {
        try await body()
        return .ok
    } catch let error as RPCError {
        return error.code
    } catch {
        return nil
    }
}

@Suite("Every call is authorized and audited", .timeLimit(.minutes(1)))
struct AccessInterceptorTests {
    @Test("an allowed call runs and leaves one entry naming caller, acting user, purpose and patient")
    func allowed() async throws {
        try await withGuardedServer(peer: "dh://1312345678/gateway/gw-01") { client, store, key in
            let response = try await client.get(
                request("p-42"), options: options([("dh-acting-user", "D0001"), ("dh-purpose", "treatment")]))
            #expect(response.peer.contains("dh://1312345678/clinician/D0001"))
            let logged = try await entries(store)
            #expect(logged.count == 1)
            #expect(logged[0].identity == "dh://1312345678/gateway/gw-01")
            #expect(logged[0].actingUser == "dh://1312345678/clinician/D0001")
            #expect(logged[0].purpose == "treatment")
            #expect(logged[0].method == "/dh.echo.v1.Echo/Get")
            #expect(logged[0].patient == "p-42")
            #expect(logged[0].outcome == .allowed && logged[0].statusCode == 0)
            let verification = AuditVerifier.verify(
                records: try await store.records(in: 0..<UInt64.max), heads: try await store.treeHeads(),
                publicKey: key)
            #expect(verification.passed && verification.headsChecked >= 1)
        }
    }

    @Test("a caller the policy does not allow is refused before the handler runs, and audited")
    func refused() async throws {
        try await withGuardedServer(peer: "dh://research-univ/researcher/r-1") { client, store, _ in
            let refused = await code { _ = try await client.get(request("p-42")) }
            #expect(refused == .permissionDenied)
            let logged = try await entries(store)
            #expect(logged.count == 1)
            #expect(logged[0].outcome == .denied && logged[0].statusCode == 7)
            #expect(logged[0].patient.isEmpty, "the handler did not run")
            #expect(logged[0].reason.contains("no allow rule") || logged[0].reason.contains("does not apply"))
        }
        try await withGuardedServer(peer: "dh://1312345678/gateway/gw-old") { client, store, _ in
            let refused = await code {
                _ = try await client.get(request("p-42"), options: options([("dh-purpose", "treatment")]))
            }
            #expect(refused == .permissionDenied)
            let suspended = try await entries(store).first
            #expect(suspended?.reason.contains("suspended-gateway") == true)
        }
    }

    @Test("metadata that does not make a caller is INVALID_ARGUMENT, and audited")
    func invalidCaller() async throws {
        try await withGuardedServer(peer: "dh://1312345678/gateway/gw-01") { client, store, _ in
            // A gateway must state a purpose; and it may act only for its own institution's clinicians.
            let noPurpose = await code { _ = try await client.get(request("x")) }
            #expect(noPurpose == .invalidArgument)
            let foreignClinician = await code {
                _ = try await client.get(
                    request("x"),
                    options: options([("dh-purpose", "treatment"), ("dh-acting-user", "dh://1311111111/clinician/D9")]))
            }
            #expect(foreignClinician == .invalidArgument)
            let logged = try await entries(store)
            #expect(logged.count == 2 && logged.allSatisfy { $0.outcome == .denied && $0.statusCode == 3 })
        }
    }

    @Test("a handler's failure is audited with its status; break-glass is flagged with its reason")
    func failuresAndBreakGlass() async throws {
        try await withGuardedServer(peer: "dh://1312345678/gateway/gw-01") { client, store, _ in
            let treatment = options([("dh-purpose", "treatment")])
            let notFound = await code { _ = try await client.get(request("p-1", fail: 5), options: treatment) }
            #expect(notFound == .notFound)
            _ = try await client.get(
                request("p-2", sequence: 911),
                options: options([
                    ("dh-purpose", "emergency"), ("dh-acting-user", "D0002"), ("dh-purpose-reason", "搬送"),
                ]))
            let logged = try await entries(store)
            #expect(logged[0].outcome == .failed && logged[0].statusCode == 5)
            #expect(logged[1].breakGlass && logged[1].reason == "意識不明で搬送、同意取得不能")
            #expect(logged[1].purpose == "emergency")
        }
    }

    @Test("when the audit entry cannot be written the call fails, even after its response was made")
    func auditFailureFailsTheCall() async throws {
        try await withGuardedServer(peer: "dh://1312345678/gateway/gw-01") { client, store, _ in
            await store.setFailNextAppend(StoreDown())
            let unaudited = await code {
                _ = try await client.get(request("p-3"), options: options([("dh-purpose", "treatment")]))
            }
            #expect(unaudited == .unavailable)
            let none = try await entries(store)
            #expect(none.isEmpty)
            _ = try await client.get(request("p-4"), options: options([("dh-purpose", "treatment")]))
            let after = try await entries(store)
            #expect(after.map(\.patient) == ["p-4"])
        }
    }
}
