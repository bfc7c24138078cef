import DHDescriptor
import DHTestSupport
import Foundation

/// Paths of the repository, found from this file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = root.appendingPathComponent("Tests/DHSwiftGeneratorTests/Corpus")
    static let golden = root.appendingPathComponent("Tests/GeneratedCodeTests/Generated")
}

/// Runs protoc, the oracle the tests compare against; `make setup` installs it.
enum Protoc {
    static func path() throws -> String { try Subprocess.find("protoc", package: "protobuf-compiler") }

    /// A FileDescriptorSet with imports and source info for `files` under `includePath`.
    static func descriptorSet(files: [String], includePath: URL?) async throws -> FileDescriptorSet {
        var arguments = ["--include_imports", "--include_source_info", "--descriptor_set_out=/dev/stdout"]
        if let includePath { arguments.append("-I\(includePath.path)") }
        return try FileDescriptorSet(serializedBytes: try await Subprocess.check(try path(), arguments + files))
    }
}
