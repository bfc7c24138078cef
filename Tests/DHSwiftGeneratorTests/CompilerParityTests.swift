import DHTestSupport
import Foundation
import Testing

/// `dh-protoc --swift_out` and protoc with the `protoc-gen-dh` plugin give the same Swift for
/// Protos/ (doc comments included: both hand the generator the files' source info). Runs the
/// executables built next to the test bundle (`swift build --build-tests` builds them).
@Suite("dh-protoc and protoc-gen-dh generate the same Swift")
struct CompilerParityTests {
    static func builtExecutable(_ name: String) throws -> String {
        var directories = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        directories.append(Repository.root.appendingPathComponent(".build/debug"))
        for directory in directories {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Subprocess.Failure("\(name) is not built; run `swift build --build-tests` first")
    }

    /// Every file under `directory`, by relative path.
    static func tree(_ directory: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return result }
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let url = directory.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[path] = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            }
        }
        return result
    }

    @Test("Protos/ through dh-protoc and through protoc's plugin path")
    func protosMatch() async throws {
        let protos = Repository.root.appendingPathComponent("Protos")
        var schemas: [String] = []
        if let enumerator = FileManager.default.enumerator(atPath: protos.path) {
            while let path = enumerator.nextObject() as? String {
                if path.hasSuffix(".proto") { schemas.append(path) }
            }
        }
        schemas.sort()
        try #require(!schemas.isEmpty)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dh-parity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let ours = scratch.appendingPathComponent("dh-protoc")
        let theirs = scratch.appendingPathComponent("plugin")
        try FileManager.default.createDirectory(at: ours, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)

        _ = try await Subprocess.check(
            try Self.builtExecutable("dh-protoc"),
            ["--proto_path=" + protos.path, "--swift_opt=Visibility=Public", "--swift_out=" + ours.path] + schemas)
        _ = try await Subprocess.check(
            try Protoc.path(),
            [
                "--plugin=protoc-gen-dh=" + (try Self.builtExecutable("protoc-gen-dh")), "--proto_path=" + protos.path,
                "--dh_opt=Visibility=Public", "--dh_out=" + theirs.path,
            ] + schemas)

        let generated = try Self.tree(ours)
        let expected = try Self.tree(theirs)
        #expect(generated.keys.sorted() == expected.keys.sorted())
        #expect(generated.count == schemas.count)
        for (path, content) in expected {
            #expect(generated[path] == content, "\(path) differs between dh-protoc and protoc-gen-dh")
        }
        // The .proto comments reach the generated code.
        #expect(generated.values.contains { $0.contains("  /// ") })
    }
}
