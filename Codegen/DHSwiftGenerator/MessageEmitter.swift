internal import DHDescriptor

/// Emits the Swift for one file's messages and enums, following docs/RUNTIME.md.
struct MessageEmitter {
    let index: TypeIndex
    let options: GeneratorOptions
    let comments: SourceComments
    let isProto3: Bool

    private var access: String { options.visibility.keyword.map { $0 + " " } ?? "" }

    // MARK: Enums

    func emitEnum(_ enumType: EnumDescriptorProto, swiftName: String, path: [Int32], into p: inout CodePrinter) {
        let values = enumType.value
        let caseNames = SwiftNamer.caseNames(enumName: enumType.name ?? "", values: values.map { $0.name ?? "" })
        // Aliases (allow_alias) share a number: the first name is the case, later ones are
        // static aliases of it.
        var firstByNumber: [Int32: String] = [:]
        var cases: [(name: String, number: Int32, index: Int)] = []
        var aliases: [(name: String, target: String, index: Int)] = []
        for (position, value) in values.enumerated() {
            let number = value.number ?? 0
            if let target = firstByNumber[number] {
                aliases.append((caseNames[position], target, position))
            } else {
                firstByNumber[number] = caseNames[position]
                cases.append((caseNames[position], number, position))
            }
        }
        let localName = swiftName.split(separator: ".").last.map(String.init) ?? swiftName
        let defaultCase = values.first.map { firstByNumber[$0.number ?? 0]! } ?? "unrecognized(0)"

        p.documentation(comments.comment(for: path))
        p.block("\(access)enum \(localName): DHWire.ProtoEnum") { p in
            for item in cases {
                p.documentation(comments.comment(for: path + [2, Int32(item.index)]))
                p.line("case \(SwiftNamer.escaped(item.name))  // = \(item.number)")
            }
            p.line("/// A value this version of the schema does not know; kept and re-emitted as it came.")
            p.line("case unrecognized(Int32)")
            for alias in aliases {
                p.line()
                p.documentation(comments.comment(for: path + [2, Int32(alias.index)]))
                p.line("\(access)static let \(SwiftNamer.escaped(alias.name)): \(localName) = .\(SwiftNamer.escaped(alias.target))")
            }
            p.line()
            p.line("\(access)init() { self = .\(SwiftNamer.escaped(defaultCase)) }")
            p.line()
            p.block("\(access)init(rawValue: Int32)") { p in
                p.line("switch rawValue {")
                for item in cases {
                    p.line("case \(item.number): self = .\(SwiftNamer.escaped(item.name))")
                }
                p.line("default: self = .unrecognized(rawValue)")
                p.line("}")
            }
            p.line()
            p.block("\(access)var rawValue: Int32") { p in
                p.line("switch self {")
                for item in cases {
                    p.line("case .\(SwiftNamer.escaped(item.name)): \(item.number)")
                }
                p.line("case .unrecognized(let value): value")
                p.line("}")
            }
            p.line()
            p.block("\(access)var protoName: StaticString?") { p in
                p.line("switch self {")
                for item in cases {
                    p.line("case .\(SwiftNamer.escaped(item.name)): \(SwiftLiteral.string(values[item.index].name ?? ""))")
                }
                p.line("case .unrecognized: nil")
                p.line("}")
            }
            p.line()
            p.block("\(access)init?(protoName: DHWire.JSONName)") { p in
                p.line("switch protoName {")
                for item in cases {
                    p.line("case \(SwiftLiteral.string(values[item.index].name ?? "")): self = .\(SwiftNamer.escaped(item.name))")
                }
                for alias in aliases {
                    p.line("case \(SwiftLiteral.string(values[alias.index].name ?? "")): self = .\(SwiftNamer.escaped(alias.target))")
                }
                p.line("default: return nil")
                p.line("}")
            }
        }
    }

    // MARK: Messages

