import Foundation

/// protoc's text-format encoder and decoder, the oracle for generated code.
enum ProtocOracle {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DHSwiftGeneratorTests/Corpus")

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func protoc() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/protoc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "protoc is not on PATH; run `make setup`")
    }

    /// Binary encoding of a text-format message, by protoc.
    static func encode(_ type: String, text: String) throws -> [UInt8] {
        Array(try run(["--encode=\(type)", "-I\(corpus.path)", "torture.proto"], input: Data(text.utf8)))
    }

    /// Text format of binary bytes, by protoc.
    static func decode(_ type: String, bytes: [UInt8]) throws -> String {
        String(decoding: try run(["--decode=\(type)", "-I\(corpus.path)", "torture.proto"], input: Data(bytes)), as: UTF8.self)
    }

    private static func run(_ arguments: [String], input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try protoc())
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "protoc \(arguments.joined(separator: " ")): " + String(decoding: errors, as: UTF8.self))
        }
        return output
    }
}
