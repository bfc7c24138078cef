import DHDescriptor
import DHWire

/// Parses an aggregate option value (`{ a: 1 b { c: "x" } }`, protobuf text format) against
/// a message type and encodes it as protoc does: fields in field-number order, repeated
/// scalars packed where the field is packed, unset proto3 defaults left out.
struct TextFormatParser {
    struct Failure: Error { var message: String }

    private let tokens: [Token]
    private var index = 0
    private var linker: Linker
    /// Bounds nesting of message values.
    static let maximumDepth = 100

    /// Files the value's names resolved to.
    var usedFiles: Set<String> { linker.usedFiles }

    init(tokens: [Token], linker: Linker) {
        self.tokens = tokens
        self.linker = linker
    }

    private var current: Token? { index < tokens.count ? tokens[index] : nil }
    private func looking(_ text: String) -> Bool {
        guard let current, current.kind != .string else { return false }
        return current.text == text
    }
    private mutating func tryConsume(_ text: String) -> Bool {
        if looking(text) {
            index += 1
            return true
        }
        return false
    }
    private var currentText: String { current?.text ?? "" }

    private mutating func consume(_ text: String) throws(Failure) {
        guard tryConsume(text) else { throw Failure(message: "Expected \"\(text)\", found \"\(currentText)\".") }
    }

    private struct Value {
        var wireType: WireType
        var payload: [UInt8]
    }

    /// Parses fields until `terminator` (or the end) and returns the encoded message.
    mutating func parseMessage(_ message: MessageInfo, depth: Int, terminator: String?) throws(Failure) -> [UInt8] {
        guard depth < Self.maximumDepth else { throw Failure(message: "Message is too deep") }
        var values: [Int32: (FieldInfo, [Value])] = [:]
        while true {
            if let terminator {
                // As protoc: either closing delimiter ends the message, then the right one is required.
                if looking(">") || looking("}") {
                    try consume(terminator)
                    break
                }
            } else if current == nil {
                break
            }
            if message.fullName == "google.protobuf.Any", let (url, payload) = try parseExpandedAny(depth: depth) {
                guard let typeURL = message.fields.first(where: { $0.number == 1 }),
                    let value = message.fields.first(where: { $0.number == 2 })
                else { throw Failure(message: "google.protobuf.Any has no type_url and value fields.") }
                values[1] = (typeURL, [Value(wireType: .lengthDelimited, payload: Array(url.utf8))])
                values[2] = (value, [Value(wireType: .lengthDelimited, payload: payload)])
                if !tryConsume(";") { _ = tryConsume(",") }
                continue
            }
            let field = try parseFieldName(message)
            if field.type == .message || field.type == .group {
                _ = tryConsume(":")
            } else {
                guard tryConsume(":") else { throw Failure(message: "Expected \":\", found \"\(currentText)\".") }
            }
            var parsed: [Value] = []
            if field.label == .repeated, tryConsume("[") {
                if !tryConsume("]") {
                    repeat {
                        parsed.append(try parseValue(field, depth: depth))
                    } while tryConsume(",")
                    try consume("]")
                }
            } else {
                parsed.append(try parseValue(field, depth: depth))
            }
            if field.label != .repeated, values[field.number] != nil {
                throw Failure(message: "Non-repeated field \"\(field.name)\" is specified multiple times.")
            }
            values[field.number, default: (field, [])].1 += parsed
            if !tryConsume(";") { _ = tryConsume(",") }
        }
        var writer = BinaryWriter()
        for number in values.keys.sorted() {
            let (field, list) = values[number]!
            if field.isPacked {
                guard !list.isEmpty else { continue }
                writer.writeTag(number, .lengthDelimited)
                writer.writeLengthDelimited(list.flatMap(\.payload))
                continue
            }
            for value in list {
                if !field.hasPresence && field.label != .repeated && Self.isDefault(value) { continue }
                if message.messageSetWireFormat, field.extendee != nil, value.wireType == .lengthDelimited {
                    // MessageSet item: group 1 { type_id (2): number, message (3): bytes }.
                    writer.writeTag(1, .startGroup)
                    writer.writeTag(2, .varint)
                    writer.writeVarint(UInt64(number))
                    writer.writeTag(3, .lengthDelimited)
                    writer.writeLengthDelimited(value.payload)
                    writer.writeTag(1, .endGroup)
                    continue
                }
                if value.wireType == .startGroup {
                    writer.writeTag(number, .startGroup)
                    writer.append(contentsOf: value.payload)
                    writer.writeTag(number, .endGroup)
                } else {
                    writer.writeTag(number, value.wireType)
                    if value.wireType == .lengthDelimited {
                        writer.writeLengthDelimited(value.payload)
                    } else {
                        writer.append(contentsOf: value.payload)
                    }
                }
            }
        }
        return writer.bytes
    }

