import DHCareRecord
import DHSchemas
import DHWire
import Testing

/// 2026-11-24T00:00:00Z.
let now: Int64 = 1_795_478_400
let hospital = "1312345678"

func coding(_ system: String, _ code: String, _ display: String = "") -> Datahealth_V1_Coding {
    var coding = Datahealth_V1_Coding()
    coding.system = system
    coding.code = code
    coding.display = display
    return coding
}

func coded(_ codings: Datahealth_V1_Coding..., text: String = "") -> Datahealth_V1_CodedValue {
    var value = Datahealth_V1_CodedValue()
    value.codings = codings
    value.text = text
    return value
}

func timestamp(_ seconds: Int64) -> Google_Protobuf_Timestamp {
    var time = Google_Protobuf_Timestamp()
    time.seconds = seconds
    return time
}

func quantity(_ value: String, _ unit: String) -> Datahealth_V1_Quantity {
    var quantity = Datahealth_V1_Quantity()
    quantity.value = value
    quantity.unit = unit
    return quantity
}

/// A valid record of `hospital` for one insured patient, carrying `item`.
func record(_ item: Datahealth_V1_CareRecord.Item, key: String = "k-1") -> Datahealth_V1_CareRecord {
    var record = Datahealth_V1_CareRecord()
    record.idempotencyKey = key
    record.submissionID = "\(hospital)^2026^lab-000123"
    record.operation = .create
    var insured = Datahealth_V1_InsuredPersonId()
    insured.insurerNumber = "06130019"
    insured.symbol = "記号1"
    insured.number = "1234567"
    insured.branchNumber = "01"
    record.patient.insured = insured
    record.provenance.institution.code = hospital
    record.provenance.institution.name = "東京都立テスト総合病院"
    record.provenance.department = "小児科"
    record.provenance.recordedAt = timestamp(now - 3600)
    record.item = item
    return record
}

func creatinine(status: Datahealth_V1_LabResult.Status = .final) -> Datahealth_V1_LabResult {
    var lab = Datahealth_V1_LabResult()
    lab.orderID = "ORD-20261123-0042"
    lab.test = coded(coding(CodeSystem.jlac10, "3C015-0000-023-271-01", "クレアチニン"))
    lab.status = status
    lab.quantity = quantity("0.72", "mg/dL")
    lab.referenceRange.low = quantity("0.46", "mg/dL")
    lab.referenceRange.high = quantity("0.79", "mg/dL")
    lab.effectiveAt = timestamp(now - 7200)
    lab.group = .emergency
    return lab
}

func diabetes() -> Datahealth_V1_Diagnosis {
    var diagnosis = Datahealth_V1_Diagnosis()
    diagnosis.disease = coded(coding(CodeSystem.icd10, "E11.9", "2型糖尿病"), text: "2型糖尿病")
    diagnosis.verification = .confirmed
    diagnosis.onset = Datahealth_V1_PartialDate(CivilDate(year: 2019, month: 4, day: 0))
    diagnosis.outcome = .continuing
    return diagnosis
}

func problem(_ record: Datahealth_V1_CareRecord) -> RecordProblem? {
    CareRecordValidator().problem(in: record, institution: hospital, nowSeconds: now)
}

@Suite("Care-record validation")
struct ValidatorTests {
    @Test("valid records of every kind pass")
    func validRecords() {
        var list = Datahealth_V1_DiagnosisList()
        list.scope = "facility"
        list.diagnoses = [diabetes()]
        #expect(problem(record(.diagnoses(list))) == nil)
        #expect(problem(record(.labResult(creatinine()))) == nil)

        var letter = Datahealth_V1_ReferralLetter()
        letter.addressee.code = "1311111111"
        letter.purpose = "精査加療のお願い"
        letter.diagnoses = [diabetes()]
        letter.dischargeSummary.admittedOn = Datahealth_V1_PartialDate(CivilDate(year: 2026, month: 11, day: 1))
        letter.dischargeSummary.dischargedOn = Datahealth_V1_PartialDate(CivilDate(year: 2026, month: 11, day: 10))
        var attachment = Datahealth_V1_Attachment()
        attachment.contentType = "application/pdf"
        attachment.data = Array("%PDF-1.7".utf8)
        letter.attachments = [attachment]
        #expect(problem(record(.referralLetter(letter))) == nil)

        var deletion = record(.labResult(creatinine()))
        deletion.operation = .delete
        deletion.item = nil
        #expect(problem(deletion) == nil)
    }

