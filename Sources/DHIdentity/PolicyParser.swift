/// Why a policy file cannot be used.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidPolicy, unreadable, tooLarge
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The text breaks the format; ``PolicyError/problems`` lists every problem with its line.
        public static let invalidPolicy = Code(.invalidPolicy)
        /// The file cannot be read.
        public static let unreadable = Code(.unreadable)
        /// The file is larger than the configured limit.
        public static let tooLarge = Code(.tooLarge)

        public var description: String { value.rawValue }
    }

    /// One problem at one line (1-based).
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { "line \(line): \(message)" }
    }

    public var code: Code
    public var message: String
    /// Every problem found, in line order (for ``Code-swift.struct/invalidPolicy``).
    public var problems: [Problem]

    public init(code: Code, message: String, problems: [Problem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    public var description: String {
        ([message] + problems.map { "  \($0)" }).joined(separator: "\n")
    }
}

extension Policy {
    /// The format version this build reads.
    public static let formatVersion = 1

    /// Parses the policy format described in docs/POLICY.md.
    ///
    /// - Parameter source: a name for the text (a file path) used in the error message.
    /// - Throws: ``PolicyError`` with code `invalidPolicy` listing every problem and its line.
    public init(parsing text: String, source: String = "policy") throws(PolicyError) {
        var parser = PolicyParser()
        parser.parse(text)
        guard parser.problems.isEmpty else {
            let count = parser.problems.count
            // In line order; problems of one line keep the order they were found in.
            let problems = parser.problems.enumerated().sorted {
                ($0.element.line, $0.offset) < ($1.element.line, $1.offset)
            }
            .map(\.element)
            throw PolicyError(
                code: .invalidPolicy, message: "\(source): \(count) problem\(count == 1 ? "" : "s")",
                problems: problems)
        }
        self.init(rules: parser.rules)
    }
}

/// The line-oriented parser: one pass over the lines, collecting every problem.
struct PolicyParser {
    private struct Section {
        var name: String
        var effect: PolicyRule.Effect
        var line: Int
        /// Key → (line, value text); continuation lines are appended with a space.
        var entries: [String: (line: Int, value: String)] = [:]
    }

    static let keys: Set<String> = ["who", "acting-user", "methods", "purposes", "scopes", "note"]

    private(set) var rules: [PolicyRule] = []
    private(set) var problems: [PolicyError.Problem] = []
    private var version: Int?
    private var section: Section?
    private var lastKey: String?
    private var names: [String: Int] = [:]

    mutating func parse(_ text: String) {
        var number = 0
        // "\r\n" is one Character in Swift: split on both forms.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let content = line.trimmingWhitespace()
            if content.isEmpty { continue }
            let indented = line.first == " " || line.first == "\t"

            if indented, let key = lastKey, section != nil {
                section!.entries[key]!.value += " " + content
                continue
            }
            lastKey = nil
            if content.hasPrefix("[") {
                finishSection()
                startSection(content, line: number)
            } else if let equals = content.firstIndex(of: "=") {
                let key = String(content[..<equals].trimmingWhitespace())
                let value = String(content[content.index(after: equals)...].trimmingWhitespace())
                assign(key: key, value: value, line: number)
            } else {
                problem(number, "expected '[allow NAME]', '[deny NAME]' or 'key = value', found '\(content)'")
            }
        }
        finishSection()
        if version == nil {
            problem(max(number, 1), "the file must say 'version = \(Policy.formatVersion)' before its first rule")
        }
    }

    private mutating func problem(_ line: Int, _ message: String) {
        problems.append(PolicyError.Problem(line: line, message: message))
    }

    private mutating func startSection(_ content: Substring, line: Int) {
        guard content.hasSuffix("]") else {
            problem(line, "a section header must end with ']'")
            return
        }
        let words = content.dropFirst().dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2, let effect = PolicyRule.Effect(rawValue: String(words[0])) else {
            problem(line, "a section header is '[allow NAME]' or '[deny NAME]', not '\(content)'")
            return
        }
        let name = String(words[1])
        guard Self.isValidName(name) else {
            problem(
                line, "rule name '\(name)' must be 1–64 characters of a-z, 0-9 and '-', starting with a letter or digit"
            )
            return
        }
        if version == nil {
            problem(line, "the file must say 'version = \(Policy.formatVersion)' before its first rule")
            version = Policy.formatVersion  // reported once
        }
        if let earlier = names[name] {
            problem(line, "rule name '\(name)' is already used on line \(earlier)")
        }
        names[name] = line
        section = Section(name: name, effect: effect, line: line)
    }

    private mutating func assign(key: String, value: String, line: Int) {
        guard var current = section else {
            if key == "version" {
                if version != nil {
                    problem(line, "'version' is given twice")
                } else if value != String(Policy.formatVersion) {
                    problem(
                        line, "version '\(value)' is not supported; this build reads version \(Policy.formatVersion)")
                    version = Policy.formatVersion
                } else {
                    version = Policy.formatVersion
                }
            } else {
                problem(line, "'\(key)' must be inside an [allow NAME] or [deny NAME] section")
            }
            return
        }
        guard Self.keys.contains(key) else {
            problem(
                line, "unknown key '\(key)'; a rule has " + Self.keys.sorted().joined(separator: ", "))
            return
        }
        if let earlier = current.entries[key] {
            problem(line, "'\(key)' is already set on line \(earlier.line)")
            return
        }
        current.entries[key] = (line, value)
        section = current
        lastKey = key
    }

    private mutating func finishSection() {
        guard let current = section else { return }
        section = nil
        let isAllow = current.effect == .allow
        func required(_ key: String) -> (line: Int, value: String)? {
            guard let entry = current.entries[key] else {
                problem(current.line, "rule '\(current.name)' has no '\(key)'")
                return nil
            }
            return entry
        }
        var subjects: [IdentityPattern] = []
        if let entry = required("who") {
            subjects = list(entry).compactMap { parseIdentityPattern($0, line: entry.line) }
        }
        var methods: [MethodPattern] = []
        if let entry = required("methods") {
            methods = list(entry).compactMap { parseMethodPattern($0, line: entry.line) }
        }
        var purposes: Set<Purpose>?
        if let entry = isAllow ? required("purposes") : current.entries["purposes"] {
            purposes = Set(
                list(entry).compactMap { word -> Purpose? in
                    guard let purpose = Purpose(rawValue: word) else {
                        problem(
                            entry.line,
                            "unknown purpose '\(word)'; purposes are "
                                + Purpose.allCases.map(\.rawValue).joined(separator: ", "))
                        return nil
                    }
                    return purpose
                })
        }
        var scopes: [DataScope]?
        if let entry = isAllow ? required("scopes") : current.entries["scopes"] {
            scopes = list(entry).compactMap { parseScope($0, line: entry.line) }
        }
        var actingUser = PolicyRule.ActingUserRequirement.any
        if let entry = current.entries["acting-user"] {
            let words = list(entry)
            switch words {
            case ["any"]: actingUser = .any
            case ["required"]: actingUser = .required
            case ["forbidden"]: actingUser = .forbidden
            default:
                // Otherwise a list of clinician identity patterns; list() reports an empty one.
                let patterns = words.compactMap { parseIdentityPattern($0, line: entry.line) }
                if let bad = patterns.first(where: { $0.role != nil && $0.role != .clinician }) {
                    problem(entry.line, "acting users are clinicians; '\(bad)' names another role")
                }
                if !patterns.isEmpty { actingUser = .matching(patterns) }
            }
        }
        rules.append(
            PolicyRule(
                name: current.name, effect: current.effect, line: current.line, subjects: subjects,
                actingUser: actingUser, methods: methods, purposes: purposes, scopes: scopes,
                note: current.entries["note"]?.value))
    }

    /// The words of a list value, separated by commas and/or white space. An empty list is a problem.
    private mutating func list(_ entry: (line: Int, value: String)) -> [String] {
        let words = entry.value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
        if words.isEmpty { problem(entry.line, "the list is empty") }
        return words
    }

    private mutating func parseIdentityPattern(_ word: String, line: Int) -> IdentityPattern? {
        if word == "*" { return IdentityPattern(organization: nil, role: nil, id: nil) }
        if word.hasPrefix("role:") {
            let name = word.dropFirst(5)
            guard let role = PeerIdentity.Role(rawValue: String(name)) else {
                problem(
                    line,
                    "unknown role '\(name)'; roles are "
                        + PeerIdentity.Role.allCases.map(\.rawValue).joined(separator: ", "))
                return nil
            }
            return IdentityPattern(organization: nil, role: role, id: nil)
        }
        let prefix = PeerIdentity.scheme + "://"
        guard word.hasPrefix(prefix) else {
            problem(line, "'\(word)' is not an identity pattern: use *, role:ROLE or dh://ORG/ROLE/ID (parts may be *)")
            return nil
        }
        let parts = word.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(
            String.init)
        guard parts.count == 3 else {
            problem(line, "'\(word)' must have three parts after dh://: ORG/ROLE/ID")
            return nil
        }
        var role: PeerIdentity.Role?
        if parts[1] != "*" {
            guard let named = PeerIdentity.Role(rawValue: parts[1]) else {
                problem(line, "unknown role '\(parts[1])' in '\(word)'")
                return nil
            }
            role = named
        }
        do throws(IdentityError) {
            if parts[0] != "*" { try PeerIdentity.validateOrganization(parts[0]) }
            if parts[2] != "*" { try PeerIdentity.validateID(parts[2]) }
        } catch {
            problem(line, "'\(word)': \(error.message)")
            return nil
        }
        return IdentityPattern(
            organization: parts[0] == "*" ? nil : parts[0], role: role, id: parts[2] == "*" ? nil : parts[2])
    }

    private mutating func parseMethodPattern(_ word: String, line: Int) -> MethodPattern? {
        if word == "*" { return MethodPattern(service: nil, method: nil) }
        guard let (service, method) = MethodPattern.split(word),
            service.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(Self.isIdentifier),
            method == "*" || Self.isIdentifier(method)
        else {
            problem(line, "'\(word)' is not a method pattern: use /package.Service/Method, /package.Service/* or *")
            return nil
        }
        return MethodPattern(service: String(service), method: method == "*" ? nil : String(method))
    }

    private mutating func parseScope(_ word: String, line: Int) -> DataScope? {
        switch word {
        case "none": return DataScope.none
        case "own-institution": return .ownInstitution
        case "any-institution-with-consent": return .anyInstitutionWithConsent
        case "own-members": return .ownMembers
        case "audit-log": return .auditLog
        default:
            if word.hasPrefix("dataset:") {
                let name = String(word.dropFirst(8))
                if name == "*" || Self.isValidDatasetName(name) { return .dataset(name) }
                problem(line, "dataset name '\(name)' must be 1–128 characters of a-z, 0-9, '.', '_' and '-', or *")
                return nil
            }
            problem(
                line,
                "unknown scope '\(word)'; scopes are none, own-institution, any-institution-with-consent, "
                    + "dataset:NAME, dataset:*, own-members, audit-log")
            return nil
        }
    }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && bytes.count <= 64 && bytes[0] != UInt8(ascii: "-")
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// Dataset names: 1–128 characters of a-z, 0-9, '.', '_' and '-'.
    static func isValidDatasetName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && bytes.count <= 128
            && bytes.allSatisfy {
                isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A)
                || $0 == UInt8(ascii: "_")
        }
    }
}
