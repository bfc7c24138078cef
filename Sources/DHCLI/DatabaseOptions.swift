internal import ArgumentParser
internal import DHStorage

/// Where the database is: a server given by URL, or the embedded cluster of a data directory.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "A PostgreSQL server: postgresql://USER@HOST:PORT/DB or a libpq key=value string.",
            valueName: "url"))
    var databaseURL: String?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "A server data directory: its embedded cluster in DIR/postgres is started if needed (and stopped again).",
            valueName: "dir"))
    var dataDirectory: String?

    func validate() throws {
        guard (databaseURL == nil) != (dataDirectory == nil) else {
            throw ValidationError("give one of --database-url and --data-dir")
        }
    }

    /// The embedded cluster's directory inside a server data directory.
    static func clusterDirectory(dataDirectory: String) -> String {
        (dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/") + "postgres"
    }

    /// Runs `body` with a small pool on the database; an embedded cluster this call started is
    /// stopped afterwards.
    func withDatabase<R: Sendable>(_ body: (PostgresConnectionPool) async throws -> R) async throws -> R {
        if let databaseURL {
            var configuration = PostgresPoolConfiguration(
                connection: PostgresConnectionConfiguration(conninfo: databaseURL))
            configuration.maxConnections = 2
            let pool = try PostgresConnectionPool(configuration: configuration)
            do {
                let value = try await body(pool)
                await pool.close()
                return value
            } catch {
                await pool.close()
                throw error
            }
        }
        let cluster = try EmbeddedPostgres(
            configuration: EmbeddedPostgresConfiguration(
                directory: Self.clusterDirectory(dataDirectory: dataDirectory ?? ".")))
        let wasRunning = try await cluster.isRunning()
        try await cluster.start()
        var configuration = PostgresPoolConfiguration(connection: cluster.connectionConfiguration)
        configuration.maxConnections = 2
        let pool = try PostgresConnectionPool(configuration: configuration)
        do {
            let value = try await body(pool)
            await pool.close()
            if !wasRunning { try await cluster.stop() }
            return value
        } catch {
            await pool.close()
            if !wasRunning { try? await cluster.stop() }
            throw error
        }
    }
}
