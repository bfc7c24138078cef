// Durable care-record intake: records/s for batched streaming with 1, 8 and 32 concurrent
// gateways into the assembled server (mutual TLS 1.3, validation, pseudonymization, policy,
// audit, PostgreSQL with synchronous_commit on), against a raw COPY of the same rows into the
// same tables of the same embedded cluster, in the same run.
//
//   swift run -c release --package-path Benchmarks IntakeBenchmarks
//   INTAKE_RECORDS (records per configuration, default 24,000), INTAKE_BATCH (records per batch,
//   500), INTAKE_BATCHES_PER_CALL (batches a gateway streams in one SubmitRecords call, 8),
//   INTAKE_GATEWAYS (default 1,8,32), INTAKE_BATCHES_STORING (the server's batches stored at once
//   per call, its default 4), INTAKE_DB_CONNECTIONS (the server's database pool)

import DHCareRecord
import DHIdentity
import DHRPC
import DHSchemas
import DHServer
import DHStorage
import DHSynth
import DHTLS
import DHTransport
import DHWire
import Foundation

let environment = ProcessInfo.processInfo.environment
let recordsPerRun = Int(environment["INTAKE_RECORDS"] ?? "") ?? 24_000
let batchSize = Int(environment["INTAKE_BATCH"] ?? "") ?? 500
let batchesPerCall = max(Int(environment["INTAKE_BATCHES_PER_CALL"] ?? "") ?? 8, 1)
/// The gateway counts to measure, e.g. INTAKE_GATEWAYS=1,8 (default 1,8,32).
let gatewayCounts = (environment["INTAKE_GATEWAYS"] ?? "1,8,32").split(separator: ",").compactMap { Int($0) }
let asOf = Date()

/// A valid 医療機関コード for gateway `n` (prefecture 13, fee table 1, check digit as dh synth makes).
func institution(_ n: Int, run: Int) -> String {
    SyntheticDataGenerator.institutionCode(prefecture: 13, number: run * 1_000 + n)
}

