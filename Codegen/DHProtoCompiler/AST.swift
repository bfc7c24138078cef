public import DHDescriptor

// The syntax tree of one .proto file. Each node keeps the positions protoc reports errors
// at (a declaration's name, number, type, ...). Map fields and groups already carry the
// nested types they imply, and proto3 `optional` fields their synthetic oneofs, as
// protoc's parser produces them.

/// The comments protoc attaches to a declaration (SourceCodeInfo's leading, trailing and
/// leading detached comments), without comment markers.
public struct Comments: Sendable, Hashable {
    public var leading: String?
    public var trailing: String?
    public var detached: [String] = []

    public init(leading: String? = nil, trailing: String? = nil, detached: [String] = []) {
        self.leading = leading
        self.trailing = trailing
        self.detached = detached
    }
}

/// Where a declaration is in its file: from its first token to the end of its last
/// (SourceCodeInfo's span), zero-based.
public struct SourceSpan: Sendable, Hashable {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }
}

/// An `option` statement or a `[name = value]` assignment, not yet interpreted.
public struct OptionNode: Sendable, Hashable {
    public struct NamePart: Sendable, Hashable {
        public var name: String
        /// `(name)`: an extension (custom option).
        public var isExtension: Bool
        public var position: SourcePosition
    }

    public enum Value: Sendable, Hashable {
        case identifier(String)
        case positiveInteger(UInt64)
        case negativeInteger(Int64)
        case double(Double)
        case string([UInt8])
        /// `{ ... }` in text format, as tokens.
        case aggregate([Token])
    }

    public var name: [NamePart]
    public var value: Value
    public var namePosition: SourcePosition
    public var valuePosition: SourcePosition

    /// The name as protoc prints it in messages: `a.(b.c).d`.
    public var displayName: String {
        name.map { $0.isExtension ? "(\($0.name))" : $0.name }.joined(separator: ".")
    }
}

public struct FieldNode: Sendable, Hashable {
    /// Name, number, label, scalar type, type name and extendee as written; default value
    /// and json_name when given. Options are interpreted by the linker.
    public var proto = FieldDescriptorProto()
    public var options: [OptionNode] = []
    public var position: SourcePosition
    public var namePosition: SourcePosition?
    public var numberPosition: SourcePosition?
    public var typePosition: SourcePosition?
    /// Only the first field of an `extend` block has one, as in protoc.
    public var extendeePosition: SourcePosition?
    public var defaultPosition: SourcePosition?
    public var jsonNamePosition: SourcePosition?
    public var isMap = false
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct RangeNode: Sendable, Hashable {
    public var start: Int32
    /// Exclusive for message ranges, inclusive for enum ranges (as in descriptor.proto).
    public var end: Int32
    public var position: SourcePosition
    public var options: [OptionNode] = []
}

public struct OneofNode: Sendable, Hashable {
    public var name: String
    public var options: [OptionNode] = []
    public var isSynthetic = false
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct MessageNode: Sendable, Hashable {
    public var name: String
    public var namePosition: SourcePosition?
    public var fields: [FieldNode] = []
    public var nestedTypes: [MessageNode] = []
    public var enums: [EnumNode] = []
    public var extensions: [FieldNode] = []
    public var extensionRanges: [RangeNode] = []
    public var reservedRanges: [RangeNode] = []
    public var reservedNames: [String] = []
    public var oneofs: [OneofNode] = []
    public var options: [OptionNode] = []
    public var isMapEntry = false
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct EnumValueNode: Sendable, Hashable {
    public var name: String
    public var number: Int32
    public var namePosition: SourcePosition?
    public var numberPosition: SourcePosition?
    public var options: [OptionNode] = []
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct EnumNode: Sendable, Hashable {
    public var name: String
    public var namePosition: SourcePosition?
    public var values: [EnumValueNode] = []
    public var reservedRanges: [RangeNode] = []
    public var reservedNames: [String] = []
    public var options: [OptionNode] = []
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct MethodNode: Sendable, Hashable {
    public var name: String
    public var namePosition: SourcePosition?
    public var inputType: String = ""
    public var inputPosition: SourcePosition?
    public var outputType: String = ""
    public var outputPosition: SourcePosition?
    public var clientStreaming = false
    public var serverStreaming = false
    public var options: [OptionNode] = []
    /// `{ ... }` after the signature gives the method (possibly empty) options, as in protoc.
    public var hasOptionsBlock = false
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct ServiceNode: Sendable, Hashable {
    public var name: String
    public var namePosition: SourcePosition?
    public var methods: [MethodNode] = []
    public var options: [OptionNode] = []
    public var comments = Comments()
    public var span: SourceSpan?
}

public struct ImportNode: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case normal, `public`, weak }
    public var path: String
    public var kind: Kind
    public var position: SourcePosition
}

public struct FileNode: Sendable, Hashable {
    public var name: String
    /// "proto2" or "proto3"; proto2 when the file has no syntax statement.
    public var syntax = "proto2"
    public var hasSyntaxStatement = false
    public var package: String?
    public var packagePosition: SourcePosition?
    public var imports: [ImportNode] = []
    public var messages: [MessageNode] = []
    public var enums: [EnumNode] = []
    public var services: [ServiceNode] = []
    public var extensions: [FieldNode] = []
    public var options: [OptionNode] = []
    /// From the first token to the end of the last (SourceCodeInfo's location of the file).
    public var span: SourceSpan?

    public init(name: String) { self.name = name }
}
