import DHTestSupport
import Foundation

/// protoc's text-format encoder and decoder, the oracle for generated code.
enum ProtocOracle {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DHSwiftGeneratorTests/Corpus")

    /// Binary encoding of a text-format message, by protoc.
    static func encode(_ type: String, text: String) async throws -> [UInt8] {
        try await Subprocess.check(
            protoc(), ["--encode=\(type)", "-I\(corpus.path)", "torture.proto"], stdin: Array(text.utf8))
    }

    /// Text format of binary bytes, by protoc.
    static func decode(_ type: String, bytes: [UInt8]) async throws -> String {
        String(
            decoding: try await Subprocess.check(
                protoc(), ["--decode=\(type)", "-I\(corpus.path)", "torture.proto"], stdin: bytes), as: UTF8.self)
    }

    static func protoc() throws -> String { try Subprocess.find("protoc", package: "protobuf-compiler") }
}