    func emitMessage(
        _ message: DescriptorProto, fullName: String, swiftName: String, path: [Int32], into p: inout CodePrinter
    ) throws(GeneratorError) {
        let fields = try fieldModels(message, fullName: fullName, path: path)
        let oneofNames = oneofTypeNames(message)
        let localName = swiftName.split(separator: ".").last.map(String.init) ?? swiftName

        p.documentation(comments.comment(for: path))
        try p.blockThrowing("\(access)struct \(localName): DHWire.Message") { p throws(GeneratorError) in
            // Nested enums and messages first (map entries are not types of their own in Swift).
            for (position, nestedEnum) in message.enumType.enumerated() {
                let name = SwiftNamer.typeName(nestedEnum.name ?? "")
                emitEnum(nestedEnum, swiftName: name, path: path + [4, Int32(position)], into: &p)
                p.line()
            }
            for (position, nested) in message.nestedType.enumerated() where nested.options?.mapEntry != true {
                let nestedFullName = fullName + "." + (nested.name ?? "")
                let nestedSwiftName = try index.entry(nestedFullName).swiftName
                try emitMessage(
                    nested, fullName: nestedFullName, swiftName: nestedSwiftName, path: path + [3, Int32(position)],
                    into: &p)
                p.line()
            }
            for (oneofIndex, oneofName) in oneofNames.sorted(by: { $0.key < $1.key }) {
                let members = fields.filter {
                    if case .oneofMember(let index, _) = $0.storage { index == oneofIndex } else { false }
                }
                let indirect = members.contains {
                    if case .oneofMember(_, true) = $0.storage { true } else { false }
                }
                p.documentation(comments.comment(for: path + [8, Int32(oneofIndex)]))
                p.block("\(access)\(indirect ? "indirect " : "")enum \(oneofName): Sendable, Hashable") { p in
                    for member in members {
                        p.documentation(member.comment)
                        p.line("case \(SwiftNamer.escaped(member.name))(\(member.swiftType))")
                    }
                }
                p.line()
            }

            p.line("\(access)static let protoMessageName = \(SwiftLiteral.string(String(fullName.dropFirst())))")
            p.line()
            emitProperties(fields, oneofNames: oneofNames, message: message, swiftName: swiftName, into: &p)
            p.line()
            p.line("\(access)init() {}")
            p.line()
            emitSerializedSize(fields, oneofNames: oneofNames, message: message, into: &p)
            p.line()
            emitEncode(fields, oneofNames: oneofNames, message: message, into: &p)
            p.line()
            emitDecode(fields, oneofNames: oneofNames, message: message, into: &p)
            p.line()
            emitEncodeJSON(fields, message: message, into: &p)
            p.line()
            emitDecodeJSON(fields, message: message, into: &p)
        }
    }

    /// Swift enum names for the message's real oneofs, by oneof index.
    private func oneofTypeNames(_ message: DescriptorProto) -> [Int: String] {
        var synthetic: Set<Int> = []
        for field in message.field where field.proto3Optional == true {
            if let index = field.oneofIndex { synthetic.insert(Int(index)) }
        }
        let taken = Set(message.nestedType.map { $0.name ?? "" } + message.enumType.map { $0.name ?? "" })
        var names: [Int: String] = [:]
        for (position, oneof) in message.oneofDecl.enumerated() where !synthetic.contains(position) {
            var name = SwiftNamer.upperCamel(oneof.name ?? "")
            if taken.contains(name) || SwiftNamer.reservedTypeNames.contains(name) { name = "OneOf_" + name }
            names[position] = name
        }
        return names
    }

