public import DHSchemas
internal import DHTLS

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

    static func normalized(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        for scalar in text.unicodeScalars {
            var value = scalar.value
            if (0xFF01...0xFF5E).contains(value) { value -= 0xFEE0 }  // full-width ASCII
            if value == 0x3000 || scalar.properties.isWhitespace { continue }
            if (0x61...0x7A).contains(value) { value -= 0x20 }
            result += Array(String(Unicode.Scalar(value) ?? scalar).utf8)
        }
        return result
    }
}
