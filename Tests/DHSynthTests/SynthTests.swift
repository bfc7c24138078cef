import DHCareRecord
import DHSchemas
import DHSynth
import DHWire
import Foundation
import Testing

/// 2026-11-24T12:00:00Z.
private let asOf = Date(timeIntervalSince1970: 1_795_521_600)

private func generator(seed: UInt64 = 42, patients: Int = 500, institution: String? = nil) -> SyntheticDataGenerator {
    var configuration = SynthConfiguration(asOf: asOf)
    configuration.seed = seed
    configuration.patients = patients
    configuration.institution = institution
    return SyntheticDataGenerator(configuration: configuration)
}

private func allRecords(_ generator: SyntheticDataGenerator) -> [Datahealth_V1_CareRecord] {
    var records: [Datahealth_V1_CareRecord] = []
    generator.forEachRecord { records.append($0) }
    return records
}

@Suite("Synthetic data")
struct SynthTests {
    @Test("the same seed gives the same bytes; another seed, other data")
    func deterministic() throws {
        let first = allRecords(generator()).map { $0.serializedBytes() }
        let second = allRecords(generator()).map { $0.serializedBytes() }
        #expect(first == second)
        let other = allRecords(generator(seed: 43)).map { $0.serializedBytes() }
        #expect(other != first)
        // A patient does not depend on which patients were generated before it.
        let alone = generator().records(for: generator().patient(123)).map { $0.serializedBytes() }
        var all: [[UInt8]] = []
        let full = generator()
        for record in full.records(for: full.patient(123)) { all.append(record.serializedBytes()) }
        #expect(alone == all)
    }

    @Test("every record passes the service's validation for its institution")
    func valid() throws {
        let validator = CareRecordValidator()
        let now = Int64(asOf.timeIntervalSince1970)
        var checked = 0
        var kinds: [String: Int] = [:]
        for record in allRecords(generator(patients: 800)) {
            let problem = validator.problem(in: record, institution: record.provenance.institution.code, nowSeconds: now)
            #expect(problem == nil, "\(record.submissionID): \(String(describing: problem))")
            checked += 1
            if let item = record.item { kinds["\(item)".prefix(while: { $0 != "(" }).description, default: 0] += 1 }
        }
        #expect(checked > 3_000)
        for kind in ["diagnoses", "allergy", "drugContraindication", "infection", "labResult", "prescription"] {
            #expect((kinds[kind] ?? 0) > 0, "no \(kind) records: \(kinds)")
        }
    }

    @Test("keys and submission ids are unique; institution codes and insurer numbers carry valid check digits")
    func identifiers() {
        let data = generator(patients: 1_000)
        let records = allRecords(data)
        #expect(Set(records.map(\.idempotencyKey)).count == records.count)
        #expect(Set(records.map { $0.provenance.institution.code + $0.submissionID }).count == records.count)
        func checkDigitHolds(_ text: String) -> Bool {
            let digits = text.compactMap { $0.wholeNumberValue }
            var sum = 0
            for (position, digit) in digits.dropLast().reversed().enumerated() {
                let product = digit * (position % 2 == 0 ? 2 : 1)
                sum += product / 10 + product % 10
            }
            return (10 - sum % 10) % 10 == digits.last
        }
        for institution in data.institutions {
            #expect(institution.code.count == 10)
            #expect(checkDigitHolds(String(institution.code.suffix(7))), "\(institution.code)")
        }
        for number in 0..<200 {
            let insurer = data.patient(number).insured.insurerNumber
            #expect(insurer.count == 6 || insurer.count == 8, "\(insurer)")
            #expect(checkDigitHolds(insurer), "\(insurer)")
        }
    }

    @Test("ages follow Japan's pyramid, with children and a few needing medical care; conditions follow age")
    func distributions() {
        let data = generator(patients: 3_000)
        var children = 0
        var elderly = 0
        var careNeeds = 0
        var hypertensionOld = 0
        var hypertensionYoung = 0
        for number in 0..<3_000 {
            let patient = data.patient(number)
            let age = 2026 - patient.birthDate.year
            #expect((0...101).contains(age))
            if age < 15 { children += 1 }
            if age >= 65 { elderly += 1 }
            if patient.medicalCareNeeds { careNeeds += 1 }
            let hasHypertension = data.records(for: patient).contains { record in
                record.diagnoses.diagnoses.contains { $0.disease.codings.first?.code == "I10" }
            }
            if hasHypertension { if age >= 65 { hypertensionOld += 1 } else if age < 40 { hypertensionYoung += 1 } }
        }
        #expect((250...500).contains(children), "\(children)")
        #expect((700...1_100).contains(elderly), "\(elderly)")
        #expect(careNeeds > 0 && careNeeds < 40, "\(careNeeds)")
        #expect(hypertensionOld > 5 * max(hypertensionYoung, 1), "\(hypertensionOld) vs \(hypertensionYoung)")
    }

    @Test("nobody is born after the as-of day, whatever the seed", arguments: [1, 2, 3, 7, 99] as [UInt64])
    func birthDatesInThePast(seed: UInt64) {
        let data = generator(seed: seed, patients: 20_000)
        let today = CivilDate(seconds: Int64(asOf.timeIntervalSince1970))
        for number in 0..<20_000 {
            let birth = data.patient(number).birthDate
            #expect(!(today < birth), "patient \(number) born \(birth)")
            if today < birth { return }
        }
    }

    @Test("JSON lines parse back into the same records")
    func jsonRoundTrip() throws {
        for record in allRecords(generator(patients: 50)) {
            let parsed = try Datahealth_V1_CareRecord(jsonUTF8Bytes: try record.jsonUTF8Bytes())
            #expect(parsed == record)
        }
    }

    @Test("one institution's data: every record is that institution's")
    func singleInstitution() {
        let records = allRecords(generator(patients: 100, institution: "1312345678"))
        #expect(records.allSatisfy { $0.provenance.institution.code == "1312345678" && $0.submissionID.hasPrefix("1312345678^") })
    }
}
