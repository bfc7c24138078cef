/// The one place that turns protobuf names into Swift identifiers: case conversion,
/// keyword escaping, and renaming of names that would clash with generated members.
enum SwiftNamer {
    /// Swift keywords that need backticks as identifiers.
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "super", "throws",
        "true", "try", "_", "package", "consume", "borrowing", "consuming", "copy", "discard", "each", "some",
        "any", "async", "actor", "nonisolated", "isolated", "macro",
    ]

    /// Names that cannot be used even with backticks, or that generated code uses for
    /// members of its own: a field with one of these names gets a trailing underscore.
    static let reservedMembers: Set<String> = [
        "self", "Type", "Protocol", "init", "deinit", "subscript",
        "unknownFields", "serializedSize", "encode", "decodeMessage", "serializedBytes", "serialize", "merge",
        "hashValue", "hash", "description", "debugDescription",
    ]

    /// Names a nested type cannot take inside a generated message.
    static let reservedTypeNames: Set<String> = [
        "Type", "Protocol", "Self", "Any", "Int", "Int32", "Int64", "UInt32", "UInt64", "Float", "Double",
        "Bool", "String", "Array", "Dictionary", "Optional", "Error", "Message", "DHWire", "Sendable", "Hashable",
        "Equatable",
    ]

    /// Enum case names that clash with members every generated enum has.
    static let reservedCases: Set<String> = ["unrecognized", "rawValue", "init", "self", "Type", "Protocol", "hashValue"]

    /// Words written in capitals inside a name, as Swift's API guidelines ask (`orderID`, `sourceURL`).
    static let acronyms: Set<String> = ["id", "url", "uri", "http", "https", "json", "xml", "html", "api", "uuid"]

    /// `foo_bar_baz` → `fooBarBaz`; `FooBar` → `fooBar`; `HTTP_status` → `httpStatus`; `order_id` → `orderID`.
    static func lowerCamel(_ name: String) -> String {
        let words = splitWords(name)
        guard let first = words.first else { return name }
        return first.lowercased() + words.dropFirst().map(camelWord).joined()
    }

    /// `foo_bar` → `FooBar`; `patient_id` → `PatientID`.
    static func upperCamel(_ name: String) -> String {
        splitWords(name).map(camelWord).joined()
    }

    private static func camelWord(_ word: String) -> String {
        acronyms.contains(word.lowercased()) ? word.uppercased() : capitalizedWord(word)
    }

    /// Splits on underscores, and before an upper-case letter that follows a lower-case letter or digit.
    /// A run of capitals stays one word (`HTTPHeader` → `HTTPHeader`), as protoc's camel-casing keeps it.
    static func splitWords(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previous: Character?
        for character in name {
            if character == "_" {
                if !current.isEmpty { words.append(current) }
                current = ""
                previous = nil
                continue
            }
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber {
                words.append(current)
                current = ""
            }
            current.append(character)
            previous = character
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    private static func capitalizedWord(_ word: String) -> String {
        guard let first = word.first else { return word }
        // An all-caps word (from UPPER_SNAKE) reads as a word: STATUS → Status.
        let rest = word.dropFirst()
        let restText = rest.allSatisfy({ !$0.isLowercase }) ? rest.lowercased() : String(rest)
        return first.uppercased() + restText
    }

    /// A stored-property name for a field or oneof.
    static func memberName(_ protoName: String) -> String {
        var name = lowerCamel(protoName)
        if name.isEmpty { name = "field" }
        if name.first!.isNumber { name = "_" + name }
        if reservedMembers.contains(name) { return name + "_" }
        return name
    }

    /// A name as it appears in code: backticked when it is a keyword.
    static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// A nested type name (message, enum or oneof enum) inside a generated type.
    static func typeName(_ protoName: String) -> String {
        var name = protoName
        if reservedTypeNames.contains(name) || keywords.contains(name) { name += "_" }
        return name
    }

    /// The prefix of top-level types of a package: `datahealth.v1` → `Datahealth_V1_`.
    static func packagePrefix(_ package: String) -> String {
        guard !package.isEmpty else { return "" }
        return package.split(separator: ".").map { upperCamel(String($0)) }.joined(separator: "_") + "_"
    }

    /// Case names for an enum's values: the enum's name is stripped as a prefix
    /// (`STATUS_ACTIVE` in `Status` → `active`) when every value carries it and what is
    /// left is still a valid, unique name; otherwise the whole value name is used.
    static func caseNames(enumName: String, values: [String]) -> [String] {
        let stripped = values.map { stripPrefix(enumName, from: $0) }
        let candidates: [String]
        if stripped.allSatisfy({ $0 != nil }), Set(stripped.map { $0! }).count == values.count {
            candidates = stripped.map { $0! }
        } else {
            candidates = values
        }
        var seen: [String: Int] = [:]
        return candidates.map { candidate in
            var name = lowerCamel(candidate.lowercased())
            if name.isEmpty || name.first!.isNumber { name = "_" + name }
            if reservedCases.contains(name) { name += "_" }
            // Distinct proto names can meet after case conversion (FOO_BAR and FOOBAR are not
            // allowed together by protoc, but FOO_1 and FOO1 are): number the later ones.
            if let count = seen[name] {
                seen[name] = count + 1
                name += "_\(count + 1)"
            } else {
                seen[name] = 1
            }
            return name
        }
    }

    /// `STATUS_ACTIVE` with enum `Status` → `ACTIVE`; nil when the value lacks the prefix
    /// or nothing usable is left.
    static func stripPrefix(_ enumName: String, from value: String) -> String? {
        let prefix = Array(enumName.lowercased().filter { $0 != "_" })
        var index = value.startIndex
        var matched = 0
        while matched < prefix.count, index < value.endIndex {
            let character = value[index]
            if character == "_" {
                index = value.index(after: index)
                continue
            }
            guard Character(character.lowercased()) == prefix[matched] else { return nil }
            matched += 1
            index = value.index(after: index)
        }
        guard matched == prefix.count, index < value.endIndex, value[index] == "_" else { return nil }
        let rest = value[value.index(after: index)...].drop(while: { $0 == "_" })
        guard let first = rest.first, !first.isNumber else { return nil }
        return String(rest)
    }
}
