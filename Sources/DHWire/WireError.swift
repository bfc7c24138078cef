/// An error met while decoding protobuf bytes or protobuf JSON. Decoding never traps on bad input.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case truncated, malformedVarint, invalidWireType, invalidFieldNumber
            case lengthPastEnd, invalidUTF8, groupsNotSupported, messageTooLarge
            case recursionTooDeep, unexpectedEndGroup
            case invalidJSON, unknownJSONField, invalidJSONValue
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input ended in the middle of a value.
        public static let truncated = Code(.truncated)
        /// A varint ran past ten bytes, or its tenth byte overflowed 64 bits.
        public static let malformedVarint = Code(.malformedVarint)
        /// A key named wire type 6 or 7, or a wire type the field cannot have.
        public static let invalidWireType = Code(.invalidWireType)
        /// A key named field number 0 or one above 2^29 - 1.
        public static let invalidFieldNumber = Code(.invalidFieldNumber)
        /// A length-delimited field claims more bytes than remain.
        public static let lengthPastEnd = Code(.lengthPastEnd)
        /// A `string` field holds bytes that are not UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A group (wire types 3 and 4), which proto3 does not have.
        public static let groupsNotSupported = Code(.groupsNotSupported)
        /// The message is larger than the configured limit.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// Messages are nested deeper than the configured limit.
        public static let recursionTooDeep = Code(.recursionTooDeep)
        /// An end-group key with no matching start.
        public static let unexpectedEndGroup = Code(.unexpectedEndGroup)
        /// JSON text that is not well-formed JSON (or not an object where a message belongs).
        public static let invalidJSON = Code(.invalidJSON)
        /// A JSON member that names no field, when unknown fields are not ignored.
        public static let unknownJSONField = Code(.unknownJSONField)
        /// A JSON value of the wrong kind or out of range for its field (a fractional
        /// integer, an unknown enum name, bad base64, …).
        public static let invalidJSONValue = Code(.invalidJSONValue)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// Where in the input (bytes, or UTF-8 of JSON text) the problem was found.
    public var offset: Int
    public var message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(code) at byte \(offset): \(message)" }
}
