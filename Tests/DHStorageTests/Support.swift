import DHStorage
import Foundation
import Synchronization
import Testing

/// The cluster shared by every test under ``PostgresTests``.
enum SharedCluster {
    @TaskLocal static var current: EmbeddedPostgres?

    static func require() throws -> EmbeddedPostgres {
        try #require(current, "tests that need PostgreSQL must run inside PostgresTests")
    }
}

/// Makes a fresh directory under the system's temporary directory.
func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
    var template = Array((base + "\(prefix)-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in
        mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
    }
    return try #require(made)
}

/// Starts one throwaway embedded cluster for the suite it is attached to, and stops and deletes
/// it afterwards.
struct EmbeddedClusterTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let directory = try makeTemporaryDirectory("dh-storage-tests")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = EmbeddedPostgresConfiguration(directory: directory)
        configuration.port = 54_321
        configuration.synchronousCommit = false
        configuration.maxConnections = 50
        let cluster = try EmbeddedPostgres(configuration: configuration)
        try await cluster.start()
        do {
            try await SharedCluster.$current.withValue(cluster) { try await function() }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}

extension Trait where Self == EmbeddedClusterTrait {
    static var embeddedCluster: Self { Self() }
}

/// A name no other test uses, for tables and migration records.
func uniqueName(_ prefix: String) -> String {
    prefix + "_" + UUID().uuidString.prefix(8).lowercased()
}

/// A pool on the shared cluster.
func makePool(maxConnections: Int = 4, adjust: (inout PostgresPoolConfiguration) -> Void = { _ in }) throws
    -> PostgresConnectionPool
{
    var configuration = PostgresPoolConfiguration(connection: try SharedCluster.require().connectionConfiguration)
    configuration.maxConnections = maxConnections
    adjust(&configuration)
    return try PostgresConnectionPool(configuration: configuration)
}

/// Suspends callers until it is opened; later callers pass straight through.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let passes = state.withLock { state -> Bool in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if passes { continuation.resume() }
        }
    }

    var isOpen: Bool { state.withLock { $0.isOpen } }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Opens its gate once `count` arrivals have been counted.
final class Latch: Sendable {
    private let remaining: Mutex<Int>
    private let gate = Gate()

    init(count: Int) { remaining = Mutex(count) }

    func arrive() {
        let done = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if done { gate.open() }
    }

    func wait() async { await gate.wait() }
}

/// Every party waits until all parties have arrived.
final class Barrier: Sendable {
    private let latch: Latch
    init(parties: Int) { latch = Latch(count: parties) }
    func arriveAndWait() async {
        latch.arrive()
        await latch.wait()
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Mutex(0)
    @discardableResult
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    var current: Int { value.withLock { $0 } }
}

@Suite("PostgreSQL", .serialized, .embeddedCluster)
struct PostgresTests {}
