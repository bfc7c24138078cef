import DHProtoCompiler

#if canImport(Glibc)
import Glibc
#endif

// protoc-gen-dh: DataHealth's generator as a protoc plugin
// (`protoc --plugin=protoc-gen-dh=PATH --dh_out=DIR ...`). It reads a CodeGeneratorRequest on
// standard input and writes a CodeGeneratorResponse on standard output.

var input: [UInt8] = []
var buffer = [UInt8](repeating: 0, count: 65536)
while true {
    let count = read(0, &buffer, buffer.count)
    if count <= 0 { break }
    input += buffer[0..<count]
}

let output = PluginRunner.run(requestBytes: input) { request throws(PluginRunner.GeneratorError) in
    throw PluginRunner.GeneratorError(
        "Swift generation is not available in this build yet (\(request.filesToGenerate.count) file(s) were read)")
}

var offset = 0
while offset < output.count {
    let written = output.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
    if written <= 0 { exit(1) }
    offset += written
}
exit(0)