    /// Each mutation of a valid lab record, and the field path its problem must name.
    static let labMutations: [(String, @Sendable (inout Datahealth_V1_CareRecord) -> Void)] = [
        ("idempotency_key", { $0.idempotencyKey = "" }),
        ("idempotency_key", { $0.idempotencyKey = "has space" }),
        ("submission_id", { $0.submissionID = "1312345678^2026" }),
        ("submission_id", { $0.submissionID = "9912345678^2026^x" }),
        ("submission_id", { $0.submissionID = "1312345678^1999^x" }),
        ("submission_id", { $0.submissionID = "1312345678^2026^" + String(repeating: "x", count: 37) }),
        ("submission_id", { $0.submissionID = "1312345678^2026^x^y" }),
        ("submission_id", { $0.submissionID = "1312345678^20a6^x" }),
        ("submission_id", { $0.submissionID = "1312345678^02026^x" }),
        ("submission_id", { $0.submissionID = "131234567^2026^x" }),
        ("submission_id", { $0.submissionID = "1312345678^2026^a b" }),
        ("submission_id", { $0.submissionID = "1312345678^2026^検査" }),
        ("submission_id", { $0.submissionID = "^^" }),
        ("operation", { $0.operation = .unspecified }),
        ("patient", { $0.clearPatient() }),
        ("patient.insured.insurer_number", { $0.patient.insured.insurerNumber = "0613001" }),
        ("patient.insured.insurer_number", { $0.patient.insured.insurerNumber = "06I30019" }),
        ("patient.insured.branch_number", { $0.patient.insured.branchNumber = "1" }),
        ("patient.insured.number", { $0.patient.insured.number = "" }),
        ("patient.patient_id", { $0.patient.patientID = "p-123" }),
        ("provenance", { $0.clearProvenance() }),
        ("provenance.institution.code", { $0.provenance.institution.code = "131234567" }),
        ("provenance.recorded_at", { $0.provenance.recordedAt = timestamp(now + 86_400) }),
        ("lab_result.order_id", { $0.labResult.orderID = "" }),
        ("lab_result.test", { $0.labResult.clearTest() }),
        ("lab_result.test.codings[0].code", { $0.labResult.test.codings[0].code = "3C015-0000-023-271" }),
        ("lab_result.test.codings", { $0.labResult.test.codings[0] = coding(CodeSystem.icd10, "E11") }),
        ("lab_result.status", { $0.labResult.status = .unspecified }),
        ("lab_result.quantity.unit", { $0.labResult.quantity.unit = "" }),
        ("lab_result.quantity.value", { $0.labResult.quantity.value = "0,72" }),
        ("lab_result.quantity.comparator", { $0.labResult.quantity.comparator = "~" }),
        ("lab_result.value", { $0.labResult.value = nil }),
        ("lab_result.reference_range", { $0.labResult.referenceRange.low = quantity("1.2", "mg/dL") }),
        ("lab_result.effective_at", { $0.labResult.clearEffectiveAt() }),
        ("item", { $0.item = nil }),
    ]

    @Test("each problem names its field", arguments: 0..<labMutations.count)
    func labProblems(index: Int) throws {
        var broken = record(.labResult(creatinine()))
        Self.labMutations[index].1(&broken)
        let found = try #require(problem(broken), "mutation \(index) passed validation")
        #expect(found.fieldPath == Self.labMutations[index].0, "\(found)")
    }

