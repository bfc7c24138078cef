import DHDescriptor
import DHWire

/// Parses the tokens of one .proto file into a `FileNode`, following protoc's grammar,
/// error messages and recovery (a failed statement is skipped and parsing goes on), so
/// every syntax error of a file is reported.
public struct Parser {
    public struct Configuration: Sendable {
        /// How deeply messages may nest before the parser gives up (protoc's linker already
        /// stops at 31 levels; this bounds the parser's recursion).
        public var maximumNestingDepth = 500
        public init() {}
    }

    private var tokens: [Token]
    private var index = 0
    private let fileName: String
    private let configuration: Configuration
    private var depth = 0
    private var syntax = "proto2"
    public private(set) var diagnostics: [Diagnostic] = []
    private var lexicalErrors: [Int: [Lexer.LexicalError]] = [:]
    /// protoc's upcoming_doc_comments_ and upcoming_detached_comments_.
    private var upcomingLeading: String?
    private var upcomingDetached: [String] = []

    /// Thrown inside the parser to abandon the statement being parsed (protoc's `DO`).
    private struct Abandon: Error {}

    public init(fileName: String, source: [UInt8], configuration: Configuration = Configuration()) {
        var lexer = Lexer(source)
        self.tokens = lexer.tokenize()
        self.fileName = fileName
        self.configuration = configuration
        for error in lexer.errors { lexicalErrors[error.tokenIndex, default: []].append(error) }
        reportLexicalErrors()
        upcomingLeading = tokens[0].commentsBefore.leading
        upcomingDetached = tokens[0].commentsBefore.detached
    }

    /// protoc's tokenizer reports an error when the parser reads the token it was in.
    private mutating func reportLexicalErrors() {
        guard !lexicalErrors.isEmpty, let errors = lexicalErrors.removeValue(forKey: index) else { return }
        for error in errors {
            diagnostics.append(Diagnostic(file: fileName, position: error.position, message: error.message))
        }
    }

    /// Parses a file; the result is meaningful only when `diagnostics` is empty.
    public static func parse(
        fileName: String, source: [UInt8], configuration: Configuration = Configuration()
    ) -> (FileNode, [Diagnostic]) {
        var parser = Parser(fileName: fileName, source: source, configuration: configuration)
        let file = parser.parseFile()
        return (file, parser.diagnostics)
    }

    // MARK: - Token helpers

    /// The token at `index`, lent rather than copied (a copy retains its text and comments).
    private var current: Token {
        _read { yield tokens[index] }
    }
    private var atEnd: Bool { current.kind == .end }

    private func lookingAt(_ text: String) -> Bool {
        current.kind != .end && current.kind != .string && current.text == text
    }

    private mutating func next() {
        if index < tokens.count - 1 {
            index += 1
            reportLexicalErrors()
        }
    }

    private mutating func error(_ message: String, at position: SourcePosition? = nil) {
        diagnostics.append(Diagnostic(file: fileName, position: position ?? current.position, message: message))
    }

    private mutating func tryConsume(_ text: String) -> Bool {
        if lookingAt(text) {
            next()
            return true
        }
        return false
    }

    private mutating func consume(_ text: String, _ message: String? = nil) throws(Abandon) {
        guard tryConsume(text) else {
            error(message ?? "Expected \"\(text)\".")
            throw Abandon()
        }
    }

    private mutating func consumeIdentifier(_ message: String) throws(Abandon) -> String {
        guard current.kind == .identifier else {
            error(message)
            throw Abandon()
        }
        let text = current.text
        next()
        return text
    }

    private mutating func consumeInteger(_ message: String) throws(Abandon) -> Int32 {
        Int32(truncatingIfNeeded: try consumeInteger64(max: UInt64(Int32.max), message))
    }

    private mutating func consumeInteger64(max: UInt64, _ message: String) throws(Abandon) -> UInt64 {
        guard current.kind == .integer else {
            error(message)
            throw Abandon()
        }
        var value: UInt64 = 0
        if let parsed = Literal.integer(current.text), parsed <= max {
            value = parsed
        } else {
            error("Integer out of range.")
        }
        next()
        return value
    }

