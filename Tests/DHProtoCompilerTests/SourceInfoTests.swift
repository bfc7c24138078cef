import DHDescriptor
import DHProtoCompiler
import DHWire
import Foundation
import Testing

/// `--include_source_info`: dh-protoc's SourceCodeInfo against protoc's, for every file in
/// the valid corpus, Protos/ and the well-known types (imports included).
///
/// dh-protoc records the file and every declaration (messages, fields, extensions, oneofs,
/// enums, values, services, methods) and their names; each of its locations must equal
/// protoc's location of the same path (span and comments), and every declaration protoc
/// records must be there. protoc's locations of the other parts of a declaration (number,
/// type, label, options, ...) are not produced yet.
@Suite("Source info agrees with protoc")
struct SourceInfoTests {
    struct Location: Equatable, CustomStringConvertible {
        var path: [Int32] = []
        var span: [Int32] = []
        var leading: String?
        var trailing: String?
        var detached: [String] = []
        var description: String { "path \(path) span \(span) leading \(leading ?? "-") trailing \(trailing ?? "-")" }
    }

    static func locations(_ bytes: [UInt8]) throws -> [Location] {
        var reader = BinaryReader(bytes)
        var result: [Location] = []
        while let tag = try reader.readTag() {
            guard tag.fieldNumber == 1, tag.wireType == .lengthDelimited else {
                try reader.skip(tag.wireType)
                continue
            }
            var inner = BinaryReader(Array(try reader.readLengthDelimited()))
            var location = Location()
            while let field = try inner.readTag() {
                switch (field.fieldNumber, field.wireType) {
                case (1, .lengthDelimited), (2, .lengthDelimited):
                    var packed = BinaryReader(Array(try inner.readLengthDelimited()))
                    var values: [Int32] = []
                    while !packed.isAtEnd { values.append(Int32(truncatingIfNeeded: try packed.readVarint())) }
                    if field.fieldNumber == 1 { location.path = values } else { location.span = values }
                case (3, .lengthDelimited): location.leading = try inner.readString()
                case (4, .lengthDelimited): location.trailing = try inner.readString()
                case (6, .lengthDelimited): location.detached.append(try inner.readString())
                default: try inner.skip(field.wireType)
                }
            }
            result.append(location)
        }
        return result
    }

    /// Whether `path` names the file or a declaration (not a part of one).
    static func isDeclaration(_ path: [Int32]) -> Bool {
        enum Scope { case file, message, enumeration, service, leaf }
        guard path.count % 2 == 0 else { return false }
        var scope = Scope.file
        for index in stride(from: 0, to: path.count, by: 2) {
            switch (scope, path[index]) {
            case (.file, 4), (.message, 3): scope = .message
            case (.file, 5), (.message, 4): scope = .enumeration
            case (.file, 6): scope = .service
            case (.file, 7), (.message, 2), (.message, 6), (.message, 8), (.enumeration, 2), (.service, 2):
                scope = .leaf
            default: return false
            }
        }
        return true
    }

    @Test("declaration locations equal protoc's", .serialized, arguments: ProtocEquivalenceTests.validFiles())
    func matchesProtoc(_ entry: String) async throws {
        let parts = entry.split(separator: "|").map(String.init)
        let directory = ProtocEquivalenceTests.root(parts[0])
        let file = parts[1]
        let expectedURL = ProtocEquivalenceTests.temporaryFile()
        let actualURL = ProtocEquivalenceTests.temporaryFile()
        defer {
            try? FileManager.default.removeItem(at: expectedURL)
            try? FileManager.default.removeItem(at: actualURL)
        }
        let flags = ["-I.", "--include_imports", "--include_source_info"]
        let oracle = try await ProtocEquivalenceTests.runProtoc(
            flags + ["--descriptor_set_out=" + expectedURL.path, file], in: directory)
        try #require(oracle.status == 0, "protoc rejected \(file): \(oracle.stderr)")
        let ours = ProtocEquivalenceTests.runOurs(
            flags + ["--descriptor_set_out=" + actualURL.path, file], in: directory)
        try #require(ours.status == 0, "dh-protoc rejected \(file): \(ours.stderr)")
        let expected = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: expectedURL)))
        let actual = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: actualURL)))
        try #require(actual.file.map(\.name) == expected.file.map(\.name))

        for (ours, theirs) in zip(actual.file, expected.file) {
            let name = ours.name ?? ""
            // Apart from source info, the descriptors are protoc's.
            var oursStripped = ours
            var theirsStripped = theirs
            oursStripped.sourceCodeInfo = nil
            theirsStripped.sourceCodeInfo = nil
            #expect(oursStripped == theirsStripped, "\(name) differs from protoc's descriptor")

            let ourLocations = try Self.locations(try #require(ours.sourceCodeInfo, "\(name) has no source info"))
            let theirLocations = try Self.locations(try #require(theirs.sourceCodeInfo))
            var protocByPath: [[Int32]: Location] = [:]
            for location in theirLocations where protocByPath[location.path] == nil {
                protocByPath[location.path] = location
            }
            for location in ourLocations {
                #expect(location == protocByPath[location.path], "\(name): \(location) is not protoc's")
            }
            let ourPaths = Set(ourLocations.map(\.path))
            for location in theirLocations where Self.isDeclaration(location.path) {
                #expect(ourPaths.contains(location.path), "\(name): no location for \(location)")
            }
            #expect(ourLocations.count == Set(ourLocations.map(\.path)).count, "\(name): a path twice")
            // Every declaration but a oneof also has its name's location.
            for location in ourLocations where Self.isDeclaration(location.path) && !location.path.isEmpty {
                let isOneof = location.path[location.path.count - 2] == 8
                #expect(ourPaths.contains(location.path + [1]) != isOneof, "\(name): name of \(location)")
            }
        }
    }

    @Test("source info is left out unless asked for")
    func omittedByDefault() throws {
        let directory = ProtocEquivalenceTests.corpus.appendingPathComponent("valid")
        let output = ProtocEquivalenceTests.temporaryFile()
        defer { try? FileManager.default.removeItem(at: output) }
        let run = ProtocEquivalenceTests.runOurs(
            ["-I.", "--descriptor_set_out=" + output.path, "comments.proto"], in: directory)
        try #require(run.status == 0, "\(run.stderr)")
        let set = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: output)))
        #expect(set.file.count == 1)
        #expect(set.file.allSatisfy { $0.sourceCodeInfo == nil })
    }

    @Test("the path classification used above")
    func declarationPaths() {
        #expect(Self.isDeclaration([]))
        #expect(Self.isDeclaration([4, 0, 3, 1, 2, 5]))
        #expect(Self.isDeclaration([6, 0, 2, 1]))
        #expect(Self.isDeclaration([5, 2, 2, 0]))
        #expect(!Self.isDeclaration([4, 0, 2, 1, 1]))
        #expect(!Self.isDeclaration([4, 0, 1]))
        #expect(!Self.isDeclaration([4, 0, 6]))
        #expect(!Self.isDeclaration([8, 0]))
        #expect(!Self.isDeclaration([6, 0, 2, 0, 3]))
    }
}
