import Foundation

/// A SQL statement and its bind parameters.
///
/// Written as a string literal, every interpolated value becomes a bind parameter (`$1`, `$2`, …)
/// and never part of the SQL text:
///
/// ```swift
/// let query: PostgresQuery = "SELECT name FROM patients WHERE id = \(id) AND active = \(true)"
/// // sql: "SELECT name FROM patients WHERE id = $1 AND active = $2"
/// ```
///
/// Identifiers (table and column names) are not values; when they are not fixed in the source,
/// interpolate them with `\(identifier: name)`, which quotes them.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public var sql: String
    public var parameters: [PostgresValue]

    /// A statement with explicit `$n` placeholders.
    public init(unsafeSQL sql: String, parameters: [PostgresValue] = []) {
        self.sql = sql
        self.parameters = parameters
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.parameters = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.parameters = stringInterpolation.parameters
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var parameters: [PostgresValue]

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            parameters = []
            parameters.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// Binds a value as the next parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            parameters.append(value.postgresValue())
            sql += "$\(parameters.count)"
        }

        /// Binds an optional value; `nil` is sent as a typed NULL.
        public mutating func appendInterpolation<Wrapped: PostgresEncodable>(_ value: Wrapped?) {
            parameters.append(value.postgresValue())
            sql += "$\(parameters.count)"
        }

        /// Binds an already encoded value.
        public mutating func appendInterpolation(_ value: PostgresValue) {
            parameters.append(value)
            sql += "$\(parameters.count)"
        }

        /// Inserts a quoted identifier (table or column name).
        public mutating func appendInterpolation(identifier: String) {
            sql += quoteIdentifier(identifier)
        }
    }
}

extension PostgresQuery: CustomStringConvertible, CustomReflectable {
    /// The SQL and the parameters' types; never the values (they may be health data).
    public var description: String {
        parameters.isEmpty ? sql : "\(sql) [parameters: \(parameters.map(\.dataType.description).joined(separator: ", "))]"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["sql": sql, "parameterCount": parameters.count], displayStyle: .struct)
    }
}

/// Quotes an identifier the way PostgreSQL reads it: in double quotes, inner quotes doubled.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Isolation levels for ``PostgresQueryable/withTransaction(isolation:maxAttempts:timeout:_:)``.
public enum PostgresIsolationLevel: String, Sendable, Hashable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}
