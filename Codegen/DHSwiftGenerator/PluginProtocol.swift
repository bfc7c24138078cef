public import DHDescriptor

extension SwiftGenerator {
    /// The files a plugin request asks for, with options from its parameter string.
    public static func files(for request: CodeGeneratorRequest) throws(GeneratorError) -> [CodeGeneratorResponse.File] {
        let options = try GeneratorOptions(parameter: request.parameter ?? "")
        return try SwiftGenerator(options: options).generate(
            files: request.protoFile, filesToGenerate: request.fileToGenerate
        ).map { CodeGeneratorResponse.File(name: $0.name, content: $0.content) }
    }
}
