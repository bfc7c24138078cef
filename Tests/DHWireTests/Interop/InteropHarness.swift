import DHTestSupport
import Foundation
import Testing

/// Runs the tools the interop tests need: finding them, running them with files for stdin and
/// stdout (no pipes to deadlock), and a scratch directory under the package's `.build`.
enum InteropHarness {
    struct Failure: Error, CustomStringConvertible {
        var description: String
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
        try Subprocess.find(tool, package: package)
    }

    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL
    ) async throws -> Subprocess.Output {
        try await Subprocess.run(executable, arguments, stdin: stdin, in: directory)
    }

    /// Runs a command that must succeed; returns its stdout.
    static func check(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], in directory: URL
    ) async throws -> [UInt8] {
        try await Subprocess.check(executable, arguments, stdin: stdin, in: directory)
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }
}
