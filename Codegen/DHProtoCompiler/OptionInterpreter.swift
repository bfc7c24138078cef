import DHDescriptor
import DHWire

/// Option interpretation, as protoc's OptionInterpreter: each option becomes wire-format
/// bytes appended to its *Options message in order of appearance; built-in fields are then
/// read back into the typed options, custom options stay as unknown fields.
extension Linker {
    struct OptionFailure: Error {
        var message: String
        var position: SourcePosition?
    }

    mutating func interpretOptions(_ proto: inout FileDescriptorProto) {
        for (i, message) in file.messages.enumerated() {
            interpretMessageOptions(message, proto: &proto.messageType[i], scope: package)
        }
        for (i, e) in file.enums.enumerated() { interpretEnumOptions(e, proto: &proto.enumType[i], scope: package) }
        for (i, service) in file.services.enumerated() {
            let fullName = join(package, service.name)
            for (j, method) in service.methods.enumerated() {
                proto.service[i].method[j].options = interpret(
                    method.options, as: MethodOptions.self, scope: join(fullName, method.name))
                    ?? (method.hasOptionsBlock ? MethodOptions() : nil)
            }
            proto.service[i].options = interpret(service.options, as: ServiceOptions.self, scope: fullName)
        }
        for (i, ext) in file.extensions.enumerated() {
            interpretFieldOptions(ext, proto: &proto.extension[i], scope: package)
        }
        proto.options = interpret(file.options, as: FileOptions.self, scope: join(package, "dummy"))
    }

    mutating func interpretMessageOptions(_ node: MessageNode, proto: inout DescriptorProto, scope: String) {
        let fullName = join(scope, node.name)
        for (i, oneof) in node.oneofs.enumerated() {
            proto.oneofDecl[i].options = interpret(oneof.options, as: OneofOptions.self, scope: join(fullName, oneof.name))
        }
        for (i, field) in node.fields.enumerated() { interpretFieldOptions(field, proto: &proto.field[i], scope: fullName) }
        for (i, nested) in node.nestedTypes.enumerated() {
            interpretMessageOptions(nested, proto: &proto.nestedType[i], scope: fullName)
        }
        for (i, e) in node.enums.enumerated() { interpretEnumOptions(e, proto: &proto.enumType[i], scope: fullName) }
        for (i, range) in node.extensionRanges.enumerated() {
            proto.extensionRange[i].options = interpret(range.options, as: ExtensionRangeOptions.self, scope: fullName)
        }
        for (i, ext) in node.extensions.enumerated() {
            interpretFieldOptions(ext, proto: &proto.extension[i], scope: fullName)
        }
        if let options = interpret(node.options, as: MessageOptions.self, scope: fullName) {
            proto.options = options
        }
    }

    mutating func interpretFieldOptions(_ node: FieldNode, proto: inout FieldDescriptorProto, scope: String) {
        proto.options = interpret(node.options, as: FieldOptions.self, scope: join(scope, node.proto.name ?? ""))
    }

    mutating func interpretEnumOptions(_ node: EnumNode, proto: inout EnumDescriptorProto, scope: String) {
        let fullName = join(scope, node.name)
        for (i, value) in node.values.enumerated() {
            proto.value[i].options = interpret(value.options, as: EnumValueOptions.self, scope: join(fullName, value.name))
        }
        proto.options = interpret(node.options, as: EnumOptions.self, scope: fullName)
    }

    static func optionsMessageName<O: DescriptorMessage>(_ type: O.Type) -> String {
        switch type {
        case is FileOptions.Type: return "google.protobuf.FileOptions"
        case is MessageOptions.Type: return "google.protobuf.MessageOptions"
        case is FieldOptions.Type: return "google.protobuf.FieldOptions"
        case is OneofOptions.Type: return "google.protobuf.OneofOptions"
        case is EnumOptions.Type: return "google.protobuf.EnumOptions"
        case is EnumValueOptions.Type: return "google.protobuf.EnumValueOptions"
        case is ServiceOptions.Type: return "google.protobuf.ServiceOptions"
        case is MethodOptions.Type: return "google.protobuf.MethodOptions"
        default: return "google.protobuf.ExtensionRangeOptions"
        }
    }

