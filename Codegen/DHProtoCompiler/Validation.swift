import DHDescriptor
import DHWire

/// The checks protoc makes once names and options are known (ValidateFileOptions and
/// ValidateProto3), in protoc's order and with its messages.
extension Linker {
    static let proto3Extendees: Set<String> = [
        "google.protobuf.FileOptions", "google.protobuf.MessageOptions", "google.protobuf.FieldOptions",
        "google.protobuf.EnumOptions", "google.protobuf.EnumValueOptions", "google.protobuf.ServiceOptions",
        "google.protobuf.MethodOptions", "google.protobuf.OneofOptions", "google.protobuf.ExtensionRangeOptions",
    ]

    mutating func validate(_ proto: FileDescriptorProto) {
        for (i, message) in file.messages.enumerated() {
            validateMessage(message, proto: proto.messageType[i], scope: package)
        }
        for (i, e) in file.enums.enumerated() { validateEnum(e, proto: proto.enumType[i], scope: package) }
        for (i, ext) in file.extensions.enumerated() { validateField(ext, proto: proto.extension[i], scope: package) }

        let isLite = proto.options?.optimizeFor == .liteRuntime
        if !isLite {
            for dependency in proto.dependency where pool.files[dependency]?.options?.optimizeFor == .liteRuntime {
                error(
                    "Files that do not use optimize_for = LITE_RUNTIME cannot import files which do use this option.  This file is not lite, but it imports \"\(dependency)\" which is.",
                    at: file.imports.first { $0.path == dependency }?.position)
                break
            }
        }
        guard isProto3 else { return }
        for (i, ext) in file.extensions.enumerated() { validateProto3Field(ext, proto: proto.extension[i], scope: package) }
        for (i, message) in file.messages.enumerated() {
            validateProto3Message(message, proto: proto.messageType[i], scope: package)
        }
        for e in file.enums { validateProto3Enum(e) }
    }

    mutating func validateMessage(_ node: MessageNode, proto: DescriptorProto, scope: String) {
        let fullName = join(scope, node.name)
        for (i, field) in node.fields.enumerated() { validateField(field, proto: proto.field[i], scope: fullName) }
        for (i, nested) in node.nestedTypes.enumerated() {
            validateMessage(nested, proto: proto.nestedType[i], scope: fullName)
        }
        for (i, e) in node.enums.enumerated() { validateEnum(e, proto: proto.enumType[i], scope: fullName) }
        for (i, ext) in node.extensions.enumerated() { validateField(ext, proto: proto.extension[i], scope: fullName) }
        let maximum: Int64 = proto.options?.messageSetWireFormat == true ? Int64(Int32.max) : Int64(FieldNumber.maximum)
        for range in node.extensionRanges where Int64(range.end) > maximum + 1 {
            error("Extension numbers cannot be greater than \(maximum).", at: range.position)
        }
        for range in node.reservedRanges where Int64(range.end) > maximum + 1 {
            error("Reserved numbers cannot be greater than \(maximum).", at: nil)
        }
    }

    mutating func validateField(_ node: FieldNode, proto: FieldDescriptorProto, scope: String) {
        let type = proto.type ?? .message
        if proto.options?.lazy == true || proto.options?.unverifiedLazy == true, type != .message {
            error("[lazy = true] can only be specified for submessage fields.", at: node.typePosition)
        }
        let packable = type != .string && type != .bytes && type != .message && type != .group
        if proto.options?.packed == true, !(proto.label == .repeated && packable) {
            error("[packed = true] can only be specified for repeated primitive fields.", at: node.typePosition)
        }
        if let extendee = proto.extendee.map({ String($0.dropFirst()) }), pool.messages[extendee]?.messageSetWireFormat == true {
            if proto.label != .optional || type != .message {
                error("Extensions of MessageSets must be optional messages.", at: node.typePosition)
            }
        }
        if type == .message, let typeName = proto.typeName.map({ String($0.dropFirst()) }),
            let entry = pool.messages[typeName], entry.isMapEntry
        {
            if !validateMapEntry(node, proto: proto, entry: entry, scope: scope) {
                error(
                    "map_entry should not be set explicitly. Use map<KeyType, ValueType> instead.",
                    at: node.typePosition)
            }
        }
        if let jstype = proto.options?.jstype, jstype != .jsNormal {
            let int64Types: [FieldDescriptorProto.FieldType] = [.int64, .uint64, .sint64, .fixed64, .sfixed64]
            if !int64Types.contains(type) {
                error("jstype is only allowed on int64, uint64, sint64, fixed64 or sfixed64 fields.", at: node.typePosition)
            }
        }
        if proto.extendee != nil, let explicit = node.proto.jsonName, explicit != Self.jsonName(proto.name ?? "") {
            error("option json_name is not allowed on extension fields.", at: node.jsonNamePosition)
        }
    }