    private mutating func consumeSignedInteger(_ message: String) throws(Abandon) -> Int32 {
        var maximum = UInt64(Int32.max)
        let negative = tryConsume("-")
        if negative { maximum += 1 }
        let value = try consumeInteger64(max: maximum, message)
        return negative ? Int32(truncatingIfNeeded: 0 &- Int64(value)) : Int32(truncatingIfNeeded: value)
    }

    private mutating func consumeNumber(_ message: String) throws(Abandon) -> Double {
        if current.kind == .float {
            let value = Literal.float(current.text)
            next()
            return value
        }
        if current.kind == .integer {
            var value: UInt64 = 0
            if let parsed = Literal.integer(current.text) { value = parsed } else { error("Integer out of range.") }
            next()
            return Double(value)
        }
        if lookingAt("inf") {
            next()
            return .infinity
        }
        if lookingAt("nan") {
            next()
            return .nan
        }
        error(message)
        throw Abandon()
    }

    private mutating func consumeString(_ message: String) throws(Abandon) -> [UInt8] {
        guard current.kind == .string else {
            error(message)
            throw Abandon()
        }
        var bytes: [UInt8] = []
        while current.kind == .string {
            bytes += Literal.unescape(current.text)
            next()
        }
        return bytes
    }

    /// protoc's TryConsumeEndOfDeclaration without a location: ";", "{" or "}" that ends a
    /// declaration; the comments after it become the next declaration's.
    private mutating func tryEnd(_ text: String) -> Bool {
        guard lookingAt(text) else { return false }
        next()
        let trivia = current.commentsBefore
        upcomingLeading = trivia.leading
        if text == "}" {
            upcomingDetached = trivia.detached
        } else {
            upcomingDetached += trivia.detached
        }
        return true
    }

    /// protoc's ConsumeEndOfDeclaration with a location: returns the declaration's comments.
    @discardableResult
    private mutating func end(_ text: String) throws(Abandon) -> Comments {
        guard lookingAt(text) else {
            error("Expected \"\(text)\".")
            throw Abandon()
        }
        next()
        let trivia = current.commentsBefore
        let leading = upcomingLeading
        upcomingLeading = trivia.leading
        let detached = upcomingDetached
        upcomingDetached = trivia.detached
        return Comments(
            leading: leading?.isEmpty == true ? nil : leading,
            trailing: trivia.trailingOfPrevious?.isEmpty == true ? nil : trivia.trailingOfPrevious,
            detached: detached)
    }

    /// A span from `start` to the end of the last token consumed.
    private func span(from start: SourcePosition) -> SourceSpan {
        SourceSpan(start: start, end: index > 0 ? tokens[index - 1].endPosition : start)
    }

    private mutating func skipStatement() {
        while !atEnd {
            if current.kind == .symbol {
                if tryEnd(";") { return }
                if tryConsume("{") {
                    skipRestOfBlock()
                    return
                }
                if lookingAt("}") { return }
            }
            next()
        }
    }

    /// protoc 3.21's SkipRestOfBlock, which is recursive: once a nested block is closed, the
    /// enclosing level also skips the token after it.
    private mutating func skipRestOfBlock() {
        var depth = 1
        while !atEnd {
            if current.kind == .symbol {
                if tryEnd("}") {
                    depth -= 1
                    if depth == 0 { return }
                    next()
                    continue
                }
                if tryConsume("{") {
                    depth += 1
                    continue
                }
            }
            next()
        }
    }

    // MARK: - File

    public mutating func parseFile() -> FileNode {
        var file = FileNode(name: fileName)
        if lookingAt("syntax") {
            do {
                try consume("syntax", "File must begin with a syntax statement, e.g. 'syntax = \"proto2\";'.")
                try consume("=")
                let syntaxToken = current
                let name = String(decoding: try consumeString("Expected syntax identifier."), as: UTF8.self)
                try end(";")
                if name != "proto2" && name != "proto3" {
                    error(
                        "Unrecognized syntax identifier \"\(name)\".  This parser only recognizes \"proto2\" and \"proto3\".",
                        at: syntaxToken.position)
                    return file
                }
                syntax = name
                file.syntax = name
                file.hasSyntaxStatement = true
            } catch {
                return file
            }
        }
        while !atEnd {
            do {
                try parseTopLevelStatement(&file)
            } catch {
                skipStatement()
                if lookingAt("}") {
                    self.error("Unmatched \"}\".")
                    next()
                }
            }
        }
        file.span = span(from: tokens[0].position)
        return file
    }

