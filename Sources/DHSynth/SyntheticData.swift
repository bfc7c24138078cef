public import DHCareRecord
public import DHSchemas
internal import DHWire

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What to generate.
public struct SynthConfiguration: Sendable {
    /// The same seed (and the same other settings) gives the same data, byte for byte.
    public var seed: UInt64 = 1
    public var institutions = 10
    public var patients = 100
    public var recordsPerPatient: ClosedRange<Int> = 4...12
    /// When set, every record is of this institution (a gateway submits only its own).
    public var institution: String?
    /// Records are dated in the two years before this time.
    public var asOf: Date

    public init(asOf: Date) { self.asOf = asOf }
}

/// A synthetic medical institution.
public struct SyntheticInstitution: Sendable, Hashable {
    /// 医療機関コード: prefecture (2), fee table 1 (medical), 6 digits and a check digit.
    public var code: String
    public var name: String
}

/// A synthetic patient: nobody real.
public struct SyntheticPatient: Sendable, Hashable {
    public var number: Int
    public var insured: Datahealth_V1_InsuredPersonId
    public var facts: Datahealth_V1_BasicFourFacts
    public var birthDate: CivilDate
    public var sex: Datahealth_V1_Sex
    /// A child needing medical care (医療的ケア児).
    public var medicalCareNeeds: Bool
    /// The institution that submits this patient's records.
    public var institution: SyntheticInstitution
}

/// Generates institutions, patients and their care records from a seed. Every patient has a
/// generator of its own (seeded from the seed and the patient's number), so patients can be
/// generated in any order, or only some of them, with the same result.
public struct SyntheticDataGenerator: Sendable {
    public let configuration: SynthConfiguration
    public let institutions: [SyntheticInstitution]
    private let today: CivilDate
    private let asOfSeconds: Int64

    public init(configuration: SynthConfiguration) {
        self.configuration = configuration
        asOfSeconds = Int64(configuration.asOf.timeIntervalSince1970.rounded(.down))
        today = CivilDate(seconds: asOfSeconds)
        var random = SynthRandom(seed: configuration.seed ^ 0x1357_9BDF_2468_ACE0)
        var institutions: [SyntheticInstitution] = []
        var codes: Set<String> = []
        if let code = configuration.institution {
            institutions.append(SyntheticInstitution(code: code, name: Self.institutionName(&random)))
        } else {
            while institutions.count < max(1, configuration.institutions) {
                let prefecture = random.pick(CodeLists.prefectures)
                let code = Self.institutionCode(prefecture: prefecture.code, &random)
                guard codes.insert(code).inserted else { continue }
                institutions.append(
                    SyntheticInstitution(
                        code: code, name: Self.institutionName(&random, city: random.pick(prefecture.cities))))
            }
        }
        self.institutions = institutions
    }

    // MARK: Institutions

    static func institutionCode(prefecture: Int, _ random: inout SynthRandom) -> String {
        institutionCode(
            prefecture: prefecture, number: (0..<6).reduce(0) { value, _ in value * 10 + random.int(in: 0...9) })
    }

    /// The 医療機関コード of medical institution `number` (0...999,999) in `prefecture`
    /// (1...47): prefecture, fee table 1 (医科), the number, and its check digit.
    public static func institutionCode(prefecture: Int, number: Int) -> String {
        var digits = [prefecture / 10, prefecture % 10, 1]
        for place in [100_000, 10_000, 1_000, 100, 10, 1] { digits.append(number / place % 10) }
        digits.append(checkDigit(digits.suffix(6)))
        return digits.map { String($0) }.joined()
    }

    static func institutionName(_ random: inout SynthRandom, city: String? = nil) -> String {
        let place = city ?? random.pick(random.pick(CodeLists.prefectures).cities)
        let family = random.pick(CodeLists.familyNames).kanji
        switch random.int(in: 0...5) {
        case 0: return "\(place)市立病院"
        case 1: return "\(place)中央病院"
        case 2: return "医療法人社団\(family)会 \(family)内科クリニック"
        case 3: return "\(family)小児科医院"
        case 4: return "\(place)総合医療センター"
        default: return "\(family)整形外科クリニック"
        }
    }

    /// The modulus-10 check digit with weights 2, 1, 2, … from the right (as 保険者番号 use).
    static func checkDigit(_ digits: some Collection<Int>) -> Int {
        var sum = 0
        for (position, digit) in digits.reversed().enumerated() {
            let product = digit * (position % 2 == 0 ? 2 : 1)
            sum += product / 10 + product % 10
        }
        return (10 - sum % 10) % 10
    }

    // MARK: Patients

