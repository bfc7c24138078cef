import DHDescriptor
import DHProtoCompiler
import DHSwiftGenerator

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// dh-protoc takes protoc's command line; see `dh-protoc --help` and docs/COMPILER.md.

func write(_ text: String, to descriptor: Int32) {
    let line = text.hasSuffix("\n") ? text : text + "\n"
    var bytes = Array(line.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { buffer in
            Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        }
        if written <= 0 { break }
        offset += written
    }
}

let status = CommandLineTool.run(
    Array(CommandLine.arguments.dropFirst()),
    output: { write($0, to: 1) },
    errorOutput: { write($0, to: 2) },
    swiftGenerator: { files, filesToGenerate, parameter throws(CompileError) in
        do {
            let options = try GeneratorOptions(parameter: parameter)
            return try SwiftGenerator(options: options).generate(files: files, filesToGenerate: filesToGenerate)
                .map { (path: $0.name, content: $0.content) }
        } catch let error as GeneratorError {
            throw CompileError(code: .generationFailed, message: error.message)
        } catch {
            throw CompileError(code: .generationFailed, message: "\(error)")
        }
    })
exit(status)
