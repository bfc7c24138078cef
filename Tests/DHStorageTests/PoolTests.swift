import DHStorage
import Foundation
import Testing

extension PostgresTests {
    @Suite("Connection pool")
    struct PoolTests {
        @Test("200 concurrent tasks share a pool of 4 and never open more")
        func boundedUnderConcurrency() async throws {
            let pool = try makePool(maxConnections: 4)
            let table = uniqueName("visits")
            try await pool.execute("CREATE TABLE \(identifier: table) (id int8 PRIMARY KEY, backend int4 NOT NULL)")
            let backends = try await withThrowingTaskGroup(of: Int.self) { group in
                for id in 0..<200 {
                    group.addTask {
                        try await pool.withTransaction { tx in
                            try await tx.execute(
                                "INSERT INTO \(identifier: table) VALUES (\(id), pg_backend_pid())")
                            return try await tx.query("SELECT pg_backend_pid()").singleRow()?
                                .decode(Int.self, column: 0) ?? -1
                        }
                    }
                }
                var seen = Set<Int>()
                for try await backend in group { seen.insert(backend) }
                return seen
            }
            let statistics = pool.statistics
            #expect(statistics.peakOpen <= 4)
            #expect(statistics.open <= 4)
            #expect(backends.count <= 4)
            #expect(statistics.waiting == 0)
            let count = try await pool.query("SELECT count(*) FROM \(identifier: table)").singleRow()?
                .decode(Int.self, column: 0)
            #expect(count == 200)
            await pool.close()
        }

        @Test("a call waiting for a busy pool fails with timeout at its deadline")
        func checkoutDeadline() async throws {
            let pool = try makePool(maxConnections: 1)
            let holding = Gate()
            let release = Gate()
            let holder = Task {
                try await pool.withConnection { connection in
                    holding.open()
                    await release.wait()
                    return try await connection.query("SELECT 1::int4").count
                }
            }
            await holding.wait()
            let error = try await #require(throws: PostgresError.self) {
                try await pool.query("SELECT 2::int4", timeout: .milliseconds(100))
            }
            #expect(error.code == .timeout)
            #expect(pool.statistics.waiting == 0)
            release.open()
            #expect(try await holder.value == 1)
            // The connection went back to the pool and serves the next call.
            #expect(try await pool.query("SELECT 3::int4").singleRow()?.decode(Int.self, column: 0) == 3)
            #expect(pool.statistics.peakOpen == 1)
            await pool.close()
        }

        @Test("waiting calls are served in turn as connections come back")
        func waitersServed() async throws {
            let pool = try makePool(maxConnections: 2)
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for value in 1...50 {
                    group.addTask {
                        try await pool.query("SELECT \(value)::int8 + 0").singleRow()?.decode(Int.self, column: 0) ?? 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == 1275)
            #expect(pool.statistics.peakOpen <= 2)
            await pool.close()
        }

        @Test("a connection the server killed is discarded and replaced")
        func deadConnectionReplaced() async throws {
            let pool = try makePool(maxConnections: 1)
            let firstBackend = try #require(
                try await pool.query("SELECT pg_backend_pid()").singleRow()?.decode(Int.self, column: 0))
            // Kill the pooled connection's backend from outside the pool.
            let outsider = try await PostgresConnection.connect(
                configuration: try SharedCluster.require().connectionConfiguration)
            // With a timeout, pg_terminate_backend waits until the backend has exited.
            let terminated = try await outsider.query(
                "SELECT pg_terminate_backend(\(Int32(firstBackend)), \(Int64(10_000)))"
            ).singleRow()?.decode(Bool.self, column: 0)
            #expect(terminated == true)
            await outsider.close()

            let secondBackend = try #require(
                try await pool.query("SELECT pg_backend_pid()").singleRow()?.decode(Int.self, column: 0))
            #expect(secondBackend != firstBackend)
            #expect(pool.statistics.discarded == 1)
            #expect(pool.statistics.open == 1)
            await pool.close()
        }

        @Test("a connection left in a transaction or timed out is not reused")
        func dirtyConnectionsDiscarded() async throws {
            let pool = try makePool(maxConnections: 1)
            try await pool.withConnection { connection in
                // Leaves an open transaction behind.
                _ = try await connection.execute("BEGIN")
            }
            #expect(pool.statistics.discarded == 1)
            // Open the replacement first, so the short timeout below is spent on the statement
            // and not on connecting (which can take longer than that on a loaded machine).
            #expect(try await pool.query("SELECT 4::int4").singleRow()?.decode(Int.self, column: 0) == 4)
            let timeout = try await #require(throws: PostgresError.self) {
                try await pool.query("SELECT pg_sleep(\(30.0))", timeout: .milliseconds(100))
            }
            #expect(timeout.code == .timeout)
            #expect(pool.statistics.discarded == 2)
            #expect(try await pool.query("SELECT 5::int4").singleRow()?.decode(Int.self, column: 0) == 5)
            await pool.close()
        }

        @Test("statements blocked in the server do not hold Swift concurrency threads")
        func blockingOffTheCooperativePool() async throws {
            // More blocked statements than the cooperative pool has threads: if libpq blocked
            // those threads, the lock holder could never run again to release them.
            let blockers = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
            let pool = try makePool(maxConnections: blockers + 2)
            let key = Int64.random(in: 1...Int64.max)
            let holder = try await PostgresConnection.connect(
                configuration: try SharedCluster.require().connectionConfiguration)
            try await holder.execute("SELECT pg_advisory_lock(\(key))")

            async let finished = withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<blockers {
                    group.addTask { try await pool.execute("SELECT pg_advisory_lock(\(key)), pg_advisory_unlock(\(key))") }
                }
                return try await group.reduce(into: 0) { count, _ in count += 1 }
            }
            // Wait, bounded, until every blocker waits on the lock in the server.
            var waiting = 0
            for _ in 0..<100_000 where waiting < blockers {
                waiting = try await holder.query(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                ).singleRow()?.decode(Int.self, column: 0) ?? 0
            }
            #expect(waiting == blockers)
            try await holder.execute("SELECT pg_advisory_unlock(\(key))")
            #expect(try await finished == blockers)
            await holder.close()
            await pool.close()
        }

        @Test("a closed pool refuses calls")
        func closedPool() async throws {
            let pool = try makePool(maxConnections: 1)
            #expect(try await pool.query("SELECT 1::int4").count == 1)
            await pool.close()
            let error = try await #require(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(error.code == .poolClosed)
            #expect(pool.statistics.open == 0)
        }

        @Test("a pool with no connections is rejected")
        func invalidConfiguration() throws {
            var configuration = PostgresPoolConfiguration(
                connection: PostgresConnectionConfiguration(conninfo: "dbname=none"))
            configuration.maxConnections = 0
            #expect(throws: PostgresError.self) { try PostgresConnectionPool(configuration: configuration) }
        }
    }
}
