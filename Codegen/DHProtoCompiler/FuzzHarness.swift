import DHDescriptor

/// One fuzzing step over arbitrary bytes, shared by the libFuzzer target and the tests that
/// replay the kept corpus: the bytes are read as a .proto file (lexed, parsed, linked in a
/// pool of their own) and as a FileDescriptorSet (decoded, re-encoded, decoded again).
/// It must never trap or hang; a broken invariant traps on purpose so the fuzzer reports it.
public enum FuzzHarness {
    /// Inputs larger than this are ignored: the fuzzer explores small inputs.
    public static let maximumInputBytes = 64 * 1024

    /// descriptor.proto, so that inputs can declare and use custom options.
    static let basePool: DescriptorPool = {
        var compiler = Compiler()
        compiler.load("google/protobuf/descriptor.proto")
        return compiler.pool
    }()

    public static func run(_ bytes: [UInt8]) {
        guard bytes.count <= maximumInputBytes else { return }
        let (file, diagnostics) = Parser.parse(fileName: "fuzz.proto", source: bytes)
        if diagnostics.isEmpty {
            var pool = basePool
            if case .success(let proto) = Linker.link(file, pool: &pool) {
                let encoded = proto.serializedBytes()
                guard let decoded = try? FileDescriptorProto(serializedBytes: encoded), decoded == proto else {
                    fatalError("a linked descriptor does not survive encoding")
                }
            }
        }
        if let set = try? FileDescriptorSet(serializedBytes: bytes) {
            let encoded = set.serializedBytes()
            guard let again = try? FileDescriptorSet(serializedBytes: encoded), again == set else {
                fatalError("a decoded descriptor set does not survive re-encoding")
            }
        }
    }
}
