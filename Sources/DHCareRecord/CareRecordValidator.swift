public import DHSchemas
internal import DHWire

/// Why a record was refused: the field path of the first problem, in .proto names
/// (`lab_result.test.codings[0].code`), and what is wrong with it.
public struct RecordProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The record is malformed: INVALID_ARGUMENT.
        case invalid
        /// The caller may not submit it (another institution's record): PERMISSION_DENIED.
        case forbidden
    }

    public var kind: Kind
    public var fieldPath: String
    public var message: String

    public var description: String { "\(fieldPath): \(message)" }
}

/// The rules a submitted record must meet before anything of it is stored: required fields,
/// code formats, dates, value ranges, units and sizes (docs/CARE_RECORDS.md).
public struct CareRecordValidator: Sendable {
    public struct Configuration: Sendable {
        /// The largest encoded record: the EHR-sharing service caps one upload at 10 MB.
        public var maximumRecordBytes = 10 * 1024 * 1024
        /// How far in the future a recorded time may lie (clock skew between systems).
        public var allowedClockSkewSeconds: Int64 = 300
        /// Diagnoses whose end lies further back than this are not registered (five years).
        public var diagnosisRetentionYears = 5

        public init() {}
    }

    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Checks one record submitted by `institution` (the gateway's 医療機関コード) at `now`
    /// (seconds since 1970). Returns the first problem, or nil when the record is acceptable.
    public func problem(
        in record: Datahealth_V1_CareRecord, institution: String, nowSeconds: Int64
    ) -> RecordProblem? {
        var check = Check(configuration: configuration, now: nowSeconds, today: CivilDate(seconds: nowSeconds))
        check.record(record, institution: institution)
        return check.first
    }

    /// Checks the four basic facts an emergency read identifies a patient by: the problem as
    /// "field: message", or nil.
    public func problem(inFacts facts: Datahealth_V1_BasicFourFacts, nowSeconds: Int64) -> String? {
        var check = Check(configuration: configuration, now: nowSeconds, today: CivilDate(seconds: nowSeconds))
        check.patientFacts(facts, path: "basic_facts")
        return check.first.map { "\($0.fieldPath): \($0.message)" }
    }
}

/// The walk over one record; stops at the first problem.
private struct Check {
    let configuration: CareRecordValidator.Configuration
    let now: Int64
    let today: CivilDate
    var first: RecordProblem?

    init(configuration: CareRecordValidator.Configuration, now: Int64, today: CivilDate) {
        self.configuration = configuration
        self.now = now
        self.today = today
    }

    mutating func fail(_ path: String, _ message: String, kind: RecordProblem.Kind = .invalid) {
        if first == nil { first = RecordProblem(kind: kind, fieldPath: path, message: message) }
    }

    mutating func record(_ record: Datahealth_V1_CareRecord, institution: String) {
        if record.serializedSize() > configuration.maximumRecordBytes {
            fail("", "the record is larger than \(configuration.maximumRecordBytes) bytes")
            return
        }
        if !Format.isPrintableASCII(record.idempotencyKey, maximum: 128) {
            fail("idempotency_key", "required: 1-128 printable ASCII characters without spaces")
        }
        submissionID(record.submissionID, institution: institution)
        if record.operation == .unspecified || !isKnown(record.operation) {
            fail("operation", "required: CREATE, UPDATE or DELETE")
        }
        patient(record.patient, path: "patient", present: record.hasPatient)
        if record.hasPatientFacts { patientFacts(record.patientFacts, path: "patient_facts") }
        provenance(record.provenance, institution: institution, present: record.hasProvenance)
        guard first == nil else { return }

        guard let item = record.item else {
            if record.operation != .delete { fail("item", "required unless the operation is DELETE") }
            return
        }
        switch item {
        case .diagnoses(let list): diagnosisList(list, path: "diagnoses")
        case .allergy(let allergy): self.allergy(allergy, path: "allergy")
        case .drugContraindication(let drug): drugContraindication(drug, path: "drug_contraindication")
        case .infection(let infection): self.infection(infection, path: "infection")
        case .labResult(let lab): labResult(lab, path: "lab_result")
        case .prescription(let prescription): self.prescription(prescription, path: "prescription")
        case .referralLetter(let letter): referralLetter(letter, path: "referral_letter", institution: institution)
        case .checkupReport(let report): checkupReport(report, path: "checkup_report")
        }
    }