    private mutating func parseTopLevelStatement(_ file: inout FileNode) throws(Abandon) {
        if tryEnd(";") { return }
        if lookingAt("message") {
            file.messages.append(try parseMessage())
        } else if lookingAt("enum") {
            file.enums.append(try parseEnum())
        } else if lookingAt("service") {
            file.services.append(try parseService())
        } else if lookingAt("extend") {
            try parseExtend(into: &file.extensions, messages: &file.messages)
        } else if lookingAt("import") {
            let position = current.position
            try consume("import")
            var kind = ImportNode.Kind.normal
            if tryConsume("public") {
                kind = .public
            } else if tryConsume("weak") {
                kind = .weak
            }
            let path = String(decoding: try consumeString("Expected a string naming the file to import."), as: UTF8.self)
            file.imports.append(ImportNode(path: path, kind: kind, position: position))
            try end(";")
        } else if lookingAt("package") {
            if file.package != nil {
                error("Multiple package definitions.")
                file.package = nil
            }
            file.packagePosition = current.position
            try consume("package")
            var package = ""
            while true {
                package += try consumeIdentifier("Expected identifier.")
                file.package = package
                if !tryConsume(".") { break }
                package += "."
            }
            try end(";")
        } else if lookingAt("option") {
            file.options.append(try parseOption(statement: true))
        } else {
            error("Expected top-level statement (e.g. \"message\").")
            throw Abandon()
        }
    }

    // MARK: - Messages

    private mutating func parseMessage() throws(Abandon) -> MessageNode {
        let start = current.position
        try consume("message")
        let position = current.position
        var message = MessageNode(name: try consumeIdentifier("Expected message name."), namePosition: position)
        try parseMessageBlock(&message)
        message.span = span(from: start)
        if syntax == "proto3" { Self.addSyntheticOneofs(&message) }
        return message
    }

    static func addSyntheticOneofs(_ message: inout MessageNode) {
        var names = Set(message.fields.compactMap(\.proto.name))
        names.formUnion(message.oneofs.map(\.name))
        for index in message.fields.indices where message.fields[index].proto.proto3Optional == true {
            var name = message.fields[index].proto.name ?? ""
            if !name.hasPrefix("_") { name = "_" + name }
            while names.contains(name) { name = "X" + name }
            names.insert(name)
            message.fields[index].proto.oneofIndex = Int32(message.oneofs.count)
            message.oneofs.append(OneofNode(name: name, isSynthetic: true))
        }
    }

    private mutating func parseMessageBlock(_ message: inout MessageNode) throws(Abandon) {
        depth += 1
        defer { depth -= 1 }
        if depth > configuration.maximumNestingDepth {
            error("Messages are nested too deeply.")
            throw Abandon()
        }
        message.comments = try end("{")
        while !tryEnd("}") {
            if atEnd {
                error("Reached end of input in message definition (missing '}').")
                throw Abandon()
            }
            do {
                try parseMessageStatement(&message)
            } catch {
                skipStatement()
            }
        }
        // `max` means 2^29 - 1, or 2^31 - 1 for a MessageSet (ranges are stored end-exclusive).
        let isMessageSet = message.options.contains {
            $0.name.count == 1 && !$0.name[0].isExtension && $0.name[0].name == "message_set_wire_format"
                && $0.value == .identifier("true")
        }
        let maximumEnd = isMessageSet ? Int32.max : FieldNumber.maximum + 1
        for i in message.extensionRanges.indices where message.extensionRanges[i].end == Self.maxSentinel {
            message.extensionRanges[i].end = maximumEnd
        }
        for i in message.reservedRanges.indices where message.reservedRanges[i].end == Self.maxSentinel {
            message.reservedRanges[i].end = maximumEnd
        }
    }

