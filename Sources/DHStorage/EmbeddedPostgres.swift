internal import CLibPQ
import Dispatch
import Foundation
import Synchronization

/// Settings of an ``EmbeddedPostgres`` cluster.
public struct EmbeddedPostgresConfiguration: Sendable {
    /// The directory that holds everything: the cluster (`pgdata/`), the socket directory
    /// (`run/`) and the server log (`postgres.log`). Created if missing.
    public var directory: String
    /// The port number; with no TCP listener it only names the socket (`.s.PGSQL.<port>`).
    public var port: Int = 5432
    /// Where `initdb`, `pg_ctl` and `postgres` live; `nil` finds them (pg_config, then
    /// /usr/lib/postgresql/<newest>/bin).
    public var binDirectory: String? = nil
    /// The database superuser initdb creates.
    public var superuser: String = "datahealth"
    /// The database created on first start, used by ``EmbeddedPostgres/connectionConfiguration``.
    public var database: String = "datahealth"
    /// The unprivileged system user the cluster runs as when this process runs as root
    /// (initdb and postgres refuse to run as root).
    public var systemUser: String = "postgres"
    public var maxConnections: Int = 100
    /// `synchronous_commit`; off trades the last few commits after a crash for speed.
    public var synchronousCommit: Bool = true
    public var sharedBuffers: String = "128MB"
    /// Further `postgresql.conf` settings, written as `name = 'value'`.
    public var settings: [String: String] = [:]
    /// How long `pg_ctl` may wait for the server to start or stop.
    public var startTimeout: Duration = .seconds(60)
    public var stopTimeout: Duration = .seconds(60)

    public init(directory: String) {
        self.directory = directory
    }
}

/// A private PostgreSQL cluster that this process creates (initdb), starts and stops (pg_ctl),
/// listening on a Unix socket inside its own directory and on no TCP address.
///
/// Starting is idempotent: an existing cluster is reused, a running one is left running.
/// When the process runs as root, the cluster's files belong to
/// ``EmbeddedPostgresConfiguration/systemUser`` and its programs run as that user (runuser).
/// The cluster is stopped by ``stop()``, and on deinit if this object started it.
public final class EmbeddedPostgres: Sendable {
    public let configuration: EmbeddedPostgresConfiguration
    public let binDirectory: String
    private let queue = DispatchQueue(label: "datahealth.postgres.embedded")
    private let startedHere = Mutex(false)

    public init(configuration: EmbeddedPostgresConfiguration) throws {
        guard configuration.directory.hasPrefix("/") else {
            throw PostgresError(code: .invalidArgument, message: "the cluster directory must be an absolute path")
        }
        guard (1...65535).contains(configuration.port) else {
            throw PostgresError(code: .invalidArgument, message: "the port must be between 1 and 65535")
        }
        self.configuration = configuration
        self.binDirectory = try configuration.binDirectory ?? EmbeddedPostgres.locateBinDirectory()
        // Unix socket paths are limited to 107 bytes.
        guard (socketDirectory + "/.s.PGSQL.\(configuration.port)").utf8.count < 108 else {
            throw PostgresError(code: .invalidArgument, message: "the cluster directory path is too long for a Unix socket")
        }
    }

    deinit {
        if startedHere.withLock({ $0 }) { try? stopNow() }
    }

    public var dataDirectory: String { configuration.directory + "/pgdata" }
    public var socketDirectory: String { configuration.directory + "/run" }
    public var logFile: String { configuration.directory + "/postgres.log" }

    /// How to connect to the cluster's database.
    public var connectionConfiguration: PostgresConnectionConfiguration {
        PostgresConnectionConfiguration(
            socketDirectory: socketDirectory, port: configuration.port, user: configuration.superuser,
            database: configuration.database)
    }

    /// Creates the cluster if needed, starts it if it is not running, and creates the database.
    ///
    /// Throws `clusterFailed` (details in the error's diagnostics and in ``logFile``).
    public func start() async throws {
        try await onQueue { try self.startNow() }
        try await createDatabaseIfMissing()
    }

    /// Stops the cluster (fast shutdown: open transactions are rolled back) if it is running.
    public func stop() async throws {
        try await onQueue { try self.stopNow() }
    }

    /// Whether the cluster's server is running.
    public func isRunning() async throws -> Bool {
        try await onQueue { try self.statusNow() }
    }

