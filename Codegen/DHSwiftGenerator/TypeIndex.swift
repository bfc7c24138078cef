internal import DHDescriptor

/// Every message and enum of every given file, by fully-qualified protobuf name
/// (`.datahealth.v1.Diagnosis`), with the Swift name generated code uses for it.
struct TypeIndex {
    enum Kind {
        case message(DescriptorProto)
        case `enum`(EnumDescriptorProto)
    }

    struct Entry {
        let kind: Kind
        /// The Swift name as written in generated code of another type (qualified with the
        /// well-known types' module when it comes from there).
        let swiftName: String
        let file: String
    }

    private(set) var entries: [String: Entry] = [:]
    /// Singular message references (fields and oneof members), for recursion detection.
    private var edges: [String: Set<String>] = [:]

    init(files: [FileDescriptorProto], options: GeneratorOptions, generatingWellKnownTypes: Bool) {
        for file in files {
            let package = file.package ?? ""
            let protoPrefix = package.isEmpty ? "." : ".\(package)."
            let isWellKnown = (file.name ?? "").hasPrefix("google/protobuf/")
            let module =
                isWellKnown && !generatingWellKnownTypes && !options.wellKnownTypesModule.isEmpty
                ? options.wellKnownTypesModule + "." : ""
            let swiftPrefix = module + SwiftNamer.packagePrefix(package)
            for message in file.messageType {
                addMessage(
                    message, protoPrefix: protoPrefix, swiftPrefix: swiftPrefix, file: file.name ?? "",
                    escapeName: package.isEmpty)
            }
            for enumType in file.enumType {
                let name = enumType.name ?? ""
                let swiftName = swiftPrefix + (package.isEmpty ? SwiftNamer.typeName(name) : name)
                entries[protoPrefix + name] = Entry(kind: .enum(enumType), swiftName: swiftName, file: file.name ?? "")
            }
        }
    }

    private mutating func addMessage(
        _ message: DescriptorProto, protoPrefix: String, swiftPrefix: String, file: String, escapeName: Bool
    ) {
        let name = message.name ?? ""
        let fullName = protoPrefix + name
        // Top-level names carry the package prefix, so only nested (or package-less) names
        // can clash with Swift's own types.
        let swiftName = swiftPrefix + (escapeName ? SwiftNamer.typeName(name) : name)
        entries[fullName] = Entry(kind: .message(message), swiftName: swiftName, file: file)
        var references: Set<String> = []
        for field in message.field where field.type == .message && field.label != .repeated {
            if let typeName = field.typeName { references.insert(typeName) }
        }
        edges[fullName] = references
        for nestedMessage in message.nestedType {
            addMessage(
                nestedMessage, protoPrefix: fullName + ".", swiftPrefix: swiftName + ".", file: file, escapeName: true)
        }
        for enumType in message.enumType {
            let enumName = enumType.name ?? ""
            entries[fullName + "." + enumName] = Entry(
                kind: .enum(enumType), swiftName: swiftName + "." + SwiftNamer.typeName(enumName), file: file)
        }
    }

    func entry(_ fullName: String) throws(GeneratorError) -> Entry {
        guard let entry = entries[fullName] else {
            throw GeneratorError(code: .unknownType, message: "type \(fullName) is not defined in the given files")
        }
        return entry
    }

    /// Whether a message field of type `target` inside `container` closes a cycle of
    /// singular message references, so the field must be stored indirectly.
    func needsIndirection(container: String, target: String) -> Bool {
        if container == target { return true }
        var seen: Set<String> = [target]
        var stack = [target]
        while let next = stack.popLast() {
            for reference in edges[next] ?? [] {
                if reference == container { return true }
                if seen.insert(reference).inserted { stack.append(reference) }
            }
        }
        return false
    }

    /// The map entry message of a map field, when `fullName` names one.
    func mapEntry(_ fullName: String) -> DescriptorProto? {
        guard case .message(let message)? = entries[fullName]?.kind, message.options?.mapEntry == true else {
            return nil
        }
        return message
    }
}