    /// Interprets the options of one element; stops at its first bad option, like protoc.
    mutating func interpret<O: DescriptorMessage>(_ options: [OptionNode], as type: O.Type, scope: String) -> O? {
        guard !options.isEmpty else { return nil }
        let optionsName = Self.optionsMessageName(type)
        var records = BinaryWriter()
        for option in options {
            do {
                try interpretOne(option, optionsName: optionsName, scope: scope, into: &records)
            } catch {
                self.error(error.message, at: error.position)
                break
            }
        }
        return (try? O(serializedBytes: records.bytes)) ?? O()
    }

    mutating func interpretOne(
        _ option: OptionNode, optionsName: String, scope: String, into records: inout BinaryWriter
    ) throws(OptionFailure) {
        if option.name.first?.name == "uninterpreted_option" {
            throw OptionFailure(message: "Option must not use reserved name \"uninterpreted_option\".", position: option.namePosition)
        }
        guard var descriptor = pool.messages[optionsName] ?? builtinOptionTypes?.messages[optionsName] else {
            throw OptionFailure(
                message: "Option \"\(option.displayName)\" unknown. Ensure that your proto definition file imports the proto which defines the option.",
                position: option.namePosition)
        }
        var debugName = ""
        var field: FieldInfo?
        var intermediate: [FieldInfo] = []
        for (i, part) in option.name.enumerated() {
            undefinedResolvedName = ""
            if !debugName.isEmpty { debugName += "." }
            if part.isExtension {
                debugName += "(\(part.name))"
                if let (resolved, symbol) = lookup(part.name, relativeTo: scope), symbol.kind == .field {
                    field = pool.extensions[resolved] ?? fieldInfo(resolved)
                } else {
                    field = nil
                }
            } else {
                debugName += part.name
                field = descriptor.fields.first { $0.name == part.name }
            }
            guard let found = field else {
                if !undefinedResolvedName.isEmpty {
                    throw OptionFailure(
                        message: "Option \"\(debugName)\" is resolved to \"(\(undefinedResolvedName))\", which is not defined. The innermost scope is searched first in name resolution. Consider using a leading '.'(i.e., \"(.\(debugName.dropFirst())\") to start from the outermost scope.",
                        position: option.namePosition)
                }
                throw OptionFailure(
                    message: "Option \"\(debugName)\" unknown. Ensure that your proto definition file imports the proto which defines the option.",
                    position: option.namePosition)
            }
            let container = part.isExtension ? (found.extendee ?? "") : descriptor.fullName
            if container != descriptor.fullName {
                throw OptionFailure(
                    message: "Option field \"\(debugName)\" is not a field or extension of message \"\(descriptor.fullName.split(separator: ".").last.map(String.init) ?? "")\".",
                    position: option.namePosition)
            }
            if i < option.name.count - 1 {
                guard found.type == .message || found.type == .group, let typeName = found.typeName,
                    let next = pool.messages[typeName] ?? builtinOptionTypes?.messages[typeName]
                else {
                    throw OptionFailure(message: "Option \"\(debugName)\" is an atomic type, not a message.", position: option.namePosition)
                }
                if found.label == .repeated {
                    throw OptionFailure(
                        message: "Option field \"\(debugName)\" is a repeated message. Repeated message options must be initialized using an aggregate value.",
                        position: option.namePosition)
                }
                intermediate.append(found)
                descriptor = next
            }
        }
        guard let leaf = field else { return }
        if leaf.label != .repeated, Self.isSet(records.bytes, path: intermediate.map(\.number), leaf: leaf.number) {
            throw OptionFailure(message: "Option \"\(debugName)\" was already set.", position: option.namePosition)
        }
        var value = BinaryWriter()
        try encodeOptionValue(option.value, field: leaf, into: &value, position: option.valuePosition)
        var bytes = value.bytes
        for parent in intermediate.reversed() {
            var wrapper = BinaryWriter()
            if parent.type == .group {
                wrapper.writeTag(parent.number, .startGroup)
                wrapper.append(contentsOf: bytes)
                wrapper.writeTag(parent.number, .endGroup)
            } else {
                wrapper.writeTag(parent.number, .lengthDelimited)
                wrapper.writeLengthDelimited(bytes)
            }
            bytes = wrapper.bytes
        }
        records.append(contentsOf: bytes)
    }