    private static func isDefault(_ value: Value) -> Bool {
        switch value.wireType {
        case .lengthDelimited: return value.payload.isEmpty
        case .startGroup: return false
        default: return value.payload.allSatisfy { $0 == 0 }
        }
    }

    private mutating func consumeIdentifier() throws(Failure) -> String {
        guard let token = current, token.kind == .identifier else {
            throw Failure(message: "Expected identifier, got: \(currentText)")
        }
        index += 1
        return token.text
    }

    /// `[type.googleapis.com/pkg.Type] { ... }` inside a google.protobuf.Any: the type URL and
    /// the encoded message; nil (nothing consumed) when the field does not start with "[".
    private mutating func parseExpandedAny(depth: Int) throws(Failure) -> (String, [UInt8])? {
        guard tryConsume("[") else { return nil }
        var prefix = try consumeIdentifier()
        while tryConsume(".") { prefix += "." + (try consumeIdentifier()) }
        try consume("/")
        prefix += "/"
        var typeName = try consumeIdentifier()
        while tryConsume(".") { typeName += "." + (try consumeIdentifier()) }
        try consume("]")
        let url = prefix + typeName
        _ = tryConsume(":")
        guard prefix == "type.googleapis.com/" || prefix == "type.googleprod.com/",
            let symbol = linker.findSymbol(typeName), symbol.kind == .message,
            let type = linker.pool.messages[typeName]
        else {
            throw Failure(message: "Could not find type \"\(url)\" stored in google.protobuf.Any.")
        }
        let terminator: String
        if tryConsume("{") {
            terminator = "}"
        } else if tryConsume("<") {
            terminator = ">"
        } else {
            throw Failure(message: "Expected \"{\", found \"\(currentText)\".")
        }
        return (url, try parseMessage(type, depth: depth + 1, terminator: terminator))
    }

    private mutating func parseFieldName(_ message: MessageInfo) throws(Failure) -> FieldInfo {
        if tryConsume("[") {
            var name = ""
            repeat {
                guard let token = current, token.kind == .identifier else {
                    throw Failure(message: "Expected identifier, got: \(currentText)")
                }
                name += (name.isEmpty ? "" : ".") + token.text
                index += 1
            } while tryConsume(".")
            try consume("]")
            if let (resolved, symbol) = linker.lookup(name, relativeTo: message.fullName), symbol.kind == .field,
                let ext = linker.pool.extensions[resolved], ext.extendee == message.fullName
            {
                return ext
            }
            throw Failure(message: "Extension \"\(name)\" is not defined or is not an extension of \"\(message.fullName)\".")
        }
        guard let token = current, token.kind == .identifier else {
            throw Failure(message: "Expected identifier, got: \(currentText)")
        }
        index += 1
        if let field = message.fields.first(where: { $0.name == token.text }) { return field }
        // A group is named by its type name in text format.
        if let field = message.fields.first(where: {
            $0.type == .group && $0.typeName?.split(separator: ".").last.map(String.init) == token.text
        }) {
            return field
        }
        throw Failure(message: "Message type \"\(message.fullName)\" has no field named \"\(token.text)\".")
    }

