public import DHWire

/// How dynamic messages read and write proto3 JSON.
public struct DynamicJSONOptions: Sendable {
    /// Skip members that name no field (and enum names the schema lacks).
    public var ignoreUnknownFields = false
    /// Write fields that hold their default value.
    public var emitDefaults = false
    /// Name fields by their .proto names instead of their JSON names.
    public var preserveProtoNames = false
    public init() {}
}

extension DynamicMessage {
    // MARK: Reading JSON

    /// Parses proto3 JSON as a message of `typeName`.
    public init(
        typeName: String, json: String, pool: DescriptorPool, options: DynamicJSONOptions = DynamicJSONOptions()
    ) throws(DynamicError) {
        let type = try pool.message(typeName)
        let tree = try JSONTreeParser.parse(json)
        self = try Self.read(tree, text: Substring(json), type: type, pool: pool, options: options, path: "")
    }

    static func read(
        _ tree: JSONTree, text: Substring, type: DescriptorPool.MessageType, pool: DescriptorPool,
        options: DynamicJSONOptions, path: String
    ) throws(DynamicError) -> DynamicMessage {
        if let bytes = try WellKnownJSON.binary(fromJSON: text, typeName: type.fullName, pool: pool, options: options) {
            return try DynamicMessage(typeName: type.fullName, binary: bytes, pool: pool)
        }
        guard case .object(let members) = tree else {
            throw DynamicError(code: .invalidValue, message: "\(path.isEmpty ? type.fullName : path): an object was expected")
        }
        var message = DynamicMessage(typeName: type.fullName)
        var seenOneofs: [Int32: String] = [:]
        for member in members {
            let fieldPath = path.isEmpty ? member.key : "\(path).\(member.key)"
            guard let field = type.field(named: member.key) else {
                if options.ignoreUnknownFields { continue }
                throw DynamicError(code: .unknownField, message: "\(fieldPath): \(type.fullName) has no such field")
            }
            guard message.values[field.number] == nil else {
                throw DynamicError(code: .invalidValue, message: "\(fieldPath): the field is given twice")
            }
            if case .null = member.value, field.typeName != "google.protobuf.Value",
                field.typeName != "google.protobuf.NullValue"
            {
                continue
            }
            if let oneof = field.oneofIndex {
                if let other = seenOneofs[oneof] {
                    throw DynamicError(
                        code: .invalidValue, message: "\(fieldPath): oneof \(type.oneofNames[Int(oneof)]) already set by \(other)")
                }
                seenOneofs[oneof] = member.key
            }
            if let entryType = field.type == .message ? pool.messages[field.typeName] : nil, entryType.isMapEntry {
                guard case .object(let entries) = member.value else {
                    throw DynamicError(code: .invalidValue, message: "\(fieldPath): an object (map) was expected")
                }
                var map: [DynamicValue.MapEntry] = []
                for entry in entries {
                    let key = try readMapKey(entry.key, field: entryType.field(number: 1)!, path: fieldPath)
                    guard let value = try readValue(
                        entry.value, text: entry.text, field: entryType.field(number: 2)!, pool: pool, options: options,
                        path: "\(fieldPath)[\(entry.key)]")
                    else { continue }
                    map.append(DynamicValue.MapEntry(key: key, value: value))
                }
                message.values[field.number] = .map(map)
            } else if field.isRepeated {
                guard case .array(let items) = member.value else {
                    throw DynamicError(code: .invalidValue, message: "\(fieldPath): an array was expected")
                }
                var list: [DynamicValue] = []
                for (position, item) in items.enumerated() {
                    if case .null = item.value {
                        throw DynamicError(code: .invalidValue, message: "\(fieldPath)[\(position)]: null in a list")
                    }
                    if let value = try readValue(
                        item.value, text: item.text, field: field, pool: pool, options: options,
                        path: "\(fieldPath)[\(position)]")
                    {
                        list.append(value)
                    }
                }
                message.values[field.number] = .list(list)
            } else if let value = try readValue(
                member.value, text: member.text, field: field, pool: pool, options: options, path: fieldPath)
            {
                message.values[field.number] = value
            }
        }
        return message
    }