    /// Patient `number` (0-based).
    public func patient(_ number: Int) -> SyntheticPatient {
        var random = patientRandom(number, stream: 1)
        let sex: Datahealth_V1_Sex = random.chance(0.51) ? .female : .male
        // Japan's age pyramid, roughly: 12% children, 59% 15-64, 29% 65 and over.
        let band = random.unit()
        let age: Int =
            band < 0.12
            ? random.int(in: 0...14)
            : band < 0.71 ? random.int(in: 15...64) : band < 0.85 ? random.int(in: 65...74) : random.int(in: 75...99)
        let birthYear = today.year - age - (random.chance(0.5) ? 1 : 0)
        let birthMonth = random.int(in: 1...12)
        var birthDate = CivilDate(
            year: birthYear, month: birthMonth,
            day: random.int(in: 1...CivilDate.daysIn(month: birthMonth, year: birthYear)))
        if today < birthDate {
            // Born later this year than today: a year earlier (a newborn stays under one).
            birthDate = CivilDate(
                year: birthDate.year - 1, month: birthDate.month,
                day: min(birthDate.day, CivilDate.daysIn(month: birthDate.month, year: birthDate.year - 1)))
        }
        let family = random.pick(CodeLists.familyNames)
        let given = random.pick(sex == .female ? CodeLists.femaleNames : CodeLists.maleNames)
        let prefecture = random.pick(CodeLists.prefectures)

        var insured = Datahealth_V1_InsuredPersonId()
        var insurer: [Int]
        if age >= 75 {
            insurer = [3, 9, prefecture.code / 10, prefecture.code % 10] + (0..<3).map { _ in random.int(in: 0...9) }
        } else if random.chance(0.25) {
            insurer = [prefecture.code / 10, prefecture.code % 10] + (0..<3).map { _ in random.int(in: 0...9) }
        } else {
            let law = random.pick([[0, 1], [0, 6], [3, 1], [3, 4]])
            insurer = law + [prefecture.code / 10, prefecture.code % 10] + (0..<3).map { _ in random.int(in: 0...9) }
        }
        insurer.append(Self.checkDigit(insurer))
        insured.insurerNumber = insurer.map { String($0) }.joined()
        insured.symbol = insurer.count == 6 ? random.pick(prefecture.cities) : String(random.int(in: 1...99_999))
        insured.number = String(random.int(in: 1...9_999_999))
        insured.branchNumber =
            age < 20 ? String(format2: random.int(in: 2...4)) : String(format2: random.int(in: 0...1))

        var facts = Datahealth_V1_BasicFourFacts()
        facts.name = "\(family.kanji) \(given.kanji)"
        facts.nameKana = "\(family.kana) \(given.kana)"
        facts.birthDate = Datahealth_V1_PartialDate(birthDate)
        facts.sex = sex
        facts.address =
            "\(prefecture.name)\(random.pick(prefecture.cities))市\(random.int(in: 1...9))丁目\(random.int(in: 1...30))番"

        let institution =
            institutions.count == 1 ? institutions[0] : institutions[random.int(in: 0...(institutions.count - 1))]
        return SyntheticPatient(
            number: number, insured: insured, facts: facts, birthDate: birthDate, sex: sex,
            medicalCareNeeds: age < 18 && random.chance(0.03), institution: institution)
    }

    private func patientRandom(_ number: Int, stream: UInt64) -> SynthRandom {
        var mixer = SynthRandom(
            seed: configuration.seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(number) &* 0x9E37_79B9 ^ stream)
        return SynthRandom(seed: mixer.next())
    }

    // MARK: Records

    /// Every record of every patient, patient by patient.
    public func forEachRecord(_ body: (Datahealth_V1_CareRecord) throws -> Void) rethrows {
        for number in 0..<configuration.patients {
            for record in records(for: patient(number)) { try body(record) }
        }
    }

