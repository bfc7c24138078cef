/// A position in a .proto file, zero-based like protoc's tokenizer; printed one-based.
public struct SourcePosition: Sendable, Hashable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One problem found in a .proto file, printed as protoc prints it:
/// `file.proto:LINE:COL: message`, or `file.proto: message` when protoc gives no position.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var position: SourcePosition?
    public var message: String

    public init(file: String, position: SourcePosition?, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    public var description: String {
        if let position {
            return "\(file):\(position.line + 1):\(position.column + 1): \(message)"
        }
        return "\(file): \(message)"
    }
}

/// The error a compilation ends with: every diagnostic of the failing stage, in order.
public struct CompileError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case usage, fileNotFound, invalidProto, invalidDescriptorSet, io, generationFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The command line is not one protoc accepts.
        public static let usage = Code(.usage)
        /// A code generator (`--swift_out`) refused the input or its options.
        public static let generationFailed = Code(.generationFailed)
        /// An input file is in no import path.
        public static let fileNotFound = Code(.fileNotFound)
        /// A .proto file (or one it imports) has errors: `diagnostics` lists them as protoc does.
        public static let invalidProto = Code(.invalidProto)
        /// A `--descriptor_set_in` file could not be decoded.
        public static let invalidDescriptorSet = Code(.invalidDescriptorSet)
        /// Reading or writing a file failed.
        public static let io = Code(.io)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var diagnostics: [Diagnostic]
    /// Lines protoc prints that are not tied to a .proto position (e.g. "x.proto: File not found.").
    public var message: String

    public init(code: Code, diagnostics: [Diagnostic] = [], message: String = "") {
        self.code = code
        self.diagnostics = diagnostics
        self.message = message
    }

    /// The text protoc would print on standard error, one line per problem.
    public var description: String {
        var lines = diagnostics.map(\.description)
        if !message.isEmpty { lines.append(message) }
        return lines.joined(separator: "\n")
    }
}
