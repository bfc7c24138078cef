/// The code lists synthetic records draw from: real code systems, with common entries written
/// here from public knowledge (ICD-10 with the standard Japanese disease names, JLAC10 test
/// codes with units and reference ranges of Japanese laboratories, drugs in the YJ code's
/// layout: 4-digit therapeutic category, ingredient, dosage form letter, serial, check).
enum CodeLists {
    struct Condition: Sendable {
        var icd10: String
        var name: String
        /// Probability of having it, by age band: 0-14, 15-39, 40-64, 65-74, 75+.
        var prevalence: [Double]
        /// Drugs (indices into ``drugs``) prescribed for it.
        var drugs: [Int]
        /// Lab tests (indices into ``labTests``) followed for it.
        var tests: [Int]
    }

    struct Drug: Sendable {
        var yj: String
        var name: String
        var dose: String
        var unit: String
        var usage: String
    }

    struct LabTest: Sendable {
        var jlac10: String
        var name: String
        var unit: String
        var low: Double
        var high: Double
        /// Decimal places reported.
        var places: Int
    }

    static let drugs: [Drug] = [
        Drug(yj: "2171022F1020", name: "アムロジピン錠5mg", dose: "1", unit: "{tbl}", usage: "1日1回朝食後"),  // 0
        Drug(yj: "2149040F1021", name: "カンデサルタン錠8mg", dose: "1", unit: "{tbl}", usage: "1日1回朝食後"),  // 1
        Drug(yj: "3962002F1030", name: "メトホルミン塩酸塩錠250mg", dose: "2", unit: "{tbl}", usage: "1日2回朝夕食後"),  // 2
        Drug(yj: "3969010F1022", name: "シタグリプチン錠50mg", dose: "1", unit: "{tbl}", usage: "1日1回朝食後"),  // 3
        Drug(yj: "2189015F1023", name: "アトルバスタチン錠10mg", dose: "1", unit: "{tbl}", usage: "1日1回夕食後"),  // 4
        Drug(yj: "2189017F1022", name: "ロスバスタチン錠2.5mg", dose: "1", unit: "{tbl}", usage: "1日1回夕食後"),  // 5
        Drug(yj: "3332001F1029", name: "ワルファリンカリウム錠1mg", dose: "2", unit: "{tbl}", usage: "1日1回朝食後"),  // 6
        Drug(yj: "3339003F1022", name: "アピキサバン錠5mg", dose: "2", unit: "{tbl}", usage: "1日2回朝夕食後"),  // 7
        Drug(yj: "2139005F1026", name: "フロセミド錠20mg", dose: "1", unit: "{tbl}", usage: "1日1回朝食後"),  // 8
        Drug(yj: "2329023M1020", name: "ランソプラゾールカプセル15mg", dose: "1", unit: "{cap}", usage: "1日1回朝食後"),  // 9
        Drug(yj: "4490026F1022", name: "モンテルカスト錠5mg", dose: "1", unit: "{tbl}", usage: "1日1回就寝前"),  // 10
        Drug(yj: "2290701G1022", name: "フルチカゾン吸入用", dose: "2", unit: "{puff}", usage: "1日2回朝夕吸入"),  // 11
        Drug(yj: "1139004F1024", name: "バルプロ酸ナトリウム錠200mg", dose: "2", unit: "{tbl}", usage: "1日2回朝夕食後"),  // 12
        Drug(yj: "1139010C1029", name: "レベチラセタムドライシロップ50%", dose: "0.5", unit: "g", usage: "1日2回朝夕"),  // 13
        Drug(yj: "3999018F1025", name: "アレンドロン酸錠35mg", dose: "1", unit: "{tbl}", usage: "週1回起床時"),  // 14
        Drug(yj: "1190012F1026", name: "ドネペジル塩酸塩錠5mg", dose: "1", unit: "{tbl}", usage: "1日1回朝食後"),  // 15
        Drug(yj: "2649729M1028", name: "ヘパリン類似物質クリーム0.3%", dose: "1", unit: "{application}", usage: "1日2回患部に塗布"),  // 16
        Drug(yj: "2259002F1021", name: "チオトロピウム吸入用カプセル18μg", dose: "1", unit: "{cap}", usage: "1日1回吸入"),  // 17
        Drug(yj: "1141007F1063", name: "アセトアミノフェン錠200mg", dose: "2", unit: "{tbl}", usage: "疼痛時頓用"),  // 18
        Drug(yj: "6132013F1024", name: "セフカペンピボキシル塩酸塩錠100mg", dose: "3", unit: "{tbl}", usage: "1日3回毎食後"),  // 19
    ]

