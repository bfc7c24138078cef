public import DHDescriptor

/// What a full name denotes in a `DescriptorPool`.
public enum SymbolKind: Sendable, Hashable {
    case package, message, `enum`, enumValue, service, method, field, oneof

    var isType: Bool { self == .message || self == .enum }
    var isAggregate: Bool { self == .message || self == .package || self == .enum || self == .service }
}

public struct Symbol: Sendable, Hashable {
    public var kind: SymbolKind
    /// The file that defined it (the first one, for packages).
    public var file: String
}

/// A field or extension as option interpretation and checks need it: types resolved.
public struct FieldInfo: Sendable, Hashable {
    public var name: String
    public var fullName: String
    public var number: Int32
    public var label: FieldDescriptorProto.Label
    public var type: FieldDescriptorProto.FieldType
    /// Resolved full name without the leading dot, for message, group and enum fields.
    public var typeName: String?
    /// Resolved full name of the extended message, for extensions.
    public var extendee: String?
    public var packed: Bool?
    public var file: String
    /// Whether a set default value is still written (proto2, messages, oneofs, `optional`).
    public var hasPresence: Bool = true
    /// Whether repeated values are written packed.
    public var isPacked: Bool = false
}

public struct MessageInfo: Sendable, Hashable {
    public var fullName: String
    public var file: String
    public var syntax: String
    public var fields: [FieldInfo]
    public var extensionRanges: [(start: Int32, end: Int32)]
    public var isMapEntry: Bool
    public var messageSetWireFormat: Bool

    public static func == (lhs: MessageInfo, rhs: MessageInfo) -> Bool {
        lhs.fullName == rhs.fullName && lhs.file == rhs.file && lhs.fields == rhs.fields
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(fullName) }
}

public struct EnumInfo: Sendable, Hashable {
    public var fullName: String
    public var file: String
    public var syntax: String
    public var values: [(name: String, number: Int32)]

    public static func == (lhs: EnumInfo, rhs: EnumInfo) -> Bool {
        lhs.fullName == rhs.fullName && lhs.file == rhs.file
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(fullName) }
}

/// Every symbol of the files linked so far, with protoc's name-lookup rules.
public struct DescriptorPool: Sendable {
    public internal(set) var symbols: [String: Symbol] = [:]
    /// Files (by name) whose package is exactly, or lies under, a package name.
    var packageFiles: [String: Set<String>] = [:]
    public internal(set) var messages: [String: MessageInfo] = [:]
    public internal(set) var enums: [String: EnumInfo] = [:]
    /// Extensions by full name.
    public internal(set) var extensions: [String: FieldInfo] = [:]
    public internal(set) var files: [String: FileDescriptorProto] = [:]

    public init() {}

    /// Adds every symbol and type of an already linked file (e.g. from `--descriptor_set_in`).
    mutating func register(_ file: FileDescriptorProto) {
        let fileName = file.name ?? ""
        let syntax = file.syntax ?? "proto2"
        let package = file.package ?? ""
        files[fileName] = file
        addPackage(package, file: fileName)
        func join(_ scope: String, _ name: String?) -> String {
            scope.isEmpty ? (name ?? "") : scope + "." + (name ?? "")
        }
        func info(_ field: FieldDescriptorProto, scope: String) -> FieldInfo {
            var result = FieldInfo(
                name: field.name ?? "", fullName: join(scope, field.name), number: field.number ?? 0,
                label: field.label ?? .optional, type: field.type ?? .message,
                typeName: field.typeName.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 },
                extendee: field.extendee.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 },
                packed: field.options?.packed, file: fileName)
            let type = result.type
            let scalar = type != .message && type != .group && type != .enum
            let packable = scalar && type != .string && type != .bytes || type == .enum
            if syntax == "proto3" {
                result.hasPresence = field.extendee != nil || !scalar || field.oneofIndex != nil
                    || field.proto3Optional == true
                result.isPacked = packable && result.label == .repeated && field.options?.packed != false
            } else {
                result.isPacked = packable && result.label == .repeated && field.options?.packed == true
            }
            if result.label == .repeated { result.hasPresence = false }
            return result
        }
        func addExtensions(_ list: [FieldDescriptorProto], scope: String) {
            for ext in list {
                let extInfo = info(ext, scope: scope)
                if symbols[extInfo.fullName] == nil { symbols[extInfo.fullName] = Symbol(kind: .field, file: fileName) }
                extensions[extInfo.fullName] = extInfo
            }
        }
        func addEnum(_ e: EnumDescriptorProto, scope: String) {
            let fullName = join(scope, e.name)
            if symbols[fullName] == nil { symbols[fullName] = Symbol(kind: .enum, file: fileName) }
            for value in e.value {
                let valueName = join(scope, value.name)
                if symbols[valueName] == nil { symbols[valueName] = Symbol(kind: .enumValue, file: fileName) }
            }
            enums[fullName] = EnumInfo(
                fullName: fullName, file: fileName, syntax: syntax,
                values: e.value.map { ($0.name ?? "", $0.number ?? 0) })
        }
        func addMessage(_ m: DescriptorProto, scope: String) {
            let fullName = join(scope, m.name)
            if symbols[fullName] == nil { symbols[fullName] = Symbol(kind: .message, file: fileName) }
            for field in m.field where symbols[join(fullName, field.name)] == nil {
                symbols[join(fullName, field.name)] = Symbol(kind: .field, file: fileName)
            }
            for oneof in m.oneofDecl where symbols[join(fullName, oneof.name)] == nil {
                symbols[join(fullName, oneof.name)] = Symbol(kind: .oneof, file: fileName)
            }
            messages[fullName] = MessageInfo(
                fullName: fullName, file: fileName, syntax: syntax,
                fields: m.field.map { info($0, scope: fullName) },
                extensionRanges: m.extensionRange.map { ($0.start ?? 0, $0.end ?? 0) },
                isMapEntry: m.options?.mapEntry == true,
                messageSetWireFormat: m.options?.messageSetWireFormat == true)
            for nested in m.nestedType { addMessage(nested, scope: fullName) }
            for e in m.enumType { addEnum(e, scope: fullName) }
            addExtensions(m.extension, scope: fullName)
        }
        for m in file.messageType { addMessage(m, scope: package) }
        for e in file.enumType { addEnum(e, scope: package) }
        for service in file.service {
            let fullName = join(package, service.name)
            if symbols[fullName] == nil { symbols[fullName] = Symbol(kind: .service, file: fileName) }
            for method in service.method where symbols[join(fullName, method.name)] == nil {
                symbols[join(fullName, method.name)] = Symbol(kind: .method, file: fileName)
            }
        }
        addExtensions(file.extension, scope: package)
    }

    /// Removes everything a file added (after it failed to link).
    mutating func remove(file name: String) {
        files[name] = nil
        symbols = symbols.filter { $0.value.file != name }
        messages = messages.filter { $0.value.file != name }
        enums = enums.filter { $0.value.file != name }
        extensions = extensions.filter { $0.value.file != name }
        for key in Array(packageFiles.keys) {
            packageFiles[key]?.remove(name)
            if packageFiles[key]?.isEmpty == true { packageFiles[key] = nil }
        }
    }

    mutating func addPackage(_ package: String, file: String) {
        guard !package.isEmpty else { return }
        var name = package
        while true {
            if symbols[name] == nil { symbols[name] = Symbol(kind: .package, file: file) }
            packageFiles[name, default: []].insert(file)
            guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")) else { break }
            name = String(name[..<dot])
        }
    }
}
