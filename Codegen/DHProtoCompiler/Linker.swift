public import DHDescriptor
import DHWire

/// Links one parsed file against the files already in a `DescriptorPool`: builds its
/// symbols, resolves names with protoc's scoping rules, interprets options (custom options
/// encoded as protoc encodes them) and makes protoc's checks, with protoc's messages.
///
/// The stages run in protoc's order, and like protoc the later ones run only when the
/// earlier ones found no error: build (symbols, numbers, ranges) → cross-link (types)
/// → options → validation (proto3 rules, maps, enum aliases, ...).
public struct Linker {
    var pool: DescriptorPool
    let file: FileNode
    var diagnostics: [Diagnostic] = []
    /// The file itself, its imports, and what those re-export with `import public`.
    var visibleFiles: Set<String> = []
    var possibleUndeclared: (file: String, name: String)?
    var undefinedResolvedName = ""
    /// (message full name, number) → field name, filled while cross-linking.
    var fieldNumbers: [String: [Int32: String]] = [:]
    var extensionNumbersInFile: [String: [Int32: String]] = [:]
    /// Messages with bad field numbers, for protoc's "Suggested field numbers" note.
    var hints: [String: (count: Int, position: SourcePosition?)] = [:]
    /// Messages in the order protoc allocates them, which orders its notes.
    var allocationOrder: [String: Int] = [:]
    var messageNodes: [String: MessageNode] = [:]

    var builtinOptionTypes: DescriptorPool?
    /// Files whose names this file resolved to, for protoc's unused-import warning.
    var usedFiles: Set<String> = []
    /// protoc builds messages nested at most this deep (top-level messages are at depth 1).
    static let maximumMessageDepth = 31
    var depth = 1
    var truncatedMessages: Set<String> = []

    var hadErrors: Bool { !diagnostics.isEmpty }
    var package: String { file.package ?? "" }
    var isProto3: Bool { file.syntax == "proto3" }

    init(file: FileNode, pool: DescriptorPool) {
        self.file = file
        self.pool = pool
    }

    /// Links `file`; on success the pool holds it and the result is its descriptor.
    /// - Parameter builtinOptionTypes: a pool holding descriptor.proto, used for built-in
    ///   options when `pool` itself does not hold it.
    public static func link(
        _ file: FileNode, pool: inout DescriptorPool, builtinOptionTypes: DescriptorPool? = nil
    ) -> Result<FileDescriptorProto, CompileError> {
        var warnings: [Diagnostic] = []
        return link(file, pool: &pool, builtinOptionTypes: builtinOptionTypes, warnings: &warnings)
    }

    /// Links `file` and, when it succeeds, adds protoc's warnings to `warnings`: each import
    /// (not `import public`) that no name of the file resolves to is "unused".
    public static func link(
        _ file: FileNode, pool: inout DescriptorPool, builtinOptionTypes: DescriptorPool?,
        warnings: inout [Diagnostic]
    ) -> Result<FileDescriptorProto, CompileError> {
        // The linker works on the pool in place (no copy of its tables); a failed file's
        // entries are removed again.
        var linker = Linker(file: file, pool: DescriptorPool())
        swap(&linker.pool, &pool)
        linker.builtinOptionTypes = builtinOptionTypes
        let proto = linker.run()
        swap(&linker.pool, &pool)
        guard linker.diagnostics.isEmpty else {
            pool.remove(file: file.name)
            return .failure(CompileError(code: .invalidProto, diagnostics: linker.diagnostics))
        }
        // The file's types were registered before option interpretation (which needs
        // them); the options they depend on were taken from the source then.
        pool.files[file.name] = proto
        var reported = Set<String>()
        for imported in file.imports
        where imported.kind != .public && linker.publicClosure(of: imported.path).isDisjoint(with: linker.usedFiles)
            // protoc never reports an import that itself re-exports files.
            && pool.files[imported.path]?.publicDependency.isEmpty != false
            && reported.insert(imported.path).inserted
        {
            warnings.append(
                Diagnostic(
                    file: file.name, position: imported.position,
                    message: "warning: Import \(imported.path) is unused."))
        }
        return .success(proto)
    }

