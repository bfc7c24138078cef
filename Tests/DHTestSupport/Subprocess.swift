public import Foundation

/// Runs helper programs for tests (protoc, protoc-c, cc, python) the same safe way everywhere.
///
/// Standard input, output and error go through temporary files, never pipes: tests run in
/// parallel, and a pipe's write end inherited by a program another test starts at the same
/// moment would keep a reader waiting until that program exits.
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: String

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The path of `program` on PATH; the error names the Debian package to install.
    public static func find(_ program: String, package: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure("\(program) is not on PATH; run `make setup` (Debian package \(package))")
    }

    /// Runs `executable` to completion. The wait happens on a Dispatch thread: tests run in
    /// parallel on the cooperative pool (one thread per core), and a test blocking a pool thread
    /// for the seconds a compiler or a venv takes would stall every other test's tasks, handlers
    /// and deadlines with it.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL? = nil
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try runBlocking(executable, arguments, stdin: stdin, in: directory) })
            }
        }
    }

    /// Runs `executable` to completion, blocking the calling thread: for synchronous callers
    /// that are not on the cooperative pool.
    public static func runBlocking(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL? = nil
    ) throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dh-subprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputURL = scratch.appendingPathComponent("stdin")
        let outputURL = scratch.appendingPathComponent("stdout")
        let errorURL = scratch.appendingPathComponent("stderr")
        try Data(stdin).write(to: inputURL)
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let input = try FileHandle(forReadingFrom: inputURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        defer {
            try? input.close()
            try? output.close()
            try? error.close()
        }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: [UInt8](try Data(contentsOf: outputURL)),
            stderr: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }

    /// Runs a program that must succeed and returns its standard output.
    public static func check(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL? = nil
    ) async throws -> [UInt8] {
        let output = try await run(executable, arguments, stdin: stdin, in: directory)
        guard output.status == 0 else {
            throw Failure(
                "`\(executable) \(arguments.joined(separator: " "))` exited \(output.status): \(output.stderr)")
        }
        return output.stdout
    }
}