    @Test("length limits count characters, not bytes: 200 kanji fit an address, 201 do not")
    func characterLimits() throws {
        var withFacts = record(.allergy(Datahealth_V1_Allergy()), key: "c-1")
        withFacts.item = record(.labResult(creatinine())).item
        var facts = Datahealth_V1_BasicFourFacts()
        facts.name = String(repeating: "山", count: 100)
        facts.nameKana = String(repeating: "ヤ", count: 100)
        facts.birthDate = Datahealth_V1_PartialDate(CivilDate(year: 2015, month: 4, day: 1))
        facts.sex = .female
        facts.address = String(repeating: "東", count: 200)
        withFacts.patientFacts = facts
        #expect(problem(withFacts) == nil)
        for (field, change) in [
            ("patient_facts.address", { (facts: inout Datahealth_V1_BasicFourFacts) in facts.address += "京" }),
            ("patient_facts.name", { (facts: inout Datahealth_V1_BasicFourFacts) in facts.name += "a" }),
            ("patient_facts.name_kana", { (facts: inout Datahealth_V1_BasicFourFacts) in facts.nameKana += "ヤ" }),
        ] {
            var longer = withFacts
            change(&longer.patientFacts)
            #expect(problem(longer)?.fieldPath == field)
        }
        // A character of several scalars counts once: 64 flags (8 bytes each) still fit a scope.
        var list = Datahealth_V1_DiagnosisList()
        list.scope = String(repeating: "🇯🇵", count: 64)
        var diagnosis = Datahealth_V1_Diagnosis()
        diagnosis.disease = coded(coding(CodeSystem.icd10, "E11.9", "2型糖尿病"))
        diagnosis.verification = .confirmed
        list.diagnoses = [diagnosis]
        var diagnoses = record(.diagnoses(list))
        #expect(problem(diagnoses) == nil)
        diagnoses.diagnoses.scope += "🇯🇵"
        #expect(problem(diagnoses)?.fieldPath == "diagnoses.scope")
    }

    @Test("a gateway submitting for another institution is refused as forbidden, not invalid")
    func otherInstitution() throws {
        var foreign = record(.labResult(creatinine()))
        foreign.submissionID = "1311111111^2026^lab-1"
        #expect(try #require(problem(foreign)).kind == .forbidden)
        var provenance = record(.labResult(creatinine()))
        provenance.provenance.institution.code = "1311111111"
        let found = try #require(problem(provenance))
        #expect(found.kind == .forbidden && found.fieldPath == "provenance.institution.code")
    }

