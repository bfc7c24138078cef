public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program running beside a test (a server), its standard output and error going to a log
/// file that the test reads.
public final class BackgroundProcess: @unchecked Sendable {
    // Foundation's Process is not Sendable; every use goes through `lock`.
    private let lock = NSLock()
    private let process = Process()
    public let logURL: URL
    private let log: FileHandle

    public init(_ executable: String, _ arguments: [String], log logURL: URL) throws {
        self.logURL = logURL
        try Data().write(to: logURL)
        log = try FileHandle(forWritingTo: logURL)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { lock.withLock { process.processIdentifier } }

    /// Everything written so far.
    public var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits until a line of the output satisfies `matches`, and returns it; nil if the process
    /// ended or `timeout` passed first.
    public func waitForLine(timeout: Duration = .seconds(60), where matches: (String) -> Bool) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.split(separator: "\n").map(String.init).first(where: matches) { return line }
            if !isRunning { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    public var isRunning: Bool { lock.withLock { process.isRunning } }

    public func signal(_ number: Int32) { _ = kill(pid, number) }

    /// Waits for the process to end (at most `timeout`, then SIGKILL) and returns its status.
    @discardableResult
    public func wait(timeout: Duration = .seconds(60)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if isRunning { signal(SIGKILL) }
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        try? log.close()
        return lock.withLock { process.terminationStatus }
    }
}
