import Foundation
import Testing

/// Runs the tools the interop tests need: finding them, running them with files for stdin and
/// stdout (no pipes to deadlock), and a scratch directory under the package's `.build`.
enum InteropHarness {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
    }

    /// The package root, found from this file's path.
    static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// A directory under `.build/interop/` that outlives the run (caches like the Python venv).
    static func cacheDirectory(_ name: String) throws -> URL {
        let url = packageRoot.appendingPathComponent(".build/interop/\(name)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A fresh, empty directory for one test.
    static func scratchDirectory(_ name: String) throws -> URL {
        let url = packageRoot.appendingPathComponent(".build/interop/scratch/\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The path of `tool` on PATH, or a failure naming the Debian package that provides it.
    static func require(_ tool: String, package: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "`\(tool)` is not on PATH: install it with `apt-get install -y \(package)`")
    }

    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL
    ) throws -> Output {
        let id = UUID().uuidString
        let inputURL = directory.appendingPathComponent("stdin-\(id)")
        let outputURL = directory.appendingPathComponent("stdout-\(id)")
        let errorURL = directory.appendingPathComponent("stderr-\(id)")
        try Data(stdin).write(to: inputURL)
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        defer {
            for url in [inputURL, outputURL, errorURL] { try? FileManager.default.removeItem(at: url) }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let input = try FileHandle(forReadingFrom: inputURL)
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        try input.close()
        try output.close()
        try error.close()
        return Output(
            status: process.terminationStatus,
            stdout: [UInt8](try Data(contentsOf: outputURL)),
            stderr: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }

    /// Runs a command that must succeed; returns its stdout.
    static func check(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL
    ) throws -> [UInt8] {
        let output = try run(executable, arguments, stdin: stdin, in: directory)
        guard output.status == 0 else {
            throw Failure(
                description: "`\(executable) \(arguments.joined(separator: " "))` exited \(output.status): \(output.stderr)")
        }
        return output.stdout
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }
}
