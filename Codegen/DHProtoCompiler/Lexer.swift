/// A token of the .proto language, as protoc's tokenizer produces them.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case identifier, integer, float, string, symbol, end
    }

    public var kind: Kind
    /// The token's source text (quotes and escapes included for strings).
    public var text: String
    public var position: SourcePosition
    /// The position just past the token's last character.
    public var endPosition: SourcePosition
    /// The comments between the previous token and this one, split as protoc splits them.
    public var commentsBefore = CommentTrivia()

    public init(kind: Kind, text: String, position: SourcePosition, endPosition: SourcePosition) {
        self.kind = kind
        self.text = text
        self.position = position
        self.endPosition = endPosition
    }
}

/// Comments between two tokens, as protoc's tokenizer attributes them: a trailing comment of
/// the previous token, comments detached from both (separated by blank lines), and a
/// leading comment of the next token. Texts exclude the comment markers, as in
/// SourceCodeInfo.
public struct CommentTrivia: Sendable, Hashable {
    public var trailingOfPrevious: String?
    public var detached: [String] = []
    public var leading: String?

    public init() {}
}

/// protoc's CommentCollector.
private struct CommentCollector {
    var result = CommentTrivia()
    var buffer = ""
    var hasComment = false
    var isLineComment = false
    var canAttachToPrevious = true
    var hasTrailingComment = false
    var count = 0

    mutating func startLineComment() {
        if hasComment && !isLineComment { flush() }
        hasComment = true
        isLineComment = true
    }

    mutating func startBlockComment() {
        if hasComment { flush() }
        hasComment = true
        isLineComment = false
    }

    mutating func clearBuffer() {
        buffer = ""
        hasComment = false
    }

    mutating func flush() {
        guard hasComment else { return }
        if canAttachToPrevious {
            result.trailingOfPrevious = (result.trailingOfPrevious ?? "") + buffer
            hasTrailingComment = true
            canAttachToPrevious = false
        } else {
            result.detached.append(buffer)
        }
        clearBuffer()
        count += 1
    }

    mutating func detachFromPrevious() { canAttachToPrevious = false }

    mutating func maybeDetach() {
        let total = count + (hasComment ? 1 : 0)
        guard total == 1 else { return }
        if hasTrailingComment, let trailing = result.trailingOfPrevious {
            result.detached.insert(trailing, at: 0)
            result.trailingOfPrevious = nil
        }
        canAttachToPrevious = false
        flush()
    }

    mutating func finish() -> CommentTrivia {
        if hasComment { result.leading = buffer }
        if result.trailingOfPrevious?.isEmpty == true { result.trailingOfPrevious = nil }
        return result
    }
}

/// Splits .proto source into tokens, skipping whitespace and comments, and records
/// protoc's lexical errors (with protoc's wording) without stopping.
///
/// Columns count bytes, and a tab advances to the next multiple of eight, as in protoc.
public struct Lexer: Sendable {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 0
    private var column = 0
    /// Lexical errors; `tokenIndex` is the token being read when the error was found.
    public private(set) var errors: [LexicalError] = []
    private var producedTokens = 0
    private var previousKind: Token.Kind?
    private var previousEnd = SourcePosition(line: 0, column: 0)

    public struct LexicalError: Sendable, Hashable {
        public var position: SourcePosition
        public var message: String
        public var tokenIndex: Int
    }

    static let tabWidth = 8

    public init(_ source: [UInt8]) {
        self.bytes = source
    }

    public init(_ source: String) {
        self.init(Array(source.utf8))
    }