    /// Starts the cluster, runs `body`, and stops the cluster whether or not `body` throws.
    public func withRunning<R: Sendable>(_ body: (EmbeddedPostgres) async throws -> R) async throws -> R {
        try await start()
        do {
            let value = try await body(self)
            try await stop()
            return value
        } catch {
            try? await stop()
            throw error
        }
    }

    /// Finds PostgreSQL's server programs: the newest /usr/lib/postgresql/<version>/bin (Debian's
    /// layout), else `pg_config --bindir`.
    public static func locateBinDirectory() throws -> String {
        let fileManager = FileManager.default
        let root = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where fileManager.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        if let output = try? runProcess("/usr/bin/env", ["pg_config", "--bindir"]), output.status == 0 {
            let path = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if fileManager.isExecutableFile(atPath: path + "/initdb") { return path }
        }
        throw PostgresError(
            code: .clusterFailed, message: "PostgreSQL's server programs (initdb, pg_ctl) were not found")
    }

    // MARK: Blocking steps, run on the cluster's queue

    private func onQueue<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
        let job = QueuedJob(work)
        return try await withCheckedThrowingContinuation { continuation in
            // The job drops its closure (and so its reference to this object) before the caller
            // resumes, so releasing the cluster right after a call runs deinit at once.
            queue.async { continuation.resume(with: job.run()) }
        }
    }

    private var runsAsRoot: Bool { geteuid() == 0 }

    private func startNow() throws {
        let fileManager = FileManager.default
        try makeDirectory(configuration.directory)
        if !fileManager.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initializeCluster()
        }
        try makeDirectory(socketDirectory)
        try writeSettings()
        if try statusNow() {
            return
        }
        let seconds = max(1, configuration.startTimeout.components.seconds)
        try runTool(
            "pg_ctl", ["start", "-D", dataDirectory, "-w", "-t", String(seconds), "-s", "-l", logFile],
            failure: "the embedded PostgreSQL server did not start")
        startedHere.withLock { $0 = true }
    }

    private func stopNow() throws {
        guard try statusNow() else {
            startedHere.withLock { $0 = false }
            return
        }
        let seconds = max(1, configuration.stopTimeout.components.seconds)
        try runTool(
            "pg_ctl", ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", String(seconds), "-s"],
            failure: "the embedded PostgreSQL server did not stop")
        startedHere.withLock { $0 = false }
    }

    /// `pg_ctl status`: 0 running, 3 not running, 4 no usable data directory.
    private func statusNow() throws -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return false }
        let output = try runAsClusterUser(binDirectory + "/pg_ctl", ["status", "-D", dataDirectory])
        return output.status == 0
    }

    private func initializeCluster() throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: dataDirectory),
            !((try? fileManager.contentsOfDirectory(atPath: dataDirectory)) ?? []).isEmpty
        {
            throw PostgresError(
                code: .clusterFailed, message: "the cluster directory exists but holds no cluster")
        }
        try makeDirectory(dataDirectory)
        try runTool(
            "initdb",
            [
                "-D", dataDirectory, "-U", configuration.superuser, "--auth-local=trust",
                "--auth-host=reject", "--encoding=UTF8", "--no-locale", "--no-instructions",
            ],
            failure: "initdb could not create the embedded cluster")
        // Our settings live in their own file, rewritten on every start.
        let mainConfig = dataDirectory + "/postgresql.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: mainConfig))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\ninclude_if_exists = 'datahealth.conf'\n".utf8))
    }

    private func writeSettings() throws {
        var settings: [(String, String)] = [
            ("listen_addresses", ""),
            ("unix_socket_directories", socketDirectory),
            ("unix_socket_permissions", "0700"),
            ("port", String(configuration.port)),
            ("max_connections", String(configuration.maxConnections)),
            ("synchronous_commit", configuration.synchronousCommit ? "on" : "off"),
            ("shared_buffers", configuration.sharedBuffers),
        ]
        settings += configuration.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var text = "# Written by DataHealth on every start of the embedded cluster; edits are lost.\n"
        for (name, value) in settings {
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else {
                throw PostgresError(code: .invalidArgument, message: "invalid setting name")
            }
            text += "\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        let path = dataDirectory + "/datahealth.conf"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try giveToClusterUser(path, mode: 0o600)
    }

    private func makeDirectory(_ path: String) throws {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: path) {
            try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try giveToClusterUser(path, mode: 0o700)
        if runsAsRoot {
            // The cluster user must be able to reach the directory through its parents.
            let probe = try runAsClusterUser("/usr/bin/test", ["-w", path, "-a", "-x", path])
            guard probe.status == 0 else {
                throw PostgresError(
                    code: .clusterFailed,
                    message: "the user \(configuration.systemUser) cannot reach the cluster directory; "
                        + "its parent directories must be searchable by that user")
            }
        }
    }

    private func giveToClusterUser(_ path: String, mode: mode_t) throws {
        guard chmod(path, mode) == 0 else {
            throw PostgresError(code: .clusterFailed, message: "could not set permissions on the cluster directory")
        }
        guard runsAsRoot else { return }
        guard let user = getpwnam(configuration.systemUser) else {
            throw PostgresError(
                code: .clusterFailed,
                message: "the system user \(configuration.systemUser) does not exist; install PostgreSQL's server package")
        }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw PostgresError(code: .clusterFailed, message: "could not give the cluster directory to its user")
        }
    }

    /// Runs one of PostgreSQL's programs as the cluster's user and throws if it fails.
    private func runTool(_ tool: String, _ arguments: [String], failure: String) throws {
        let output = try runAsClusterUser(binDirectory + "/" + tool, arguments)
        guard output.status == 0 else {
            throw PostgresError(
                code: .clusterFailed, message: failure,
                serverDiagnostics: .init(message: "\(tool) exited with status \(output.status): \(output.text)"))
        }
    }

    private func runAsClusterUser(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        if runsAsRoot {
            return try runProcess(
                "/usr/sbin/runuser", ["-u", configuration.systemUser, "--", executable] + arguments,
                directory: configuration.directory)
        }
        return try runProcess(executable, arguments, directory: configuration.directory)
    }

    // MARK: Database

    private func createDatabaseIfMissing() async throws {
        var maintenance = connectionConfiguration
        maintenance.conninfo =
            "host=\(conninfoQuote(socketDirectory)) port=\(configuration.port) user=\(conninfoQuote(configuration.superuser)) dbname=postgres"
        let connection = try await PostgresConnection.connect(configuration: maintenance)
        defer { connection.closeInBackground() }
        let exists = try await connection.query(
            "SELECT 1 FROM pg_database WHERE datname = \(configuration.database)")
        if exists.count == 0 {
            try await connection.runSimple("CREATE DATABASE \(quoteIdentifier(configuration.database))")
        }
    }
}