    mutating func error(_ message: String, at position: SourcePosition?) {
        diagnostics.append(Diagnostic(file: file.name, position: position, message: message))
    }

    func join(_ scope: String, _ name: String) -> String {
        scope.isEmpty ? name : scope + "." + name
    }

    // MARK: - Running the stages

    mutating func run() -> FileDescriptorProto {
        var proto = FileDescriptorProto()
        proto.name = file.name
        proto.package = file.package
        if file.syntax == "proto3" { proto.syntax = "proto3" }

        if let existing = pool.symbols[package], !package.isEmpty, existing.kind != .package {
            error(
                "\"\(package)\" is already defined (as something other than a package) in file \"\(existing.file)\".",
                at: file.packagePosition)
        } else {
            pool.addPackage(package, file: file.name)
        }

        visibleFiles = [file.name]
        var seen = Set<String>()
        for (index, imported) in file.imports.enumerated() {
            proto.dependency.append(imported.path)
            if imported.kind == .public { proto.publicDependency.append(Int32(index)) }
            if imported.kind == .weak { proto.weakDependency.append(Int32(index)) }
            if !seen.insert(imported.path).inserted {
                error("Import \"\(imported.path)\" was listed twice.", at: imported.position)
            }
            if pool.files[imported.path] != nil {
                addVisible(imported.path)
            } else {
                error("Import \"\(imported.path)\" was not found or had errors.", at: imported.position)
            }
        }

        // Build: symbols, numbers and ranges.
        for message in file.messages { allocationOrder[join(package, message.name)] = allocationOrder.count }
        for message in file.messages { buildMessage(message, scope: package) }
        for e in file.enums { buildEnum(e, scope: package) }
        for service in file.services { buildService(service) }
        for ext in file.extensions { buildField(ext, scope: package, message: nil, isExtension: true) }
        checkOptionNames(file.options)

        // Cross-link: resolve every name.
        proto.messageType = file.messages.map { crossLinkMessage($0, scope: package) }
        proto.extension = file.extensions.map { crossLinkField($0, scope: package, message: nil) }
        proto.enumType = file.enums.map { makeEnum($0, scope: package) }
        proto.service = file.services.map { crossLinkService($0) }
        suggestFieldNumbers()

        // The file's own types are visible to option interpretation and checks.
        pool.register(proto)
        for message in file.messages { applyPackedOptions(message, scope: package) }

        if !hadErrors {
            interpretOptions(&proto)
        }
        if !hadErrors {
            validate(proto)
        }
        return proto
    }

    /// A file and every file it re-exports through `import public`, transitively.
    func publicClosure(of name: String) -> Set<String> {
        var closure: Set<String> = [name]
        var pending = [name]
        while let next = pending.popLast() {
            guard let dependency = pool.files[next] else { continue }
            for index in dependency.publicDependency where Int(index) < dependency.dependency.count && index >= 0 {
                let publicName = dependency.dependency[Int(index)]
                if closure.insert(publicName).inserted { pending.append(publicName) }
            }
        }
        return closure
    }

    mutating func addVisible(_ name: String) {
        guard visibleFiles.insert(name).inserted || name == file.name else { return }
        guard let dependency = pool.files[name] else { return }
        for index in dependency.publicDependency {
            let i = Int(index)
            if i >= 0, i < dependency.dependency.count {
                let publicName = dependency.dependency[i]
                if !visibleFiles.contains(publicName) { addVisible(publicName) }
            }
        }
    }

    // MARK: - Build

