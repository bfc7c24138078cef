import DHDescriptor
import Foundation

/// Paths of the repository, found from this file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = root.appendingPathComponent("Tests/DHSwiftGeneratorTests/Corpus")
    static let golden = root.appendingPathComponent("Tests/GeneratedCodeTests/Generated")
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs protoc, the oracle the tests compare against; `make setup` installs it.
enum Protoc {
    static func path() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/protoc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ProcessFailure(description: "protoc is not on PATH; run `make setup`")
    }

    /// A FileDescriptorSet with imports and source info for `files` under `includePath`.
    static func descriptorSet(files: [String], includePath: URL?) throws -> FileDescriptorSet {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("dh-\(UUID().uuidString).pb")
        defer { try? FileManager.default.removeItem(at: output) }
        var arguments = ["--include_imports", "--include_source_info", "--descriptor_set_out=\(output.path)"]
        if let includePath { arguments.append("-I\(includePath.path)") }
        _ = try run(try path(), arguments + files)
        return try FileDescriptorSet(serializedBytes: Array(try Data(contentsOf: output)))
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProcessFailure(
                description: "\(executable) \(arguments.joined(separator: " ")) failed: "
                    + String(decoding: errors, as: UTF8.self))
        }
        return output
    }
}
