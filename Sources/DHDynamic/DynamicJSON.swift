public import DHWire

/// A parsed JSON value that remembers its source text (for the well-known types, whose JSON
/// forms the runtime's own types parse).
indirect enum JSONTree {
    case object([(key: String, value: JSONTree, text: Substring)])
    case array([(value: JSONTree, text: Substring)])
    case string(String)
    /// The number's text as written.
    case number(String)
    case bool(Bool)
    case null
}

/// A strict RFC 8259 parser (depth-limited), for dynamic messages.
struct JSONTreeParser {
    private let text: String
    private var index: String.Index
    private var depth = 0

    init(_ text: String) {
        self.text = text
        index = text.startIndex
    }

    static func parse(_ text: String) throws(DynamicError) -> JSONTree {
        var parser = JSONTreeParser(text)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == text.endIndex else { throw parser.error("trailing characters after the JSON value") }
        return value
    }

    private func error(_ message: String) -> DynamicError {
        let offset = text.utf8.distance(from: text.startIndex, to: index)
        return DynamicError(code: .invalidJSON, message: "JSON at byte \(offset): \(message)")
    }

    private mutating func skipSpace() {
        while index < text.endIndex, [" ", "\n", "\r", "\t"].contains(text[index]) { index = text.index(after: index) }
    }

    mutating func value() throws(DynamicError) -> JSONTree {
        skipSpace()
        guard index < text.endIndex else { throw error("a value was expected") }
        switch text[index] {
        case "{":
            depth += 1
            defer { depth -= 1 }
            guard depth <= DynamicMessage.maximumDepth else { throw error("nested too deep") }
            index = text.index(after: index)
            var members: [(key: String, value: JSONTree, text: Substring)] = []
            skipSpace()
            if index < text.endIndex, text[index] == "}" {
                index = text.index(after: index)
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < text.endIndex, text[index] == "\"" else { throw error("an object key was expected") }
                let key = try string()
                skipSpace()
                guard index < text.endIndex, text[index] == ":" else { throw error("':' was expected") }
                index = text.index(after: index)
                skipSpace()
                let start = index
                let member = try value()
                members.append((key, member, text[start..<index]))
                skipSpace()
                guard index < text.endIndex else { throw error("'}' was expected") }
                if text[index] == "," {
                    index = text.index(after: index)
                    continue
                }
                guard text[index] == "}" else { throw error("',' or '}' was expected") }
                index = text.index(after: index)
                return .object(members)
            }
        case "[":
            depth += 1
            defer { depth -= 1 }
            guard depth <= DynamicMessage.maximumDepth else { throw error("nested too deep") }
            index = text.index(after: index)
            var items: [(value: JSONTree, text: Substring)] = []
            skipSpace()
            if index < text.endIndex, text[index] == "]" {
                index = text.index(after: index)
                return .array(items)
            }
            while true {
                skipSpace()
                let start = index
                let item = try value()
                items.append((item, text[start..<index]))
                skipSpace()
                guard index < text.endIndex else { throw error("']' was expected") }
                if text[index] == "," {
                    index = text.index(after: index)
                    continue
                }
                guard text[index] == "]" else { throw error("',' or ']' was expected") }
                index = text.index(after: index)
                return .array(items)
            }
        case "\"":
            return .string(try string())
        case "t":
            try literal("true")
            return .bool(true)
        case "f":
            try literal("false")
            return .bool(false)
        case "n":
            try literal("null")
            return .null
        default:
            let start = index
            while index < text.endIndex, "+-0123456789.eE".contains(text[index]) { index = text.index(after: index) }
            let number = String(text[start..<index])
            guard Self.isJSONNumber(number) else { throw error("'\(number)' is not a JSON number") }
            return .number(number)
        }
    }

    /// RFC 8259's number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            var count = 0
            while let first = bytes.first, (0x30...0x39).contains(first) {
                bytes = bytes.dropFirst()
                count += 1
            }
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    private mutating func literal(_ word: String) throws(DynamicError) {
        guard text[index...].hasPrefix(word) else { throw error("a JSON value was expected") }
        index = text.index(index, offsetBy: word.count)
    }

    private mutating func string() throws(DynamicError) -> String {
        index = text.index(after: index)  // the opening quote
        var result = ""
        var units: [UInt16] = []
        func flushUnits() throws(DynamicError) {
            guard !units.isEmpty else { return }
            guard let decoded = String(validatingUTF16: units) else { throw error("an invalid \\u escape") }
            result += decoded
            units.removeAll()
        }
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if character == "\"" {
                try flushUnits()
                return result
            }
            if character == "\\" {
                guard index < text.endIndex else { break }
                let escape = text[index]
                index = text.index(after: index)
                if escape == "u" {
                    guard let end = text.index(index, offsetBy: 4, limitedBy: text.endIndex),
                        let unit = UInt16(text[index..<end], radix: 16)
                    else { throw error("an invalid \\u escape") }
                    units.append(unit)
                    index = end
                    continue
                }
                try flushUnits()
                switch escape {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "/": result.append("/")
                case "b": result.append("\u{08}")
                case "f": result.append("\u{0C}")
                case "n": result.append("\n")
                case "r": result.append("\r")
                case "t": result.append("\t")
                default: throw error("an invalid escape \\\(escape)")
                }
                continue
            }
            try flushUnits()
            if character.unicodeScalars.first!.value < 0x20 { throw error("a control character inside a string") }
            result.append(character)
        }
        throw error("an unterminated string")
    }
}

extension String {
    init?(validatingUTF16 units: [UInt16]) {
        var result = ""
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): result.unicodeScalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = result
    }
}
