// google.protobuf.Any (any.proto) and the registry of message types its JSON form needs.

/// The message types that `google.protobuf.Any` values may hold in JSON, by full name.
/// The well-known types are always known.
public struct TypeRegistry: Sendable, Hashable {
    private var types: [String: any Message.Type]

    public init(_ types: [any Message.Type] = []) {
        self.types = Self.wellKnownByName  // shared storage until something is registered
        for type in types { self.types[type.protoMessageName] = type }
    }

    private static let wellKnownByName: [String: any Message.Type] = Dictionary(
        uniqueKeysWithValues: wellKnownTypes.map { ($0.protoMessageName, $0) })

    public mutating func register(_ type: any Message.Type) {
        types[type.protoMessageName] = type
    }

    /// The type named by a type URL (`type.googleapis.com/care.v1.CareRecord`) or full name.
    public func type(forURL url: String) -> (any Message.Type)? {
        let name = url.lastIndex(of: "/").map { String(url[url.index(after: $0)...]) } ?? url
        return types[name]
    }

    public static func == (lhs: TypeRegistry, rhs: TypeRegistry) -> Bool {
        Set(lhs.types.keys) == Set(rhs.types.keys)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Set(types.keys))
    }

    static let wellKnownTypes: [any Message.Type] = [
        Google_Protobuf_Any.self, Google_Protobuf_Timestamp.self, Google_Protobuf_Duration.self,
        Google_Protobuf_Empty.self, Google_Protobuf_FieldMask.self, Google_Protobuf_Struct.self,
        Google_Protobuf_Value.self, Google_Protobuf_ListValue.self, Google_Protobuf_DoubleValue.self,
        Google_Protobuf_FloatValue.self, Google_Protobuf_Int64Value.self, Google_Protobuf_UInt64Value.self,
        Google_Protobuf_Int32Value.self, Google_Protobuf_UInt32Value.self, Google_Protobuf_BoolValue.self,
        Google_Protobuf_StringValue.self, Google_Protobuf_BytesValue.self,
    ]

    /// Whether a type's JSON form is not an object of its fields: inside an Any such a
    /// value goes in a `"value"` member.
    static func hasSpecialJSONForm(_ type: any Message.Type) -> Bool {
        type.protoMessageName.hasPrefix("google.protobuf.")
    }
}

/// A message of any type, as its type URL and its binary encoding. JSON: the message's
/// JSON object with an `"@type"` member, or `{"@type": …, "value": …}` for well-known types.
public struct Google_Protobuf_Any: Message {
    public static let protoMessageName = "google.protobuf.Any"

    /// `type.googleapis.com/` followed by the message's full name.
    public var typeURL: String = ""
    /// The message's binary encoding.
    public var value: [UInt8] = []
    public var unknownFields = UnknownFields()

    public init() {}

    /// Packs `message`.
    public init(message: some Message, typeURLPrefix: String = "type.googleapis.com") {
        typeURL = typeURLPrefix + "/" + type(of: message).protoMessageName
        value = message.serializedBytes()
    }

    /// Whether this holds a message of type `M`.
    public func holds<M: Message>(_ type: M.Type) -> Bool {
        typeURL.hasSuffix("/" + M.protoMessageName) || typeURL == M.protoMessageName
    }

    /// The message held, decoded as `M`. Throws `.invalidJSONValue` when it holds another
    /// type, or the binary decoding's errors.
    public func unpack<M: Message>(_ type: M.Type, configuration: WireReader.Configuration = .init()) throws(WireError) -> M {
        guard holds(type) else {
            throw WireError(code: .invalidJSONValue, offset: 0, message: "Any holds \(typeURL), not \(M.protoMessageName)")
        }
        return try M(serializedBytes: value, configuration: configuration)
    }