/// A closure run once, then dropped.
private final class QueuedJob<R: Sendable>: Sendable {
    private let work: Mutex<(@Sendable () throws -> R)?>
    init(_ work: @escaping @Sendable () throws -> R) { self.work = Mutex(work) }

    func run() -> Result<R, any Error> {
        guard let work = work.withLock({ $0.take() }) else {
            return .failure(PostgresError(code: .clusterFailed, message: "a cluster step ran twice"))
        }
        return Result { try work() }
    }
}

struct ProcessOutput {
    var status: Int32
    var text: String
}

/// Runs a program to completion (posix_spawn, then waitpid). Its output goes to a temporary
/// file and it inherits no other descriptor, so a daemon it starts cannot hold us up.
func runProcess(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> ProcessOutput {
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("datahealth-process-\(UUID().uuidString).out").path
    let outputDescriptor = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard outputDescriptor >= 0 else {
        throw PostgresError(code: .clusterFailed, message: "could not create a file for a program's output")
    }
    defer {
        close(outputDescriptor)
        unlink(outputPath)
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
    posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
    dh_spawn_actions_close_from(&actions, 3)
    if let directory { dh_spawn_actions_chdir(&actions, directory) }

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else {
        throw PostgresError(
            code: .clusterFailed, message: "could not run a PostgreSQL program",
            serverDiagnostics: .init(message: "\(executable): \(String(cString: strerror(spawned)))"))
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else {
            throw PostgresError(code: .clusterFailed, message: "lost track of a PostgreSQL program")
        }
    }
    // WIFEXITED / WEXITSTATUS, spelled out: the low 7 bits are the signal, the next 8 the code.
    let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return ProcessOutput(status: exitStatus, text: text)
}
