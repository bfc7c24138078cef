import DHRPCFuzzing
import Testing

@testable import DHRPC

@Suite("Fuzz corpus: every kept input passes the fuzz checks")
struct FuzzCorpusTests {
    static var corpusDirectory: String {
        "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/Fuzz/corpus/frame-decoder"
    }

    @Test("the kept corpus (seeds and past crashes) replays cleanly")
    func corpus() throws {
        let files = listFuzzCorpus(Self.corpusDirectory)
        #expect(files.count >= 8)
        for file in files {
            let bytes = try readFuzzInput(file)
            #expect(!bytes.isEmpty)
            fuzzFrameDecoder(bytes)
        }
    }

    @Test("the seeds reach deep into the protocol: they decode to whole, valid conversations")
    func seedsAreValid() throws {
        for file in listFuzzCorpus(Self.corpusDirectory) where file.contains("-view-1") || file.contains("-view-2") {
            let frames = try FrameDecoder.decodeAll(try readFuzzInput(file))
            #expect(frames.first?.type == .settings)
            #expect(frames.count >= 4)
        }
    }

    @Test("mutated seeds pass the fuzz checks", arguments: [31, 32, 33] as [UInt64])
    func mutations(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let seeds = try listFuzzCorpus(Self.corpusDirectory).map(readFuzzInput)
        for _ in 0..<200 {
            var bytes = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            fuzzFrameDecoder(bytes)
        }
    }
}
