import Testing

@testable import DHCareRecord

@Suite("Patient pseudonymizer: normalization shortcuts")
struct PseudonymizerNormalizationTests {
    @Test("White_Space by code point agrees with the Unicode property for every scalar")
    func whitespace() {
        var disagreements: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if PatientPseudonymizer.isWhitespace(value) != scalar.properties.isWhitespace {
                disagreements.append(value)
            }
        }
        #expect(disagreements.isEmpty)
    }

    @Test("kana that skip NFKC normalize as they would through it")
    func kanaShortcut() {
        var random = SystemRandomNumberGenerator()
        let alphabet: [UInt32] = Array(0x3041...0x3096) + Array(0x30A1...0x30FC) + [0x20, 0x3000]
        let samples =
            ["ヤマダ ハナコ", "やまだ　はなこ", "ヴァイオリン", "ガッコウ・ダイスキ", "ー", ""]
            + (0..<300).map { _ in
                String(
                    String.UnicodeScalarView(
                        (0..<Int.random(in: 1...12, using: &random)).compactMap { _ in
                            Unicode.Scalar(alphabet.randomElement(using: &random)!)
                        }))
            }
        for text in samples {
            #expect(
                PatientPseudonymizer.normalizedKana(text) == PatientPseudonymizer.normalizedKana(text, alwaysMap: true),
                "\(text)")
        }
        // Half-width kana and separate voiced marks still go through NFKC.
        #expect(PatientPseudonymizer.normalizedKana("ﾔﾏﾀﾞ") == Array("ヤマダ".utf8))
        #expect(PatientPseudonymizer.normalizedKana("タ\u{309B}") == Array("ダ".utf8))
    }
}