    private func fieldModels(
        _ message: DescriptorProto, fullName: String, path: [Int32]
    ) throws(GeneratorError) -> [FieldModel] {
        let realOneofs = oneofTypeNames(message)
        var models: [FieldModel] = []
        for (position, field) in message.field.enumerated() {
            guard let number = field.number, let type = field.type, let protoName = field.name else {
                throw GeneratorError(code: .invalidDescriptor, message: "field \(position) of \(fullName) lacks a name, number or type")
            }
            if type == .group {
                throw GeneratorError(code: .unsupported, message: "\(fullName).\(protoName) is a group; groups are not generated")
            }
            let name = SwiftNamer.memberName(protoName)
            let comment = comments.comment(for: path + [2, Int32(position)])
            let isRepeated = field.label == .repeated
            let realOneof = field.oneofIndex.flatMap { realOneofs[Int($0)] != nil ? Int($0) : nil }

            // Map fields: a repeated field of a map-entry message.
            if isRepeated, type == .message, let typeName = field.typeName, let entry = index.mapEntry(typeName) {
                let key = try valueShape(entry.field.first { $0.number == 1 }, in: typeName)
                let value = try valueShape(entry.field.first { $0.number == 2 }, in: typeName)
                models.append(
                    FieldModel(
                        descriptor: field, number: number, name: name,
                        swiftType: "[\(key.swiftType): \(value.swiftType)]", codec: "", wireType: 2,
                        isMessage: false, isEnum: false,
                        storage: .map(
                            keyCodec: key.codec, keyType: key.swiftType, valueCodec: value.elementCodec,
                            valueType: value.swiftType),
                        defaultValue: "[:]", presence: { _ in "true" }, comment: comment))
                continue
            }

            let shape = try valueShape(field, in: fullName)
            let storage: FieldModel.Storage
            if isRepeated {
                let packable = ScalarKind.of(type)?.packable ?? (type == .enum)
                let packed = packable && (field.options?.packed ?? isProto3)
                storage = .repeated(packed: packed)
            } else if let realOneof {
                let indirect = type == .message && index.needsIndirection(container: fullName, target: field.typeName ?? "")
                storage = .oneofMember(oneof: realOneof, indirect: indirect)
            } else if type == .message {
                storage = .optional(indirect: index.needsIndirection(container: fullName, target: field.typeName ?? ""))
            } else if field.proto3Optional == true || !isProto3 {
                storage = .optional(indirect: false)
            } else {
                storage = .implicit
            }
            models.append(
                FieldModel(
                    descriptor: field, number: number, name: name, swiftType: shape.swiftType,
                    codec: isRepeated ? shape.elementCodec : shape.codec, wireType: shape.wireType,
                    isMessage: type == .message, isEnum: type == .enum, storage: storage,
                    defaultValue: try defaultValue(field, shape: shape), presence: shape.presence, comment: comment))
        }
        return models
    }

    private struct ValueShape {
        let swiftType: String
        /// The codec for a singular value (messages are written with writeMessage instead).
        let codec: String
        /// The codec for repeated elements and map values.
        let elementCodec: String
        let wireType: UInt32
        let zero: String
        let presence: (String) -> String
    }

    private func valueShape(_ field: FieldDescriptorProto?, in container: String) throws(GeneratorError) -> ValueShape {
        guard let field, let type = field.type else {
            throw GeneratorError(code: .invalidDescriptor, message: "map entry \(container) lacks its key or value")
        }
        if let scalar = ScalarKind.of(type) {
            return ValueShape(
                swiftType: scalar.swiftType, codec: scalar.codec, elementCodec: scalar.codec,
                wireType: scalar.wireType, zero: scalar.zero, presence: scalar.presence)
        }
        let entry = try index.entry(field.typeName ?? "")
        switch type {
        case .enum:
            let codec = "DHWire.ProtoEnumField<\(entry.swiftName)>"
            // An enum's default is its first value (number 0 in proto3).
            var zero = "\(entry.swiftName)()"
            if case .enum(let enumType) = entry.kind, !enumType.value.isEmpty {
                let names = SwiftNamer.caseNames(
                    enumName: enumType.name ?? "", values: enumType.value.map { $0.name ?? "" })
                zero = "." + SwiftNamer.escaped(names[0])
            }
            return ValueShape(
                swiftType: entry.swiftName, codec: codec, elementCodec: codec, wireType: 0,
                zero: zero, presence: { "\($0).rawValue != 0" })
        case .message:
            return ValueShape(
                swiftType: entry.swiftName, codec: "", elementCodec: "DHWire.ProtoMessageField<\(entry.swiftName)>",
                wireType: 2, zero: "\(entry.swiftName)()", presence: { _ in "true" })
        default:
            throw GeneratorError(code: .unsupported, message: "field type \(type) in \(container) is not generated")
        }
    }