    private mutating func parseValue(_ field: FieldInfo, depth: Int) throws(Failure) -> Value {
        var varint = BinaryWriter()
        switch field.type {
        case .message, .group:
            let terminator: String
            if tryConsume("{") {
                terminator = "}"
            } else if tryConsume("<") {
                terminator = ">"
            } else {
                throw Failure(message: "Expected \"{\", found \"\(currentText)\".")
            }
            guard let typeName = field.typeName, let type = linker.pool.messages[typeName] else {
                throw Failure(message: "Unknown message type for field \"\(field.name)\".")
            }
            let payload = try parseMessage(type, depth: depth + 1, terminator: terminator)
            return Value(wireType: field.type == .group ? .startGroup : .lengthDelimited, payload: payload)
        case .string, .bytes:
            guard let token = current, token.kind == .string else {
                throw Failure(message: "Expected string, got: \(currentText)")
            }
            var bytes: [UInt8] = []
            while let token = current, token.kind == .string {
                bytes += Literal.unescape(token.text)
                index += 1
            }
            return Value(wireType: .lengthDelimited, payload: bytes)
        case .bool:
            guard let token = current else { throw Failure(message: "Expected identifier, got: ") }
            index += 1
            switch token.text {
            case "true", "True", "t", "1": varint.writeVarint(1)
            case "false", "False", "f", "0": varint.writeVarint(0)
            default: throw Failure(message: "Invalid value for boolean field \"\(field.name)\". Value: \"\(token.text)\".")
            }
            return Value(wireType: .varint, payload: varint.bytes)
        case .enum:
            let negative = tryConsume("-")
            guard let token = current else { throw Failure(message: "Expected identifier, got: ") }
            index += 1
            let info = linker.pool.enums[field.typeName ?? ""]
            var number: Int64
            if token.kind == .integer, let magnitude = Literal.integer(token.text) {
                number = negative ? -Int64(magnitude) : Int64(magnitude)
            } else if !negative, let match = info?.values.first(where: { $0.name == token.text }) {
                number = Int64(match.number)
            } else {
                throw Failure(
                    message: "Unknown enumeration value of \"\(token.text)\" for field \"\(field.name)\".")
            }
            varint.writeVarint(UInt64(bitPattern: number))
            return Value(wireType: .varint, payload: varint.bytes)
        case .float, .double:
            let negative = tryConsume("-")
            guard let token = current else { throw Failure(message: "Expected double, got: ") }
            index += 1
            var value: Double
            switch token.kind {
            case .integer: value = Double(Literal.integer(token.text) ?? 0)
            case .float: value = Literal.float(token.text)
            case .identifier:
                switch token.text.lowercased() {
                case "inf", "infinity": value = .infinity
                case "nan": value = .nan
                default: throw Failure(message: "Expected double, got: \(token.text)")
                }
            default: throw Failure(message: "Expected double, got: \(token.text)")
            }
            if negative { value = -value }
            var writer = BinaryWriter()
            if field.type == .float {
                writer.writeFixed32(Float(value).bitPattern)
                return Value(wireType: .fixed32, payload: writer.bytes)
            }
            writer.writeFixed64(value.bitPattern)
            return Value(wireType: .fixed64, payload: writer.bytes)
        default:
            let negative = tryConsume("-")
            guard let token = current, token.kind == .integer, let magnitude = Literal.integer(token.text) else {
                throw Failure(message: "Expected integer, got: \(currentText)")
            }
            index += 1
            let signed: Bool
            let maximum: UInt64
            switch field.type {
            case .int32, .sint32, .sfixed32: (signed, maximum) = (true, UInt64(Int32.max))
            case .int64, .sint64, .sfixed64: (signed, maximum) = (true, UInt64(Int64.max))
            case .uint32, .fixed32: (signed, maximum) = (false, UInt64(UInt32.max))
            default: (signed, maximum) = (false, UInt64.max)
            }
            if negative && !signed {
                throw Failure(message: "Expected integer, got: -")
            }
            if magnitude > maximum + (negative ? 1 : 0) {
                throw Failure(message: "Integer out of range (\(negative ? "-" : "")\(token.text))")
            }
            var writer = BinaryWriter()
            if signed {
                let value = negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
                Linker.writeScalar(field, int: value, into: &writer)
            } else {
                Linker.writeScalar(field, uint: magnitude, into: &writer)
            }
            // writeScalar wrote a key; keep only the value.
            var reader = BinaryReader(writer.bytes)
            let tag = (try? reader.readTag()) ?? nil
            let payload = Array(writer.bytes[reader.offset...])
            return Value(wireType: tag?.wireType ?? .varint, payload: payload)
        }
    }
}
