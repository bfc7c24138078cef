import Foundation

/// The schemas of the generated test messages in this folder (`make golden` generates them from
/// the generator's corpus). The interop tests hand the same .proto text to protoc-c and protoc.
enum TestSchema {
    static let fileName = "dhtest.proto"
    static let proto = corpusFile(fileName)

    /// A file of the generator's corpus, Tests/DHSwiftGeneratorTests/Corpus.
    static func corpusFile(_ name: String) -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("DHSwiftGeneratorTests/Corpus/\(name)")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("the test schema \(url.path) is missing")
        }
        return text
    }
}

/// The schema of `Dhtest_WellKnown`, for the interop tests.
enum WellKnownSchema {
    static let fileName = "dhtest_wkt.proto"
    static let proto = TestSchema.corpusFile(fileName)
}