    /// The records of one patient, as its institution submits them: the profile items
    /// (diagnoses, allergies, contraindications, infections) first, then visits with
    /// prescriptions and lab results.
    public func records(for patient: SyntheticPatient) -> [Datahealth_V1_CareRecord] {
        var random = patientRandom(patient.number, stream: 2)
        let count = random.int(in: configuration.recordsPerPatient)
        let age = today.year - patient.birthDate.year
        let band = age < 15 ? 0 : age < 40 ? 1 : age < 65 ? 2 : age < 75 ? 3 : 4
        let conditions = CodeLists.conditions.indices.filter {
            random.chance(CodeLists.conditions[$0].prevalence[band])
        }
        var records: [Datahealth_V1_CareRecord] = []
        var serial = 0
        func make(_ item: Datahealth_V1_CareRecord.Item, daysAgo: Int, department: String) {
            guard records.count < count else { return }
            serial += 1
            var record = Datahealth_V1_CareRecord()
            let id = "p\(patient.number)-\(serial)"
            record.idempotencyKey = "synth-\(configuration.seed)-\(patient.institution.code)-\(id)"
            record.submissionID = "\(patient.institution.code)^\(today.year)^\(id)"
            record.operation = .create
            record.patient.insured = patient.insured
            record.patientFacts = patient.facts
            record.provenance.institution.code = patient.institution.code
            record.provenance.institution.name = patient.institution.name
            record.provenance.department = department
            record.provenance.practitionerID = "D\(random.int(in: 1000...9999))"
            record.provenance.recordedAt.seconds =
                asOfSeconds - Int64(daysAgo) * 86_400 - Int64(random.int(in: 3600...30_000))
            record.item = item
            records.append(record)
        }
        let home = age < 15 ? "小児科" : random.pick(CodeLists.departments)

        // Diagnoses: the conditions, confirmed; now and then a suspected one.
        var list = Datahealth_V1_DiagnosisList()
        list.scope = "facility"
        for index in conditions {
            list.diagnoses.append(
                diagnosis(CodeLists.conditions[index].icd10, CodeLists.conditions[index].name, &random, age: age))
        }
        var careDrugs: [Int] = []
        if patient.medicalCareNeeds {
            for condition in CodeLists.medicalCareConditions.shuffled(using: &random).prefix(2) {
                var diagnosis = diagnosis(condition.icd10, condition.name, &random, age: age)
                diagnosis.flags.longTermRetention = true
                list.diagnoses.append(diagnosis)
                careDrugs += condition.drugs
            }
        }
        if random.chance(0.1) {
            var suspected = diagnosis("R05", "咳嗽", &random, age: age)
            suspected.verification = .suspected
            list.diagnoses.append(suspected)
        }
        if !list.diagnoses.isEmpty { make(.diagnoses(list), daysAgo: random.int(in: 1...200), department: home) }

        if random.chance(age < 15 ? 0.2 : 0.1) {
            let entry = random.pick(CodeLists.allergies)
            var allergy = Datahealth_V1_Allergy()
            allergy.category =
                switch entry.category {
                case 1: .food
                case 2: .environment
                case 4: .metal
                default: .other
                }
            allergy.substance.text = entry.substance
            allergy.criticality = entry.reaction.contains("アナフィラキシー") ? .high : .low
            allergy.reaction = entry.reaction
            make(.allergy(allergy), daysAgo: random.int(in: 30...700), department: home)
        }
        if random.chance(0.05) {
            let entry = random.pick(CodeLists.contraindicatedDrugs)
            var drug = Datahealth_V1_DrugContraindication()
            drug.drug.codings = [coding(CodeSystem.yjCode, entry.yj, entry.name)]
            drug.drug.text = entry.name
            drug.kind = entry.reaction.contains("発疹") ? .allergy : .intolerance
            drug.criticality = .high
            drug.reaction = entry.reaction
            make(.drugContraindication(drug), daysAgo: random.int(in: 30...700), department: home)
        }
        if age >= 15, random.chance(0.2) {
            var infection = Datahealth_V1_InfectionResult()
            infection.analyte = random.pick([.hbsAntigen, .hcvAntibody, .syphilisTpAntibody])
            infection.interpretation = random.chance(0.02) ? .positive : .negative
            infection.effectiveAt.seconds = asOfSeconds - Int64(random.int(in: 30...600)) * 86_400
            make(.infection(infection), daysAgo: random.int(in: 30...600), department: home)
        }

        // Visits: prescriptions for the conditions, and the tests that follow them.
        let drugs = conditions.flatMap { CodeLists.conditions[$0].drugs } + careDrugs
        var tests = Array(Set(conditions.flatMap { CodeLists.conditions[$0].tests } + [9, 15, 16])).sorted()
        if tests.count > 6 { tests = Array(tests.shuffled(using: &random).prefix(6)).sorted() }
        var visit = 0
        while records.count < count, visit < 40 {
            visit += 1
            let daysAgo = max(1, 700 - visit * random.int(in: 20...60))
            let order = "ORD-\(patient.number)-\(visit)"
            if !drugs.isEmpty {
                var prescription = Datahealth_V1_Prescription()
                prescription.issuedOn = Datahealth_V1_PartialDate(
                    CivilDate(seconds: asOfSeconds - Int64(daysAgo) * 86_400))
                for index in Array(Set(drugs)).sorted().prefix(4) {
                    let drug = CodeLists.drugs[index]
                    var order = Datahealth_V1_MedicationOrder()
                    order.drug.codings = [coding(CodeSystem.yjCode, drug.yj, drug.name)]
                    order.drug.text = drug.name
                    order.dose.value = drug.dose
                    order.dose.unit = drug.unit
                    order.usage = drug.usage
                    order.days = drug.usage.hasSuffix("頓用") ? 5 : Int32(random.pick([14, 28, 30, 56, 84]))
                    order.route = drug.usage.contains("吸入") ? .inhalation : drug.usage.contains("塗布") ? .topical : .oral
                    prescription.medications.append(order)
                }
                make(.prescription(prescription), daysAgo: daysAgo, department: home)
            }
            for test in tests {
                make(
                    .labResult(
                        labResult(
                            CodeLists.labTests[test], order: order, conditions: conditions, daysAgo: daysAgo, &random)),
                    daysAgo: daysAgo, department: home)
            }
        }
        return records
    }

