/// Swift source literals for values taken from descriptors.
enum SwiftLiteral {
    /// A Swift string literal with every character that needs it escaped.
    static func string(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\0": result += "\\0"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// The bytes of a C-escaped string, as descriptors store `bytes` defaults.
    static func unescapedCBytes(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        var position = 0
        func isOctal(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x37 }
        while position < input.count {
            let byte = input[position]
            position += 1
            guard byte == UInt8(ascii: "\\"), position < input.count else {
                output.append(byte)
                continue
            }
            let escape = input[position]
            position += 1
            switch escape {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "a"): output.append(0x07)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "v"): output.append(0x0B)
            case UInt8(ascii: "x"):
                var value: UInt32 = 0
                var digits = 0
                while digits < 2, position < input.count, let digit = hexValue(input[position]) {
                    value = value * 16 + UInt32(digit)
                    position += 1
                    digits += 1
                }
                output.append(UInt8(truncatingIfNeeded: value))
            case _ where isOctal(escape):
                var value = UInt32(escape - 0x30)
                var digits = 1
                while digits < 3, position < input.count, isOctal(input[position]) {
                    value = value * 8 + UInt32(input[position] - 0x30)
                    position += 1
                    digits += 1
                }
                output.append(UInt8(truncatingIfNeeded: value))
            default:
                output.append(escape)
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