    static let labTests: [LabTest] = [
        LabTest(jlac10: "3D010-0000-023-271-01", name: "血糖", unit: "mg/dL", low: 73, high: 109, places: 0),  // 0
        LabTest(jlac10: "3D046-0000-022-127-01", name: "HbA1c(NGSP)", unit: "%", low: 4.9, high: 6.0, places: 1),  // 1
        LabTest(jlac10: "3F050-0000-023-271-01", name: "総コレステロール", unit: "mg/dL", low: 142, high: 248, places: 0),  // 2
        LabTest(jlac10: "3F015-0000-023-271-01", name: "中性脂肪", unit: "mg/dL", low: 40, high: 149, places: 0),  // 3
        LabTest(jlac10: "3F070-0000-023-271-01", name: "HDLコレステロール", unit: "mg/dL", low: 40, high: 90, places: 0),  // 4
        LabTest(jlac10: "3F077-0000-023-271-01", name: "LDLコレステロール", unit: "mg/dL", low: 65, high: 139, places: 0),  // 5
        LabTest(jlac10: "3B035-0000-023-271-01", name: "AST", unit: "U/L", low: 13, high: 30, places: 0),  // 6
        LabTest(jlac10: "3B045-0000-023-271-01", name: "ALT", unit: "U/L", low: 7, high: 30, places: 0),  // 7
        LabTest(jlac10: "3B090-0000-023-271-01", name: "γ-GT", unit: "U/L", low: 9, high: 64, places: 0),  // 8
        LabTest(jlac10: "3C015-0000-023-271-01", name: "クレアチニン", unit: "mg/dL", low: 0.46, high: 1.07, places: 2),  // 9
        LabTest(jlac10: "3C025-0000-023-271-01", name: "尿素窒素", unit: "mg/dL", low: 8, high: 20, places: 1),  // 10
        LabTest(jlac10: "3C020-0000-023-271-01", name: "尿酸", unit: "mg/dL", low: 2.6, high: 7.0, places: 1),  // 11
        LabTest(jlac10: "3H010-0000-023-251-01", name: "ナトリウム", unit: "mmol/L", low: 138, high: 145, places: 0),  // 12
        LabTest(jlac10: "3H015-0000-023-251-01", name: "カリウム", unit: "mmol/L", low: 3.6, high: 4.8, places: 1),  // 13
        LabTest(jlac10: "5C070-0000-023-271-01", name: "CRP", unit: "mg/dL", low: 0, high: 0.14, places: 2),  // 14
        LabTest(jlac10: "2A990-0000-019-052-01", name: "白血球数", unit: "10*3/uL", low: 3.3, high: 8.6, places: 1),  // 15
        LabTest(jlac10: "2A030-0000-019-052-01", name: "ヘモグロビン", unit: "g/dL", low: 11.6, high: 16.8, places: 1),  // 16
        LabTest(jlac10: "2A050-0000-019-052-01", name: "血小板数", unit: "10*3/uL", low: 158, high: 348, places: 0),  // 17
        LabTest(jlac10: "4Z250-0000-023-062-01", name: "BNP", unit: "pg/mL", low: 0, high: 18.4, places: 1),  // 18
    ]

    static let conditions: [Condition] = [
        Condition(icd10: "I10", name: "本態性高血圧症", prevalence: [0, 0.02, 0.20, 0.45, 0.60], drugs: [0, 1], tests: [9, 12, 13]),
        Condition(icd10: "E11.9", name: "2型糖尿病", prevalence: [0, 0.01, 0.08, 0.16, 0.18], drugs: [2, 3], tests: [0, 1, 9]),
        Condition(icd10: "E78.5", name: "脂質異常症", prevalence: [0, 0.03, 0.20, 0.30, 0.28], drugs: [4, 5], tests: [2, 3, 4, 5]),
        Condition(icd10: "J45.9", name: "気管支喘息", prevalence: [0.08, 0.05, 0.04, 0.05, 0.05], drugs: [10, 11], tests: [15]),
        Condition(icd10: "L20.9", name: "アトピー性皮膚炎", prevalence: [0.10, 0.05, 0.02, 0.01, 0.01], drugs: [16], tests: []),
        Condition(icd10: "N18.3", name: "慢性腎臓病ステージ3", prevalence: [0, 0.003, 0.04, 0.12, 0.25], drugs: [1], tests: [9, 10, 13]),
        Condition(icd10: "I48.9", name: "心房細動", prevalence: [0, 0, 0.01, 0.04, 0.08], drugs: [6, 7], tests: [16, 17]),
        Condition(icd10: "I50.9", name: "心不全", prevalence: [0, 0, 0.005, 0.03, 0.09], drugs: [8], tests: [18, 9, 13]),
        Condition(icd10: "K21.9", name: "逆流性食道炎", prevalence: [0, 0.03, 0.07, 0.09, 0.10], drugs: [9], tests: []),
        Condition(icd10: "M81.0", name: "閉経後骨粗鬆症", prevalence: [0, 0, 0.03, 0.12, 0.20], drugs: [14], tests: []),
        Condition(icd10: "F03", name: "認知症", prevalence: [0, 0, 0.001, 0.03, 0.15], drugs: [15], tests: []),
        Condition(icd10: "J44.9", name: "慢性閉塞性肺疾患", prevalence: [0, 0, 0.01, 0.05, 0.07], drugs: [17], tests: [15]),
        Condition(icd10: "K76.0", name: "脂肪肝", prevalence: [0.005, 0.08, 0.15, 0.12, 0.08], drugs: [], tests: [6, 7, 8]),
    ]