    /// The getter's default: proto2 `[default = ...]` where given, else the zero value.
    private func defaultValue(_ field: FieldDescriptorProto, shape: ValueShape) throws(GeneratorError) -> String {
        guard let text = field.defaultValue, field.label != .repeated else { return shape.zero }
        switch field.type {
        case .string:
            return SwiftLiteral.string(text)
        case .bytes:
            return "[" + SwiftLiteral.unescapedCBytes(text).map(String.init).joined(separator: ", ") + "]"
        case .bool:
            return text == "true" ? "true" : "false"
        case .float, .double:
            switch text {
            case "inf": return "\(shape.swiftType).infinity"
            case "-inf": return "-\(shape.swiftType).infinity"
            case "nan": return "\(shape.swiftType).nan"
            default: return text
            }
        case .enum:
            guard case .enum(let enumType)? = index.entries[field.typeName ?? ""]?.kind else { return shape.zero }
            let names = SwiftNamer.caseNames(enumName: enumType.name ?? "", values: enumType.value.map { $0.name ?? "" })
            guard let position = enumType.value.firstIndex(where: { $0.name == text }) else { return shape.zero }
            return "." + SwiftNamer.escaped(names[position])
        default:
            return text
        }
    }

    // MARK: Properties

    private func emitProperties(
        _ fields: [FieldModel], oneofNames: [Int: String], message: DescriptorProto, swiftName: String,
        into p: inout CodePrinter
    ) {
        var emittedOneofs: Set<Int> = []
        var privateStorage: [String] = []
        for field in fields {
            let name = SwiftNamer.escaped(field.name)
            switch field.storage {
            case .implicit:
                p.documentation(field.comment)
                p.line("\(access)var \(name): \(field.swiftType) = \(field.defaultValue)")
            case .repeated:
                p.documentation(field.comment)
                p.line("\(access)var \(name): [\(field.swiftType)] = []")
            case .map:
                p.documentation(field.comment)
                p.line("\(access)var \(name): \(field.swiftType) = [:]")
            case .optional(let indirect):
                p.documentation(field.comment)
                p.block("\(access)var \(name): \(field.swiftType)") { p in
                    if indirect {
                        p.line("get { \(field.privateName)?.value ?? \(field.defaultValue) }")
                        p.line("set { \(field.privateName) = DHWire.Indirect(newValue) }")
                    } else {
                        p.line("get { \(field.privateName) ?? \(field.defaultValue) }")
                        p.line("set { \(field.privateName) = newValue }")
                    }
                }
                p.line("/// Whether `\(field.name)` was set.")
                p.line("\(access)var has\(field.capitalizedName): Bool { \(field.privateName) != nil }")
                p.line("\(access)mutating func clear\(field.capitalizedName)() { \(field.privateName) = nil }")
                let storedType = indirect ? "DHWire.Indirect<\(field.swiftType)>" : field.swiftType
                privateStorage.append("private var \(field.privateName): \(storedType)? = nil")
            case .oneofMember(let oneof, _):
                let typeName = oneofNames[oneof]!
                let oneofProperty = SwiftNamer.memberName(message.oneofDecl[oneof].name ?? "")
                if emittedOneofs.insert(oneof).inserted {
                    p.line("\(access)var \(SwiftNamer.escaped(oneofProperty)): \(swiftName).\(typeName)? = nil")
                }
                p.documentation(field.comment)
                p.block("\(access)var \(name): \(field.swiftType)") { p in
                    p.line(
                        "get { if case .\(name)(let v)? = \(SwiftNamer.escaped(oneofProperty)) { v } else { \(field.defaultValue) } }")
                    p.line("set { \(SwiftNamer.escaped(oneofProperty)) = .\(name)(newValue) }")
                }
            }
        }
        p.line("\(access)var unknownFields = DHWire.UnknownFields()")
        if !privateStorage.isEmpty {
            p.line()
            p.lines(privateStorage)
        }
    }

    // MARK: Size, encode, decode

    /// Members of each oneof, grouped, in the order `fields` lists them.
    private func oneofMembers(_ fields: [FieldModel]) -> [Int: [FieldModel]] {
        var members: [Int: [FieldModel]] = [:]
        for field in fields {
            if case .oneofMember(let oneof, _) = field.storage { members[oneof, default: []].append(field) }
        }
        return members
    }