/// `count` synthetic records of one institution, in batches.
func batches(institution code: String, count: Int, seed: UInt64) -> [[Datahealth_V1_CareRecord]] {
    var configuration = SynthConfiguration(asOf: asOf)
    configuration.seed = seed
    configuration.institution = code
    configuration.patients = count / 6 + 1
    configuration.recordsPerPatient = 4...8
    var records: [Datahealth_V1_CareRecord] = []
    let generator = SyntheticDataGenerator(configuration: configuration)
    var number = 0
    while records.count < count {
        records += generator.records(for: generator.patient(number))
        number += 1
    }
    records.removeLast(records.count - count)
    return stride(from: 0, to: records.count, by: batchSize).map {
        Array(records[$0..<min($0 + batchSize, records.count)])
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

/// CPU seconds used so far by this process (server and gateways) and by the cluster's processes
/// (the postmaster in `pgdata`'s postmaster.pid and its children: backends, WAL writer, ...):
/// per record, a figure that other load on the machine disturbs much less than records/s.
func cpuSeconds(pgdata: String) -> (process: Double, postgres: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let process =
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    guard let pidFile = try? String(contentsOfFile: pgdata + "/postmaster.pid", encoding: .utf8),
        let postmaster = pidFile.split(separator: "\n").first.map(String.init)
    else { return (process, 0) }
    var postgres = 0.0
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        // After "(comm)": state ppid ... utime (14th field) stime (15th).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, entry == postmaster || String(fields[1]) == postmaster else { continue }
        postgres += ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
    }
    return (process, postgres)
}

extension CareRecordService {
    /// The records as the server stores them.
    func writes(_ records: [Datahealth_V1_CareRecord], at time: Date = Date()) -> [CareRecordWrite] {
        records.map { write(for: $0, receivedAt: time) }
    }
}

struct Row {
    var mode: String
    var gateways: Int
    var records: Int
    var seconds: Double
    var p50: Double?
    var p99: Double?
    /// CPU microseconds per record: this process (server and gateways, or COPY's client) and PostgreSQL.
    var cpu: (process: Double, postgres: Double)?
    var rate: Double { Double(records) / seconds }
}

@main
struct IntakeBenchmarks {
    static func main() async throws {
        let directory = NSTemporaryDirectory() + "dh-intake-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)
        let pki = try DevelopmentPKI.make()
        let policy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy/policy.conf").path
        var configuration = DataHealthServerConfiguration(
            dataDirectory: directory + "/data", policyPath: policy,
            tls: .server(
                certificateChain: .pem(pki.server.certificate.pemString),
                privateKey: .pem(pki.server.privateKey.pemString),
                trustRoots: [.pem(pki.authority.certificate.pemString)]),
            transport: .init(host: "127.0.0.1", port: 0))
        // The server's default pool (four connections per core) unless INTAKE_DB_CONNECTIONS says.
        if let connections = Int(environment["INTAKE_DB_CONNECTIONS"] ?? "") {
            configuration.databaseConnections = connections
        }
        // How many batches of one call the server stores at once (its default unless
        // INTAKE_BATCHES_STORING says).
        if let storing = Int(environment["INTAKE_BATCHES_STORING"] ?? "") {
            configuration.careRecords.maximumBatchesStoring = storing
        }
        var maxMessage = RPCConnectionConfiguration.server
        maxMessage.maxMessageSize = 16 << 20
        configuration.transport.connection = maxMessage
        let server = try await DataHealthServer.start(configuration) { _ in }
        let serving = Task { try await server.run() }
        let port = try await server.listeningPort()
        print(
            "care-record intake: \(recordsPerRun) records per configuration, batches of \(batchSize), "
                + "up to \(batchesPerCall) batches per call (acknowledged at the call's end); "
                + "embedded PostgreSQL, synchronous_commit on; mutual TLS 1.3 on loopback")

        // The baseline: the same kind of rows copied straight into the same tables, before and
        // after every configuration (the machine's speed drifts; each configuration is compared
        // with the mean of the copies around it).
        let pgdata = directory + "/data/postgres/pgdata"
        let cluster = try EmbeddedPostgres(
            configuration: EmbeddedPostgresConfiguration(directory: directory + "/data/postgres"))
        let pool = try PostgresConnectionPool(
            configuration: PostgresPoolConfiguration(connection: cluster.connectionConfiguration))
        func rawCopy(_ run: Int) async throws -> Row {
            let code = institution(0, run: 10 + run)
            let records = batches(institution: code, count: recordsPerRun, seed: UInt64(999 + run)).flatMap { $0 }
            // The rows as the server stores them (kind, replacement key, flags, the record with
            // its patient reduced to the pseudonymous id), by the service's own mapping.
            let service = CareRecordService(
                repository: InMemoryCareRecordRepository(), consent: InMemoryConsentStore(),
                pseudonymizer: PatientPseudonymizer(secret: [UInt8](repeating: UInt8(16 + run), count: 32)))
            let now = Date()
            let writes = service.writes(records, at: now)
            let patients = Array(Set(writes.map(\.patientID)))
            let patientRows: [[PostgresValue]] = patients.map { [$0.postgresValue(), now.postgresValue()] }
            let keyRows: [[PostgresValue]] = writes.map {
                [
                    code.postgresValue(), $0.idempotencyKey.postgresValue(), $0.submissionID.postgresValue(),
                    Int64(1).postgresValue(), now.postgresValue(),
                ]
            }
            let recordRows: [[PostgresValue]] = writes.map {
                [
                    code.postgresValue(), $0.submissionID.postgresValue(), $0.kind.rawValue.postgresValue(),
                    $0.patientID.postgresValue(), $0.replacementKey.postgresValue(), $0.item.postgresValue(),
                    $0.longTermRetention.postgresValue(), $0.notYetDisclosed.postgresValue(),
                    Int64(1).postgresValue(), now.postgresValue(), now.postgresValue(),
                ]
            }
            let start = ContinuousClock.now
            let cpuBefore = cpuSeconds(pgdata: pgdata)
            try await pool.withTransaction { @Sendable tx in
                try await tx.copy(into: "care_patients", columns: ["patient_id", "created_at"], rows: patientRows)
                try await tx.copy(
                    into: "care_idempotency_keys",
                    columns: ["institution", "idempotency_key", "submission_id", "version", "created_at"],
                    rows: keyRows)
                try await tx.copy(
                    into: "care_records",
                    columns: [
                        "institution", "submission_id", "item_kind", "patient_id", "replacement_key", "item",
                        "long_term_retention", "not_yet_disclosed", "version", "created_at", "updated_at",
                    ],
                    rows: recordRows)
            }
            let elapsed = ContinuousClock.now - start
            let cpuAfter = cpuSeconds(pgdata: pgdata)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Row(
                mode: "raw COPY, one transaction", gateways: 1, records: records.count, seconds: seconds,
                cpu: (
                    (cpuAfter.process - cpuBefore.process) * 1e6 / Double(records.count),
                    (cpuAfter.postgres - cpuBefore.postgres) * 1e6 / Double(records.count)
                ))
        }
        var copies = [try await rawCopy(0)]

        var rows: [Row] = []
        for (run, gateways) in gatewayCounts.enumerated() {
            let perGateway = recordsPerRun / gateways
            var work: [(String, [[Datahealth_V1_CareRecord]])] = []
            for gateway in 0..<gateways {
                let code = institution(gateway, run: run + 1)
                work.append((code, batches(institution: code, count: perGateway, seed: UInt64(run * 100 + gateway))))
            }
            var clients: [TLSClientTransport] = []
            for (code, _) in work {
                let now = Date()
                let issued = try pki.authority.issueWithNewKey(
                    .client(
                        identity: try PeerIdentity(uri: "dh://\(code)/gateway/gw-1"), notBefore: now - 300,
                        notAfter: now + 86_400))
                let tls = try TLSContext(
                    configuration: .client(
                        certificateChain: .pem(issued.certificate.pemString),
                        privateKey: .pem(issued.privateKey.pemString),
                        trustRoots: [.pem(pki.authority.certificate.pemString)]))
                var clientConfiguration = TLSClientTransport.Configuration()
                clientConfiguration.connection.maxMessageSize = 16 << 20
                clients.append(
                    TLSClientTransport(
                        host: "127.0.0.1", port: port, tls: tls, serverName: "localhost",
                        configuration: clientConfiguration))
            }
            var metadata = Metadata()
            metadata.addString("treatment", forKey: "dh-purpose")
            let options = CallOptions(metadata: metadata)
            // Connect first: the figure is about intake, not handshakes.
            for client in clients {
                _ = try await Datahealth_Ops_V1_HealthClient(transport: client).check(
                    Datahealth_Ops_V1_HealthCheckRequest(), options: options)
            }
            // On standard error, unbuffered: lets a profiler attach to just this phase.
            FileHandle.standardError.write(Data("intake: \(gateways) gateways sending\n".utf8))
            let start = ContinuousClock.now
            let cpuBefore = cpuSeconds(pgdata: pgdata)
            let results = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
                for (index, (_, batches)) in work.enumerated() {
                    let client = Datahealth_V1_CareRecordServiceClient(transport: clients[index])
                    group.addTask {
                        var accepted = 0
                        var latencies: [Double] = []
                        for first in stride(from: 0, to: batches.count, by: batchesPerCall) {
                            let began = ContinuousClock.now
                            let messages = batches[first..<min(first + batchesPerCall, batches.count)].map {
                                var request = Datahealth_V1_SubmitRecordsRequest()
                                request.records = $0
                                return request
                            }
                            let response = try await client.submitRecords(options: options) { writer in
                                for message in messages { try await writer.write(message) }
                            }
                            let elapsed = ContinuousClock.now - began
                            latencies.append(
                                Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3
                            )
                            accepted += Int(response.acceptedCount)
                            if response.rejectedCount > 0 {
                                fatalError(
                                    "rejected: \(response.outcomes.first { $0.result == .rejected }.map { "\($0.fieldPath): \($0.message)" } ?? "")"
                                )
                            }
                        }
                        return (accepted, latencies)
                    }
                }
                var total = 0
                var latencies: [Double] = []
                for try await (accepted, times) in group {
                    total += accepted
                    latencies += times
                }
                return (total, latencies)
            }
            let elapsed = ContinuousClock.now - start
            let cpuAfter = cpuSeconds(pgdata: pgdata)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            rows.append(
                Row(
                    mode: "dh serve (TLS, validation, audit)", gateways: gateways, records: results.0, seconds: seconds,
                    p50: percentile(results.1, 0.5), p99: percentile(results.1, 0.99),
                    cpu: (
                        (cpuAfter.process - cpuBefore.process) * 1e6 / Double(results.0),
                        (cpuAfter.postgres - cpuBefore.postgres) * 1e6 / Double(results.0)
                    )))
            for client in clients { await client.close() }
            copies.append(try await rawCopy(run + 1))
        }
        await pool.close()
        let copy = Row(
            mode: "raw COPY, one transaction (mean)", gateways: 1, records: copies.map(\.records).reduce(0, +),
            seconds: copies.map(\.seconds).reduce(0, +),
            cpu: (
                copies.map { $0.cpu?.process ?? 0 }.reduce(0, +) / Double(copies.count),
                copies.map { $0.cpu?.postgres ?? 0 }.reduce(0, +) / Double(copies.count)
            ))

        // The same rows again through psql's COPY (C all the way): the rows are written to files
        // first (untimed), then one psql run loads them in one transaction (timed).
        let psqlCode = institution(0, run: 8)
        let records = batches(institution: psqlCode, count: recordsPerRun, seed: 998).flatMap { $0 }
        func hex(_ bytes: [UInt8]) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")]
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0xF)])
            }
            return String(decoding: out, as: UTF8.self)
        }
        let stamp = "2026-11-24 00:00:00+00"
        let stored = CareRecordService(
            repository: InMemoryCareRecordRepository(), consent: InMemoryConsentStore(),
            pseudonymizer: PatientPseudonymizer(secret: [UInt8](repeating: 8, count: 32))
        ).writes(records)
        let psqlPatients = Set(stored.map(\.patientID)).map { "\($0)\t\(stamp)" }
        try (psqlPatients.joined(separator: "\n") + "\n").write(
            toFile: directory + "/patients.tsv", atomically: true, encoding: .utf8)
        try
            (records.map { "\(psqlCode)\t\($0.idempotencyKey)\t\($0.submissionID)\t1\t\(stamp)" }.joined(
                separator: "\n") + "\n")
            .write(toFile: directory + "/keys.tsv", atomically: true, encoding: .utf8)
        try
            (stored.map {
                "\(psqlCode)\t\($0.submissionID)\t\($0.kind.rawValue)\t\($0.patientID)\t\($0.replacementKey ?? "\\N")\t\(hex($0.item))\t\($0.longTermRetention ? "t" : "f")\t\($0.notYetDisclosed ? "t" : "f")\t1\t\(stamp)\t\(stamp)"
            }.joined(separator: "\n") + "\n").write(
                toFile: directory + "/records.tsv", atomically: true, encoding: .utf8)
        let script = """
            BEGIN;
            \\copy care_patients (patient_id, created_at) from '\(directory)/patients.tsv'
            \\copy care_idempotency_keys (institution, idempotency_key, submission_id, version, created_at) from '\(directory)/keys.tsv'
            \\copy care_records (institution, submission_id, item_kind, patient_id, replacement_key, item, long_term_retention, not_yet_disclosed, version, created_at, updated_at) from '\(directory)/records.tsv'
            COMMIT;

            """
        try script.write(toFile: directory + "/copy.sql", atomically: true, encoding: .utf8)
        chmod(directory + "/patients.tsv", 0o644)
        chmod(directory + "/keys.tsv", 0o644)
        chmod(directory + "/records.tsv", 0o644)
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [
            "-q", "-v", "ON_ERROR_STOP=1", "-f", directory + "/copy.sql", cluster.connectionConfiguration.conninfo,
        ]
        let psqlStart = ContinuousClock.now
        try psql.run()
        psql.waitUntilExit()
        let psqlElapsed = ContinuousClock.now - psqlStart
        let psqlRow: Row? =
            psql.terminationStatus == 0
            ? Row(
                mode: "psql COPY, one transaction", gateways: 1, records: records.count,
                seconds: Double(psqlElapsed.components.seconds) + Double(psqlElapsed.components.attoseconds) / 1e18)
            : nil
        if psqlRow == nil { print("psql COPY failed (status \(psql.terminationStatus)); its row is left out") }
        let average = records.map { $0.serializedBytes().count }.reduce(0, +) / max(records.count, 1)

        print("record size: \(average) bytes on average (protobuf)")
        let psqlRate = psqlRow?.rate ?? copy.rate
        print(
            "mode                               gateways  records   seconds   records/s   ×COPY  ×psql   p50 ack ms  p99 ack ms"
        )
        // A configuration's ×COPY: against the mean rate of the copies just before and after it.
        func copyRate(around index: Int) -> Double {
            guard index + 1 < copies.count else { return copy.rate }
            return (copies[index].rate + copies[index + 1].rate) / 2
        }
        let table: [(Row, Double)] =
            rows.enumerated().map { ($1, copyRate(around: $0)) } + copies.map { ($0, copy.rate) } + [(copy, copy.rate)]
            + (psqlRow.map { [($0, copy.rate)] } ?? [])
        for (row, copyRate) in table {
            print(
                row.mode.padding(toLength: 35, withPad: " ", startingAt: 0)
                    + String(
                        format: "%8d %8d %9.2f %11.0f %7.2f %6.2f", row.gateways, row.records, row.seconds, row.rate,
                        row.rate / copyRate, row.rate / psqlRate)
                    + (row.p50.map { String(format: " %11.1f %11.1f", $0, row.p99 ?? 0) } ?? ""))
        }
        // CPU per record, of both cores: what other load on the machine disturbs least.
        print("CPU per record (µs): this process (server and gateways, or COPY's client) + PostgreSQL")
        for row in rows + [copy] {
            guard let cpu = row.cpu else { continue }
            print(
                (row.mode + (row.mode.hasPrefix("dh") ? ", \(row.gateways) gateways" : "")).padding(
                    toLength: 50, withPad: " ", startingAt: 0)
                    + String(format: "%7.1f + %7.1f = %7.1f", cpu.process, cpu.postgres, cpu.process + cpu.postgres))
        }
        server.beginGracefulShutdown()
        try await serving.value
    }
}