    public func serializedSize() -> Int {
        var size = unknownFields.count
        if !typeURL.isEmpty { size += WireSize.field(ProtoString.self, typeURL, key: 10) }
        if !value.isEmpty { size += WireSize.field(ProtoBytes.self, value, key: 18) }
        return size
    }

    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        if !value.isEmpty { writer.write(ProtoBytes.self, value, key: 18) }
        if !typeURL.isEmpty { writer.write(ProtoString.self, typeURL, key: 10) }
    }

    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 10: typeURL = try reader.read(ProtoString.self)
            case 18: value = try reader.read(ProtoBytes.self)
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    public func encodeJSONFields(to writer: inout JSONWriter) {
        if !typeURL.isEmpty || writer.includesDefaults { writer.field("typeUrl", "type_url", ProtoString.self, typeURL) }
        if !value.isEmpty || writer.includesDefaults { writer.field("value", "value", ProtoBytes.self, value) }
    }

    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        switch name {
        case "typeUrl", "type_url": typeURL = try reader.read(ProtoString.self)
        case "value": value = try reader.read(ProtoBytes.self)
        default: return false
        }
        return true
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        if typeURL.isEmpty && value.isEmpty {
            writer.writeRaw("{}")
            return
        }
        guard let type = writer.configuration.typeRegistry.type(forURL: typeURL) else {
            writer.fail("Any holds \(typeURL), which the type registry does not know")
            writer.writeRaw("{}")
            return
        }
        writeJSON(as: type, to: &writer)
    }

    private func writeJSON<M: Message>(as type: M.Type, to writer: inout JSONWriter) {
        let message: M
        do {
            message = try M(serializedBytes: value)
        } catch {
            writer.fail("Any holds bytes that are not a valid \(M.protoMessageName): \(error)")
            writer.writeRaw("{}")
            return
        }
        writer.writeRaw("{\"@type\":")
        writer.writeString(typeURL)
        if TypeRegistry.hasSpecialJSONForm(type) {
            writer.writeRaw(",\"value\":")
            message.encodeJSONValue(to: &writer)
        } else {
            message.encodeJSONFields(to: &writer)
        }
        writer.writeRaw("}")
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        // First pass: find "@type", which may come after the other members.
        let start = reader.position
        var url: String? = nil
        try reader.readObject { (name: JSONName, reader: inout JSONReader) throws(WireError) in
            if case "@type" = name {
                url = try reader.readStringToken()
            } else {
                try reader.skipValue()
            }
        }
        guard let url else {
            let end = reader.position
            guard end - start <= 2 || reader.isEmptyObject(from: start, to: end) else {
                throw reader.valueError("Any without \"@type\"")
            }
            return  // {} is the empty Any
        }
        guard let type = reader.configuration.typeRegistry.type(forURL: url) else {
            throw reader.valueError("Any holds \(url), which the type registry does not know")
        }
        // Second pass: the members as the named type.
        let end = reader.position
        reader.position = start
        value = try Self.readJSON(as: type, from: &reader)
        typeURL = url
        reader.position = end
    }

    private static func readJSON<M: Message>(as type: M.Type, from reader: inout JSONReader) throws(WireError) -> [UInt8] {
        var message = M()
        let special = TypeRegistry.hasSpecialJSONForm(type)
        try reader.readObject { (name: JSONName, reader: inout JSONReader) throws(WireError) in
            if case "@type" = name {
                try reader.skipValue()
            } else if special {
                guard case "value" = name else { throw reader.valueError("unexpected \"\(name)\" in an Any") }
                try message.decodeJSONValue(from: &reader)
            } else if reader.consumeNull() {
                return
            } else {
                let start = reader.position
                guard try !message.decodeJSONField(name, from: &reader) else { return }
                guard reader.position == start, reader.ignoresUnknownFields else {
                    throw WireError(code: .unknownJSONField, offset: start, message: "no field is named \"\(name)\"")
                }
                try reader.skipValue()
            }
        }
        return message.serializedBytes()
    }
}