    private func emitSerializedSize(
        _ fields: [FieldModel], oneofNames: [Int: String], message: DescriptorProto, into p: inout CodePrinter
    ) {
        let members = oneofMembers(fields)
        var emittedOneofs: Set<Int> = []
        p.block("\(access)func serializedSize() -> Int") { p in
            p.line("var size = 0")
            for field in fields {
                let name = "self." + SwiftNamer.escaped(field.name)
                switch field.storage {
                case .implicit:
                    p.line(
                        "if \(field.presence(name)) { size &+= DHWire.WireSize.field(\(field.codec).self, \(name), key: \(field.key)) }")
                case .optional(let indirect):
                    if field.isMessage {
                        p.line(
                            "if let v = self.\(field.privateName) { size &+= DHWire.WireSize.message(v\(indirect ? ".value" : ""), key: \(field.key)) }")
                    } else {
                        p.line(
                            "if let v = self.\(field.privateName) { size &+= DHWire.WireSize.field(\(field.codec).self, v, key: \(field.key)) }")
                    }
                case .repeated(let packed):
                    if packed {
                        p.line("size &+= DHWire.WireSize.packed(\(field.codec).self, \(name), key: \(field.packedKey))")
                    } else {
                        p.line("size &+= DHWire.WireSize.repeated(\(field.codec).self, \(name), key: \(field.key))")
                    }
                case .map(let keyCodec, _, let valueCodec, _):
                    p.line("size &+= DHWire.WireSize.map(\(keyCodec).self, \(valueCodec).self, \(name), key: \(field.key))")
                case .oneofMember(let oneof, _):
                    guard emittedOneofs.insert(oneof).inserted else { continue }
                    let property = "self." + SwiftNamer.escaped(SwiftNamer.memberName(message.oneofDecl[oneof].name ?? ""))
                    p.line("switch \(property) {")
                    for member in members[oneof] ?? [] {
                        let caseName = SwiftNamer.escaped(member.name)
                        if member.isMessage {
                            p.line("case .\(caseName)(let v)?: size &+= DHWire.WireSize.message(v, key: \(member.key))")
                        } else {
                            p.line(
                                "case .\(caseName)(let v)?: size &+= DHWire.WireSize.field(\(member.codec).self, v, key: \(member.key))")
                        }
                    }
                    p.line("case nil: break")
                    p.line("}")
                }
            }
            p.line("size &+= unknownFields.count")
            p.line("return size")
        }
    }

    private func emitEncode(
        _ fields: [FieldModel], oneofNames: [Int: String], message: DescriptorProto, into p: inout CodePrinter
    ) {
        let members = oneofMembers(fields)
        var emittedOneofs: Set<Int> = []
        // Back to front: unknown fields first, then fields by descending number.
        let ordered = fields.sorted { $0.number > $1.number }
        p.block("\(access)func encode(to writer: inout DHWire.WireWriter)") { p in
            p.line("writer.writeUnknownFields(unknownFields)")
            for field in ordered {
                let name = "self." + SwiftNamer.escaped(field.name)
                switch field.storage {
                case .implicit:
                    p.line("if \(field.presence(name)) { writer.write(\(field.codec).self, \(name), key: \(field.key)) }")
                case .optional(let indirect):
                    if field.isMessage {
                        p.line(
                            "if let v = self.\(field.privateName) { writer.writeMessage(v\(indirect ? ".value" : ""), key: \(field.key)) }")
                    } else {
                        p.line("if let v = self.\(field.privateName) { writer.write(\(field.codec).self, v, key: \(field.key)) }")
                    }
                case .repeated(let packed):
                    if packed {
                        p.line("writer.writePacked(\(field.codec).self, \(name), key: \(field.packedKey))")
                    } else {
                        p.line("writer.writeRepeated(\(field.codec).self, \(name), key: \(field.key))")
                    }
                case .map(let keyCodec, _, let valueCodec, _):
                    p.line("writer.writeMap(\(keyCodec).self, \(valueCodec).self, \(name), key: \(field.key))")
                case .oneofMember(let oneof, _):
                    guard emittedOneofs.insert(oneof).inserted else { continue }
                    let property = "self." + SwiftNamer.escaped(SwiftNamer.memberName(message.oneofDecl[oneof].name ?? ""))
                    p.line("switch \(property) {")
                    for member in (members[oneof] ?? []).sorted(by: { $0.number > $1.number }) {
                        let caseName = SwiftNamer.escaped(member.name)
                        if member.isMessage {
                            p.line("case .\(caseName)(let v)?: writer.writeMessage(v, key: \(member.key))")
                        } else {
                            p.line("case .\(caseName)(let v)?: writer.write(\(member.codec).self, v, key: \(member.key))")
                        }
                    }
                    p.line("case nil: break")
                    p.line("}")
                }
            }
        }
    }

