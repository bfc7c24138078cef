public import DHAudit
public import DHIdentity
public import DHRPC
internal import Synchronization

/// What a handler learns about the data a call touches, for the call's audit entry.
public final class CallAudit: Sendable {
    private struct State {
        var patients: [String] = []
        var dataset = ""
        var breakGlass = false
        var reason = ""
    }

    private let state = Mutex(State())

    /// The caller, as the access interceptor established it.
    public let caller: CallerContext

    init(caller: CallerContext) {
        self.caller = caller
    }

    /// The call touches this patient (a pseudonym, never an insurance number). A call that
    /// touches several patients leaves one entry per patient, so that each patient's "who
    /// looked at my record" finds it.
    public func touched(patient: String) {
        state.withLock { if !$0.patients.contains(patient) { $0.patients.append(patient) } }
    }
    /// The call touches this dataset.
    public func touched(dataset: String) { state.withLock { $0.dataset = dataset } }
    /// The call is emergency (break-glass) access; the entry is flagged for review.
    public func breakGlass(reason: String) {
        state.withLock {
            $0.breakGlass = true
            $0.reason = reason
        }
    }

    /// The audit record of the call in flight, for handlers; nil outside an intercepted call.
    @TaskLocal public static var current: CallAudit?

    fileprivate var snapshot: (patients: [String], dataset: String, breakGlass: Bool, reason: String) {
        state.withLock { ($0.patients, $0.dataset, $0.breakGlass, $0.reason) }
    }
}

/// Runs around every call: establishes the caller (certificate identity, acting user, purpose
/// from metadata), refuses what the policy does not allow for that caller and method, and
/// appends one audit entry for every call, allowed or refused, with its final status. Writing
/// the entry is part of the call: when it cannot be written, the call fails with UNAVAILABLE.
///
/// Handlers still decide about the data itself (which patient, which institution, consent)
/// through ``Authorizer``; they name what they touched with ``CallAudit/current``.
public struct AccessInterceptor: ServerInterceptor {
    public let policy: PolicyStore
    public let auditLog: AuditLog
    /// Microseconds since 1970, for the audit entries' times.
    public let nowMicroseconds: @Sendable () -> Int64

    public init(policy: PolicyStore, auditLog: AuditLog, nowMicroseconds: @escaping @Sendable () -> Int64) {
        self.policy = policy
        self.auditLog = auditLog
        self.nowMicroseconds = nowMicroseconds
    }

    public func intercept(
        _ context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
    ) async throws {
        let metadata = context.requestMetadata.compactMap { entry -> (key: String, value: String)? in
            guard case .string(let value) = entry.value else { return nil }
            return (entry.key, value)
        }
        let caller: CallerContext
        do {
            caller = try CallerContext(identity: context.peer, metadata: metadata)
        } catch {
            let refusal = RPCError(code: .invalidArgument, message: "\(error)")
            try await audit(context, caller: nil, record: nil, outcome: .denied, error: refusal)
            throw refusal
        }
        let decision = policy.decideMethod(caller: caller, method: context.method.path)
        guard decision.isAllowed else {
            let refusal = RPCError(code: .permissionDenied, message: "\(decision)")
            try await audit(context, caller: caller, record: nil, outcome: .denied, error: refusal)
            throw refusal
        }
        let record = CallAudit(caller: caller)
        do {
            try await CallAudit.$current.withValue(record) { try await next(context) }
        } catch {
            let (status, _) = RPCServer.status(for: error)
            let outcome: AuditEntry.Outcome = status.code == .permissionDenied ? .denied : .failed
            try await audit(context, caller: caller, record: record, outcome: outcome, error: error)
            throw error
        }
        try await audit(context, caller: caller, record: record, outcome: .allowed, error: nil)
    }

    /// A break-glass entry keeps the stated reason (and why the call failed, if it did); other
    /// entries give why the call was refused or failed, and nothing when it was allowed.
    static func reason(breakGlass reason: String?, outcome: AuditEntry.Outcome, status: RPCStatus) -> String {
        let failure = outcome == .allowed ? "" : status.message
        guard let reason else { return failure }
        return failure.isEmpty ? reason : "\(reason) (\(failure))"
    }

    private func audit(
        _ context: ServerContext, caller: CallerContext?, record: CallAudit?, outcome: AuditEntry.Outcome,
        error: (any Error)?
    ) async throws {
        let status = error.map { RPCServer.status(for: $0).0 } ?? .ok
        let noted = record?.snapshot
        let patients = noted?.patients.isEmpty == false ? noted?.patients ?? [""] : [""]
        let time = nowMicroseconds()
        do {
            for patient in patients {
                let entry = AuditEntry(
                    timeMicroseconds: time, identity: context.peer.uri, actingUser: caller?.actingUser?.uri ?? "",
                    purpose: noted?.breakGlass == true ? Purpose.emergency.rawValue : caller?.purpose.rawValue ?? "",
                    method: context.method.path, patient: patient, dataset: noted?.dataset ?? "",
                    outcome: outcome, statusCode: status.code.rawValue, breakGlass: noted?.breakGlass ?? false,
                    reason: Self.reason(
                        breakGlass: noted?.breakGlass == true ? noted?.reason : nil, outcome: outcome, status: status))
                _ = try await auditLog.append(entry)
            }
        } catch {
            throw RPCError(code: .unavailable, message: "the call could not be audited; it was not completed")
        }
    }
}