    func fieldInfo(_ fullName: String) -> FieldInfo? {
        guard let dot = fullName.utf8.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        let container = String(fullName[..<dot])
        let name = String(fullName[fullName.index(after: dot)...])
        return pool.messages[container]?.fields.first { $0.name == name }
    }

    /// Whether a non-repeated option is already present in the records written so far.
    static func isSet(_ bytes: [UInt8], path: [Int32], leaf: Int32) -> Bool {
        var reader = BinaryReader(bytes)
        while let tag = try? reader.readTag() {
            if path.isEmpty {
                if tag.fieldNumber == leaf { return true }
                if (try? skipField(tag, &reader)) == nil { return false }
            } else if tag.fieldNumber == path[0], tag.wireType == .lengthDelimited {
                guard let payload = try? reader.readLengthDelimited() else { return false }
                if isSet(Array(payload), path: Array(path.dropFirst()), leaf: leaf) { return true }
            } else if (try? skipField(tag, &reader)) == nil {
                return false
            }
        }
        return false
    }

    static func skipField(_ tag: FieldTag, _ reader: inout BinaryReader) throws(WireError) {
        if tag.wireType == .startGroup {
            while let inner = try reader.readTag() {
                if inner.wireType == .endGroup { return }
                try skipField(inner, &reader)
            }
            return
        }
        try reader.skip(tag.wireType)
    }