    private func diagnosis(
        _ icd10: String, _ name: String, _ random: inout SynthRandom, age: Int
    ) -> Datahealth_V1_Diagnosis {
        var diagnosis = Datahealth_V1_Diagnosis()
        diagnosis.disease.codings = [coding(CodeSystem.icd10, icd10, name)]
        diagnosis.disease.text = name
        diagnosis.verification = .confirmed
        diagnosis.outcome = .continuing
        let yearsAgo = random.int(in: 0...max(0, min(age, 15)))
        diagnosis.onset = Datahealth_V1_PartialDate(
            CivilDate(
                year: today.year - yearsAgo, month: yearsAgo == 0 ? max(1, today.month - 1) : random.int(in: 1...12),
                day: 0))
        return diagnosis
    }

    private func labResult(
        _ test: CodeLists.LabTest, order: String, conditions: [Int], daysAgo: Int, _ random: inout SynthRandom
    ) -> Datahealth_V1_LabResult {
        var lab = Datahealth_V1_LabResult()
        lab.orderID = order
        lab.test.codings = [coding(CodeSystem.jlac10, test.jlac10, test.name)]
        lab.test.text = test.name
        lab.status = .final
        let middle = (test.low + test.high) / 2
        var value = random.normal(mean: middle, deviation: (test.high - test.low) / 4)
        // The conditions show in their tests.
        let shifted: [String: Double] = [
            "3D046-0000-022-127-01": 1.8, "3D010-0000-023-271-01": 45, "3F077-0000-023-271-01": 35,
            "3C015-0000-023-271-01": 0.6, "4Z250-0000-023-062-01": 180,
        ]
        if let shift = shifted[test.jlac10],
            conditions.contains(where: {
                CodeLists.conditions[$0].tests.contains(
                    CodeLists.labTests.firstIndex { $0.jlac10 == test.jlac10 } ?? -1)
            })
        {
            value += shift * random.unit()
        }
        value = max(test.places == 0 ? 1 : 0.01, value)
        lab.quantity.value = String(decimal: value, places: test.places)
        lab.quantity.unit = test.unit
        lab.referenceRange.low.value = String(decimal: test.low, places: test.places)
        lab.referenceRange.low.unit = test.unit
        lab.referenceRange.high.value = String(decimal: test.high, places: test.places)
        lab.referenceRange.high.unit = test.unit
        lab.interpretation = value > test.high ? .high : value < test.low ? .low : .normal
        lab.effectiveAt.seconds = asOfSeconds - Int64(daysAgo) * 86_400 - 7_200
        lab.group =
            ["3D046-0000-022-127-01", "3F077-0000-023-271-01", "3D010-0000-023-271-01"].contains(test.jlac10)
            ? .lifestyleDisease : .emergency
        return lab
    }

    private func coding(_ system: String, _ code: String, _ display: String) -> Datahealth_V1_Coding {
        var coding = Datahealth_V1_Coding()
        coding.system = system
        coding.code = code
        coding.display = display
        return coding
    }
}

extension String {
    /// Two digits with a leading zero.
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : String(value) }

    /// A decimal with `places` digits after the point, rounded half away from zero; the same
    /// on every platform.
    init(decimal value: Double, places: Int) {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded(.toNearestOrAwayFromZero))
        let whole = scaled / Int64(scale)
        let fraction = abs(scaled % Int64(scale))
        if places == 0 {
            self = String(whole)
        } else {
            var digits = String(fraction)
            while digits.count < places { digits = "0" + digits }
            self = (scaled < 0 && whole == 0 ? "-" : "") + String(whole) + "." + digits
        }
    }
}
