import DHIdentity
import Foundation
import Testing

/// A fresh temporary directory, removed at the end.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dh-identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
}

@Suite("PolicyStore: reload without restart")
struct PolicyStoreTests {
    static func policy(allowing method: String) -> String {
        """
        version = 1
        [allow auditor]
        who = role:auditor
        methods = \(method)
        purposes = audit
        scopes = audit-log
        """
    }

    func decide(_ store: PolicyStore, _ method: String) throws -> Bool {
        store.decide(AccessRequest(caller: try caller("dh://mhlw/auditor/a1"), method: method, target: .auditLog))
            .isAllowed
    }

    @Test("a valid change is swapped in; an unchanged file is left alone")
    func reload() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Self.policy(allowing: "/a.Audit/Query"), to: "policy.conf")
        let store = try PolicyStore(path: path)
        #expect(store.generation == 1)
        #expect(try decide(store, "/a.Audit/Query"))
        #expect(try !decide(store, "/a.Audit/Export"))

        #expect(try store.reload() == .unchanged)
        #expect(store.generation == 1)

        try directory.write(Self.policy(allowing: "/a.Audit/Export"), to: "policy.conf")
        #expect(try store.reload() == .replaced)
        #expect(store.generation == 2)
        #expect(try !decide(store, "/a.Audit/Query"))
        #expect(try decide(store, "/a.Audit/Export"))
        #expect(store.lastError == nil)
    }

    @Test("a broken or missing file keeps the policy in force and reports why")
    func brokenFileKeepsOldPolicy() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Self.policy(allowing: "/a.Audit/Query"), to: "policy.conf")
        let store = try PolicyStore(path: path)
        let before = store.policy

        try directory.write(Self.policy(allowing: "/a.Audit/Query") + "\nscopes = everything\n", to: "policy.conf")
        let error = try #require(throws: PolicyError.self) { try store.reload() }
        #expect(error.code == .invalidPolicy)
        #expect(error.problems.first?.line == 7)
        #expect(store.lastError == error)
        #expect(store.policy == before)
        #expect(store.generation == 1)
        #expect(try decide(store, "/a.Audit/Query"))

        try FileManager.default.removeItem(atPath: path)
        let missing = try #require(throws: PolicyError.self) { try store.reload() }
        #expect(missing.code == .unreadable)
        #expect(try decide(store, "/a.Audit/Query"))

        // Fixed again: back in business, error cleared.
        try directory.write(Self.policy(allowing: "/a.Audit/List"), to: "policy.conf")
        #expect(try store.reload() == .replaced)
        #expect(store.lastError == nil)
        #expect(try decide(store, "/a.Audit/List"))
    }

    @Test("the first load must succeed; the size limit is configurable")
    func initialLoad() throws {
        let directory = try TemporaryDirectory()
        let bad = try directory.write("version = 1\n[allow a]\n", to: "bad.conf")
        let error = try #require(throws: PolicyError.self) { try PolicyStore(path: bad) }
        #expect(error.code == .invalidPolicy)
        #expect(error.description.contains("line 2: rule 'a' has no 'who'"))
        #expect(throws: PolicyError.self) { try PolicyStore(path: directory.path("absent.conf")) }

        let good = try directory.write(Self.policy(allowing: "/a.Audit/Query"), to: "good.conf")
        let tooLarge = try #require(throws: PolicyError.self) {
            try PolicyStore(path: good, configuration: .init(maximumFileSize: 20))
        }
        #expect(tooLarge.code == .tooLarge)
        let store = try PolicyStore(path: good, configuration: .init(maximumFileSize: 20_000))
        #expect(store.policy.rules.count == 1)
    }

    @Test("decisions running during reloads always see one whole policy")
    func concurrentReloads() async throws {
        let directory = try TemporaryDirectory()
        // Two policies that each allow exactly one of two methods: a torn policy would allow
        // both or neither.
        let first = Self.policy(allowing: "/a.Audit/One")
        let second = Self.policy(allowing: "/a.Audit/Two")
        let path = try directory.write(first, to: "policy.conf")
        let store = try PolicyStore(path: path)
        let auditor = try caller("dh://mhlw/auditor/a1")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for round in 0..<50 {
                    try (round.isMultiple(of: 2) ? second : first).write(
                        toFile: path, atomically: true, encoding: .utf8)
                    try store.reload()
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<500 {
                        let policy = store.policy
                        let one = policy.decide(
                            AccessRequest(caller: auditor, method: "/a.Audit/One", target: .auditLog))
                        let two = policy.decide(
                            AccessRequest(caller: auditor, method: "/a.Audit/Two", target: .auditLog))
                        #expect(one.isAllowed != two.isAllowed)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(store.generation == 51)
    }
}
