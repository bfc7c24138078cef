import BenchCareDH

/// The benchmark's care record (about 2 KB encoded): a subject with a Japanese name and
/// address, four visits with vital signs and Japanese notes, three medications, a map of
/// attributes, 64-bit ids and times, and enums. Built once as a DHWire value; every other
/// implementation gets it by decoding DHWire's bytes, so all of them measure the same value.
public enum CareFixture {
    public static func record() -> Benchcare_CareRecord {
        var subject = Benchcare_Person()
        subject.familyName = "山田"
        subject.givenName = "花子"
        subject.familyNameKana = "ヤマダ"
        subject.givenNameKana = "ハナコ"
        subject.birthDateEpochDay = -7_305
        subject.sex = .female
        var address = Benchcare_Address()
        address.postalCode = "160-0023"
        address.prefecture = "東京都"
        address.city = "新宿区"
        address.street = "西新宿二丁目8番1号"
        address.building = "ケアハイツ西新宿 1203号室"
        subject.address = address
        subject.phoneNumbers = ["03-5321-1111", "090-1234-5678"]

        var record = Benchcare_CareRecord()
        record.recordID = 9_007_199_254_740_993
        record.insuredNumber = "H1310400123"
        record.subject = subject
        record.careLevel = .care3

        let notes = [
            "朝食は全量摂取。午前中は機嫌よく過ごされ、デイルームで他の利用者と会話を楽しまれた。歩行時にふらつきあり、見守りを継続。",
            "入浴介助を実施。皮膚の発赤なし。右膝の痛みの訴えあり、看護師へ報告済み。水分摂取量は一日約1200ml。",
            "夜間に二回覚醒、トイレ誘導を行った。服薬は問題なく完了。ご家族より電話があり、来週の面会予定を確認した。",
            "リハビリ体操に参加。握力の改善が見られる。昼食は七割摂取、むせ込みなし。血圧がやや高めのため経過観察とする。",
        ]
        for index in 0..<4 {
            var visit = Benchcare_CareVisit()
            visit.visitID = 1_700_000_000_000 + Int64(index) * 7_919
            visit.startedAtUnixMs = 1_732_500_000_000 + Int64(index) * 86_400_000
            visit.durationMinutes = 45 + Int32(index) * 5
            visit.caregiverID = "CG-\(4_200 + index)"
            let kinds: [(Benchcare_VitalSign.Kind, Double, String)] = [
                (.bodyTemperature, 36.4 + Double(index) * 0.1, "℃"),
                (.systolic, 128 + Double(index), "mmHg"),
                (.diastolic, 78 + Double(index), "mmHg"),
                (.pulse, 72 + Double(index), "bpm"),
                (.spo2, 97, "%"),
            ]
            for (offset, (kind, value, unit)) in kinds.enumerated() {
                var vital = Benchcare_VitalSign()
                vital.kind = kind
                vital.value = value
                vital.measuredAtUnixMs = visit.startedAtUnixMs + Int64(offset) * 60_000
                vital.unit = unit
                visit.vitals.append(vital)
            }
            visit.notes = notes[index]
            visit.serviceCodes = [111, 1_121, 21_100 + Int32(index), -1]
            visit.completed = index != 3
            record.visits.append(visit)
        }

        let medications: [(String, String, Int32, UInt32, [String])] = [
            ("2149039F1025", "アムロジピン錠5mg", 5, 1, ["朝食後に服用", "グレープフルーツジュースを避ける"]),
            ("3969007F1022", "メトホルミン塩酸塩錠250mg", 250, 2, ["朝夕食後に服用"]),
            ("1124017F1020", "ゾルピデム酒石酸塩錠5mg", 5, 1, ["就寝直前に服用", "転倒に注意"]),
        ]
        for (code, name, dose, times, instructions) in medications {
            var medication = Benchcare_Medication()
            medication.code = code
            medication.name = name
            medication.doseMg = dose
            medication.timesPerDay = times
            medication.instructions = instructions
            record.medications.append(medication)
        }

        record.attributes = [
            "facility": "特別養護老人ホームさくら苑",
            "primaryPhysician": "佐藤 一郎",
            "allergy": "ペニシリン系抗菌薬",
            "diet": "減塩食・刻み食",
        ]
        record.relatedRecordIds = [9_007_199_254_740_001, 42, -3, 1 << 40]
        record.updatedAtUnixMs = 1_732_845_296_123
        record.signature = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        record.revision = 18_446_744_073_709_551_557
        return record
    }
}
