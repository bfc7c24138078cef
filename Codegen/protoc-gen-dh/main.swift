import DHProtoCompiler
import DHSwiftGenerator

#if canImport(Glibc)
import Glibc
#endif

// protoc-gen-dh: DataHealth's Swift generator as a protoc plugin, so protoc and buf users get
// the same Swift as `dh-protoc --swift_out`:
//   protoc --plugin=protoc-gen-dh=PATH --dh_out=DIR [--dh_opt=Visibility=Public] FILES
// It reads a CodeGeneratorRequest on standard input and writes a CodeGeneratorResponse on
// standard output; problems with the .proto files go into the response's error, as the
// plugin protocol asks.

var input: [UInt8] = []
var buffer = [UInt8](repeating: 0, count: 65536)
while true {
    let count = read(0, &buffer, buffer.count)
    if count <= 0 { break }
    input += buffer[0..<count]
}

let output = PluginRunner.run(requestBytes: input) { request throws(PluginRunner.GeneratorError) in
    do {
        return try SwiftGenerator.files(for: request.request)
    } catch let error as GeneratorError {
        throw PluginRunner.GeneratorError(error.message)
    } catch {
        throw PluginRunner.GeneratorError("\(error)")
    }
}

var offset = 0
while offset < output.count {
    let written = output.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
    if written <= 0 { exit(1) }
    offset += written
}
exit(0)