    /// Conditions of children needing medical care (医療的ケア児): with a ventilator, suction,
    /// tube feeding.
    static let medicalCareConditions: [(icd10: String, name: String, drugs: [Int])] = [
        ("G80.9", "脳性麻痺", [12]),
        ("G40.9", "てんかん", [13]),
        ("J96.1", "慢性呼吸不全", []),
        ("Q90.9", "ダウン症候群", []),
        ("P07.3", "早産児", []),
    ]

    static let allergies: [(substance: String, category: Int, reaction: String)] = [
        ("卵", 1, "じんま疹"), ("牛乳", 1, "嘔吐、じんま疹"), ("小麦", 1, "アナフィラキシー"), ("そば", 1, "アナフィラキシー"),
        ("落花生", 1, "口腔内のかゆみ"), ("えび", 1, "じんま疹"), ("スギ花粉", 2, "鼻炎"), ("ハウスダスト", 2, "喘息発作"),
        ("ラテックス", 5, "接触皮膚炎"), ("ニッケル", 4, "接触皮膚炎"), ("ヨード造影剤", 5, "嘔気、発疹"),
    ]

    /// Drugs that cause contraindications, with their YJ codes.
    static let contraindicatedDrugs: [(yj: String, name: String, reaction: String)] = [
        ("6131001M1038", "アモキシシリンカプセル250mg", "全身の発疹"), ("1149019F1560", "ロキソプロフェンナトリウム錠60mg", "喘息発作"),
        ("6149003F1220", "クラリスロマイシン錠200mg", "肝機能障害"), ("1124017F1025", "ジアゼパム錠2mg", "呼吸抑制"),
    ]

    static let departments = ["内科", "循環器内科", "糖尿病内科", "小児科", "呼吸器内科", "整形外科", "皮膚科", "消化器内科", "神経内科"]

    static let familyNames: [(kanji: String, kana: String)] = [
        ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"), ("渡辺", "ワタナベ"),
        ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
        ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"),
        ("斎藤", "サイトウ"), ("清水", "シミズ"), ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
        ("阿部", "アベ"), ("石川", "イシカワ"), ("前田", "マエダ"), ("藤田", "フジタ"), ("小川", "オガワ"), ("岡田", "オカダ"),
    ]

    static let maleNames: [(kanji: String, kana: String)] = [
        ("蓮", "レン"), ("悠真", "ユウマ"), ("湊", "ミナト"), ("大翔", "ヒロト"), ("翔太", "ショウタ"), ("拓也", "タクヤ"),
        ("健太", "ケンタ"), ("大輔", "ダイスケ"), ("誠", "マコト"), ("浩", "ヒロシ"), ("茂", "シゲル"), ("清", "キヨシ"),
        ("勇", "イサム"), ("博", "ヒロシ"), ("隆", "タカシ"), ("和夫", "カズオ"),
    ]

    static let femaleNames: [(kanji: String, kana: String)] = [
        ("陽葵", "ヒマリ"), ("凛", "リン"), ("結菜", "ユイナ"), ("芽依", "メイ"), ("美咲", "ミサキ"), ("彩", "アヤ"),
        ("愛", "アイ"), ("真由美", "マユミ"), ("恵子", "ケイコ"), ("洋子", "ヨウコ"), ("幸子", "サチコ"), ("和子", "カズコ"),
        ("節子", "セツコ"), ("久美子", "クミコ"), ("直美", "ナオミ"), ("京子", "キョウコ"),
    ]

    /// Prefecture code → name and a city, for institutions and addresses.
    static let prefectures: [(code: Int, name: String, cities: [String])] = [
        (1, "北海道", ["札幌", "旭川", "函館"]), (4, "宮城県", ["仙台", "石巻"]), (11, "埼玉県", ["さいたま", "川越", "所沢"]),
        (12, "千葉県", ["千葉", "船橋", "柏"]), (13, "東京都", ["新宿", "世田谷", "八王子", "練馬", "足立"]),
        (14, "神奈川県", ["横浜", "川崎", "相模原"]), (15, "新潟県", ["新潟", "長岡"]), (22, "静岡県", ["静岡", "浜松"]),
        (23, "愛知県", ["名古屋", "豊田", "岡崎"]), (26, "京都府", ["京都", "宇治"]), (27, "大阪府", ["大阪", "堺", "豊中"]),
        (28, "兵庫県", ["神戸", "姫路", "西宮"]), (34, "広島県", ["広島", "福山"]), (40, "福岡県", ["福岡", "北九州", "久留米"]),
        (47, "沖縄県", ["那覇", "沖縄"]),
    ]
}