    /// Marks a range ending in `max` until the message's options are known.
    static let maxSentinel = Int32.min

    private mutating func parseMessageStatement(_ message: inout MessageNode) throws(Abandon) {
        if tryEnd(";") { return }
        if lookingAt("message") {
            message.nestedTypes.append(try parseMessage())
        } else if lookingAt("enum") {
            message.enums.append(try parseEnum())
        } else if lookingAt("extensions") {
            try parseExtensions(&message)
        } else if lookingAt("reserved") {
            try consume("reserved")
            if current.kind == .string {
                repeat {
                    message.reservedNames.append(String(decoding: try consumeString("Expected field name."), as: UTF8.self))
                } while tryConsume(",")
            } else {
                var first = true
                repeat {
                    let position = current.position
                    let start = try consumeInteger(
                        first ? "Expected field name or number range." : "Expected field number range.")
                    var end = start
                    if tryConsume("to") {
                        end = tryConsume("max") ? Self.maxSentinel : try consumeInteger("Expected integer.")
                    }
                    message.reservedRanges.append(
                        RangeNode(start: start, end: end == Self.maxSentinel ? end : end &+ 1, position: position))
                    first = false
                } while tryConsume(",")
            }
            try end(";")
        } else if lookingAt("extend") {
            try parseExtend(into: &message.extensions, messages: &message.nestedTypes)
        } else if lookingAt("option") {
            message.options.append(try parseOption(statement: true))
        } else if lookingAt("oneof") {
            try parseOneof(&message)
        } else {
            var field = FieldNode(position: current.position)
            defer { message.fields.append(field) }
            try parseLabel(&field)
            try parseFieldNoLabel(&field, nested: &message.nestedTypes)
        }
    }

    private mutating func parseLabel(_ field: inout FieldNode) throws(Abandon) {
        if tryConsume("optional") {
            field.proto.label = .optional
            if syntax == "proto3" { field.proto.proto3Optional = true }
        } else if tryConsume("repeated") {
            field.proto.label = .repeated
        } else if tryConsume("required") {
            field.proto.label = .required
        }
    }

    private mutating func parseExtensions(_ message: inout MessageNode) throws(Abandon) {
        try consume("extensions")
        let first = message.extensionRanges.count
        repeat {
            let position = current.position
            let start = try consumeInteger("Expected field number range.")
            var end = start
            if tryConsume("to") {
                end = tryConsume("max") ? Self.maxSentinel : try consumeInteger("Expected integer.")
            }
            message.extensionRanges.append(
                RangeNode(start: start, end: end == Self.maxSentinel ? end : end &+ 1, position: position))
        } while tryConsume(",")
        if lookingAt("[") {
            try consume("[")
            var options: [OptionNode] = []
            repeat {
                options.append(try parseOption(statement: false))
            } while tryConsume(",")
            try consume("]")
            for index in first..<message.extensionRanges.count { message.extensionRanges[index].options = options }
        }
        try end(";")
    }

    private mutating func parseOneof(_ message: inout MessageNode) throws(Abandon) {
        let start = current.position
        try consume("oneof")
        let oneofIndex = Int32(message.oneofs.count)
        var oneof = OneofNode(name: try consumeIdentifier("Expected oneof name."))
        oneof.comments = try end("{")
        repeat {
            if atEnd {
                message.oneofs.append(oneof)
                error("Reached end of input in oneof definition (missing '}').")
                throw Abandon()
            }
            if lookingAt("option") {
                do {
                    oneof.options.append(try parseOption(statement: true))
                } catch {
                    message.oneofs.append(oneof)
                    throw error
                }
                continue
            }
            if lookingAt("required") || lookingAt("optional") || lookingAt("repeated") {
                error("Fields in oneofs must not have labels (required / optional / repeated).")
                next()
            }
            var field = FieldNode(position: current.position)
            field.proto.label = .optional
            field.proto.oneofIndex = oneofIndex
            do {
                try parseFieldNoLabel(&field, nested: &message.nestedTypes)
            } catch {
                skipStatement()
            }
            message.fields.append(field)
        } while !tryEnd("}")
        oneof.span = span(from: start)
        message.oneofs.append(oneof)
    }