    /// One value of `field`'s type; nil for an unknown enum name skipped by the options.
    static func readValue(
        _ tree: JSONTree, text: Substring, field: DescriptorPool.Field, pool: DescriptorPool, options: DynamicJSONOptions,
        path: String
    ) throws(DynamicError) -> DynamicValue? {
        func bad(_ what: String) -> DynamicError { DynamicError(code: .invalidValue, message: "\(path): \(what)") }
        switch field.type {
        case .message:
            return .message(
                try read(tree, text: text, type: try pool.message(field.typeName), pool: pool, options: options, path: path))
        case .enum:
            switch tree {
            case .string(let name):
                if let number = pool.enums[field.typeName]?.valuesByName[name] { return .enumValue(number) }
                if options.ignoreUnknownFields { return nil }
                throw bad("\(field.typeName) has no value '\(name)'")
            case .number(let text):
                guard let number = Int32(text) else { throw bad("an enum number must be an int32") }
                return .enumValue(number)
            case .null where field.typeName == "google.protobuf.NullValue":
                return .enumValue(0)
            default: throw bad("an enum name or number was expected")
            }
        case .string:
            guard case .string(let value) = tree else { throw bad("a string was expected") }
            return .string(value)
        case .bytes:
            guard case .string(let value) = tree else { throw bad("a base64 string was expected") }
            var standard = Array(value.utf8).map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 }
            while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
            guard let bytes = Base64.decode(standard) else { throw bad("invalid base64") }
            return .bytes(bytes)
        case .bool:
            guard case .bool(let value) = tree else { throw bad("true or false was expected") }
            return .bool(value)
        case .double, .float:
            let number: Double
            switch tree {
            case .number(let text): number = Double(text) ?? .nan
            case .string("NaN"): number = .nan
            case .string("Infinity"): number = .infinity
            case .string("-Infinity"): number = -.infinity
            case .string(let text):
                guard let parsed = Double(text), !text.contains(" ") else { throw bad("a number was expected") }
                number = parsed
            default: throw bad("a number was expected")
            }
            if field.type == .float {
                if number.isFinite, abs(number) > Double(Float.greatestFiniteMagnitude) { throw bad("out of float range") }
                return .float(Float(number))
            }
            if number.isInfinite, case .number = tree { throw bad("out of double range") }
            return .double(number)
        default:
            let text: String
            switch tree {
            case .number(let value): text = value
            case .string(let value): text = value
            default: throw bad("an integer was expected")
            }
            let signed = [.int32, .int64, .sint32, .sint64, .sfixed32, .sfixed64].contains(field.type)
            let wide = [.int64, .uint64, .sint64, .fixed64, .sfixed64].contains(field.type)
            // A number may be written with a fraction or exponent if its value is whole
            // ("1e2", "100.0"); a string holds the digits only.
            let decimalForm = text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            if case .string = tree, decimalForm || text.hasPrefix("+") || text.contains(" ") {
                throw bad("'\(text)' is not a valid \(field.type)")
            }
            if signed {
                var value = Int64(text)
                if value == nil, decimalForm, let double = Double(text), double == double.rounded(),
                    double >= -9.223_372_036_854_775_808e18, double < 9.223_372_036_854_775_808e18
                {
                    value = Int64(double)
                }
                guard let value, wide || Int64(Int32.min)...Int64(Int32.max) ~= value else { throw bad("not a valid \(field.type)") }
                return .int(value)
            }
            var value = UInt64(text)
            if value == nil, decimalForm, let double = Double(text), double == double.rounded(), double >= 0,
                double < 18_446_744_073_709_551_616.0
            {
                value = UInt64(double)
            }
            guard let value, wide || value <= UInt64(UInt32.max) else { throw bad("not a valid \(field.type)") }
            return .uint(value)
        }
    }

    static func readMapKey(_ key: String, field: DescriptorPool.Field, path: String) throws(DynamicError) -> DynamicValue {
        switch field.type {
        case .string: return .string(key)
        case .bool:
            guard key == "true" || key == "false" else {
                throw DynamicError(code: .invalidValue, message: "\(path): map key '\(key)' is not a bool")
            }
            return .bool(key == "true")
        default:
            guard let value = try readValue(.number(key), text: Substring(key), field: field, pool: DescriptorPool(),
                                            options: DynamicJSONOptions(), path: "\(path)[\(key)]")
            else { throw DynamicError(code: .invalidValue, message: "\(path): map key '\(key)'") }
            return value
        }
    }

    // MARK: Writing JSON

    /// The message as proto3 JSON.
    public func jsonString(pool: DescriptorPool, options: DynamicJSONOptions = DynamicJSONOptions()) throws(DynamicError)
        -> String
    {
        var out = ""
        try write(into: &out, pool: pool, options: options)
        return out
    }

    func write(into out: inout String, pool: DescriptorPool, options: DynamicJSONOptions) throws(DynamicError) {
        let type = try pool.message(typeName)
        if let json = try WellKnownJSON.json(fromBinary: try serializedBytes(pool: pool), typeName: typeName, pool: pool, options: options) {
            out += json
            return
        }
        out += "{"
        var first = true
        for field in type.fields {
            var value = values[field.number]
            if value == nil, options.emitDefaults, field.oneofIndex == nil, !(field.tracksPresence && !field.isRepeated) {
                if field.isRepeated {
                    value = pool.messages[field.typeName]?.isMapEntry == true ? .map([]) : .list([])
                } else {
                    value = Self.defaultValue(field, pool: pool)
                }
            }
            guard let value else { continue }
            if !options.emitDefaults, !field.tracksPresence, Self.isDefault(value) { continue }
            if !first { out += "," }
            first = false
            Self.writeString(options.preserveProtoNames ? field.name : field.jsonName, into: &out)
            out += ":"
            switch value {
            case .list(let items):
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += "," }
                    try Self.writeValue(item, field: field, pool: pool, options: options, into: &out)
                }
                out += "]"
            case .map(let entries):
                let entryType = try pool.message(field.typeName)
                out += "{"
                for (index, entry) in entries.enumerated() {
                    if index > 0 { out += "," }
                    let key: String =
                        switch entry.key {
                        case .string(let v): v
                        case .bool(let v): v ? "true" : "false"
                        case .int(let v): String(v)
                        case .uint(let v): String(v)
                        default: ""
                        }
                    Self.writeString(key, into: &out)
                    out += ":"
                    try Self.writeValue(entry.value, field: entryType.field(number: 2)!, pool: pool, options: options, into: &out)
                }
                out += "}"
            default:
                try Self.writeValue(value, field: field, pool: pool, options: options, into: &out)
            }
        }
        out += "}"
    }

    static func writeValue(
        _ value: DynamicValue, field: DescriptorPool.Field, pool: DescriptorPool, options: DynamicJSONOptions,
        into out: inout String
    ) throws(DynamicError) {
        switch value {
        case .int(let v):
            let wide = [.int64, .sint64, .sfixed64].contains(field.type)
            out += wide ? "\"\(v)\"" : String(v)
        case .uint(let v):
            let wide = [.uint64, .fixed64].contains(field.type)
            out += wide ? "\"\(v)\"" : String(v)
        case .double(let v): out += number(v, float: false)
        case .float(let v): out += number(Double(v), float: true)
        case .bool(let v): out += v ? "true" : "false"
        case .string(let v): writeString(v, into: &out)
        case .bytes(let v):
            var encoded: [UInt8] = []
            Base64.encode(v, into: &encoded)
            out += "\"" + String(decoding: encoded, as: UTF8.self) + "\""
        case .enumValue(let v):
            if field.typeName == "google.protobuf.NullValue" {
                out += "null"
            } else if let name = pool.enums[field.typeName]?.namesByNumber[v] {
                writeString(name, into: &out)
            } else {
                out += String(v)
            }
        case .message(let message): try message.write(into: &out, pool: pool, options: options)
        case .list, .map: throw DynamicError(code: .invalidValue, message: "\(field.name): a nested list")
        }
    }

    static func number(_ value: Double, float: Bool) -> String {
        if value.isNaN { return "\"NaN\"" }
        if value.isInfinite { return value < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
        var text = float ? "\(Float(value))" : "\(value)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// The well-known types' special JSON forms, through the runtime's own types (which implement
/// them), and `google.protobuf.Any` with the pool as its type registry.
enum WellKnownJSON {
    private static func parse<M: DHWire.Message>(_: M.Type, _ text: Substring) throws(DynamicError) -> [UInt8] {
        do {
            return try M(jsonString: String(text)).serializedBytes()
        } catch {
            throw DynamicError(code: .invalidValue, message: "\(M.protoMessageName): \(error)")
        }
    }

    private static func print<M: DHWire.Message>(_: M.Type, _ bytes: [UInt8]) throws(DynamicError) -> String {
        do {
            return try M(serializedBytes: bytes).jsonString()
        } catch {
            throw DynamicError(code: .invalidValue, message: "\(M.protoMessageName): \(error)")
        }
    }

    static func binary(
        fromJSON text: Substring, typeName: String, pool: DescriptorPool, options: DynamicJSONOptions
    ) throws(DynamicError) -> [UInt8]? {
        switch typeName {
        case "google.protobuf.Timestamp": return try parse(Google_Protobuf_Timestamp.self, text)
        case "google.protobuf.Duration": return try parse(Google_Protobuf_Duration.self, text)
        case "google.protobuf.FieldMask": return try parse(Google_Protobuf_FieldMask.self, text)
        case "google.protobuf.Struct": return try parse(Google_Protobuf_Struct.self, text)
        case "google.protobuf.Value": return try parse(Google_Protobuf_Value.self, text)
        case "google.protobuf.ListValue": return try parse(Google_Protobuf_ListValue.self, text)
        case "google.protobuf.Empty": return try parse(Google_Protobuf_Empty.self, text)
        case "google.protobuf.DoubleValue": return try parse(Google_Protobuf_DoubleValue.self, text)
        case "google.protobuf.FloatValue": return try parse(Google_Protobuf_FloatValue.self, text)
        case "google.protobuf.Int64Value": return try parse(Google_Protobuf_Int64Value.self, text)
        case "google.protobuf.UInt64Value": return try parse(Google_Protobuf_UInt64Value.self, text)
        case "google.protobuf.Int32Value": return try parse(Google_Protobuf_Int32Value.self, text)
        case "google.protobuf.UInt32Value": return try parse(Google_Protobuf_UInt32Value.self, text)
        case "google.protobuf.BoolValue": return try parse(Google_Protobuf_BoolValue.self, text)
        case "google.protobuf.StringValue": return try parse(Google_Protobuf_StringValue.self, text)
        case "google.protobuf.BytesValue": return try parse(Google_Protobuf_BytesValue.self, text)
        case "google.protobuf.Any": return try anyFromJSON(text, pool: pool, options: options)
        default: return nil
        }
    }

    static func json(
        fromBinary bytes: [UInt8], typeName: String, pool: DescriptorPool, options: DynamicJSONOptions
    ) throws(DynamicError) -> String? {
        switch typeName {
        case "google.protobuf.Timestamp": return try print(Google_Protobuf_Timestamp.self, bytes)
        case "google.protobuf.Duration": return try print(Google_Protobuf_Duration.self, bytes)
        case "google.protobuf.FieldMask":
            return try print(Google_Protobuf_FieldMask.self, bytes)
        case "google.protobuf.Struct": return try print(Google_Protobuf_Struct.self, bytes)
        case "google.protobuf.Value": return try print(Google_Protobuf_Value.self, bytes)
        case "google.protobuf.ListValue": return try print(Google_Protobuf_ListValue.self, bytes)
        case "google.protobuf.Empty": return try print(Google_Protobuf_Empty.self, bytes)
        case "google.protobuf.DoubleValue": return try print(Google_Protobuf_DoubleValue.self, bytes)
        case "google.protobuf.FloatValue": return try print(Google_Protobuf_FloatValue.self, bytes)
        case "google.protobuf.Int64Value": return try print(Google_Protobuf_Int64Value.self, bytes)
        case "google.protobuf.UInt64Value": return try print(Google_Protobuf_UInt64Value.self, bytes)
        case "google.protobuf.Int32Value": return try print(Google_Protobuf_Int32Value.self, bytes)
        case "google.protobuf.UInt32Value": return try print(Google_Protobuf_UInt32Value.self, bytes)
        case "google.protobuf.BoolValue": return try print(Google_Protobuf_BoolValue.self, bytes)
        case "google.protobuf.StringValue": return try print(Google_Protobuf_StringValue.self, bytes)
        case "google.protobuf.BytesValue": return try print(Google_Protobuf_BytesValue.self, bytes)
        case "google.protobuf.Any": return try anyToJSON(bytes, pool: pool, options: options)
        default: return nil
        }
    }

    private static func wrapped(_ typeName: String) -> Bool {
        ["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask", "google.protobuf.Struct",
         "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
         "google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.Int32Value",
         "google.protobuf.UInt32Value", "google.protobuf.BoolValue", "google.protobuf.StringValue",
         "google.protobuf.BytesValue", "google.protobuf.Any"].contains(typeName)
    }

    /// `{"@type": "type.googleapis.com/pkg.T", ...fields}`, or `"value"` for the well-known types.
    private static func anyFromJSON(_ text: Substring, pool: DescriptorPool, options: DynamicJSONOptions)
        throws(DynamicError) -> [UInt8]
    {
        guard case .object(let members) = try JSONTreeParser.parse(String(text)) else {
            throw DynamicError(code: .invalidValue, message: "google.protobuf.Any: an object was expected")
        }
        guard let typeMember = members.first(where: { $0.key == "@type" }), case .string(let url) = typeMember.value else {
            if members.isEmpty { return [] }
            throw DynamicError(code: .invalidValue, message: "google.protobuf.Any: '@type' is required")
        }
        let name = String(url.split(separator: "/").last ?? "")
        let type = try pool.message(name)
        let rest = members.filter { $0.key != "@type" }
        let inner: DynamicMessage
        if wrapped(name) {
            guard let value = rest.first(where: { $0.key == "value" }) else {
                throw DynamicError(code: .invalidValue, message: "google.protobuf.Any of \(name): 'value' is required")
            }
            inner = try DynamicMessage.read(value.value, text: value.text, type: type, pool: pool, options: options, path: "value")
        } else {
            inner = try DynamicMessage.read(.object(rest), text: "", type: type, pool: pool, options: options, path: "")
        }
        var writer = BinaryWriter()
        writer.writeTag(1, .lengthDelimited)
        writer.writeString(url)
        let payload = try inner.serializedBytes(pool: pool)
        if !payload.isEmpty {
            writer.writeTag(2, .lengthDelimited)
            writer.writeLengthDelimited(payload)
        }
        return writer.bytes
    }

    private static func anyToJSON(_ bytes: [UInt8], pool: DescriptorPool, options: DynamicJSONOptions)
        throws(DynamicError) -> String
    {
        var url = ""
        var payload: [UInt8] = []
        do {
            var reader = BinaryReader(bytes)
            while let tag = try reader.readTag() {
                switch (tag.fieldNumber, tag.wireType) {
                case (1, .lengthDelimited): url = try reader.readString()
                case (2, .lengthDelimited): payload = Array(try reader.readLengthDelimited())
                default: try reader.skip(tag.wireType)
                }
            }
        } catch {
            throw DynamicError(code: .invalidBinary, message: "google.protobuf.Any: \(error)")
        }
        if url.isEmpty { return "{}" }
        let name = String(url.split(separator: "/").last ?? "")
        let inner = try DynamicMessage(typeName: name, binary: payload, pool: pool)
        var out = "{\"@type\":"
        DynamicMessage.writeString(url, into: &out)
        let body = try inner.jsonString(pool: pool, options: options)
        if wrapped(name) {
            out += ",\"value\":" + body + "}"
        } else if body == "{}" {
            out += "}"
        } else {
            out += "," + body.dropFirst()
        }
        return out
    }
}
