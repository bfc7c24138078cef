public import DHSchemas
internal import DHTLS
internal import Foundation

/// Turns the insured person's numbers (保険者番号, 記号・番号, 枝番) into DataHealth's patient id:
/// the lowercase hex HMAC-SHA256 of the normalized numbers under a server secret. Without the
/// secret the id cannot be computed from the numbers, so a leaked table does not reveal who is
/// who, and the numbers themselves are never stored (docs/CARE_RECORDS.md, "Patient ids").
public struct PatientPseudonymizer: Sendable {
    /// Names the derivation, so the same secret used elsewhere gives unrelated values.
    static let context = Array("datahealth/v1/patient-id/insured".utf8)

    private let secret: [UInt8]

    /// - Parameter secret: at least 32 random bytes, kept outside the database.
    public init(secret: [UInt8]) {
        precondition(secret.count >= 32, "the pseudonym secret must be at least 32 bytes")
        self.secret = secret
    }

    /// The patient id of an insured person. Full-width digits and letters count as their ASCII
    /// forms, white space is ignored and letters are compared in upper case, so the same card
    /// typed in different systems gives the same id.
    public func patientID(for insured: Datahealth_V1_InsuredPersonId) -> String {
        var message = Self.context
        for field in [insured.insurerNumber, insured.symbol, insured.number, insured.branchNumber] {
            message.append(0)
            message += Self.normalized(field)
        }
        return HMACSHA256.authenticationCode(key: secret, message: message).hex
    }

    /// The patient id a reference names: the pseudonym of the insured person, or the id itself.
    public func patientID(for reference: Datahealth_V1_PatientReference) -> String? {
        switch reference.id {
        case .insured(let insured): patientID(for: insured)
        case .patientID(let id): id
        case nil: nil
        }
    }

    /// Names the derivation of fact digests.
    static let factsContext = Array("datahealth/v1/patient-facts".utf8)

    /// The keyed digest of the four basic facts that identify a person without a card: the
    /// name in katakana (white space ignored, half-width katakana as full-width), the full
    /// birth date and the sex. Nil when the facts are not complete enough to identify anyone.
    /// The address is left out: it is written too many ways to match.
    public func factsDigest(for facts: Datahealth_V1_BasicFourFacts) -> String? {
        let kana = Self.normalizedKana(facts.nameKana)
        let date = facts.birthDate
        guard !kana.isEmpty, date.year > 0, date.month > 0, date.day > 0 else { return nil }
        let sex: UInt8
        switch facts.sex {
        case .male: sex = 1
        case .female: sex = 2
        case .other: sex = 3
        default: return nil
        }
        var message = Self.factsContext
        message.append(0)
        message += kana
        message.append(0)
        message += Array("\(date.year)-\(date.month)-\(date.day)".utf8)
        message.append(0)
        message.append(sex)
        return HMACSHA256.authenticationCode(key: secret, message: message).hex
    }

    /// Katakana in one form: half-width katakana as full-width (with voiced marks composed:
    /// ﾀﾞ is ダ), hiragana as katakana, white space and the middle dot removed.
    static func normalizedKana(_ text: String, alwaysMap: Bool = false) -> [UInt8] {
        // Full-width kana (composed), the prolonged sound mark and spaces are their own NFKC
        // form: most names skip the normalization (`alwaysMap` does not, for tests).
        let alreadyComposed =
            !alwaysMap
            && text.unicodeScalars.allSatisfy { scalar in
                let value = scalar.value
                return (0x3041...0x3096).contains(value) || (0x30A1...0x30FC).contains(value) || value == 0x20
                    || value == 0x3000
            }
        var scalars: [UInt32] = []
        for scalar in (alreadyComposed ? text : text.precomposedStringWithCompatibilityMapping).unicodeScalars {
            var value = scalar.value
            if Self.isWhitespace(value) || value == 0x30FB { continue }
            if (0x3041...0x3096).contains(value) { value += 0x60 }  // hiragana → katakana
            if value == 0x309B { value = 0x3099 }  // spacing voiced marks → combining
            if value == 0x309C { value = 0x309A }
            if value == 0x3099 || value == 0x309A, let last = scalars.last,
                let composed = composedKana(last, mark: value)
            {
                scalars[scalars.count - 1] = composed
                continue
            }
            scalars.append(value)
        }
        var result = ""
        for value in scalars { if let scalar = Unicode.Scalar(value) { result.unicodeScalars.append(scalar) } }
        return Array(result.utf8)
    }

    /// Unicode's White_Space property (a fixed set of 25 code points), without the property
    /// table lookup that `Unicode.Scalar.Properties.isWhitespace` makes for every scalar.
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// A katakana with its (semi-)voiced mark as one character: タ + ゛ = ダ, ハ + ゜ = パ.
    static func composedKana(_ base: UInt32, mark: UInt32) -> UInt32? {
        let voiceable: Set<UInt32> = [
            0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4,
            0x30C6, 0x30C8, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB,
        ]
        let semiVoiceable: Set<UInt32> = [0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB]
        if mark == 0x3099 {
            if base == 0x30A6 { return 0x30F4 }  // ウ゛ = ヴ
            return voiceable.contains(base) ? base + 1 : nil
        }
        return semiVoiceable.contains(base) ? base + 2 : nil
    }

    static func normalized(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        for scalar in text.unicodeScalars {
            var value = scalar.value
            if (0xFF01...0xFF5E).contains(value) { value -= 0xFEE0 }  // full-width ASCII
            if Self.isWhitespace(value) { continue }
            if (0x61...0x7A).contains(value) { value -= 0x20 }
            result += Array(String(Unicode.Scalar(value) ?? scalar).utf8)
        }
        return result
    }
}
