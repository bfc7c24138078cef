public import DHAudit
import DHStorage

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A search of the audit log. Every filter that is set must match; results come newest
/// first (by decreasing index), a page at a time.
public struct AuditQuery: Sendable, Hashable {
    /// The caller's certificate identity, `dh://ORG/ROLE/ID`.
    public var identity: String?
    /// The user a gateway acted for.
    public var actingUser: String?
    public var patient: String?
    /// The stated purpose (treatment, emergency, research …).
    public var purpose: String?
    /// The full method path, `/package.Service/Method`.
    public var method: String?
    public var dataset: String?
    public var outcome: AuditEntry.Outcome?
    /// Only break-glass entries (true) or only others (false).
    public var breakGlass: Bool?
    /// Entries at or after this time.
    public var since: Date?
    /// Entries before this time.
    public var until: Date?
    /// The most entries in one page (1...``maximumLimit``).
    public var limit: Int
    /// Continue after a previous page: only entries with smaller indices (its ``AuditQueryPage/nextCursor``).
    public var before: UInt64?

    public static let maximumLimit = 10_000

    public init(
        identity: String? = nil, actingUser: String? = nil, patient: String? = nil, purpose: String? = nil,
        method: String? = nil,
        dataset: String? = nil, outcome: AuditEntry.Outcome? = nil, breakGlass: Bool? = nil, since: Date? = nil,
        until: Date? = nil, limit: Int = 100, before: UInt64? = nil
    ) {
        self.identity = identity
        self.actingUser = actingUser
        self.patient = patient
        self.purpose = purpose
        self.method = method
        self.dataset = dataset
        self.outcome = outcome
        self.breakGlass = breakGlass
        self.since = since
        self.until = until
        self.limit = limit
        self.before = before
    }

    /// A patient's access history: who looked at the record, when and why.
    public static func accessHistory(patient: String, limit: Int = 100, before: UInt64? = nil) -> AuditQuery {
        AuditQuery(patient: patient, limit: limit, before: before)
    }

    /// The statement: fixed SQL fragments joined with bind parameters, never values.
    func statement() throws -> PostgresQuery {
        guard (1...Self.maximumLimit).contains(limit) else {
            throw RepositoryError(
                code: .invalidArgument, message: "an audit query's limit must be 1...\(Self.maximumLimit)")
        }
        var conditions: [String] = []
        var parameters: [PostgresValue] = []
        func add(_ fragment: String, _ value: PostgresValue) {
            parameters.append(value)
            conditions.append(fragment + "$\(parameters.count)")
        }
        if let identity { add("identity = ", identity.postgresValue()) }
        if let actingUser { add("acting_user = ", actingUser.postgresValue()) }
        if let patient { add("patient = ", patient.postgresValue()) }
        if let purpose { add("purpose = ", purpose.postgresValue()) }
        if let method { add("method = ", method.postgresValue()) }
        if let dataset { add("dataset = ", dataset.postgresValue()) }
        if let outcome { add("outcome = ", Int32(outcome.rawValue).postgresValue()) }
        if let breakGlass { add("break_glass = ", breakGlass.postgresValue()) }
        if let since { add("time >= ", .timestamp(since)) }
        if let until { add("time < ", .timestamp(until)) }
        if let before { add("index < ", Int64(clamping: before).postgresValue()) }
        var sql = "SELECT index, entry FROM audit_entries"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        parameters.append((limit + 1).postgresValue())
        sql += " ORDER BY index DESC LIMIT $\(parameters.count)"
        return PostgresQuery(unsafeSQL: sql, parameters: parameters)
    }
}

/// One entry found by an ``AuditQuery``.
public struct AuditQueryResult: Sendable, Hashable {
    public var index: UInt64
    public var entry: AuditEntry

    public init(index: UInt64, entry: AuditEntry) {
        self.index = index
        self.entry = entry
    }
}

/// A page of results, newest first.
public struct AuditQueryPage: Sendable, Hashable {
    public var results: [AuditQueryResult]
    /// Pass as ``AuditQuery/before`` for the next page; nil on the last page.
    public var nextCursor: UInt64?
}

extension PostgresAuditStore {
    /// Runs `query`. The entries come from the stored canonical bytes, not from the indexed
    /// columns (those only select rows).
    public func search(_ query: AuditQuery) async throws -> AuditQueryPage {
        let result = try await database.query(try query.statement())
        var results: [AuditQueryResult] = []
        for (index, bytes) in try result.decode(Int64.self, [UInt8].self).prefix(query.limit) {
            do {
                results.append(AuditQueryResult(index: UInt64(index), entry: try AuditEntry(encoded: bytes)))
            } catch {
                throw RepositoryError(code: .corruptRow, message: "audit entry \(index): \(error.message)")
            }
        }
        let more = result.count > query.limit
        return AuditQueryPage(results: results, nextCursor: more ? results.last?.index : nil)
    }
}
