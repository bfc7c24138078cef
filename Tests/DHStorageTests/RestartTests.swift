import DHStorage
import Foundation
import Testing

extension PostgresTests {
    @Suite("Database restart")
    struct RestartTests {
        struct WorkerOutcome: Sendable {
            var successes = 0
            var successesAfterRestart = 0
            var failures: [PostgresError] = []
        }

        @Test("stopped under load: calls fail with unavailable, the pool recovers, no half-written rows")
        func restartUnderLoad() async throws {
            let cluster = try SharedCluster.require()
            let pool = try makePool(maxConnections: 4) { $0.checkoutTimeout = .seconds(20) }
            let table = uniqueName("pairs")
            try await pool.execute(
                "CREATE TABLE \(identifier: table) (batch int8 NOT NULL, part int4 NOT NULL, PRIMARY KEY (batch, part))")

            let workers = 8
            let requiredAfterRestart = 5
            let warmedUp = Latch(count: 50)
            let restarted = Gate()
            defer { restarted.open() }

            // Each worker writes two rows per transaction until it has seen the database come
            // back and committed a few more; after a failure it waits for the restart.
            @Sendable func work(_ worker: Int) async -> WorkerOutcome {
                var outcome = WorkerOutcome()
                for iteration in 0..<200_000 {
                    let batch = Int64(worker) * 1_000_000 + Int64(iteration)
                    let afterRestart = restarted.isOpen
                    do {
                        try await pool.withTransaction(timeout: .seconds(20)) { tx in
                            try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(batch), \(Int32(1)))")
                            try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(batch), \(Int32(2)))")
                        }
                        outcome.successes += 1
                        warmedUp.arrive()
                        if afterRestart {
                            outcome.successesAfterRestart += 1
                            if outcome.successesAfterRestart == requiredAfterRestart { break }
                        }
                    } catch {
                        outcome.failures.append(
                            error as? PostgresError ?? PostgresError(code: .queryFailed, message: "\(error)"))
                        await restarted.wait()
                    }
                }
                return outcome
            }

            async let outcomes = withTaskGroup(of: WorkerOutcome.self) { group in
                for worker in 0..<workers { group.addTask { await work(worker) } }
                return await group.reduce(into: [WorkerOutcome]()) { $0.append($1) }
            }

            await warmedUp.wait()
            try await cluster.stop()
            // While the database is down, a call fails with unavailable within its deadline.
            let down = try await #require(throws: PostgresError.self) {
                try await pool.query("SELECT 1", timeout: .seconds(5))
            }
            #expect(down.code == .unavailable)
            #expect(try await cluster.isRunning() == false)
            try await cluster.start()
            restarted.open()

            let results = await outcomes
            let failures = results.flatMap(\.failures)
            #expect(failures.allSatisfy { $0.code == .unavailable }, "unexpected failures: \(failures)")
            // Every worker committed again after the restart: the pool recovered by itself.
            #expect(results.allSatisfy { $0.successesAfterRestart == requiredAfterRestart })
            #expect(pool.statistics.peakOpen <= 4)

            // No transaction was half-written: every batch has both rows.
            let halves = try await pool.query(
                "SELECT count(*) FROM (SELECT batch FROM \(identifier: table) GROUP BY batch HAVING count(*) <> 2) AS odd"
            ).singleRow()?.decode(Int.self, column: 0)
            #expect(halves == 0)
            let batches = try await pool.query("SELECT count(DISTINCT batch) FROM \(identifier: table)").singleRow()?
                .decode(Int.self, column: 0)
            let committed = results.map(\.successes).reduce(0, +)
            // A commit cut off by the shutdown may have landed without the worker knowing.
            #expect((batches ?? 0) >= committed)
            #expect((batches ?? 0) <= committed + failures.count)
            await pool.close()
        }
    }
}
