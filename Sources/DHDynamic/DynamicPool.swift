public import DHDescriptor

/// An error of dynamic messages: an unknown type, bad JSON, a value of the wrong kind.
public struct DynamicError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let unknownSymbol = Code(rawValue: "unknown-symbol")
        public static let invalidJSON = Code(rawValue: "invalid-json")
        public static let invalidValue = Code(rawValue: "invalid-value")
        public static let unknownField = Code(rawValue: "unknown-field")
        public static let invalidBinary = Code(rawValue: "invalid-binary")
        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Message, enum and service types resolved from a FileDescriptorSet, by fully-qualified name
/// (no leading dot), for encoding and decoding messages known only at run time.
public struct DescriptorPool: Sendable {
    public struct Field: Sendable {
        public var name: String
        public var jsonName: String
        public var number: Int32
        public var type: FieldDescriptorProto.FieldType
        /// For messages and enums: the type's full name.
        public var typeName: String
        public var isRepeated: Bool
        /// Repeated scalars go packed unless `[packed = false]` (proto3).
        public var isPacked: Bool
        /// proto3 `optional` and fields of a real oneof: presence is kept.
        public var tracksPresence: Bool
        public var oneofIndex: Int32?
    }

    public struct MessageType: Sendable {
        public var fullName: String
        public var fields: [Field]
        public var isMapEntry: Bool
        public var oneofNames: [String]
        public var fieldsByNumber: [Int32: Int]
        public var fieldsByName: [String: Int]

        public func field(number: Int32) -> Field? { fieldsByNumber[number].map { fields[$0] } }
        /// By JSON name or proto name.
        public func field(named name: String) -> Field? { fieldsByName[name].map { fields[$0] } }
    }

    public struct EnumType: Sendable {
        public var fullName: String
        public var valuesByName: [String: Int32]
        public var namesByNumber: [Int32: String]
    }

    public struct Method: Sendable {
        public var name: String
        public var inputType: String
        public var outputType: String
        public var clientStreaming: Bool
        public var serverStreaming: Bool
    }

    public struct Service: Sendable {
        public var fullName: String
        public var methods: [Method]
        public var file: String
    }

    public private(set) var messages: [String: MessageType] = [:]
    public private(set) var enums: [String: EnumType] = [:]
    public private(set) var services: [String: Service] = [:]
    public private(set) var files: [String: FileDescriptorProto] = [:]

    public init() {}

    public init(_ set: FileDescriptorSet) {
        self.init()
        for file in set.file { add(file) }
    }

    /// Adds a file's types (a file already present is kept as it was).
    public mutating func add(_ file: FileDescriptorProto) {
        let name = file.name ?? ""
        guard files[name] == nil else { return }
        files[name] = file
        let package = file.package ?? ""
        let prefix = package.isEmpty ? "" : package + "."
        let proto3 = file.syntax == "proto3"
        for message in file.messageType { addMessage(message, scope: prefix, proto3: proto3) }
        for enumType in file.enumType { addEnum(enumType, scope: prefix) }
        for service in file.service {
            let fullName = prefix + (service.name ?? "")
            services[fullName] = Service(
                fullName: fullName,
                methods: service.method.map {
                    Method(
                        name: $0.name ?? "", inputType: Self.strip($0.inputType ?? ""),
                        outputType: Self.strip($0.outputType ?? ""), clientStreaming: $0.clientStreaming ?? false,
                        serverStreaming: $0.serverStreaming ?? false)
                }, file: name)
        }
    }

    public static func strip(_ typeName: String) -> String { typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName }

    private mutating func addMessage(_ message: DescriptorProto, scope: String, proto3: Bool) {
        let fullName = scope + (message.name ?? "")
        var fields: [Field] = []
        for field in message.field {
            let type = field.type ?? .int32
            let repeated = field.label == .repeated
            let scalar = type != .string && type != .bytes && type != .message && type != .group
            let inRealOneof = field.oneofIndex != nil && field.proto3Optional != true
            fields.append(
                Field(
                    name: field.name ?? "", jsonName: field.jsonName ?? field.name ?? "", number: field.number ?? 0,
                    type: type, typeName: Self.strip(field.typeName ?? ""), isRepeated: repeated,
                    isPacked: repeated && scalar && (field.options?.packed ?? proto3),
                    tracksPresence: field.proto3Optional == true || inRealOneof || !proto3 || type == .message,
                    oneofIndex: inRealOneof ? field.oneofIndex : nil))
        }
        var byNumber: [Int32: Int] = [:]
        var byName: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            byNumber[field.number] = index
            byName[field.name] = index
            byName[field.jsonName] = index
        }
        messages[fullName] = MessageType(
            fullName: fullName, fields: fields, isMapEntry: message.options?.mapEntry ?? false,
            oneofNames: message.oneofDecl.map { $0.name ?? "" }, fieldsByNumber: byNumber, fieldsByName: byName)
        for nested in message.nestedType { addMessage(nested, scope: fullName + ".", proto3: proto3) }
        for nested in message.enumType { addEnum(nested, scope: fullName + ".") }
    }

    private mutating func addEnum(_ enumType: EnumDescriptorProto, scope: String) {
        let fullName = scope + (enumType.name ?? "")
        var byName: [String: Int32] = [:]
        var byNumber: [Int32: String] = [:]
        for value in enumType.value {
            byName[value.name ?? ""] = value.number ?? 0
            if byNumber[value.number ?? 0] == nil { byNumber[value.number ?? 0] = value.name ?? "" }
        }
        enums[fullName] = EnumType(fullName: fullName, valuesByName: byName, namesByNumber: byNumber)
    }

    public func message(_ name: String) throws(DynamicError) -> MessageType {
        guard let type = messages[Self.strip(name)] else {
            throw DynamicError(code: .unknownSymbol, message: "no message type '\(name)' in the descriptors")
        }
        return type
    }

    /// `package.Service` and `Method` from `package.Service/Method` or `/package.Service/Method`.
    public func method(_ path: String) throws(DynamicError) -> (Service, Method) {
        var text = path.hasPrefix("/") ? String(path.dropFirst()) : path
        if !text.contains("/"), let dot = text.lastIndex(of: ".") {
            text.replaceSubrange(dot...dot, with: "/")
        }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let service = services[parts[0]] else {
            throw DynamicError(code: .unknownSymbol, message: "no service '\(parts.first ?? path)' in the descriptors")
        }
        guard let method = service.methods.first(where: { $0.name == parts[1] }) else {
            throw DynamicError(
                code: .unknownSymbol,
                message: "\(service.fullName) has no method '\(parts[1])'; it has \(service.methods.map(\.name).joined(separator: ", "))")
        }
        return (service, method)
    }
}