    @discardableResult
    mutating func addSymbol(_ fullName: String, kind: SymbolKind, at position: SourcePosition?) -> Bool {
        if let existing = pool.symbols[fullName] {
            if existing.file == file.name {
                if let dot = fullName.utf8.lastIndex(of: UInt8(ascii: ".")) {
                    error(
                        "\"\(fullName[fullName.index(after: dot)...])\" is already defined in \"\(fullName[..<dot])\".",
                        at: position)
                } else {
                    error("\"\(fullName)\" is already defined.", at: position)
                }
            } else {
                error("\"\(fullName)\" is already defined in file \"\(existing.file)\".", at: position)
            }
            return false
        }
        pool.symbols[fullName] = Symbol(kind: kind, file: file.name)
        return true
    }

    mutating func buildMessage(_ message: MessageNode, scope: String) {
        let fullName = join(scope, message.name)
        messageNodes[fullName] = message
        for nested in message.nestedTypes { allocationOrder[join(fullName, nested.name)] = allocationOrder.count }
        for oneof in message.oneofs {
            checkOptionNames(oneof.options)
            addSymbol(join(fullName, oneof.name), kind: .oneof, at: nil)
        }
        for field in message.fields { buildField(field, scope: fullName, message: message, isExtension: false) }
        if depth >= Self.maximumMessageDepth && !message.nestedTypes.isEmpty {
            // protoc builds no deeper: the nested types are left out (and so unresolvable).
            error("Reached maximum recursion limit for nested messages.", at: nil)
            truncatedMessages.insert(fullName)
        } else {
            depth += 1
            for nested in message.nestedTypes { buildMessage(nested, scope: fullName) }
            depth -= 1
        }
        for e in message.enums { buildEnum(e, scope: fullName) }
        for range in message.extensionRanges {
            if range.start <= 0 {
                hint(fullName, range.position, start: range.start, end: range.end)
                error("Extension numbers must be positive integers.", at: range.position)
            }
            if range.start >= range.end {
                error("Extension range end number must be greater than start number.", at: range.position)
            }
        }
        for ext in message.extensions { buildField(ext, scope: fullName, message: nil, isExtension: true) }
        for range in message.reservedRanges {
            if range.start <= 0 {
                hint(fullName, nil, start: range.start, end: range.end)
                error("Reserved numbers must be positive integers.", at: nil)
            }
        }
        for range in message.extensionRanges { checkOptionNames(range.options) }
        checkOptionNames(message.options)
        addSymbol(fullName, kind: .message, at: message.namePosition)
        pool.messages[fullName] = MessageInfo(
            fullName: fullName, file: file.name, syntax: file.syntax, fields: [],
            extensionRanges: message.extensionRanges.map { ($0.start, $0.end) }, isMapEntry: message.isMapEntry,
            messageSetWireFormat: false)

        let reserved = message.reservedRanges
        for i in reserved.indices {
            for j in (i + 1)..<max(i + 1, reserved.count) {
                let (r1, r2) = (reserved[i], reserved[j])
                if r1.end > r2.start && r2.end > r1.start {
                    error(
                        "Reserved range \(r2.start) to \(r2.end - 1) overlaps with already-defined range \(r1.start) to \(r1.end - 1).",
                        at: nil)
                }
            }
        }
        var reservedNames = Set<String>()
        for name in message.reservedNames where !reservedNames.insert(name).inserted {
            error("Field name \"\(name)\" is reserved multiple times.", at: message.namePosition)
        }
        for field in message.fields {
            let number = field.proto.number ?? 0
            let name = field.proto.name ?? ""
            for range in message.extensionRanges where range.start <= number && number < range.end {
                hint(fullName, range.position)
                error(
                    "Extension range \(range.start) to \(range.end - 1) includes field \"\(name)\" (\(number)).",
                    at: range.position)
            }
            for range in message.reservedRanges where range.start <= number && number < range.end {
                hint(fullName, nil)
                error("Field \"\(name)\" uses reserved number \(number).", at: nil)
            }
            if reservedNames.contains(name) {
                error("Field name \"\(name)\" is reserved.", at: field.namePosition)
            }
        }
        let ranges = message.extensionRanges
        for i in ranges.indices {
            let r1 = ranges[i]
            for r2 in message.reservedRanges where r1.end > r2.start && r2.end > r1.start {
                error(
                    "Extension range \(r1.start) to \(r1.end - 1) overlaps with reserved range \(r2.start) to \(r2.end - 1).",
                    at: r1.position)
            }
            for j in (i + 1)..<max(i + 1, ranges.count) {
                let r2 = ranges[j]
                if r1.end > r2.start && r2.end > r1.start {
                    error(
                        "Extension range \(r2.start) to \(r2.end - 1) overlaps with already-defined range \(r1.start) to \(r1.end - 1).",
                        at: r1.position)
                }
            }
        }
    }

