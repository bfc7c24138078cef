internal import DHWire

/// Builds a file's SourceCodeInfo (descriptor.proto's `source_code_info`) from its syntax
/// tree: a location for the file and for every declaration protoc documents — messages,
/// fields, extensions, oneofs, enums, enum values, services and methods — with protoc's
/// path, span and leading, trailing and detached comments, and the location of each
/// declaration's name.
///
/// protoc also records locations for the other parts of a declaration (number, type, label,
/// options, ...) and for syntax, package and import statements; those are not produced here.
public enum SourceInfo {
    /// The encoded SourceCodeInfo message of `file`.
    public static func encode(_ file: FileNode) -> [UInt8] {
        var writer = BinaryWriter(capacity: 256)
        if let span = file.span { location(&writer, path: [], span: span, comments: Comments()) }
        for (i, node) in file.messages.enumerated() { message(&writer, node, path: [4, Int32(i)]) }
        for (i, node) in file.enums.enumerated() { enumeration(&writer, node, path: [5, Int32(i)]) }
        for (i, service) in file.services.enumerated() {
            let path: [Int32] = [6, Int32(i)]
            declaration(&writer, path: path, span: service.span, comments: service.comments)
            name(&writer, path: path, service.name, at: service.namePosition)
            for (j, method) in service.methods.enumerated() {
                declaration(&writer, path: path + [2, Int32(j)], span: method.span, comments: method.comments)
                name(&writer, path: path + [2, Int32(j)], method.name, at: method.namePosition)
            }
        }
        for (i, node) in file.extensions.enumerated() {
            field(&writer, node, path: [7, Int32(i)])
        }
        return writer.bytes
    }

    private static func message(_ writer: inout BinaryWriter, _ node: MessageNode, path: [Int32]) {
        // protoc records no location for the entry type of a map field.
        guard !node.isMapEntry else { return }
        declaration(&writer, path: path, span: node.span, comments: node.comments)
        name(&writer, path: path, node.name, at: node.namePosition)
        for (i, node) in node.fields.enumerated() { field(&writer, node, path: path + [2, Int32(i)]) }
        for (i, nested) in node.nestedTypes.enumerated() { message(&writer, nested, path: path + [3, Int32(i)]) }
        for (i, nested) in node.enums.enumerated() { enumeration(&writer, nested, path: path + [4, Int32(i)]) }
        for (i, node) in node.extensions.enumerated() { field(&writer, node, path: path + [6, Int32(i)]) }
        for (i, oneof) in node.oneofs.enumerated() where !oneof.isSynthetic {
            declaration(&writer, path: path + [8, Int32(i)], span: oneof.span, comments: oneof.comments)
        }
    }

    private static func enumeration(_ writer: inout BinaryWriter, _ node: EnumNode, path: [Int32]) {
        declaration(&writer, path: path, span: node.span, comments: node.comments)
        name(&writer, path: path, node.name, at: node.namePosition)
        for (i, value) in node.values.enumerated() {
            declaration(&writer, path: path + [2, Int32(i)], span: value.span, comments: value.comments)
            name(&writer, path: path + [2, Int32(i)], value.name, at: value.namePosition)
        }
    }

    private static func field(_ writer: inout BinaryWriter, _ node: FieldNode, path: [Int32]) {
        declaration(&writer, path: path, span: node.span, comments: node.comments)
        // A group's field name is its type name lowercased: the same length as the token.
        name(&writer, path: path, node.proto.name ?? "", at: node.namePosition)
    }

    /// The location of a declaration's name (field 1 of every descriptor that has one): the
    /// identifier token, which has no comments.
    private static func name(_ writer: inout BinaryWriter, path: [Int32], _ name: String, at position: SourcePosition?)
    {
        guard let position, !name.isEmpty else { return }
        let end = SourcePosition(line: position.line, column: position.column + name.utf8.count)
        location(&writer, path: path + [1], span: SourceSpan(start: position, end: end), comments: Comments())
    }

    private static func declaration(_ writer: inout BinaryWriter, path: [Int32], span: SourceSpan?, comments: Comments)
    {
        guard let span else { return }
        location(&writer, path: path, span: span, comments: comments)
    }

    /// SourceCodeInfo.location (field 1): path = 1 and span = 2 (packed), leading = 3,
    /// trailing = 4, leading_detached = 6.
    private static func location(_ writer: inout BinaryWriter, path: [Int32], span: SourceSpan, comments: Comments) {
        var inner = BinaryWriter(capacity: 32)
        packed(&inner, 1, path)
        var numbers = [Int32(span.start.line), Int32(span.start.column)]
        if span.end.line != span.start.line { numbers.append(Int32(span.end.line)) }
        numbers.append(Int32(span.end.column))
        packed(&inner, 2, numbers)
        if let leading = comments.leading {
            inner.writeTag(3, .lengthDelimited)
            inner.writeString(leading)
        }
        if let trailing = comments.trailing {
            inner.writeTag(4, .lengthDelimited)
            inner.writeString(trailing)
        }
        for detached in comments.detached {
            inner.writeTag(6, .lengthDelimited)
            inner.writeString(detached)
        }
        writer.writeTag(1, .lengthDelimited)
        writer.writeLengthDelimited(inner.bytes)
    }

    private static func packed(_ writer: inout BinaryWriter, _ field: Int32, _ values: [Int32]) {
        var payload = BinaryWriter(capacity: values.count * 2)
        for value in values { payload.writeVarint(UInt64(bitPattern: Int64(value))) }
        writer.writeTag(field, .lengthDelimited)
        writer.writeLengthDelimited(payload.bytes)
    }
}