    private func emitDecode(
        _ fields: [FieldModel], oneofNames: [Int: String], message: DescriptorProto, into p: inout CodePrinter
    ) {
        let ordered = fields.sorted { $0.number < $1.number }
        p.block("\(access)mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError)") {
            p in
            p.block("while let key = try reader.nextKey()") { p in
                p.line("switch key {")
                for field in ordered {
                    let name = "self." + SwiftNamer.escaped(field.name)
                    switch field.storage {
                    case .implicit:
                        p.line("case \(field.key): \(name) = try reader.read(\(field.codec).self)")
                    case .optional(let indirect):
                        if field.isMessage && indirect {
                            p.line("case \(field.key):")
                            p.indent()
                            p.line("var v = self.\(field.privateName)?.value ?? \(field.swiftType)()")
                            p.line("try reader.readMessage(into: &v)")
                            p.line("self.\(field.privateName) = DHWire.Indirect(v)")
                            p.outdent()
                        } else if field.isMessage {
                            p.line("case \(field.key): try reader.readMessage(into: &self.\(field.privateName))")
                        } else {
                            p.line("case \(field.key): self.\(field.privateName) = try reader.read(\(field.codec).self)")
                        }
                    case .repeated:
                        // Numeric, bool and enum fields accept both packed and unpacked encodings.
                        let packable = (ScalarKind.of(field.descriptor.type!)?.packable ?? false) || field.isEnum
                        let keys =
                            packable && field.wireType != 2 ? "\(field.key), \(field.packedKey)" : "\(field.key)"
                        p.line("case \(keys): try reader.readRepeated(\(field.codec).self, key: key, into: &\(name))")
                    case .map(let keyCodec, _, let valueCodec, _):
                        p.line("case \(field.key): try reader.readMapEntry(\(keyCodec).self, \(valueCodec).self, into: &\(name))")
                    case .oneofMember(let oneof, _):
                        let property = "self." + SwiftNamer.escaped(SwiftNamer.memberName(message.oneofDecl[oneof].name ?? ""))
                        let caseName = SwiftNamer.escaped(field.name)
                        if field.isMessage {
                            p.line("case \(field.key):")
                            p.indent()
                            p.line("var v = \(field.swiftType)()")
                            p.line("if case .\(caseName)(let existing)? = \(property) { v = existing }")
                            p.line("try reader.readMessage(into: &v)")
                            p.line("\(property) = .\(caseName)(v)")
                            p.outdent()
                        } else {
                            p.line("case \(field.key): \(property) = .\(caseName)(try reader.read(\(field.codec).self))")
                        }
                    }
                }
                p.line("default: try reader.skipField(key: key, into: &unknownFields)")
                p.line("}")
            }
        }
    }

    // MARK: JSON

