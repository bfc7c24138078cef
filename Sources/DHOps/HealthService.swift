public import DHRPC
public import DHSchemas
internal import Synchronization

/// `datahealth.ops.v1.Health`: whether each hosted service can take calls.
///
/// Each service has a probe (e.g. "the database answers"); the server as a whole serves when
/// every service does. During a graceful shutdown everything is NOT_SERVING, so load balancers
/// stop sending calls before the connections close.
public final class HealthService: Datahealth_Ops_V1_HealthHandler {
    /// Answers whether a service can take calls, and why not.
    public typealias Probe = @Sendable () async -> Status

    public struct Status: Sendable, Hashable {
        public var serving: Bool
        public var detail: String

        public init(serving: Bool, detail: String = "") {
            self.serving = serving
            self.detail = detail
        }

        public static let serving = Status(serving: true)
    }

    private let probes: [String: Probe]
    private let shuttingDown = Mutex(false)

    /// - Parameter probes: service name → its probe. The health and reflection services are
    ///   added as always serving.
    public init(probes: [String: Probe]) {
        var all = probes
        all[Datahealth_Ops_V1_Health.name] = all[Datahealth_Ops_V1_Health.name] ?? { .serving }
        self.probes = all
    }

    /// From now on every service reports NOT_SERVING.
    public func beginShutdown() { shuttingDown.withLock { $0 = true } }

    private func status(of service: String) async -> Datahealth_Ops_V1_HealthCheckResponse? {
        guard let probe = probes[service] else { return nil }
        var response = Datahealth_Ops_V1_HealthCheckResponse()
        if shuttingDown.withLock({ $0 }) {
            response.status = .notServing
            response.detail = "the server is shutting down"
            return response
        }
        let status = await probe()
        response.status = status.serving ? .serving : .notServing
        response.detail = status.detail
        return response
    }

    public func check(
        request: Datahealth_Ops_V1_HealthCheckRequest, context: ServerContext
    ) async throws -> Datahealth_Ops_V1_HealthCheckResponse {
        if request.service.isEmpty {
            var overall = Datahealth_Ops_V1_HealthCheckResponse()
            overall.status = .serving
            var problems: [String] = []
            for name in probes.keys.sorted() {
                guard let status = await status(of: name), status.status != .serving else { continue }
                overall.status = .notServing
                problems.append(status.detail.isEmpty ? name : "\(name): \(status.detail)")
            }
            overall.detail = problems.joined(separator: "; ")
            return overall
        }
        guard let status = await status(of: request.service) else {
            throw RPCError(code: .notFound, message: "this server does not host '\(request.service)'")
        }
        return status
    }

    public func list(
        request: Datahealth_Ops_V1_HealthListRequest, context: ServerContext
    ) async throws -> Datahealth_Ops_V1_HealthListResponse {
        var response = Datahealth_Ops_V1_HealthListResponse()
        for name in probes.keys {
            if let status = await status(of: name) { response.services[name] = status }
        }
        return response
    }
}
