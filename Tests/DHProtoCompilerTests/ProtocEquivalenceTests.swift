import DHDescriptor
import DHProtoCompiler
import DHTestSupport
import Foundation
import Testing

/// Runs protoc (the oracle) and dh-protoc on every corpus file: valid files must give equal
/// descriptor sets (compared as decoded messages, imports included, no source info) and
/// invalid files the same first error line.
@Suite("dh-protoc agrees with protoc")
struct ProtocEquivalenceTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// "root|file" for every valid corpus file, every file in Protos/ and the well-known types.
    static func validFiles() -> [String] {
        var files = protoFiles(under: corpus.appendingPathComponent("valid")).map { "valid|" + $0 }
        files += protoFiles(under: packageRoot.appendingPathComponent("Protos")).map { "Protos|" + $0 }
        // The well-known types, found without -I in the system include directory.
        let wellKnown = URL(fileURLWithPath: "/usr/include/google/protobuf")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: wellKnown.path)) ?? []
        files += names.filter { $0.hasSuffix(".proto") }.sorted().map { "valid|google/protobuf/" + $0 }
        return files
    }

    static func invalidFiles() -> [String] {
        let directory = corpus.appendingPathComponent("invalid")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".proto") }.sorted()
    }

    static func protoFiles(under root: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            if path.hasSuffix(".proto") { files.append(path) }
        }
        return files.sorted()
    }

    static func root(_ name: String) -> URL {
        name == "Protos" ? packageRoot.appendingPathComponent("Protos") : corpus.appendingPathComponent(name)
    }

    /// protoc from PATH; `make setup` installs it (Debian's protobuf-compiler).
    static func protocPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/protoc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ProtocMissing()
    }

    struct ProtocMissing: Error, CustomStringConvertible {
        var description: String {
            "protoc is not on PATH: the equivalence tests need it as their oracle (make setup installs protobuf-compiler)"
        }
    }

    static func runProtoc(_ arguments: [String], in directory: URL) async throws -> (status: Int32, stderr: String) {
        let output = try await Subprocess.run(try protocPath(), arguments, in: directory)
        return (output.status, output.stderr)
    }

    /// Runs dh-protoc in process. The working directory is shared by concurrent tests, so
    /// `-I.` and relative inputs become absolute paths (the file names in messages and
    /// descriptors stay relative to the import path, as with protoc).
    static func runOurs(_ arguments: [String], in directory: URL) -> (status: Int32, stderr: String) {
        var errors: [String] = []
        let absolute = arguments.map { argument -> String in
            if argument == "-I." { return "-I" + directory.path }
            let local = directory.appendingPathComponent(argument).path
            if argument.hasSuffix(".proto") && !argument.hasPrefix("-") && FileManager.default.fileExists(atPath: local)
            {
                return local
            }
            return argument
        }
        let status = CommandLineTool.run(absolute, output: { _ in }, errorOutput: { errors.append($0) })
        return (status, errors.joined(separator: "\n"))
    }

    static func temporaryFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dhprotoc-\(UUID().uuidString).pb")
    }

    @Test("valid files give protoc's descriptor set", .serialized, arguments: validFiles())
    func validFile(_ entry: String) async throws {
        let parts = entry.split(separator: "|").map(String.init)
        let directory = Self.root(parts[0])
        let file = parts[1]
        let expectedURL = Self.temporaryFile()
        let actualURL = Self.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: expectedURL)
            try? FileManager.default.removeItem(at: actualURL)
        }
        let arguments = ["-I.", "--include_imports", "--descriptor_set_out=", file]
        var protocArguments = arguments
        protocArguments[2] += expectedURL.path
        let oracle = try await Self.runProtoc(protocArguments, in: directory)
        try #require(oracle.status == 0, "protoc rejected \(file): \(oracle.stderr)")
        var ourArguments = arguments
        ourArguments[2] += actualURL.path
        let ours = Self.runOurs(ourArguments, in: directory)
        try #require(ours.status == 0, "dh-protoc rejected \(file): \(ours.stderr)")

        // protoc's warnings (unused imports) are printed the same way.
        func warnings(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter { $0.contains(": warning: ") }
        }
        #expect(warnings(ours.stderr) == warnings(oracle.stderr))

        let expected = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: expectedURL)))
        let actual = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: actualURL)))
        #expect(actual.file.map(\.name) == expected.file.map(\.name))
        for (ours, theirs) in zip(actual.file, expected.file) {
            #expect(ours == theirs, "\(ours.name ?? "") differs from protoc's descriptor")
        }
    }

    @Test(
        "many inputs at once give protoc's set and file order, with and without imports",
        arguments: [false, true])
    func manyInputs(includeImports: Bool) async throws {
        let directory = Self.corpus.appendingPathComponent("valid")
        // Reverse order, so that inputs come before the inputs they import.
        let files = Self.protoFiles(under: directory).filter { $0 != "own_google_package.proto" }.reversed()
        let expectedURL = Self.temporaryFile()
        let actualURL = Self.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: expectedURL)
            try? FileManager.default.removeItem(at: actualURL)
        }
        let flags = ["-I."] + (includeImports ? ["--include_imports"] : [])
        let oracle = try await Self.runProtoc(
            flags + ["--descriptor_set_out=" + expectedURL.path] + files, in: directory)
        try #require(oracle.status == 0, "\(oracle.stderr)")
        let ours = Self.runOurs(flags + ["--descriptor_set_out=" + actualURL.path] + files, in: directory)
        try #require(ours.status == 0, "\(ours.stderr)")
        let expected = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: expectedURL)))
        let actual = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: actualURL)))
        #expect(actual.file.map(\.name) == expected.file.map(\.name))
        #expect(actual == expected)
    }

    @Test("invalid files fail with protoc's first error line", .serialized, arguments: invalidFiles())
    func invalidFile(_ file: String) async throws {
        let directory = Self.corpus.appendingPathComponent("invalid")
        let arguments = ["-I.", "--descriptor_set_out=/dev/null", file]
        let oracle = try await Self.runProtoc(arguments, in: directory)
        let ours = Self.runOurs(arguments, in: directory)
        #expect(oracle.status != 0, "protoc accepted \(file), so it does not belong in invalid/")
        #expect(ours.status != 0)
        let protocLines = oracle.stderr.split(separator: "\n").filter { !$0.hasPrefix("[libprotobuf") }
        let ourLines = ours.stderr.split(separator: "\n")
        #expect(ourLines.first == protocLines.first)
    }
}
