public import DHDescriptor

/// protoc plugin mode: decodes a CodeGeneratorRequest, loads its files into a
/// `DescriptorPool` (dependencies first, as protoc sends them), hands them to a generator
/// and encodes the CodeGeneratorResponse. Problems with the request become the response's
/// `error`, as the plugin protocol asks.
public enum PluginRunner {
    /// What a generator receives: the request and a pool holding every file it carries.
    public struct Input: Sendable {
        public var request: CodeGeneratorRequest
        public var pool: DescriptorPool
        /// The descriptors of `request.fileToGenerate`, in that order.
        public var filesToGenerate: [FileDescriptorProto]
    }

    public struct GeneratorError: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    public static func run(
        requestBytes: [UInt8], generator: (Input) throws(GeneratorError) -> [CodeGeneratorResponse.File]
    ) -> [UInt8] {
        var response = CodeGeneratorResponse()
        response.supportedFeatures = CodeGeneratorResponse.featureProto3Optional
        do {
            let request = try CodeGeneratorRequest(serializedBytes: requestBytes)
            var pool = DescriptorPool()
            for file in request.protoFile {
                for dependency in file.dependency where pool.files[dependency] == nil {
                    throw GeneratorError("\(file.name ?? "?"): import \"\(dependency)\" is not in the request before it")
                }
                pool.register(file)
            }
            var files: [FileDescriptorProto] = []
            for name in request.fileToGenerate {
                guard let file = pool.files[name] else {
                    throw GeneratorError("\(name): the request does not carry this file")
                }
                files.append(file)
            }
            response.file = try generator(Input(request: request, pool: pool, filesToGenerate: files))
        } catch let error as GeneratorError {
            response.error = error.message
        } catch {
            response.error = "the CodeGeneratorRequest could not be decoded: \(error)"
        }
        return response.serializedBytes()
    }
}