    /// All tokens, ending with one `.end` token.
    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }
    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }
    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func advance() {
        guard index < bytes.count else { return }
        let byte = bytes[index]
        index += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 0
        } else if byte == UInt8(ascii: "\t") {
            column += Self.tabWidth - column % Self.tabWidth
        } else {
            column += 1
        }
    }

    private mutating func error(_ message: String, at position: SourcePosition? = nil) {
        errors.append(LexicalError(position: position ?? self.position, message: message, tokenIndex: producedTokens))
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
    }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isOctal(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x37 }
    static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    private mutating func skipWhitespaceAndComments() {
        while let byte = current {
            if Self.isWhitespace(byte) {
                advance()
            } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                advance()
                advance()
                var ignored = ""
                consumeLineComment(into: &ignored)
            } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                advance()
                advance()
                var ignored = ""
                consumeBlockComment(into: &ignored)
            } else if byte < 0x20 {
                error("Invalid control characters encountered in text.")
                advance()
                while let c = current, c < 0x20 && !Self.isWhitespace(c) { advance() }
            } else {
                return
            }
        }
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// After "//": the rest of the line, newline included.
    private mutating func consumeLineComment(into content: inout String) {
        let start = index
        while let c = current, c != UInt8(ascii: "\n") { advance() }
        if current == UInt8(ascii: "\n") { advance() }
        content += text(start..<index)
    }

    /// After "/*", as protoc's ConsumeBlockComment: a line's leading blanks and "*" are not
    /// part of the text, and nested "/*" is an error.
    private mutating func consumeBlockComment(into content: inout String) {
        let start = SourcePosition(line: line, column: column - 2)
        var recordFrom: Int? = index
        while true {
            while let c = current, c != UInt8(ascii: "*"), c != UInt8(ascii: "/"), c != UInt8(ascii: "\n") {
                advance()
            }
            if current == UInt8(ascii: "\n") {
                advance()
                if let from = recordFrom { content += text(from..<index) }
                recordFrom = nil
                while let c = current, c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C { advance() }
                if current == UInt8(ascii: "*") {
                    advance()
                    if current == UInt8(ascii: "/") {
                        advance()
                        return
                    }
                }
                recordFrom = index
            } else if current == UInt8(ascii: "*") {
                advance()
                if current == UInt8(ascii: "/") {
                    advance()
                    if let from = recordFrom { content += text(from..<(index - 2)) }
                    return
                }
            } else if current == UInt8(ascii: "/") {
                advance()
                if current == UInt8(ascii: "*") {
                    // The '*' stays unconsumed: "/*/" still ends the comment, as in protoc.
                    error("\"/*\" inside block comment.  Block comments cannot be nested.")
                }
            } else {
                error("End-of-file inside block comment.")
                error("  Comment started here.", at: start)
                if let from = recordFrom { content += text(from..<index) }
                return
            }
        }
    }

    private enum CommentStart { case line, block, slash, none }

    private mutating func tryConsumeCommentStart() -> CommentStart {
        guard current == UInt8(ascii: "/") else { return .none }
        if peek(1) == UInt8(ascii: "/") {
            advance()
            advance()
            return .line
        }
        if peek(1) == UInt8(ascii: "*") {
            advance()
            advance()
            return .block
        }
        return .slash
    }

    private mutating func skipBlanks() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C { advance() }
    }

    /// protoc's Tokenizer::NextWithComments: consumes what lies before the next token and
    /// splits its comments into trailing, detached and leading ones.
    private mutating func collectComments() -> CommentTrivia {
        var collector = CommentCollector()
        let previousLine = line
        var trailingEndLine = -1
        if producedTokens == 0 {
            collector.detachFromPrevious()
        } else {
            skipBlanks()
            switch tryConsumeCommentStart() {
            case .line:
                trailingEndLine = line
                collector.startLineComment()
                consumeLineComment(into: &collector.buffer)
                collector.flush()
            case .block:
                collector.startBlockComment()
                consumeBlockComment(into: &collector.buffer)
                trailingEndLine = line
                skipBlanks()
                guard current == UInt8(ascii: "\n") else {
                    collector.clearBuffer()
                    skipWhitespaceAndComments()
                    return collector.finish()
                }
                advance()
                collector.flush()
            case .slash:
                return collector.finish()
            case .none:
                guard current == UInt8(ascii: "\n") else {
                    skipWhitespaceAndComments()
                    return collector.finish()
                }
                advance()
            }
        }
        while true {
            skipBlanks()
            switch tryConsumeCommentStart() {
            case .line:
                collector.startLineComment()
                consumeLineComment(into: &collector.buffer)
            case .block:
                collector.startBlockComment()
                consumeBlockComment(into: &collector.buffer)
                skipBlanks()
                if current == UInt8(ascii: "\n") { advance() }
            case .slash:
                return collector.finish()
            case .none:
                if current == UInt8(ascii: "\n") {
                    advance()
                    collector.flush()
                    collector.detachFromPrevious()
                    continue
                }
                skipWhitespaceAndComments()
                let atEnd = current == nil
                if atEnd || current == UInt8(ascii: "}") || current == UInt8(ascii: "]") || current == UInt8(ascii: ")") {
                    collector.flush()
                }
                if !atEnd && (previousLine == line || trailingEndLine == line) {
                    collector.maybeDetach()
                }
                return collector.finish()
            }
        }
    }

    public mutating func next() -> Token {
        defer { producedTokens += 1 }
        let comments = collectComments()
        let start = position
        let startIndex = index
        guard let byte = current else {
            var end = Token(kind: .end, text: "", position: start, endPosition: start)
            end.commentsBefore = comments
            return end
        }
        let kind: Token.Kind
        if Self.isLetter(byte) {
            while let c = current, Self.isLetter(c) || Self.isDigit(c) { advance() }
            kind = .identifier
        } else if Self.isDigit(byte) || (byte == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true) {
            if byte == UInt8(ascii: "."), previousKind == .identifier, previousEnd == start {
                error("Need space between identifier and decimal point.")
            }
            kind = lexNumber()
        } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            lexString(quote: byte)
            kind = .string
        } else {
            if byte >= 0x80 {
                error("Interpreting non ascii codepoint \(byte).")
            }
            advance()
            kind = .symbol
        }
        let text = String(decoding: bytes[startIndex..<index], as: UTF8.self)
        previousKind = kind
        previousEnd = position
        var token = Token(kind: kind, text: text, position: start, endPosition: position)
        token.commentsBefore = comments
        return token
    }

    private mutating func lexNumber() -> Token.Kind {
        var isFloat = false
        if current == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            advance()
            advance()
            if let c = current, Self.isHex(c) {
                while let c = current, Self.isHex(c) { advance() }
            } else {
                error("\"0x\" must be followed by hex digits.")
            }
        } else if current == UInt8(ascii: "0"), let d = peek(1), Self.isDigit(d) {
            advance()
            while let c = current, Self.isOctal(c) { advance() }
            if let c = current, Self.isDigit(c) {
                error("Numbers starting with leading zero must be in octal.")
                while let c = current, Self.isDigit(c) { advance() }
            }
        } else {
            if current == UInt8(ascii: ".") {
                isFloat = true
                advance()
            }
            while let c = current, Self.isDigit(c) { advance() }
            if !isFloat, current == UInt8(ascii: ".") {
                isFloat = true
                advance()
                while let c = current, Self.isDigit(c) { advance() }
            }
            if let e = current, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                isFloat = true
                advance()
                if let s = current, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") { advance() }
                if let c = current, Self.isDigit(c) {
                    while let c = current, Self.isDigit(c) { advance() }
                } else {
                    error("\"e\" must be followed by exponent.")
                }
            }
            if let f = current, f == UInt8(ascii: "f") || f == UInt8(ascii: "F") {
                // protoc's tokenizer rejects a float suffix in .proto files like any letter.
            }
        }
        if let c = current, Self.isLetter(c) {
            error("Need space between number and identifier.")
        } else if !isFloat, current == UInt8(ascii: ".") {
            error("Hex and octal numbers must be integers.")
        }
        return isFloat ? .float : .integer
    }

    private mutating func lexString(quote: UInt8) {
        advance()
        while true {
            guard let c = current else {
                error("Unexpected end of string.")
                return
            }
            if c == UInt8(ascii: "\n") {
                error("String literals cannot cross line boundaries.")
                return
            }
            if c == quote {
                advance()
                return
            }
            if c == UInt8(ascii: "\\") {
                advance()
                lexEscape()
                continue
            }
            advance()
        }
    }

    private mutating func lexEscape() {
        guard let c = current else { return }
        switch c {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
            UInt8(ascii: "t"), UInt8(ascii: "v"), UInt8(ascii: "\\"), UInt8(ascii: "?"), UInt8(ascii: "'"),
            UInt8(ascii: "\""):
            advance()
        case _ where Self.isOctal(c):
            advance()
        case UInt8(ascii: "x"):
            advance()
            if let h = current, Self.isHex(h) { advance() } else {
                error("Expected hex digits for escape sequence.")
            }
        case UInt8(ascii: "u"):
            advance()
            for _ in 0..<4 {
                guard let h = current, Self.isHex(h) else {
                    error("Expected four hex digits for \\u escape sequence.")
                    return
                }
                advance()
            }
        case UInt8(ascii: "U"):
            advance()
            // protoc accepts \U followed by eight hex digits up to 0010ffff.
            var digits: [UInt8] = []
            for _ in 0..<8 {
                guard let h = current, Self.isHex(h) else { break }
                digits.append(h)
                advance()
            }
            let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) ?? 0
            if digits.count < 8 || value > 0x10FFFF {
                error("Expected eight hex digits up to 10ffff for \\U escape sequence")
            }
        default:
            error("Invalid escape sequence in string literal.")
        }
    }
}