    mutating func buildField(_ field: FieldNode, scope: String, message: MessageNode?, isExtension: Bool) {
        let name = field.proto.name ?? ""
        let fullName = join(scope, name)
        if field.proto.proto3Optional == true && !isProto3 {
            error(
                "The [proto3_optional=true] option may only be set on proto3 fields, not \(fullName)",
                at: field.typePosition)
        }
        if let type = field.proto.type, let text = field.proto.defaultValue {
            checkDefault(text, type: type, at: field.defaultPosition)
        }
        let number = field.proto.number ?? 0
        let parent = isExtension ? (scope == package ? nil : scope) : scope
        if number <= 0 {
            if let parent { hint(parent, field.numberPosition) }
            error("Field numbers must be positive integers.", at: field.numberPosition)
        } else if !isExtension && number > FieldNumber.maximum {
            if let parent { hint(parent, field.numberPosition) }
            error("Field numbers cannot be greater than \(FieldNumber.maximum).", at: field.numberPosition)
        } else if FieldNumber.reservedRange.contains(number) {
            if let parent { hint(parent, field.numberPosition) }
            error(
                "Field numbers 19000 through 19999 are reserved for the protocol buffer library implementation.",
                at: field.numberPosition)
        }
        checkOptionNames(field.options)
        addSymbol(fullName, kind: .field, at: field.namePosition)
    }

    /// `option () = ...` leaves a name part unset; protoc refuses the options message then.
    mutating func checkOptionNames(_ options: [OptionNode]) {
        if options.contains(where: { $0.name.contains { $0.isExtension && $0.name.isEmpty } }) {
            error("Uninterpreted option is missing name or value.", at: nil)
        }
    }

    mutating func checkDefault(_ text: String, type: FieldDescriptorProto.FieldType, at position: SourcePosition?) {
        switch type {
        case .bool:
            if text != "true" && text != "false" { error("Boolean default must be true or false.", at: position) }
        case .message, .group:
            error("Messages can't have default values.", at: position)
        default:
            break
        }
    }

    mutating func buildEnum(_ node: EnumNode, scope: String) {
        let fullName = join(scope, node.name)
        if node.values.isEmpty {
            error("Enums must contain at least one value.", at: node.namePosition)
        }
        var inner = Set<String>()
        for value in node.values {
            let valueName = join(scope, value.name)
            checkOptionNames(value.options)
            let addedOuter = addSymbol(valueName, kind: .enumValue, at: value.namePosition)
            let addedInner = inner.insert(value.name).inserted
            if addedInner && !addedOuter {
                let outer = scope.isEmpty ? "the global scope" : "\"\(scope)\""
                error(
                    "Note that enum values use C++ scoping rules, meaning that enum values are siblings of their type, not children of it.  Therefore, \"\(value.name)\" must be unique within \(outer), not just within \"\(node.name)\".",
                    at: value.namePosition)
            }
        }
        for range in node.reservedRanges where range.start > range.end {
            error("Reserved range end number must be greater than start number.", at: nil)
        }
        checkOptionNames(node.options)
        addSymbol(fullName, kind: .enum, at: node.namePosition)
        pool.enums[fullName] = EnumInfo(
            fullName: fullName, file: file.name, syntax: file.syntax, values: node.values.map { ($0.name, $0.number) })

        let reserved = node.reservedRanges
        for i in reserved.indices {
            for j in (i + 1)..<max(i + 1, reserved.count) {
                let (r1, r2) = (reserved[i], reserved[j])
                if r1.end >= r2.start && r2.end >= r1.start {
                    error(
                        "Reserved range \(r2.start) to \(r2.end) overlaps with already-defined range \(r1.start) to \(r1.end).",
                        at: nil)
                }
            }
        }
        var reservedNames = Set<String>()
        for name in node.reservedNames where !reservedNames.insert(name).inserted {
            error("Enum value \"\(name)\" is reserved multiple times.", at: node.namePosition)
        }
        for value in node.values {
            for range in node.reservedRanges where range.start <= value.number && value.number <= range.end {
                error("Enum value \"\(value.name)\" uses reserved number \(value.number).", at: nil)
            }
            if reservedNames.contains(value.name) {
                error("Enum value \"\(value.name)\" is reserved.", at: value.namePosition)
            }
        }
    }