    private mutating func parseExtend(into extensions: inout [FieldNode], messages: inout [MessageNode]) throws(Abandon) {
        try consume("extend")
        let extendeePosition = current.position
        let extendee = try parseUserDefinedType()
        try end("{")
        var isFirst = true
        repeat {
            if atEnd {
                error("Reached end of input in extend definition (missing '}').")
                throw Abandon()
            }
            var field = FieldNode(position: current.position)
            field.proto.extendee = extendee
            if isFirst {
                field.extendeePosition = extendeePosition
                isFirst = false
            }
            do {
                try parseLabel(&field)
                try parseFieldNoLabel(&field, nested: &messages)
            } catch {
                skipStatement()
            }
            extensions.append(field)
        } while !tryEnd("}")
    }

    private static let scalarTypes: [String: FieldDescriptorProto.FieldType] = [
        "double": .double, "float": .float, "int64": .int64, "uint64": .uint64, "int32": .int32,
        "fixed64": .fixed64, "fixed32": .fixed32, "bool": .bool, "string": .string, "group": .group,
        "bytes": .bytes, "uint32": .uint32, "sfixed32": .sfixed32, "sfixed64": .sfixed64,
        "sint32": .sint32, "sint64": .sint64,
    ]

    /// A type: a scalar keyword (type set) or a possibly dotted name (type name set).
    private mutating func parseType() throws(Abandon) -> (FieldDescriptorProto.FieldType?, String?) {
        if current.kind == .identifier, let type = Self.scalarTypes[current.text] {
            next()
            return (type, nil)
        }
        return (nil, try parseUserDefinedType())
    }

    private mutating func parseUserDefinedType() throws(Abandon) -> String {
        if current.kind == .identifier, Self.scalarTypes[current.text] != nil {
            error("Expected message type.")
            let text = current.text
            next()
            return text
        }
        var name = ""
        if tryConsume(".") { name = "." }
        name += try consumeIdentifier("Expected type name.")
        while tryConsume(".") {
            name += "." + (try consumeIdentifier("Expected identifier."))
        }
        return name
    }

    private mutating func parseFieldNoLabel(_ field: inout FieldNode, nested: inout [MessageNode]) throws(Abandon) {
        field.typePosition = current.position
        var mapKey: (FieldDescriptorProto.FieldType?, String?) = (nil, nil)
        var mapValue: (FieldDescriptorProto.FieldType?, String?) = (nil, nil)
        var typeParsed = false
        if tryConsume("map") {
            if lookingAt("<") {
                field.isMap = true
            } else {
                typeParsed = true
                field.proto.typeName = "map"
            }
        }
        if field.isMap {
            if field.proto.oneofIndex != nil {
                error("Map fields are not allowed in oneofs.")
                throw Abandon()
            }
            if field.proto.label != nil {
                error("Field labels (required/optional/repeated) are not allowed on map fields.")
                throw Abandon()
            }
            if field.proto.extendee != nil {
                error("Map fields are not allowed to be extensions.")
                throw Abandon()
            }
            field.proto.label = .repeated
            try consume("<")
            mapKey = try parseType()
            try consume(",")
            mapValue = try parseType()
            try consume(">")
        } else {
            if field.proto.label == nil && syntax == "proto3" { field.proto.label = .optional }
            if field.proto.label == nil {
                error("Expected \"required\", \"optional\", or \"repeated\".")
                field.proto.label = .optional
            }
            if !typeParsed {
                let (type, name) = try parseType()
                field.proto.type = type
                field.proto.typeName = name
            }
        }
        let nameToken = current
        field.namePosition = current.position
        field.proto.name = try consumeIdentifier("Expected field name.")
        try consume("=", "Missing field number.")
        field.numberPosition = current.position
        field.proto.number = try consumeInteger("Expected field number.")
        try parseFieldOptions(&field)

        if field.proto.type == .group {
            let groupName = field.proto.name ?? ""
            var group = MessageNode(name: groupName, namePosition: nameToken.position)
            if let first = groupName.utf8.first, !(first >= 0x41 && first <= 0x5A) {
                error("Group names must start with a capital letter.", at: nameToken.position)
            }
            field.proto.name = groupName.lowercased()
            field.proto.typeName = groupName
            guard lookingAt("{") else {
                error("Missing group body.")
                throw Abandon()
            }
            try parseMessageBlock(&group)
            group.span = span(from: field.position)
            nested.append(group)
        } else {
            field.comments = try end(";")
        }
        field.span = span(from: field.position)

        if field.isMap {
            let entryName = Self.mapEntryName(field.proto.name ?? "")
            field.proto.typeName = entryName
            var entry = MessageNode(name: entryName, namePosition: nil)
            entry.isMapEntry = true
            var key = FieldNode(position: field.position)
            key.proto.name = "key"
            key.proto.label = .optional
            key.proto.number = 1
            key.proto.type = mapKey.0
            key.proto.typeName = mapKey.1
            var value = FieldNode(position: field.position)
            value.proto.name = "value"
            value.proto.label = .optional
            value.proto.number = 2
            value.proto.type = mapValue.0
            value.proto.typeName = mapValue.1
            entry.fields = [key, value]
            nested.append(entry)
        }
    }