    @Test("diagnoses: codes, verification, dates and the five-year window")
    func diagnoses() throws {
        func listProblem(_ change: (inout Datahealth_V1_Diagnosis) -> Void) -> RecordProblem? {
            var diagnosis = diabetes()
            change(&diagnosis)
            var list = Datahealth_V1_DiagnosisList()
            list.scope = "内科"
            list.diagnoses = [diagnosis]
            return problem(record(.diagnoses(list)))
        }
        #expect(
            listProblem { $0.disease = coded(coding(CodeSystem.icd10, "E1")) }?.fieldPath
                == "diagnoses.diagnoses[0].disease.codings[0].code")
        #expect(listProblem { $0.disease = coded(coding(CodeSystem.icd10, "e11")) } != nil)
        #expect(listProblem { $0.disease = coded(coding(CodeSystem.icd10, "J45.0")) } == nil)
        #expect(listProblem { $0.disease = coded(coding(CodeSystem.diseaseExchangeCode, "ABCD")) } == nil)
        #expect(listProblem { $0.disease = coded(coding(CodeSystem.diseaseManagementNumber, "2001234")) } != nil)
        #expect(listProblem { $0.verification = .unspecified }?.fieldPath == "diagnoses.diagnoses[0].verification")
        #expect(
            listProblem { $0.onset = Datahealth_V1_PartialDate(CivilDate(year: 2026, month: 2, day: 30)) }?.fieldPath
                == "diagnoses.diagnoses[0].onset.day")
        #expect(
            listProblem { $0.onset = Datahealth_V1_PartialDate(CivilDate(year: 2027, month: 1, day: 0)) }?.fieldPath
                == "diagnoses.diagnoses[0].onset")
        #expect(
            listProblem { $0.end = Datahealth_V1_PartialDate(CivilDate(year: 2018, month: 1, day: 1)) }?.fieldPath
                == "diagnoses.diagnoses[0].end")
        #expect(
            listProblem { $0.end = Datahealth_V1_PartialDate(CivilDate(year: 2020, month: 1, day: 1)) }?.fieldPath
                == "diagnoses.diagnoses[0].end")
        #expect(
            listProblem {
                $0.onset = Datahealth_V1_PartialDate(CivilDate(year: 2010, month: 1, day: 0))
                $0.end = Datahealth_V1_PartialDate(CivilDate(year: 2020, month: 1, day: 1))
                $0.flags.longTermRetention = true
            } == nil)
        #expect(
            listProblem {
                $0.flags.undisclosedAsOf = Datahealth_V1_PartialDate(CivilDate(year: 2026, month: 1, day: 1))
            }?
            .fieldPath == "diagnoses.diagnoses[0].flags.undisclosed_as_of")
    }

    @Test("drugs need a YJ, 一般名 or explicit no-code coding; a letter needs an addressee")
    func drugsAndLetters() throws {
        var prescription = Datahealth_V1_Prescription()
        var medication = Datahealth_V1_MedicationOrder()
        medication.drug = coded(coding(CodeSystem.yjCode, "1149019F1560", "ロキソプロフェンNa錠60mg"))
        medication.dose = quantity("1", "錠")
        medication.days = 7
        prescription.medications = [medication]
        #expect(problem(record(.prescription(prescription))) == nil)
        prescription.medications[0].drug = coded(coding(CodeSystem.yjCode, "1149019F156"))
        #expect(
            problem(record(.prescription(prescription)))?.fieldPath
                == "prescription.medications[0].drug.codings[0].code")
        prescription.medications[0].drug = coded(coding(CodeSystem.noStandardDrugCode, "NOCODE"))
        #expect(problem(record(.prescription(prescription)))?.fieldPath == "prescription.medications[0].drug.text")
        prescription.medications[0].days = 400
        prescription.medications[0].drug = coded(coding(CodeSystem.yjCode, "1149019F1560"))
        #expect(problem(record(.prescription(prescription)))?.fieldPath == "prescription.medications[0].days")

        var letter = Datahealth_V1_ReferralLetter()
        letter.purpose = "紹介"
        #expect(problem(record(.referralLetter(letter)))?.fieldPath == "referral_letter.addressee.code")
        letter.addressee.code = hospital
        #expect(problem(record(.referralLetter(letter)))?.fieldPath == "referral_letter.addressee.code")
        letter.addressee.code = "1311111111"
        var attachment = Datahealth_V1_Attachment()
        attachment.contentType = "application/pdf"
        attachment.data = [1, 2, 3]
        attachment.sha256 = String(repeating: "0", count: 64)
        letter.attachments = [attachment]
        #expect(problem(record(.referralLetter(letter)))?.fieldPath == "referral_letter.attachments[0].sha256")
    }

    @Test("records larger than the limit are refused whole")
    func size() {
        var letter = Datahealth_V1_ReferralLetter()
        letter.addressee.code = "1311111111"
        letter.purpose = "紹介"
        var attachment = Datahealth_V1_Attachment()
        attachment.contentType = "image/png"
        attachment.data = [UInt8](repeating: 7, count: 2048)
        letter.attachments = [attachment]
        var configuration = CareRecordValidator.Configuration()
        configuration.maximumRecordBytes = 1024
        let found = CareRecordValidator(configuration: configuration).problem(
            in: record(.referralLetter(letter)), institution: hospital, nowSeconds: now)
        #expect(found?.fieldPath == "")
        #expect(found?.message.contains("larger than 1024") == true)
    }

    @Test("civil dates from times, and partial dates compare by what they state")
    func civilDates() {
        #expect(CivilDate(seconds: 0) == CivilDate(year: 1970, month: 1, day: 1))
        #expect(CivilDate(seconds: now) == CivilDate(year: 2026, month: 11, day: 24))
        #expect(CivilDate(seconds: 951_782_400) == CivilDate(year: 2000, month: 2, day: 29))
        #expect(CivilDate(seconds: -86_400) == CivilDate(year: 1969, month: 12, day: 31))
        #expect(CivilDate(year: 2024, month: 2, day: 29).yearsAgo(1) == CivilDate(year: 2023, month: 2, day: 28))
        #expect(CivilDate(year: 2024, month: 0, day: 0) < CivilDate(year: 2024, month: 1, day: 1))
        #expect(CivilDate(year: 2023, month: 12, day: 31) < CivilDate(year: 2024, month: 0, day: 0))
    }
}
