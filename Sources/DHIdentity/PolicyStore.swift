import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The policy in force, read from a file and reloaded without restart.
///
/// Every decision uses one complete policy: a reload parses the whole file first and swaps it in
/// atomically only when it is valid. A broken file keeps the old policy; ``lastError`` says why.
public final class PolicyStore: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The largest policy file accepted, in bytes.
        public var maximumFileSize: Int

        public init(maximumFileSize: Int = 1 << 20) {
            self.maximumFileSize = maximumFileSize
        }
    }

    /// What a reload did.
    public enum ReloadOutcome: Sendable, Hashable {
        /// The file changed and the new policy is in force.
        case replaced
        /// The file is byte-for-byte what is in force.
        case unchanged
    }

    private struct State {
        var policy: Policy
        var text: String
        var generation: Int
        var lastError: PolicyError?
    }

    public let path: String
    public let configuration: Configuration
    private let state: Mutex<State>
    /// Held for a whole reload, so two reloads racing cannot swap in an older file last.
    private let reloading = Mutex(())

    /// Reads and parses the file; it must be valid.
    ///
    /// - Throws: ``PolicyError`` (`unreadable`, `tooLarge`, `invalidPolicy`).
    public init(path: String, configuration: Configuration = Configuration()) throws(PolicyError) {
        self.path = path
        self.configuration = configuration
        let text = try Self.read(path, configuration: configuration)
        let policy = try Policy(parsing: text, source: path)
        state = Mutex(State(policy: policy, text: text, generation: 1, lastError: nil))
    }

    /// The policy in force.
    public var policy: Policy { state.withLock { $0.policy } }

    /// Counts successful loads, starting at 1: tells whether a reload took effect.
    public var generation: Int { state.withLock { $0.generation } }

    /// Why the last reload failed; nil after a successful one.
    public var lastError: PolicyError? { state.withLock { $0.lastError } }

    /// Decides with the policy in force.
    /// ``Policy/decideMethod(caller:method:)`` on the current policy.
    public func decideMethod(caller: CallerContext, method: String) -> PolicyDecision {
        policy.decideMethod(caller: caller, method: method)
    }

    public func decide(_ request: AccessRequest) -> PolicyDecision {
        policy.decide(request)
    }

    /// Reads the file again and swaps in the new policy when it is valid and different.
    ///
    /// - Throws: ``PolicyError`` when the file cannot be read or is invalid; the policy in
    ///   force stays, and ``lastError`` holds the same error.
    @discardableResult
    public func reload() throws(PolicyError) -> ReloadOutcome {
        try reloading.withLock { _ throws(PolicyError) in try reloadLocked() }
    }

    private func reloadLocked() throws(PolicyError) -> ReloadOutcome {
        let result: Result<(String, Policy), PolicyError>
        do throws(PolicyError) {
            let text = try Self.read(path, configuration: configuration)
            if text == state.withLock({ $0.text }) {
                state.withLock { $0.lastError = nil }
                return .unchanged
            }
            result = .success((text, try Policy(parsing: text, source: path)))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let (text, policy)):
            state.withLock { state in
                state.policy = policy
                state.text = text
                state.generation += 1
                state.lastError = nil
            }
            return .replaced
        case .failure(let error):
            state.withLock { $0.lastError = error }
            throw error
        }
    }

    static func read(_ path: String, configuration: Configuration) throws(PolicyError) -> String {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            size > configuration.maximumFileSize
        {
            throw PolicyError(
                code: .tooLarge,
                message: "policy file \(path) is \(size) bytes; at most \(configuration.maximumFileSize) are accepted")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PolicyError(code: .unreadable, message: "cannot read policy file \(path): \(error)")
        }
        guard data.count <= configuration.maximumFileSize else {
            throw PolicyError(
                code: .tooLarge,
                message:
                    "policy file \(path) is \(data.count) bytes; at most \(configuration.maximumFileSize) are accepted")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(code: .unreadable, message: "policy file \(path) is not UTF-8")
        }
        return text
    }
}