    /// The field's JSON name: the descriptor's `json_name` (protoc always fills it), else
    /// protobuf's lowerCamelCase of the .proto name.
    private func jsonName(_ field: FieldModel) -> String {
        if let name = field.descriptor.jsonName { return name }
        var result = ""
        var capitalizeNext = false
        for character in field.descriptor.name ?? "" {
            if character == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += character.uppercased()
                capitalizeNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    private func jsonNames(_ field: FieldModel) -> String {
        let json = SwiftLiteral.string(jsonName(field))
        let proto = SwiftLiteral.string(field.descriptor.name ?? "")
        return "\(json), \(proto)"
    }

    private func emitEncodeJSON(_ fields: [FieldModel], message: DescriptorProto, into p: inout CodePrinter) {
        let members = oneofMembers(fields)
        var emittedOneofs: Set<Int> = []
        p.block("\(access)func encodeJSONFields(to writer: inout DHWire.JSONWriter)") { p in
            for field in fields.sorted(by: { $0.number < $1.number }) {
                let name = "self." + SwiftNamer.escaped(field.name)
                let names = jsonNames(field)
                switch field.storage {
                case .implicit:
                    p.line(
                        "if \(field.presence(name)) || writer.includesDefaults { writer.field(\(names), \(field.codec).self, \(name)) }")
                case .optional(let indirect):
                    if field.isMessage {
                        p.line("if let v = self.\(field.privateName) { writer.messageField(\(names), v\(indirect ? ".value" : "")) }")
                    } else {
                        p.line("if let v = self.\(field.privateName) { writer.field(\(names), \(field.codec).self, v) }")
                    }
                case .repeated:
                    p.line("writer.repeatedField(\(names), \(field.codec).self, \(name))")
                case .map(let keyCodec, _, let valueCodec, _):
                    p.line("writer.mapField(\(names), \(keyCodec).self, \(valueCodec).self, \(name))")
                case .oneofMember(let oneof, _):
                    guard emittedOneofs.insert(oneof).inserted else { continue }
                    let property = "self." + SwiftNamer.escaped(SwiftNamer.memberName(message.oneofDecl[oneof].name ?? ""))
                    p.line("switch \(property) {")
                    for member in (members[oneof] ?? []).sorted(by: { $0.number < $1.number }) {
                        let caseName = SwiftNamer.escaped(member.name)
                        if member.isMessage {
                            p.line("case .\(caseName)(let v)?: writer.messageField(\(jsonNames(member)), v)")
                        } else {
                            p.line("case .\(caseName)(let v)?: writer.field(\(jsonNames(member)), \(member.codec).self, v)")
                        }
                    }
                    p.line("case nil: break")
                    p.line("}")
                }
            }
        }
    }

    private func emitDecodeJSON(_ fields: [FieldModel], message: DescriptorProto, into p: inout CodePrinter) {
        p.block(
            "\(access)mutating func decodeJSONField(_ name: DHWire.JSONName, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool"
        ) { p in
            guard !fields.isEmpty else {
                p.line("false")
                return
            }
            p.line("switch name {")
            for field in fields.sorted(by: { $0.number < $1.number }) {
                let member = "self." + SwiftNamer.escaped(field.name)
                let json = jsonName(field)
                let proto = field.descriptor.name ?? ""
                let labels =
                    json == proto
                    ? SwiftLiteral.string(json) : "\(SwiftLiteral.string(json)), \(SwiftLiteral.string(proto))"
                switch field.storage {
                case .implicit:
                    p.line("case \(labels): \(member) = try reader.read(\(field.codec).self)")
                case .optional(let indirect):
                    if field.isMessage && indirect {
                        p.line("case \(labels):")
                        p.indent()
                        p.line("var v = self.\(field.privateName)?.value ?? \(field.swiftType)()")
                        p.line("try reader.readMessage(into: &v)")
                        p.line("self.\(field.privateName) = DHWire.Indirect(v)")
                        p.outdent()
                    } else if field.isMessage {
                        p.line("case \(labels): try reader.readMessage(into: &self.\(field.privateName))")
                    } else {
                        p.line("case \(labels): self.\(field.privateName) = try reader.read(\(field.codec).self)")
                    }
                case .repeated:
                    p.line("case \(labels): try reader.readRepeated(\(field.codec).self, into: &\(member))")
                case .map(let keyCodec, _, let valueCodec, _):
                    p.line("case \(labels): try reader.readMap(\(keyCodec).self, \(valueCodec).self, into: &\(member))")
                case .oneofMember(let oneof, _):
                    let property = "self." + SwiftNamer.escaped(SwiftNamer.memberName(message.oneofDecl[oneof].name ?? ""))
                    let caseName = SwiftNamer.escaped(field.name)
                    // A second member of one oneof in the same object is an error, as in
                    // protobuf's JSON parsers.
                    p.line("case \(labels):")
                    p.indent()
                    p.line("guard \(property) == nil else { throw reader.oneofAlreadySet(name) }")
                    if field.isMessage {
                        p.line("var v = \(field.swiftType)()")
                        p.line("try reader.readMessage(into: &v)")
                        p.line("\(property) = .\(caseName)(v)")
                    } else {
                        p.line("\(property) = .\(caseName)(try reader.read(\(field.codec).self))")
                    }
                    p.outdent()
                }
            }
            p.line("default: return false")
            p.line("}")
            p.line("return true")
        }
    }
}

extension CodePrinter {
    /// `block` for bodies that throw.
    mutating func blockThrowing(
        _ header: String, _ body: (inout CodePrinter) throws(GeneratorError) -> Void
    ) throws(GeneratorError) {
        line(header + " {")
        indent()
        try body(&self)
        outdent()
        line("}")
    }
}