    mutating func buildService(_ service: ServiceNode) {
        let fullName = join(package, service.name)
        addSymbol(fullName, kind: .service, at: service.namePosition)
        for method in service.methods {
            checkOptionNames(method.options)
            addSymbol(join(fullName, method.name), kind: .method, at: method.namePosition)
        }
        checkOptionNames(service.options)
    }

    /// protoc's RequestHintOnFieldNumbers.
    mutating func hint(_ message: String, _ position: SourcePosition?, start: Int32 = 0, end: Int32 = 1) {
        func fit(_ value: Int) -> Int { min(max(value, 0), Int(FieldNumber.maximum)) }
        var entry = hints[message] ?? (0, position)
        entry.count = fit(entry.count + fit(fit(Int(end)) - fit(Int(start))))
        hints[message] = entry
    }

    /// protoc's SuggestFieldNumbers: up to three free numbers for each message with bad ones.
    mutating func suggestFieldNumbers() {
        let maximum = Int(FieldNumber.maximum)
        for name in hints.keys.sorted(by: { (allocationOrder[$0] ?? 0) < (allocationOrder[$1] ?? 0) }) {
            guard let (count, position) = hints[name], let message = messageNodes[name] else { continue }
            var toSuggest = min(3, count)
            guard toSuggest > 0 else { continue }
            var used: [(from: Int, to: Int)] = []
            func addOrdinal(_ n: Int) {
                guard n > 0, n <= maximum else { return }
                if let last = used.last, last.to == n {
                    used[used.count - 1].to = n + 1
                } else {
                    used.append((n, n + 1))
                }
            }
            func addRange(_ from: Int, _ to: Int) {
                let f = max(0, min(maximum + 1, from))
                let t = max(0, min(maximum + 1, to))
                if f < t { used.append((f, t)) }
            }
            for field in message.fields { addOrdinal(Int(field.proto.number ?? 0)) }
            for ext in message.extensions { addOrdinal(Int(ext.proto.number ?? 0)) }
            for range in message.reservedRanges { addRange(Int(range.start), Int(range.end)) }
            for range in message.extensionRanges { addRange(Int(range.start), Int(range.end)) }
            used.append((maximum, Int(Int32.max)))
            used.append((Int(FieldNumber.reservedRange.lowerBound), Int(FieldNumber.reservedRange.upperBound)))
            used.sort { ($0.from, $0.to) < ($1.from, $1.to) }
            var current = 1
            var list: [String] = []
            for range in used {
                while current < range.from && toSuggest > 0 {
                    list.append(String(current))
                    current += 1
                    toSuggest -= 1
                }
                if toSuggest == 0 { break }
                current = max(current, range.to)
            }
            error("Suggested field numbers for \(name): " + list.joined(separator: ", "), at: position)
        }
    }

    // MARK: - Name lookup