    private func isKnown(_ operation: Datahealth_V1_Operation) -> Bool {
        if case .unrecognized = operation { return false }
        return true
    }

    // MARK: Identity of the submission and the patient

    /// `<10-digit 医療機関コード>^<year>^<id of at most 36 characters>`, for the caller's institution.
    mutating func submissionID(_ id: String, institution: String) {
        // Read in place, byte by byte: every record passes here.
        let utf8 = id.utf8
        var first: String.Index?
        var second: String.Index?
        var caretCount = 0
        var index = utf8.startIndex
        while index != utf8.endIndex && caretCount <= 2 {
            if utf8[index] == UInt8(ascii: "^") {
                caretCount += 1
                if caretCount == 1 { first = index } else if caretCount == 2 { second = index }
            }
            index = utf8.index(after: index)
        }
        guard caretCount == 2, let first, let second else {
            fail("submission_id", "must be <10-digit institution code>^<year>^<id of 1-36 characters>, not '\(id)'")
            return
        }
        let code = utf8[..<first]
        let yearDigits = utf8[utf8.index(after: first)..<second]
        let local = utf8[utf8.index(after: second)...]
        var year = 0
        for digit in yearDigits {
            year = Format.isDigit(digit) ? year * 10 + Int(digit - 0x30) : -1_000_000
        }
        guard Format.isInstitutionCode(code), yearDigits.count == 4,
            (2000...today.year + 1).contains(year), !local.isEmpty, local.count <= 36,
            local.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })
        else {
            fail("submission_id", "must be <10-digit institution code>^<year>^<id of 1-36 characters>, not '\(id)'")
            return
        }
        if !code.elementsEqual(institution.utf8) {
            fail(
                "submission_id",
                "names institution \(String(decoding: code, as: UTF8.self)); this gateway submits for \(institution) only",
                kind: .forbidden)
        }
    }

    mutating func patient(_ patient: Datahealth_V1_PatientReference, path: @autoclosure () -> String, present: Bool) {
        guard present, let id = patient.id else {
            fail(path(), "required: the insured person or a patient id")
            return
        }
        switch id {
        case .insured(let insured):
            let insurer = Array(insured.insurerNumber.utf8)
            if !(insurer.count == 6 || insurer.count == 8) || !insurer.allSatisfy(Format.isDigit) {
                fail("\(path()).insured.insurer_number", "must be 6 (国保) or 8 digits, not '\(insured.insurerNumber)'")
            }
            if insured.number.isEmpty || !Format.fits(insured.number, characters: 20) {
                fail("\(path()).insured.number", "required: the insured person's number (at most 20 characters)")
            }
            if !Format.fits(insured.symbol, characters: 20) {
                fail("\(path()).insured.symbol", "at most 20 characters")
            }
            let branch = Array(insured.branchNumber.utf8)
            if !branch.isEmpty && !(branch.count == 2 && branch.allSatisfy(Format.isDigit)) {
                fail("\(path()).insured.branch_number", "must be two digits (00-99), not '\(insured.branchNumber)'")
            }
        case .patientID(let patientID):
            let bytes = Array(patientID.utf8)
            if bytes.count != 64 || !bytes.allSatisfy({ Format.isDigit($0) || (0x61...0x66).contains($0) }) {
                fail("\(path()).patient_id", "must be a DataHealth patient id (64 lowercase hex digits)")
            }
        }
    }

    /// The four basic facts, when given, must identify: a katakana name, a full birth date, a sex.
    mutating func patientFacts(_ facts: Datahealth_V1_BasicFourFacts, path: @autoclosure () -> String) {
        let kana = PatientPseudonymizer.normalizedKana(facts.nameKana)
        let isKatakana = String(decoding: kana, as: UTF8.self).unicodeScalars.allSatisfy {
            (0x30A1...0x30FC).contains($0.value)
        }
        if kana.isEmpty || !isKatakana || !Format.fits(facts.nameKana, characters: 100) {
            fail("\(path()).name_kana", "required: the name in katakana (at most 100 characters)")
        }
        if !Format.fits(facts.name, characters: 100) { fail("\(path()).name", "at most 100 characters") }
        partialDate(facts.birthDate, path: "\(path()).birth_date", present: facts.hasBirthDate, required: true)
        if facts.birthDate.month == 0 || facts.birthDate.day == 0 {
            fail("\(path()).birth_date", "must be a full date (year, month and day)")
        }
        switch facts.sex {
        case .male, .female, .other: break
        default: fail("\(path()).sex", "required: male, female or other")
        }
        if !Format.fits(facts.address, characters: 200) { fail("\(path()).address", "at most 200 characters") }
    }

    mutating func provenance(_ provenance: Datahealth_V1_Provenance, institution: String, present: Bool) {
        guard present else {
            fail("provenance", "required: who recorded the item, where and when")
            return
        }
        if !Format.isInstitutionCode(provenance.institution.code) {
            fail("provenance.institution.code", "must be a 10-digit 医療機関コード, not '\(provenance.institution.code)'")
        } else if provenance.institution.code != institution {
            fail(
                "provenance.institution.code",
                "names institution \(provenance.institution.code); this gateway submits for \(institution) only",
                kind: .forbidden)
        }
        timestamp(provenance.recordedAt, path: "provenance.recorded_at", present: provenance.hasRecordedAt)
    }

    // MARK: Items

    mutating func diagnosisList(_ list: Datahealth_V1_DiagnosisList, path: @autoclosure () -> String) {
        if list.scope.isEmpty || !Format.fits(list.scope, characters: 64) {
            fail("\(path()).scope", "required: a department code or 'facility' (at most 64 characters)")
        }
        for (index, diagnosis) in list.diagnoses.enumerated() {
            self.diagnosis(diagnosis, path: "\(path()).diagnoses[\(index)]")
        }
    }

    mutating func diagnosis(_ diagnosis: Datahealth_V1_Diagnosis, path: @autoclosure () -> String) {
        codedValue(
            diagnosis.disease, path: "\(path()).disease", present: diagnosis.hasDisease,
            required: CodeSystem.diagnosisSystems, what: "a standard disease name (病名交換用コード or 病名管理番号) or ICD-10")
        for (index, modifier) in diagnosis.modifiers.enumerated() {
            if modifier.system != CodeSystem.modifierExchangeCode
                || !CodeSystem.isWellFormed(modifier.code, in: modifier.system)
            {
                fail(
                    "\(path()).modifiers[\(index)]",
                    "must be a 4-character 修飾語交換用コード (\(CodeSystem.modifierExchangeCode))")
            }
        }
        if diagnosis.verification == .unspecified {
            fail("\(path()).verification", "required: CONFIRMED, SUSPECTED or REFUTED")
        }
        partialDate(diagnosis.onset, path: "\(path()).onset", present: diagnosis.hasOnset)
        partialDate(diagnosis.end, path: "\(path()).end", present: diagnosis.hasEnd)
        if diagnosis.hasOnset && diagnosis.hasEnd, diagnosis.end.civil < diagnosis.onset.civil {
            fail("\(path()).end", "is before the onset")
        }
        if diagnosis.hasEnd, diagnosis.end.civil.year > 0,
            diagnosis.end.civil < today.yearsAgo(configuration.diagnosisRetentionYears),
            !diagnosis.flags.longTermRetention
        {
            fail(
                "\(path()).end",
                "ended more than \(configuration.diagnosisRetentionYears) years ago; such diagnoses are not registered")
        }
        flags(diagnosis.flags, path: "\(path()).flags")
    }

    mutating func allergy(_ allergy: Datahealth_V1_Allergy, path: @autoclosure () -> String) {
        if allergy.category == .unspecified {
            fail("\(path()).category", "required: FOOD, ENVIRONMENT, BIOLOGIC, METAL or OTHER")
        }
        if !allergy.hasSubstance || (allergy.substance.codings.isEmpty && allergy.substance.text.isEmpty) {
            fail("\(path()).substance", "required: a coded substance or its name")
        } else {
            codings(allergy.substance.codings, path: "\(path()).substance")
        }
        partialDate(allergy.onset, path: "\(path()).onset", present: allergy.hasOnset)
        flags(allergy.flags, path: "\(path()).flags")
    }

    mutating func drugContraindication(_ drug: Datahealth_V1_DrugContraindication, path: @autoclosure () -> String) {
        drugCode(drug.drug, path: "\(path()).drug", present: drug.hasDrug)
        if drug.kind == .unspecified { fail("\(path()).kind", "required: ALLERGY or INTOLERANCE") }
        partialDate(drug.onset, path: "\(path()).onset", present: drug.hasOnset)
        flags(drug.flags, path: "\(path()).flags")
    }

    mutating func infection(_ infection: Datahealth_V1_InfectionResult, path: @autoclosure () -> String) {
        if infection.analyte == .unspecified {
            fail("\(path()).analyte", "required: one of the shared infection tests")
        }
        if infection.hasTest { codings(infection.test.codings, path: "\(path()).test") }
        if infection.interpretation == .unspecified && !infection.hasValue {
            fail("\(path()).interpretation", "required unless a value is given")
        }
        if infection.hasValue { quantity(infection.value, path: "\(path()).value") }
        timestamp(infection.effectiveAt, path: "\(path()).effective_at", present: infection.hasEffectiveAt)
        flags(infection.flags, path: "\(path()).flags")
    }

    mutating func labResult(_ lab: Datahealth_V1_LabResult, path: @autoclosure () -> String) {
        if !Format.isPrintableASCII(lab.orderID, maximum: 64) {
            fail("\(path()).order_id", "required: the order identifier (1-64 printable characters)")
        }
        codedValue(
            lab.test, path: "\(path()).test", present: lab.hasTest, required: CodeSystem.labSystems,
            what: "JLAC10 or JLAC11")
        if lab.status == .unspecified { fail("\(path()).status", "required: INTERIM, FINAL, CORRECTED or CANCELLED") }
        switch lab.value {
        case .quantity(let quantity)?: self.quantity(quantity, path: "\(path()).quantity")
        case .qualitative(let value)?:
            if value == .unspecified { fail("\(path()).qualitative", "must name a result") }
        case .text(let text)?:
            if text.isEmpty || !Format.fits(text, characters: 1000) {
                fail("\(path()).text", "must be 1-1000 characters")
            }
        case nil:
            if lab.status != .cancelled { fail("\(path()).value", "required unless the result is CANCELLED") }
        }
        if lab.hasReferenceRange {
            if lab.referenceRange.hasLow { quantity(lab.referenceRange.low, path: "\(path()).reference_range.low") }
            if lab.referenceRange.hasHigh { quantity(lab.referenceRange.high, path: "\(path()).reference_range.high") }
            if lab.referenceRange.hasLow, lab.referenceRange.hasHigh,
                let low = Double(lab.referenceRange.low.value), let high = Double(lab.referenceRange.high.value),
                low > high
            {
                fail("\(path()).reference_range", "low is above high")
            }
        }
        timestamp(lab.effectiveAt, path: "\(path()).effective_at", present: lab.hasEffectiveAt)
    }

    mutating func prescription(_ prescription: Datahealth_V1_Prescription, path: @autoclosure () -> String) {
        if prescription.medications.isEmpty { fail("\(path()).medications", "at least one medication is required") }
        partialDate(prescription.issuedOn, path: "\(path()).issued_on", present: prescription.hasIssuedOn)
        for (index, medication) in prescription.medications.enumerated() {
            self.medication(medication, path: "\(path()).medications[\(index)]")
        }
    }

    mutating func medication(_ medication: Datahealth_V1_MedicationOrder, path: @autoclosure () -> String) {
        drugCode(medication.drug, path: "\(path()).drug", present: medication.hasDrug)
        if medication.hasDose { quantity(medication.dose, path: "\(path()).dose") }
        if !(0...365).contains(medication.days) { fail("\(path()).days", "must be 0-365 days, not \(medication.days)") }
    }

    mutating func referralLetter(
        _ letter: Datahealth_V1_ReferralLetter, path: @autoclosure () -> String, institution: String
    ) {
        if !letter.hasAddressee || !Format.isInstitutionCode(letter.addressee.code) {
            fail("\(path()).addressee.code", "a referral letter needs an addressee: a 10-digit 医療機関コード")
        } else if letter.addressee.code == institution {
            fail("\(path()).addressee.code", "a referral letter cannot be addressed to its own institution")
        }
        if letter.purpose.isEmpty { fail("\(path()).purpose", "required: why the patient is referred") }
        for (index, diagnosis) in letter.diagnoses.enumerated() {
            self.diagnosis(diagnosis, path: "\(path()).diagnoses[\(index)]")
        }
        for (index, medication) in letter.medications.enumerated() {
            self.medication(medication, path: "\(path()).medications[\(index)]")
        }
        for (index, attachment) in letter.attachments.enumerated() {
            self.attachment(attachment, path: "\(path()).attachments[\(index)]")
        }
        if letter.hasDischargeSummary {
            let summary = letter.dischargeSummary
            partialDate(
                summary.admittedOn, path: "\(path()).discharge_summary.admitted_on", present: summary.hasAdmittedOn)
            partialDate(
                summary.dischargedOn, path: "\(path()).discharge_summary.discharged_on",
                present: summary.hasDischargedOn)
            if summary.hasAdmittedOn, summary.hasDischargedOn, summary.dischargedOn.civil < summary.admittedOn.civil {
                fail("\(path()).discharge_summary.discharged_on", "is before the admission")
            }
            for (index, diagnosis) in summary.diagnoses.enumerated() {
                self.diagnosis(diagnosis, path: "\(path()).discharge_summary.diagnoses[\(index)]")
            }
            for (index, medication) in summary.dischargeMedications.enumerated() {
                self.medication(medication, path: "\(path()).discharge_summary.discharge_medications[\(index)]")
            }
        }
        if letter.hasConsent, letter.consent.status == .unspecified {
            fail("\(path()).consent.status", "required: PENDING, GRANTED or REFUSED")
        }
    }

    mutating func checkupReport(_ report: Datahealth_V1_CheckupReport, path: @autoclosure () -> String) {
        if report.kind == .unspecified { fail("\(path()).kind", "required: the kind of check-up") }
        partialDate(report.performedOn, path: "\(path()).performed_on", present: report.hasPerformedOn, required: true)
        if report.items.isEmpty { fail("\(path()).items", "at least one result is required") }
        for (index, item) in report.items.enumerated() {
            let itemPath = "\(path()).items[\(index)]"
            if !item.hasItem || item.item.codings.isEmpty {
                fail("\(itemPath).item", "required: the coded check-up item")
            } else {
                codings(item.item.codings, path: "\(itemPath).item")
            }
            if case .quantity(let quantity)? = item.value { self.quantity(quantity, path: "\(itemPath).quantity") }
            if item.value == nil { fail("\(itemPath).value", "required") }
        }
    }

    mutating func attachment(_ attachment: Datahealth_V1_Attachment, path: @autoclosure () -> String) {
        if attachment.contentType.isEmpty { fail("\(path()).content_type", "required, e.g. application/pdf") }
        if attachment.data.isEmpty { fail("\(path()).data", "required") }
        if !attachment.sha256.isEmpty {
            let digest = ContentDigest.sha256Hex(attachment.data)
            if digest != attachment.sha256 { fail("\(path()).sha256", "does not match the data") }
        }
    }

    // MARK: Values

    mutating func codedValue(
        _ value: Datahealth_V1_CodedValue, path: @autoclosure () -> String, present: Bool, required: Set<String>,
        what: String
    ) {
        guard present, !value.codings.isEmpty else {
            fail(path(), "required: a code from \(what)")
            return
        }
        codings(value.codings, path: path())
        if !value.codings.contains(where: { required.contains($0.system) }) {
            fail("\(path()).codings", "needs a code from \(what)")
        }
    }

    mutating func codings(_ codings: [Datahealth_V1_Coding], path: @autoclosure () -> String) {
        for (index, coding) in codings.enumerated() {
            if coding.system.isEmpty { fail("\(path()).codings[\(index)].system", "required") }
            if !CodeSystem.isWellFormed(coding.code, in: coding.system) {
                fail("\(path()).codings[\(index)].code", "'\(coding.code)' is not a valid code of \(coding.system)")
            }
        }
    }

    mutating func drugCode(_ drug: Datahealth_V1_CodedValue, path: @autoclosure () -> String, present: Bool) {
        codedValue(
            drug, path: path(), present: present, required: CodeSystem.drugSystems,
            what: "YJ, 一般名処方マスタ or the no-standard-code system")
        if drug.codings.contains(where: { $0.system == CodeSystem.noStandardDrugCode }), drug.text.isEmpty {
            fail("\(path()).text", "a drug without a standard code needs its name")
        }
    }

    mutating func quantity(_ quantity: Datahealth_V1_Quantity, path: @autoclosure () -> String) {
        if !Format.isDecimal(quantity.value) {
            fail("\(path()).value", "must be a decimal number, not '\(quantity.value)'")
        }
        if quantity.unit.isEmpty { fail("\(path()).unit", "required: a numeric result needs its unit") }
        if !["", "<", "<=", ">=", ">"].contains(quantity.comparator) {
            fail("\(path()).comparator", "must be one of <, <=, >=, >")
        }
    }

    mutating func partialDate(
        _ date: Datahealth_V1_PartialDate, path: @autoclosure () -> String, present: Bool, required: Bool = false
    ) {
        guard present else {
            if required { fail(path(), "required") }
            return
        }
        guard (1900...2100).contains(date.year) else {
            fail("\(path()).year", "must be 1900-2100, not \(date.year)")
            return
        }
        guard (0...12).contains(date.month), (0...31).contains(date.day), date.day == 0 || date.month != 0 else {
            fail(path(), "is not a valid date (month 0-12, day 0-31, a day needs a month)")
            return
        }
        if date.day > 0, date.day > CivilDate.daysIn(month: Int(date.month), year: Int(date.year)) {
            fail("\(path()).day", "\(date.year)-\(date.month) has no day \(date.day)")
        }
        if today < date.civil { fail(path(), "lies in the future") }
    }

    mutating func timestamp(_ time: Google_Protobuf_Timestamp, path: @autoclosure () -> String, present: Bool) {
        guard present else {
            fail(path(), "required")
            return
        }
        if !(0..<1_000_000_000).contains(time.nanos) { fail("\(path()).nanos", "must be 0-999999999") }
        if time.seconds > now + configuration.allowedClockSkewSeconds { fail(path(), "lies in the future") }
        if time.seconds < -2_208_988_800 { fail(path(), "lies before 1900") }
    }

    mutating func flags(_ flags: Datahealth_V1_ItemFlags, path: @autoclosure () -> String) {
        if !flags.notYetDisclosed && flags.hasUndisclosedAsOf {
            fail("\(path()).undisclosed_as_of", "only a not-yet-disclosed item has this date")
        }
        if flags.hasUndisclosedAsOf {
            partialDate(flags.undisclosedAsOf, path: "\(path()).undisclosed_as_of", present: true)
        }
    }
}
