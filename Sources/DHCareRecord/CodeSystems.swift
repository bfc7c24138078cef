/// The code systems DataHealth checks, with the formats their codes take (docs/CARE_RECORDS.md).
public enum CodeSystem {
    public static let icd10 = "http://hl7.org/fhir/sid/icd-10"
    /// 病名交換用コード (MEDIS standard disease-name master): 4 characters.
    public static let diseaseExchangeCode = "urn:oid:1.2.392.200119.4.101.6"
    /// 病名管理番号 (MEDIS): 8 digits.
    public static let diseaseManagementNumber = "urn:oid:1.2.392.200119.4.101.2"
    /// 修飾語交換用コード (modifiers): 4 characters.
    public static let modifierExchangeCode = "urn:oid:1.2.392.200119.4.201.5"
    /// JLAC10 laboratory test code: 17 characters (analyte 5, identification 4, material 3, method 3, result type 2).
    public static let jlac10 = "urn:oid:1.2.392.200119.4.504"
    /// JLAC11 laboratory test code: 17 characters.
    public static let jlac11 = "urn:oid:1.2.392.200119.4.1101"
    /// YJ code: 12 characters.
    public static let yjCode = "urn:oid:1.2.392.100495.20.1.73"
    /// 一般名処方マスタ code.
    public static let genericNameCode = "urn:oid:1.2.392.100495.20.1.81"
    /// The explicit "no standard drug code" system of the EHR-sharing service.
    public static let noStandardDrugCode = "http://jpfhir.jp/fhir/eCS/CodeSystem/MedicationCodeNocoded_CS"
    /// 特定健診 result item codes.
    public static let checkupItemCode = "urn:oid:1.2.392.200119.6.1005"

    /// Whether `code` has the form its system requires; unknown systems are not checked.
    public static func isWellFormed(_ code: String, in system: String) -> Bool {
        let bytes = Array(code.utf8)
        switch system {
        case icd10:
            return Format.isICD10(bytes)
        case diseaseExchangeCode, modifierExchangeCode:
            return bytes.count == 4 && bytes.allSatisfy(Format.isUpperAlphanumeric)
        case diseaseManagementNumber:
            return bytes.count == 8 && bytes.allSatisfy(Format.isDigit)
        case jlac10, jlac11:
            return Format.isJLAC(bytes)
        case yjCode:
            return bytes.count == 12 && bytes.allSatisfy(Format.isUpperAlphanumeric)
        case genericNameCode:
            return (1...20).contains(bytes.count) && bytes.allSatisfy(Format.isUpperAlphanumeric)
        case checkupItemCode:
            return (1...20).contains(bytes.count) && bytes.allSatisfy { Format.isUpperAlphanumeric($0) || $0 == 0x2D }
        default:
            return !bytes.isEmpty
        }
    }

    /// The systems a drug must be coded in (at least one of them).
    public static let drugSystems: Set<String> = [yjCode, genericNameCode, noStandardDrugCode]
    /// The systems a diagnosis must be coded in (at least one of them).
    public static let diagnosisSystems: Set<String> = [diseaseExchangeCode, diseaseManagementNumber, icd10]
    /// The systems a laboratory test must be coded in.
    public static let labSystems: Set<String> = [jlac10, jlac11]
}

enum Format {
    /// Whether `text` has at most `limit` characters (grapheme clusters). Counting characters
    /// walks the grapheme rules; no text has more characters than UTF-8 bytes, so most texts
    /// are decided by their byte count alone.
    static func fits(_ text: String, characters limit: Int) -> Bool {
        text.utf8.count <= limit || text.count <= limit
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    static func isUpperAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isUpper(byte) }

    /// ICD-10: a letter, two digits, then optionally up to four more characters, with or
    /// without the dot (E11, E11.9, E119, J45.0, S72.00).
    static func isICD10(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 3, isUpper(bytes[0]), isDigit(bytes[1]), isDigit(bytes[2]) else { return false }
        var rest = bytes[3...]
        if rest.first == 0x2E {
            rest = rest.dropFirst()
            guard !rest.isEmpty else { return false }
        }
        return rest.count <= 4 && rest.allSatisfy(isUpperAlphanumeric)
    }

    /// JLAC10/JLAC11: 17 characters in groups of 5-4-3-3-2, written with or without hyphens.
    static func isJLAC(_ bytes: [UInt8]) -> Bool {
        let groups = [5, 4, 3, 3, 2]
        if bytes.count == 17 { return bytes.allSatisfy(isUpperAlphanumeric) }
        guard bytes.count == 21 else { return false }
        var index = 0
        for (position, length) in groups.enumerated() {
            for _ in 0..<length {
                guard isUpperAlphanumeric(bytes[index]) else { return false }
                index += 1
            }
            if position < groups.count - 1 {
                guard bytes[index] == 0x2D else { return false }
                index += 1
            }
        }
        return true
    }

    /// 医療機関コード: 10 digits, prefecture 01-47, fee-schedule table 1-3 (pattern [0-4][0-9][1-3][0-9]{7}).
    static func isInstitutionCode(_ text: String) -> Bool {
        isInstitutionCode(text.utf8[...])
    }

    static func isInstitutionCode(_ bytes: Substring.UTF8View) -> Bool {
        guard bytes.count == 10, bytes.allSatisfy(isDigit) else { return false }
        var digits = bytes.makeIterator()
        let prefecture = Int(digits.next()! - 0x30) * 10 + Int(digits.next()! - 0x30)
        return (1...47).contains(prefecture) && (0x31...0x33).contains(digits.next()!)
    }

    /// A decimal number as text: optional sign, digits, optional fraction ("6.50", "-0.3", "120").
    static func isDecimal(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if bytes.first == 0x2D || bytes.first == 0x2B { bytes = bytes.dropFirst() }
        guard let first = bytes.first, isDigit(first) else { return false }
        var seenDot = false
        for byte in bytes {
            if byte == 0x2E {
                guard !seenDot else { return false }
                seenDot = true
            } else if !isDigit(byte) {
                return false
            }
        }
        return bytes.last != 0x2E && bytes.count <= 32
    }

    static func isPrintableASCII(_ text: String, maximum: Int) -> Bool {
        let bytes = Array(text.utf8)
        return !bytes.isEmpty && bytes.count <= maximum && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
