/// An error of a repository that is not the database's own (those are ``PostgresError``s).
public struct RepositoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case logDiverged, corruptRow, invalidArgument
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An append does not continue the stored log (another writer, or a lost commit
        /// acknowledgement): the log must reload its tree before appending again.
        public static let logDiverged = Code(.logDiverged)
        /// A stored row cannot be read back (wrong hash length, gap in the indices, bad entry).
        public static let corruptRow = Code(.corruptRow)
        /// A request the repository cannot serve as asked.
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
