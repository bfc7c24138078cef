internal import ArgumentParser
internal import DHCareRecord
internal import DHRPC
internal import DHSchemas
internal import DHSynth
internal import DHTLS
internal import DHTransport
internal import DHWire
internal import Foundation

#if canImport(Glibc)
internal import Glibc
#endif

/// `dh synth`: realistic Japanese synthetic care records, reproducible from a seed.
struct SynthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate synthetic Japanese patients and care records (no real person's data).",
        discussion: """
            Institutions (医療機関コード with check digit), patients (names in kanji and katakana,
            birth dates on Japan's age pyramid, insurer numbers with check digit, person-level
            branch numbers; a few children needing medical care), and their records: diagnoses
            (ICD-10), allergies, drug contraindications (YJ), infection results, prescriptions
            (YJ) and lab results (JLAC10, with units and reference ranges). Conditions follow
            age, and lab values follow conditions. The same seed and options give the same
            output, byte for byte (records are dated relative to --as-of).

            Formats: json (one datahealth.v1.CareRecord per line, proto3 JSON) or
            binary-delimited (each record's protobuf bytes after its length as a varint, what
            the C client kit's example reads).

            Examples:
              dh synth --patients 300 --institution 1312345678 --out records.jsonl
              dh synth --seed 7 --patients 100000 --format binary-delimited --out big.bin --progress
              dh synth --patients 500 --institution 1312345678 --submit 127.0.0.1:7443 \\
                       --cert pki/clients/gateway.crt.pem --key pki/clients/gateway.key.pem --ca pki/ca.crt.pem
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json
        case binaryDelimited = "binary-delimited"
    }

    @Option(help: "The seed: the same seed gives the same data.")
    var seed: UInt64 = 1

    @Option(help: "How many institutions the patients are spread over.")
    var institutions = 10

    @Option(help: "How many patients.")
    var patients = 100

    @Option(help: ArgumentHelp("Records per patient, N or MIN-MAX.", valueName: "n"))
    var recordsPerPatient = "4-12"

    @Option(help: ArgumentHelp("Make every record one institution's (10-digit 医療機関コード).", valueName: "code"))
    var institution: String?

    @Option(
        help: ArgumentHelp("Date records relative to this day (YYYY-MM-DD; default: today, UTC).", valueName: "date"))
    var asOf: String?

    @Option(help: "Output format: json or binary-delimited.")
    var format: Format = .json

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var out: String?

    @Flag(help: "Show progress on standard error (default: when it is a terminal).")
    var progress = false

    @Option(help: ArgumentHelp("Submit the records to this server instead of writing them.", valueName: "host:port"))
    var submit: String?

    @Option(help: "With --submit: the gateway's certificate (PEM).")
    var cert: String?

    @Option(help: "With --submit: the gateway's private key (PEM).")
    var key: String?

    @Option(help: "With --submit: the CA bundle the server's certificate must chain to (PEM).")
    var ca: String?

    @Option(help: "With --submit: records per call.")
    var batchSize = 500

    func validate() throws {
        guard (try? recordRange()) != nil else { throw ValidationError("--records-per-patient must be N or MIN-MAX") }
        if let institution, !(institution.count == 10 && institution.allSatisfy(\.isNumber)) {
            throw ValidationError("--institution must be a 10-digit 医療機関コード")
        }
        if asOf != nil, (try? asOfDate()) == nil { throw ValidationError("--as-of must be YYYY-MM-DD") }
        if submit != nil, cert == nil || key == nil || ca == nil {
            throw ValidationError("--submit needs --cert, --key and --ca")
        }
        guard patients >= 0, institutions >= 1, batchSize >= 1 else {
            throw ValidationError("--patients, --institutions and --batch-size must be positive")
        }
    }

    func recordRange() throws -> ClosedRange<Int> {
        let parts = recordsPerPatient.split(separator: "-").map { Int($0) }
        if parts.count == 1, let n = parts[0], n >= 0 { return n...n }
        if parts.count == 2, let low = parts[0], let high = parts[1], 0 <= low, low <= high { return low...high }
        throw CLIError("bad range")
    }

    func asOfDate() throws -> Date {
        guard let asOf else {
            let now = Date().timeIntervalSince1970
            return Date(timeIntervalSince1970: (now / 86_400).rounded(.down) * 86_400 + 43_200)
        }
        let parts = asOf.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw CLIError("bad date")
        }
        let days = CivilTime.days(year: parts[0], month: parts[1], day: parts[2])
        return Date(timeIntervalSince1970: TimeInterval(days) * 86_400 + 43_200)
    }

    func generator() throws -> SyntheticDataGenerator {
        var configuration = SynthConfiguration(asOf: try asOfDate())
        configuration.seed = seed
        configuration.institutions = institutions
        configuration.patients = patients
        configuration.recordsPerPatient = try recordRange()
        configuration.institution = institution
        return SyntheticDataGenerator(configuration: configuration)
    }

    func run() async throws {
        let generator = try generator()
        let showProgress = progress || isatty(2) == 1
        if let submit {
            try await submitRecords(generator, to: submit, showProgress: showProgress)
            return
        }
        let sink = try OutputSink(path: out)
        var written = 0
        try generator.forEachRecord { record in
            switch format {
            case .json:
                sink.write(try record.jsonUTF8Bytes() + [0x0A])
            case .binaryDelimited:
                let bytes = record.serializedBytes()
                var delimited = BinaryWriter(capacity: bytes.count + 5)
                delimited.writeVarint(UInt64(bytes.count))
                sink.write(delimited.bytes + bytes)
            }
            written += 1
            if showProgress, written % 10_000 == 0 { Self.status("\(written) records") }
        }
        try sink.close()
        if showProgress || out != nil {
            Self.status(
                "\(written) records of \(patients) patients at \(generator.institutions.count) institution(s)"
                    + (out.map { " written to \($0)" } ?? ""), final: true)
        }
    }

    static func status(_ text: String, final: Bool = false) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + (final ? "\n" : "")).utf8))
    }

    private func submitRecords(_ generator: SyntheticDataGenerator, to target: String, showProgress: Bool) async throws
    {
        let (host, port) = try ServeCommand.parseListen(target)
        let tls = try TLSContext(
            configuration: .client(
                certificateChain: .file(cert ?? ""), privateKey: .file(key ?? ""), trustRoots: [.file(ca ?? "")]))
        let transport = TLSClientTransport(
            host: host, port: port, tls: tls, serverName: host == "127.0.0.1" ? "localhost" : host)
        defer { Task { await transport.close() } }
        let client = Datahealth_V1_CareRecordServiceClient(transport: transport)
        var metadata = Metadata()
        metadata.addString("treatment", forKey: "dh-purpose")
        let options = CallOptions(metadata: metadata)
        var batch: [Datahealth_V1_CareRecord] = []
        var totals = (accepted: 0, duplicate: 0, rejected: 0)
        func send() async throws {
            guard !batch.isEmpty else { return }
            var message = Datahealth_V1_SubmitRecordsRequest()
            message.records = batch
            let request = message
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let response = try await client.submitRecords(options: options) { writer in
                        try await writer.write(request)
                    }
                    totals.accepted += Int(response.acceptedCount)
                    totals.duplicate += Int(response.duplicateCount)
                    totals.rejected += Int(response.rejectedCount)
                    for outcome in response.outcomes where outcome.result == .rejected {
                        FileHandle.standardError.write(
                            Data("rejected \(outcome.idempotencyKey): \(outcome.fieldPath): \(outcome.message)\n".utf8))
                    }
                    break
                } catch let error as RPCError where error.code == .unavailable && attempt < 5 {
                    try await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
            batch.removeAll(keepingCapacity: true)
            if showProgress {
                Self.status("submitted \(totals.accepted + totals.duplicate + totals.rejected) records")
            }
        }
        for number in 0..<patients {
            for record in generator.records(for: generator.patient(number)) {
                batch.append(record)
                if batch.count >= batchSize { try await send() }
            }
        }
        try await send()
        if showProgress { Self.status("", final: false) }
        print("accepted \(totals.accepted), duplicate \(totals.duplicate), rejected \(totals.rejected)")
        if totals.rejected > 0 { throw ExitCode(1) }
    }
}

/// Standard output or a file, written in large blocks.
private final class OutputSink {
    private let handle: FileHandle
    private let closes: Bool
    private var buffer: [UInt8] = []

    init(path: String?) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CLIError("cannot create \(path)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            closes = true
        } else {
            handle = FileHandle.standardOutput
            closes = false
        }
    }

    func write(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        if closes { try handle.close() }
    }
}
