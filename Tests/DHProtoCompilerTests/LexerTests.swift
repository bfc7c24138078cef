@testable import DHProtoCompiler
import Testing

@Suite("Lexer")
struct LexerTests {
    func tokens(_ source: String) -> ([Token], [Lexer.LexicalError]) {
        var lexer = Lexer(source)
        let tokens = lexer.tokenize()
        return (tokens, lexer.errors)
    }

    @Test("tokens carry kinds, text and zero-based positions")
    func kindsAndPositions() {
        let (tokens, errors) = tokens("message A {\n  int32 x = 0x1F; // c\n}")
        #expect(errors.isEmpty)
        #expect(tokens.map(\.kind) == [
            .identifier, .identifier, .symbol, .identifier, .identifier, .symbol, .integer, .symbol, .symbol, .end,
        ])
        #expect(tokens[6].text == "0x1F")
        #expect(tokens[3].position == SourcePosition(line: 1, column: 2))
        #expect(tokens[8].position == SourcePosition(line: 2, column: 0))
    }

    @Test("a tab advances the column to the next multiple of eight, as in protoc")
    func tabs() {
        let (tokens, _) = tokens("a\tb  \tc")
        #expect(tokens.map(\.position.column) == [0, 8, 16, 17])
    }

    @Test("floats, exponents and leading dots are float tokens")
    func floats() {
        let (tokens, errors) = tokens("1.5 .5 1e10 2E-3 7")
        #expect(errors.isEmpty)
        #expect(tokens.dropLast().map(\.kind) == [.float, .float, .float, .float, .integer])
    }

    @Test("comments are skipped, including block comments across lines")
    func comments() {
        let (tokens, errors) = tokens("a /* x\n y */ b // z\nc")
        #expect(errors.isEmpty)
        #expect(tokens.map(\.text) == ["a", "b", "c", ""])
        #expect(tokens[1].position == SourcePosition(line: 1, column: 6))
    }

    @Test(
        "lexical errors use protoc's words and positions",
        arguments: [
            ("\"a\\qb\"", 0, 3, "Invalid escape sequence in string literal."),
            ("'\\xzz'", 0, 3, "Expected hex digits for escape sequence."),
            ("\"abc\nx", 0, 4, "String literals cannot cross line boundaries."),
            ("/* open", 0, 7, "End-of-file inside block comment."),
            ("0x;", 0, 2, "\"0x\" must be followed by hex digits."),
            ("1e;", 0, 2, "\"e\" must be followed by exponent."),
            ("08", 0, 1, "Numbers starting with leading zero must be in octal."),
            ("12ab", 0, 2, "Need space between number and identifier."),
            ("\"\\u12\"", 0, 5, "Expected four hex digits for \\u escape sequence."),
        ])
    func errors(source: String, line: Int, column: Int, message: String) {
        let (_, errors) = tokens(source)
        #expect(errors.first?.message == message)
        #expect(errors.first?.position == SourcePosition(line: line, column: column))
    }

    @Test("string literals decode protoc's escapes")
    func unescape() {
        #expect(Literal.unescape("\"a\\n\\t\\\\\\\"\"") == Array("a\n\t\\\"".utf8))
        #expect(Literal.unescape("'\\101\\x42\\0'") == [0x41, 0x42, 0x00])
        #expect(Literal.unescape("\"\\u00e9\"") == Array("é".utf8))
        #expect(Literal.unescape("\"\\U0001F600\"") == Array("😀".utf8))
        #expect(Literal.cEscape([0x01, 0x7F, 0x61, 0x22, 0x27, 0x0A]) == "\\001\\177a\\\"\\'\\n")
    }

    @Test("integers parse in decimal, hex and octal, and overflow is detected")
    func integers() {
        #expect(Literal.integer("42") == 42)
        #expect(Literal.integer("0x2A") == 42)
        #expect(Literal.integer("052") == 42)
        #expect(Literal.integer("18446744073709551615") == UInt64.max)
        #expect(Literal.integer("18446744073709551616") == nil)
    }

    @Test("numbers format like protoc's SimpleDtoa and SimpleFtoa")
    func numberFormat() {
        #expect(NumberFormat.simpleDtoa(0.1) == "0.1")
        #expect(NumberFormat.simpleDtoa(1e10) == "10000000000")
        #expect(NumberFormat.simpleFtoa(1e10) == "1e+10")
        #expect(NumberFormat.simpleFtoa(1.1) == "1.1")
        #expect(NumberFormat.simpleDtoa(-.infinity) == "-inf")
        #expect(NumberFormat.simpleDtoa(.nan) == "nan")
    }
}