    /// protoc's FindSymbol: only symbols of this file and the files it can see.
    mutating func findSymbol(_ name: String) -> Symbol? {
        guard let symbol = pool.symbols[name] else { return nil }
        if visibleFiles.contains(symbol.file) {
            usedFiles.insert(symbol.file)
            return symbol
        }
        if symbol.kind == .package {
            for visible in visibleFiles {
                let filePackage = visible == file.name ? package : (pool.files[visible]?.package ?? "")
                if filePackage == name || filePackage.hasPrefix(name + ".") { return symbol }
            }
        }
        possibleUndeclared = (symbol.file, name)
        return nil
    }

    /// protoc's LookupSymbolNoPlaceholder: innermost scope first; a dotted name's first
    /// component decides the scope.
    mutating func lookup(_ name: String, relativeTo scope: String, typesOnly: Bool = false) -> (String, Symbol)? {
        possibleUndeclared = nil
        undefinedResolvedName = ""
        if name.hasPrefix(".") {
            let full = String(name.dropFirst())
            return findSymbol(full).map { (full, $0) }
        }
        let firstPart = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? name
        var scopeToTry = scope
        while true {
            guard let dot = scopeToTry.utf8.lastIndex(of: UInt8(ascii: ".")) else {
                return findSymbol(name).map { (name, $0) }
            }
            scopeToTry = String(scopeToTry[..<dot])
            let candidate = scopeToTry + "." + firstPart
            if let result = findSymbol(candidate) {
                if firstPart.utf8.count < name.utf8.count {
                    if result.kind.isAggregate {
                        let full = scopeToTry + "." + name
                        if let found = findSymbol(full) { return (full, found) }
                        undefinedResolvedName = full
                        return nil
                    }
                } else if !typesOnly || result.kind.isType {
                    return (candidate, result)
                }
            }
        }
    }

    mutating func notDefined(_ name: String, at position: SourcePosition?) {
        if possibleUndeclared == nil && undefinedResolvedName.isEmpty {
            error("\"\(name)\" is not defined.", at: position)
            return
        }
        if let (otherFile, otherName) = possibleUndeclared {
            error(
                "\"\(otherName)\" seems to be defined in \"\(otherFile)\", which is not imported by \"\(file.name)\".  To use it here, please add the necessary import.",
                at: position)
        }
        if !undefinedResolvedName.isEmpty {
            error(
                "\"\(name)\" is resolved to \"\(undefinedResolvedName)\", which is not defined. The innermost scope is searched first in name resolution. Consider using a leading '.'(i.e., \".\(name)\") to start from the outermost scope.",
                at: position)
        }
    }

    // MARK: - Cross-link

    mutating func crossLinkMessage(_ message: MessageNode, scope: String) -> DescriptorProto {
        let fullName = join(scope, message.name)
        var proto = DescriptorProto()
        proto.name = message.name
        if !truncatedMessages.contains(fullName) {
            proto.nestedType = message.nestedTypes.map { crossLinkMessage($0, scope: fullName) }
        }
        proto.enumType = message.enums.map { makeEnum($0, scope: fullName) }
        proto.field = message.fields.map { crossLinkField($0, scope: fullName, message: fullName) }
        proto.extension = message.extensions.map { crossLinkField($0, scope: fullName, message: nil) }
        proto.extensionRange = message.extensionRanges.map { DescriptorProto.ExtensionRange(start: $0.start, end: $0.end) }
        proto.oneofDecl = message.oneofs.map { OneofDescriptorProto(name: $0.name) }
        proto.reservedRange = message.reservedRanges.map { DescriptorProto.ReservedRange(start: $0.start, end: $0.end) }
        proto.reservedName = message.reservedNames
        if message.isMapEntry {
            var options = MessageOptions()
            options.mapEntry = true
            proto.options = options
        }

        var counts = [Int](repeating: 0, count: message.oneofs.count)
        for (i, field) in message.fields.enumerated() {
            guard let index = field.proto.oneofIndex.map(Int.init), index >= 0, index < counts.count else { continue }
            if counts[index] > 0, message.fields[i - 1].proto.oneofIndex.map(Int.init) != index {
                let previous = message.fields[i - 1]
                error(
                    "Fields in the same oneof must be defined consecutively. \"\(previous.proto.name ?? "")\" cannot be defined before the completion of the \"\(message.oneofs[index].name)\" oneof definition.",
                    at: previous.typePosition)
            }
            counts[index] += 1
        }
        for (i, oneof) in message.oneofs.enumerated() where counts[i] == 0 {
            _ = oneof
            error("Oneof must have at least one field.", at: nil)
        }
        return proto
    }