    mutating func validateMapEntry(_ node: FieldNode, proto: FieldDescriptorProto, entry: MessageInfo, scope: String) -> Bool {
        let entryScope = entry.fullName.split(separator: ".").dropLast().joined(separator: ".")
        guard proto.label == .repeated, entry.fields.count == 2,
            entry.fullName.split(separator: ".").last.map(String.init) == Parser.mapEntryName(proto.name ?? ""),
            entryScope == scope, proto.extendee == nil
        else { return false }
        let key = entry.fields[0]
        let value = entry.fields[1]
        guard key.label == .optional, key.number == 1, key.name == "key", value.label == .optional, value.number == 2,
            value.name == "value"
        else { return false }
        switch key.type {
        case .enum:
            error("Key in map fields cannot be enum types.", at: node.typePosition)
        case .float, .double, .message, .group, .bytes:
            error("Key in map fields cannot be float/double, bytes or message types.", at: node.typePosition)
        default:
            break
        }
        if value.type == .enum, let info = pool.enums[value.typeName ?? ""], let first = info.values.first, first.number != 0 {
            error("Enum value in map must define 0 as the first value.", at: node.typePosition)
        }
        return true
    }

    mutating func validateEnum(_ node: EnumNode, proto: EnumDescriptorProto, scope: String) {
        guard proto.options?.allowAlias != true else { return }
        var used: [Int32: String] = [:]
        for value in node.values {
            let fullName = join(scope, value.name)
            if let previous = used[value.number] {
                error(
                    "\"\(fullName)\" uses the same enum value as \"\(previous)\". If this is intended, set 'option allow_alias = true;' to the enum definition.",
                    at: value.numberPosition)
            } else {
                used[value.number] = fullName
            }
        }
    }

    mutating func validateProto3Message(_ node: MessageNode, proto: DescriptorProto, scope: String) {
        let fullName = join(scope, node.name)
        for (i, nested) in node.nestedTypes.enumerated() {
            validateProto3Message(nested, proto: proto.nestedType[i], scope: fullName)
        }
        for e in node.enums { validateProto3Enum(e) }
        for (i, field) in node.fields.enumerated() { validateProto3Field(field, proto: proto.field[i], scope: fullName) }
        for (i, ext) in node.extensions.enumerated() {
            validateProto3Field(ext, proto: proto.extension[i], scope: fullName)
        }
        if let first = node.extensionRanges.first {
            error("Extension ranges are not allowed in proto3.", at: first.position)
        }
        if proto.options?.messageSetWireFormat == true {
            error("MessageSet is not supported in proto3.", at: node.namePosition)
        }
        var byLowercase: [String: String] = [:]
        for field in node.fields {
            let name = field.proto.name ?? ""
            let key = String(name.unicodeScalars.filter { $0 != "_" }.map { Character($0) }).lowercased()
            if let other = byLowercase[key] {
                error(
                    "The JSON camel-case name of field \"\(name)\" conflicts with field \"\(other)\". This is not allowed in proto3.",
                    at: field.namePosition)
            } else {
                byLowercase[key] = name
            }
        }
    }

    mutating func validateProto3Field(_ node: FieldNode, proto: FieldDescriptorProto, scope: String) {
        if let extendee = proto.extendee.map({ String($0.dropFirst()) }), !Self.proto3Extendees.contains(extendee) {
            error("Extensions in proto3 are only allowed for defining options.", at: node.extendeePosition)
        }
        if proto.label == .required {
            error("Required fields are not allowed in proto3.", at: node.typePosition)
        }
        if proto.defaultValue != nil {
            error("Explicit default values are not allowed in proto3.", at: node.defaultPosition)
        }
        if proto.type == .enum, let enumName = proto.typeName.map({ String($0.dropFirst()) }),
            let info = pool.enums[enumName], info.syntax != "proto3"
        {
            let container = proto.extendee.map { String($0.dropFirst()) } ?? scope
            error(
                "Enum type \"\(enumName)\" is not a proto3 enum, but is used in \"\(container)\" which is a proto3 message type.",
                at: node.typePosition)
        }
        if proto.type == .group {
            error("Groups are not supported in proto3 syntax.", at: node.typePosition)
        }
    }

    mutating func validateProto3Enum(_ node: EnumNode) {
        if let first = node.values.first, first.number != 0 {
            error("The first enum value must be zero in proto3.", at: first.numberPosition)
        }
    }
}