    static func mapEntryName(_ fieldName: String) -> String {
        var result = ""
        var capitalizeNext = true
        for c in fieldName {
            if c == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += c.isASCII ? c.uppercased() : String(c)
                capitalizeNext = false
            } else {
                result.append(c)
            }
        }
        return result + "Entry"
    }

    private mutating func parseFieldOptions(_ field: inout FieldNode) throws(Abandon) {
        guard lookingAt("[") else { return }
        try consume("[")
        repeat {
            if lookingAt("default") {
                try parseDefault(&field)
            } else if lookingAt("json_name") {
                if field.proto.jsonName != nil {
                    error("Already set option \"json_name\".")
                    field.proto.jsonName = nil
                }
                field.jsonNamePosition = current.position
                try consume("json_name")
                try consume("=")
                field.proto.jsonName = String(decoding: try consumeString("Expected string for JSON name."), as: UTF8.self)
            } else {
                field.options.append(try parseOption(statement: false))
            }
        } while tryConsume(",")
        try consume("]")
    }

    private mutating func parseDefault(_ field: inout FieldNode) throws(Abandon) {
        if field.proto.defaultValue != nil {
            error("Already set option \"default\".")
            field.proto.defaultValue = nil
        }
        try consume("default")
        try consume("=")
        field.defaultPosition = current.position
        guard let type = field.proto.type else {
            field.proto.defaultValue = current.text
            next()
            return
        }
        var text = ""
        switch type {
        case .int32, .int64, .sint32, .sint64, .sfixed32, .sfixed64:
            var maximum = UInt64(Int64.max)
            if type == .int32 || type == .sint32 || type == .sfixed32 { maximum = UInt64(Int32.max) }
            if tryConsume("-") {
                text = "-"
                maximum += 1
            }
            text += String(try consumeInteger64(max: maximum, "Expected integer for field default value."))
        case .uint32, .uint64, .fixed32, .fixed64:
            var maximum = UInt64.max
            if type == .uint32 || type == .fixed32 { maximum = UInt64(UInt32.max) }
            if tryConsume("-") { error("Unsigned field can't have negative default value.") }
            text = String(try consumeInteger64(max: maximum, "Expected integer for field default value."))
        case .float, .double:
            if tryConsume("-") { text = "-" }
            text += NumberFormat.simpleDtoa(try consumeNumber("Expected number."))
        case .bool:
            if tryConsume("true") {
                text = "true"
            } else if tryConsume("false") {
                text = "false"
            } else {
                error("Expected \"true\" or \"false\".")
                throw Abandon()
            }
        case .string:
            text = String(decoding: try consumeString("Expected string for field default value."), as: UTF8.self)
        case .bytes:
            text = Literal.cEscape(try consumeString("Expected string."))
        default:
            error("Messages can't have default values.")
            throw Abandon()
        }
        field.proto.defaultValue = text
    }

    // MARK: - Options

    private mutating func parseOption(statement: Bool) throws(Abandon) -> OptionNode {
        if statement { try consume("option") }
        let namePosition = current.position
        var parts: [OptionNode.NamePart] = []
        repeat {
            let position = current.position
            if tryConsume("(") {
                var name = ""
                if current.kind == .identifier { name = try consumeIdentifier("Expected identifier.") }
                while lookingAt(".") {
                    try consume(".")
                    name += "." + (try consumeIdentifier("Expected identifier."))
                }
                try consume(")")
                parts.append(OptionNode.NamePart(name: name, isExtension: true, position: position))
            } else {
                let name = try consumeIdentifier("Expected identifier.")
                parts.append(OptionNode.NamePart(name: name, isExtension: false, position: position))
            }
        } while tryConsume(".")
        try consume("=")
        let valuePosition = current.position
        let negative = tryConsume("-")
        let value: OptionNode.Value
        switch current.kind {
        case .end:
            error("Unexpected end of stream while parsing option value.")
            throw Abandon()
        case .identifier:
            if negative {
                error("Invalid '-' symbol before identifier.")
                throw Abandon()
            } else {
                value = .identifier(try consumeIdentifier("Expected identifier."))
            }
        case .integer:
            let maximum = negative ? UInt64(Int64.max) + 1 : UInt64.max
            let magnitude = try consumeInteger64(max: maximum, "Expected integer.")
            value = negative ? .negativeInteger(Int64(truncatingIfNeeded: 0 &- magnitude)) : .positiveInteger(magnitude)
        case .float:
            let number = try consumeNumber("Expected number.")
            value = .double(negative ? -number : number)
        case .string:
            if negative {
                error("Invalid '-' symbol before string.")
                throw Abandon()
            }
            value = .string(try consumeString("Expected string."))
        case .symbol:
            guard lookingAt("{") else {
                error("Expected option value.")
                throw Abandon()
            }
            value = .aggregate(try parseUninterpretedBlock())
        }
        if statement { try end(";") }
        return OptionNode(name: parts, value: value, namePosition: namePosition, valuePosition: valuePosition)
    }

    private mutating func parseUninterpretedBlock() throws(Abandon) -> [Token] {
        try consume("{")
        var depth = 1
        var collected: [Token] = []
        while true {
            if atEnd {
                error("Unexpected end of stream while parsing aggregate value.")
                throw Abandon()
            }
            if lookingAt("{") { depth += 1 }
            if lookingAt("}") {
                depth -= 1
                if depth == 0 {
                    next()
                    return collected
                }
            }
            collected.append(current)
            next()
        }
    }

    // MARK: - Enums

    private mutating func parseEnum() throws(Abandon) -> EnumNode {
        let start = current.position
        try consume("enum")
        let position = current.position
        var node = EnumNode(name: try consumeIdentifier("Expected enum name."), namePosition: position)
        node.comments = try end("{")
        while !tryEnd("}") {
            if atEnd {
                error("Reached end of input in enum definition (missing '}').")
                throw Abandon()
            }
            do {
                try parseEnumStatement(&node)
            } catch {
                skipStatement()
            }
        }
        node.span = span(from: start)
        try validateEnum(node)
        return node
    }

    private mutating func parseEnumStatement(_ node: inout EnumNode) throws(Abandon) {
        if tryEnd(";") { return }
        if lookingAt("option") {
            node.options.append(try parseOption(statement: true))
        } else if lookingAt("reserved") {
            try consume("reserved")
            if current.kind == .string {
                repeat {
                    node.reservedNames.append(String(decoding: try consumeString("Expected enum value."), as: UTF8.self))
                } while tryConsume(",")
            } else {
                var first = true
                repeat {
                    let position = current.position
                    let start = try consumeSignedInteger(
                        first ? "Expected enum value or number range." : "Expected enum number range.")
                    var end = start
                    if tryConsume("to") {
                        end = tryConsume("max") ? Int32.max : try consumeSignedInteger("Expected integer.")
                    }
                    node.reservedRanges.append(RangeNode(start: start, end: end, position: position))
                    first = false
                } while tryConsume(",")
            }
            try end(";")
        } else {
            let namePosition = current.position
            var value = EnumValueNode(name: "", number: 0, namePosition: namePosition)
            defer { node.values.append(value) }
            value.name = try consumeIdentifier("Expected enum constant name.")
            try consume("=", "Missing numeric value for enum constant.")
            value.numberPosition = current.position
            value.number = try consumeSignedInteger("Expected integer.")
            if lookingAt("[") {
                try consume("[")
                repeat {
                    value.options.append(try parseOption(statement: false))
                } while tryConsume(",")
                try consume("]")
            }
            value.comments = try end(";")
            value.span = span(from: namePosition)
        }
    }

    private mutating func validateEnum(_ node: EnumNode) throws(Abandon) {
        var hasAllowAlias = false
        var allowAlias = false
        for option in node.options where option.name.count == 1 {
            if !option.name[0].isExtension && option.name[0].name == "allow_alias" {
                hasAllowAlias = true
                if option.value == .identifier("true") { allowAlias = true }
                break
            }
        }
        if hasAllowAlias && !allowAlias {
            error(
                "\"\(node.name)\" declares 'option allow_alias = false;' which has no effect. Please remove the declaration."
            )
            throw Abandon()
        }
        var used = Set<Int32>()
        var duplicates = false
        for value in node.values where !used.insert(value.number).inserted {
            duplicates = true
            break
        }
        if allowAlias && !duplicates {
            error(
                "\"\(node.name)\" declares support for enum aliases but no enum values share field numbers. Please remove the unnecessary 'option allow_alias = true;' declaration."
            )
            throw Abandon()
        }
    }

    // MARK: - Services

    private mutating func parseService() throws(Abandon) -> ServiceNode {
        let start = current.position
        try consume("service")
        let position = current.position
        var service = ServiceNode(name: try consumeIdentifier("Expected service name."), namePosition: position)
        service.comments = try end("{")
        while !tryEnd("}") {
            if atEnd {
                error("Reached end of input in service definition (missing '}').")
                throw Abandon()
            }
            do {
                if tryEnd(";") { continue }
                if lookingAt("option") {
                    service.options.append(try parseOption(statement: true))
                } else {
                    var method = MethodNode(name: "")
                    defer { service.methods.append(method) }
                    try parseMethod(&method)
                }
            } catch {
                skipStatement()
            }
        }
        service.span = span(from: start)
        return service
    }

    private mutating func parseMethod(_ method: inout MethodNode) throws(Abandon) {
        let start = current.position
        defer { method.span = span(from: start) }
        try consume("rpc")
        method.namePosition = current.position
        method.name = try consumeIdentifier("Expected method name.")
        try consume("(")
        if lookingAt("stream") {
            method.clientStreaming = true
            try consume("stream")
        }
        method.inputPosition = current.position
        method.inputType = try parseUserDefinedType()
        try consume(")")
        try consume("returns")
        try consume("(")
        if lookingAt("stream") {
            method.serverStreaming = true
            try consume("stream")
        }
        method.outputPosition = current.position
        method.outputType = try parseUserDefinedType()
        try consume(")")
        if lookingAt("{") {
            method.comments = try end("{")
            method.hasOptionsBlock = true
            while !tryEnd("}") {
                if atEnd {
                    error("Reached end of input in method options (missing '}').")
                    throw Abandon()
                }
                if tryEnd(";") { continue }
                do {
                    method.options.append(try parseOption(statement: true))
                } catch {
                    skipStatement()
                }
            }
        } else {
            method.comments = try end(";")
        }
    }
}

/// protoc's number formatting for default values (SimpleDtoa / SimpleFtoa).
public enum NumberFormat {
    public static func simpleDtoa(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let short = format(value, precision: 15)
        if let parsed = Double(short), parsed == value { return short }
        return format(value, precision: 17)
    }

    public static func simpleFtoa(_ value: Float) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let short = format(Double(value), precision: 6)
        if let parsed = Float(short), parsed == value { return short }
        return format(Double(value), precision: 9)
    }

    /// `printf("%.*g", precision, value)`.
    static func format(_ value: Double, precision: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([precision, value]) { arguments in
            vsnprintf(&buffer, buffer.count, "%.*g", arguments)
        }
        return String(decoding: buffer[0..<Int(max(0, min(Int32(buffer.count - 1), count)))].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