/// Decoding of the literal forms the tokenizer accepted.
public enum Literal {
    /// The bytes a string token stands for, with protoc's escapes applied.
    public static func unescape(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2 else { return [] }
        var out: [UInt8] = []
        var i = 1
        let end = bytes.last == bytes.first ? bytes.count - 1 : bytes.count
        func hexValue(_ b: UInt8) -> UInt32? {
            switch b {
            case 0x30...0x39: return UInt32(b - 0x30)
            case 0x61...0x66: return UInt32(b - 0x61 + 10)
            case 0x41...0x46: return UInt32(b - 0x41 + 10)
            default: return nil
            }
        }
        func appendScalar(_ value: UInt32) {
            if let scalar = Unicode.Scalar(value) {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        }
        while i < end {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\"), i + 1 < end else {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "a"): out.append(7)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "v"): out.append(11)
            case 0x30...0x37:
                var value = UInt32(e - 0x30)
                var count = 1
                while count < 3, i < end, Lexer.isOctal(bytes[i]) {
                    value = value * 8 + UInt32(bytes[i] - 0x30)
                    i += 1
                    count += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                var value: UInt32 = 0
                var count = 0
                while count < 2, i < end, let h = hexValue(bytes[i]) {
                    value = value * 16 + h
                    i += 1
                    count += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let width = e == UInt8(ascii: "u") ? 4 : 8
                var value: UInt32 = 0
                var count = 0
                while count < width, i < end, let h = hexValue(bytes[i]) {
                    value = value &* 16 &+ h
                    i += 1
                    count += 1
                }
                // A high surrogate followed by \u low surrogate forms one code point.
                if value >= 0xD800, value <= 0xDBFF, i + 5 < end, bytes[i] == UInt8(ascii: "\\"),
                    bytes[i + 1] == UInt8(ascii: "u")
                {
                    var low: UInt32 = 0
                    var ok = true
                    for k in 0..<4 {
                        guard let h = hexValue(bytes[i + 2 + k]) else {
                            ok = false
                            break
                        }
                        low = low * 16 + h
                    }
                    if ok, low >= 0xDC00, low <= 0xDFFF {
                        value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                appendScalar(value)
            default:
                out.append(e)
            }
        }
        return out
    }

    /// Parses an integer token (decimal, `0x` hex or leading-zero octal); nil when it overflows.
    public static func integer(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            return UInt64(text.dropFirst(2), radix: 16)
        }
        if text.count > 1, text.hasPrefix("0") {
            return UInt64(text.dropFirst(), radix: 8)
        }
        return UInt64(text, radix: 10)
    }

    /// Parses a float token as strtod would.
    public static func float(_ text: String) -> Double {
        var t = text
        if t.hasPrefix(".") { t = "0" + t }
        if let last = t.last, last == "e" || last == "E" { t.removeLast() }
        if t.hasSuffix("e-") || t.hasSuffix("e+") || t.hasSuffix("E-") || t.hasSuffix("E+") { t.removeLast(2) }
        return Double(t) ?? 0
    }

    /// Escapes bytes as protoc's CEscape does (for bytes default values).
    public static func cEscape(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            switch b {
            case 10: out += "\\n"
            case 13: out += "\\r"
            case 9: out += "\\t"
            case 0x22: out += "\\\""
            case 0x27: out += "\\'"
            case 0x5C: out += "\\\\"
            default:
                if b < 0x20 || b >= 0x7F {
                    let octal = String(b, radix: 8)
                    out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
                } else {
                    out.append(Character(Unicode.Scalar(b)))
                }
            }
        }
        return out
    }
}