    mutating func crossLinkField(_ field: FieldNode, scope: String, message: String?) -> FieldDescriptorProto {
        var proto = field.proto
        let name = proto.name ?? ""
        let fullName = join(scope, name)
        proto.jsonName = proto.jsonName ?? Self.jsonName(name)
        var container = message
        if let extendee = field.proto.extendee {
            guard let (resolved, symbol) = lookup(extendee, relativeTo: fullName) else {
                notDefined(extendee, at: field.extendeePosition)
                return proto
            }
            guard symbol.kind == .message else {
                error("\"\(extendee)\" is not a message type.", at: field.extendeePosition)
                return proto
            }
            proto.extendee = "." + resolved
            container = resolved
            let number = proto.number ?? 0
            let ranges = pool.messages[resolved]?.extensionRanges ?? []
            if !ranges.contains(where: { $0.start <= number && number < $0.end }) {
                error("\"\(resolved)\" does not declare \(number) as an extension number.", at: field.numberPosition)
            }
        }
        if let typeName = field.proto.typeName {
            guard let (resolved, symbol) = lookup(typeName, relativeTo: fullName, typesOnly: true) else {
                notDefined(typeName, at: field.typePosition)
                return proto
            }
            if proto.type == nil {
                switch symbol.kind {
                case .message: proto.type = .message
                case .enum: proto.type = .enum
                default:
                    error("\"\(typeName)\" is not a type.", at: field.typePosition)
                    return proto
                }
            }
            proto.typeName = "." + resolved
            if proto.type == .message || proto.type == .group {
                guard symbol.kind == .message else {
                    error("\"\(typeName)\" is not a message type.", at: field.typePosition)
                    return proto
                }
                if proto.defaultValue != nil {
                    error("Messages can't have default values.", at: field.defaultPosition)
                }
            } else if proto.type == .enum {
                guard symbol.kind == .enum else {
                    error("\"\(typeName)\" is not an enum type.", at: field.typePosition)
                    return proto
                }
                if let value = proto.defaultValue {
                    if !Self.isIdentifier(value) {
                        error("Default value for an enum field must be an identifier.", at: field.defaultPosition)
                    } else if pool.enums[resolved]?.values.contains(where: { $0.name == value }) != true {
                        error("Enum type \"\(resolved)\" has no value named \"\(value)\".", at: field.defaultPosition)
                    }
                }
            } else {
                error("Field with primitive type has type_name.", at: field.typePosition)
            }
        }
        if proto.type == .float || proto.type == .double, let text = proto.defaultValue {
            let value = text == "inf" ? Double.infinity : text == "-inf" ? -Double.infinity : text == "nan" || text == "-nan" ? Double.nan : Double(text) ?? 0
            proto.defaultValue = proto.type == .float ? NumberFormat.simpleFtoa(Float(value)) : NumberFormat.simpleDtoa(value)
        }

        let number = proto.number ?? 0
        if let container {
            if message != nil {
                if let other = fieldNumbers[container]?[number] {
                    error("Field number \(number) has already been used in \"\(container)\" by field \"\(other)\".", at: field.numberPosition)
                } else {
                    fieldNumbers[container, default: [:]][number] = name
                }
            } else if let other = extensionNumbersInFile[container]?[number] {
                error(
                    "Extension number \(number) has already been used in \"\(container)\" by extension \"\(other)\".",
                    at: field.numberPosition)
            } else {
                extensionNumbersInFile[container, default: [:]][number] = fullName
            }
        }
        return proto
    }