    mutating func encodeOptionValue(
        _ value: OptionNode.Value, field: FieldInfo, into writer: inout BinaryWriter, position: SourcePosition
    ) throws(OptionFailure) {
        let name = field.fullName
        func fail(_ message: String) -> OptionFailure { OptionFailure(message: message, position: position) }
        switch field.type {
        case .int32, .sint32, .sfixed32:
            let v: Int64
            switch value {
            case .positiveInteger(let p):
                guard p <= UInt64(Int32.max) else { throw fail("Value out of range for int32 option \"\(name)\".") }
                v = Int64(p)
            case .negativeInteger(let n):
                guard n >= Int64(Int32.min) else { throw fail("Value out of range for int32 option \"\(name)\".") }
                v = n
            default: throw fail("Value must be integer for int32 option \"\(name)\".")
            }
            Self.writeScalar(field, int: v, into: &writer)
        case .int64, .sint64, .sfixed64:
            let v: Int64
            switch value {
            case .positiveInteger(let p):
                guard p <= UInt64(Int64.max) else { throw fail("Value out of range for int64 option \"\(name)\".") }
                v = Int64(p)
            case .negativeInteger(let n): v = n
            default: throw fail("Value must be integer for int64 option \"\(name)\".")
            }
            Self.writeScalar(field, int: v, into: &writer)
        case .uint32, .fixed32:
            guard case .positiveInteger(let p) = value else {
                throw fail("Value must be non-negative integer for uint32 option \"\(name)\".")
            }
            guard p <= UInt64(UInt32.max) else { throw fail("Value out of range for uint32 option \"\(name)\".") }
            Self.writeScalar(field, uint: p, into: &writer)
        case .uint64, .fixed64:
            guard case .positiveInteger(let p) = value else {
                throw fail("Value must be non-negative integer for uint64 option \"\(name)\".")
            }
            Self.writeScalar(field, uint: p, into: &writer)
        case .float, .double:
            let d: Double
            switch value {
            case .double(let x): d = x
            case .positiveInteger(let p): d = Double(p)
            case .negativeInteger(let n): d = Double(n)
            default: throw fail("Value must be number for \(field.type) option \"\(name)\".")
            }
            if field.type == .float {
                writer.writeTag(field.number, .fixed32)
                writer.writeFixed32(Float(d).bitPattern)
            } else {
                writer.writeTag(field.number, .fixed64)
                writer.writeFixed64(d.bitPattern)
            }
        case .bool:
            guard case .identifier(let id) = value else {
                throw fail("Value must be identifier for boolean option \"\(name)\".")
            }
            guard id == "true" || id == "false" else {
                throw fail("Value must be \"true\" or \"false\" for boolean option \"\(name)\".")
            }
            writer.writeTag(field.number, .varint)
            writer.writeVarint(id == "true" ? 1 : 0)
        case .enum:
            guard case .identifier(let id) = value else {
                throw fail("Value must be identifier for enum-valued option \"\(name)\".")
            }
            let enumName = field.typeName ?? ""
            guard let info = pool.enums[enumName] ?? builtinOptionTypes?.enums[enumName] else { throw fail("Enum type \"\(enumName)\" is not defined.") }
            guard let match = info.values.first(where: { $0.name == id }) else {
                let scope = enumName.split(separator: ".").dropLast().joined(separator: ".")
                if pool.symbols[join(scope, id)]?.kind == .enumValue {
                    throw fail(
                        "Enum type \"\(enumName)\" has no value named \"\(id)\" for option \"\(name)\". This appears to be a value from a sibling type."
                    )
                }
                throw fail("Enum type \"\(enumName)\" has no value named \"\(id)\" for option \"\(name)\".")
            }
            writer.writeTag(field.number, .varint)
            writer.writeVarint(UInt64(bitPattern: Int64(match.number)))
        case .string, .bytes:
            guard case .string(let bytes) = value else {
                throw fail("Value must be quoted string for string option \"\(name)\".")
            }
            writer.writeTag(field.number, .lengthDelimited)
            writer.writeLengthDelimited(bytes)
        default:
            guard case .aggregate(let tokens) = value else {
                throw fail("Value must be quoted string for string option \"\(name)\".")
            }
            guard let typeName = field.typeName, let message = pool.messages[typeName] else {
                throw fail("Option \"\(name)\" has an unknown message type.")
            }
            var parser = TextFormatParser(tokens: tokens, linker: self)
            let payload: [UInt8]
            defer { usedFiles.formUnion(parser.usedFiles) }
            do {
                payload = try parser.parseMessage(message, depth: 0, terminator: nil)
            } catch {
                throw fail("Error while parsing option value for \"\(field.name)\": \(error.message)")
            }
            if field.type == .group {
                writer.writeTag(field.number, .startGroup)
                writer.append(contentsOf: payload)
                writer.writeTag(field.number, .endGroup)
            } else {
                writer.writeTag(field.number, .lengthDelimited)
                writer.writeLengthDelimited(payload)
            }
        }
    }

    static func writeScalar(_ field: FieldInfo, int value: Int64, into writer: inout BinaryWriter) {
        switch field.type {
        case .sint32:
            writer.writeTag(field.number, .varint)
            writer.writeVarint(UInt64(ZigZag.encode(Int32(truncatingIfNeeded: value))))
        case .sint64:
            writer.writeTag(field.number, .varint)
            writer.writeVarint(ZigZag.encode(value))
        case .sfixed32:
            writer.writeTag(field.number, .fixed32)
            writer.writeFixed32(UInt32(bitPattern: Int32(truncatingIfNeeded: value)))
        case .sfixed64:
            writer.writeTag(field.number, .fixed64)
            writer.writeFixed64(UInt64(bitPattern: value))
        default:
            writer.writeTag(field.number, .varint)
            writer.writeVarint(UInt64(bitPattern: value))
        }
    }

    static func writeScalar(_ field: FieldInfo, uint value: UInt64, into writer: inout BinaryWriter) {
        switch field.type {
        case .fixed32:
            writer.writeTag(field.number, .fixed32)
            writer.writeFixed32(UInt32(truncatingIfNeeded: value))
        case .fixed64:
            writer.writeTag(field.number, .fixed64)
            writer.writeFixed64(value)
        default:
            writer.writeTag(field.number, .varint)
            writer.writeVarint(value)
        }
    }
}
