/// An error of the audit log: a bad request for a proof, or a log that fails verification.
public struct AuditError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case indexOutOfRange, invalidTreeSize, proofInvalid, treeHeadInvalid, entryMismatch
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A leaf index at or past the tree size.
        public static let indexOutOfRange = Code(.indexOutOfRange)
        /// A tree size larger than the log, or sizes in the wrong order.
        public static let invalidTreeSize = Code(.invalidTreeSize)
        /// An inclusion or consistency proof that does not verify.
        public static let proofInvalid = Code(.proofInvalid)
        /// A signed tree head whose signature or root does not verify.
        public static let treeHeadInvalid = Code(.treeHeadInvalid)
        /// A stored entry whose hash differs from the tree's leaf.
        public static let entryMismatch = Code(.entryMismatch)

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