    mutating func makeEnum(_ node: EnumNode, scope: String) -> EnumDescriptorProto {
        var proto = EnumDescriptorProto()
        proto.name = node.name
        proto.value = node.values.map { value in
            var v = EnumValueDescriptorProto()
            v.name = value.name
            v.number = value.number
            return v
        }
        proto.reservedRange = node.reservedRanges.map { EnumDescriptorProto.EnumReservedRange(start: $0.start, end: $0.end) }
        proto.reservedName = node.reservedNames
        return proto
    }

    mutating func crossLinkService(_ service: ServiceNode) -> ServiceDescriptorProto {
        let fullName = join(package, service.name)
        var proto = ServiceDescriptorProto()
        proto.name = service.name
        for method in service.methods {
            var m = MethodDescriptorProto()
            m.name = method.name
            let methodName = join(fullName, method.name)
            m.inputType = method.inputType
            m.outputType = method.outputType
            for (isInput, typeName, position) in [
                (true, method.inputType, method.inputPosition), (false, method.outputType, method.outputPosition),
            ] {
                if let (resolved, symbol) = lookup(typeName, relativeTo: methodName) {
                    if symbol.kind != .message {
                        error("\"\(typeName)\" is not a message type.", at: position)
                    } else if isInput {
                        m.inputType = "." + resolved
                    } else {
                        m.outputType = "." + resolved
                    }
                } else {
                    notDefined(typeName, at: position)
                }
            }
            if method.clientStreaming { m.clientStreaming = true }
            if method.serverStreaming { m.serverStreaming = true }
            proto.method.append(m)
        }
        return proto
    }

    /// Aggregate option values are encoded before field and message options are
    /// interpreted; the `packed` and `message_set_wire_format` options they depend on are
    /// read from the source here.
    mutating func applyPackedOptions(_ message: MessageNode, scope: String) {
        let fullName = join(scope, message.name)
        for nested in message.nestedTypes { applyPackedOptions(nested, scope: fullName) }
        let messageSetWireFormat = message.options.contains {
            $0.name.count == 1 && !$0.name[0].isExtension && $0.name[0].name == "message_set_wire_format"
                && $0.value == .identifier("true")
        }
        let hasPackedOption = message.fields.contains { field in
            field.options.contains { $0.name.count == 1 && !$0.name[0].isExtension && $0.name[0].name == "packed" }
        }
        // Most messages have neither: leave the pool's entry alone (no copy, no second lookup).
        guard messageSetWireFormat || hasPackedOption, var info = pool.messages[fullName] else { return }
        info.messageSetWireFormat = messageSetWireFormat
        for (i, field) in message.fields.enumerated() where i < info.fields.count {
            for option in field.options
            where option.name.count == 1 && !option.name[0].isExtension && option.name[0].name == "packed" {
                guard case .identifier(let value) = option.value, value == "true" || value == "false" else { continue }
                let type = info.fields[i].type
                let packable = type != .string && type != .bytes && type != .message && type != .group
                info.fields[i].packed = value == "true"
                info.fields[i].isPacked = value == "true" && packable && info.fields[i].label == .repeated
            }
        }
        pool.messages[fullName] = info
    }

    // MARK: - Helpers

    /// protoc's ToJsonName: underscores removed, the letter after each capitalised.
    public static func jsonName(_ name: String) -> String {
        var result = ""
        var capitalizeNext = false
        for c in name {
            if c == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += c.isASCII ? c.uppercased() : String(c)
                capitalizeNext = false
            } else {
                result.append(c)
            }
        }
        return result
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, Lexer.isLetter(first) else { return false }
        return text.utf8.allSatisfy { Lexer.isLetter($0) || Lexer.isDigit($0) }
    }
}
