/// Accumulates generated source text. The printer alone owns indentation: emitters
/// say what to print and when a block opens or closes, never how many spaces.
struct CodePrinter {
    private(set) var text = ""
    private var indentation = 0
    private let indentUnit = "    "

    /// Prints one line at the current indentation; an empty line has no trailing spaces.
    mutating func line(_ content: String = "") {
        if !content.isEmpty {
            for _ in 0..<indentation { text += indentUnit }
            text += content
        }
        text += "\n"
    }

    /// Prints several lines, each at the current indentation.
    mutating func lines(_ contents: [String]) {
        for content in contents { line(content) }
    }

    /// Prints `header {`, the body one level deeper, then `}` (or `closer`).
    mutating func block(_ header: String, closer: String = "}", _ body: (inout CodePrinter) -> Void) {
        line(header + " {")
        indent()
        body(&self)
        outdent()
        line(closer)
    }

    mutating func indent() { indentation += 1 }

    mutating func outdent() {
        precondition(indentation > 0, "unbalanced outdent")
        indentation -= 1
    }

    /// Prints `///` documentation lines for a .proto comment; nothing for an empty one.
    mutating func documentation(_ comment: String) {
        var body = comment.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        while body.last?.trimmingWhitespace().isEmpty == true { body.removeLast() }
        while body.first?.trimmingWhitespace().isEmpty == true { body.removeFirst() }
        for raw in body {
            // .proto comments keep the space after `//`; drop one leading space so the
            // Swift comment reads `/// text`.
            let text = raw.hasPrefix(" ") ? String(raw.dropFirst()) : raw
            line(text.isEmpty ? "///" : "/// " + text.trimmingTrailingWhitespace())
        }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        self.drop(while: { $0 == " " || $0 == "\t" }).trimmingTrailingWhitespace()
    }

    func trimmingTrailingWhitespace() -> String {
        String(self[...].trimmingTrailingWhitespace())
    }
}

extension Substring {
    func trimmingTrailingWhitespace() -> Substring {
        var end = endIndex
        while end > startIndex {
            let previous = index(before: end)
            guard self[previous] == " " || self[previous] == "\t" || self[previous] == "\r" else { break }
            end = previous
        }
        return self[startIndex..<end]
    }
}
