import DHSwiftGenerator

#if canImport(Glibc)
import Glibc
#endif

// protoc-gen-dh: DataHealth's Swift generator as a protoc plugin.
//   protoc --plugin=protoc-gen-dh=PATH --dh_out=DIR [--dh_opt=Visibility=Public] FILES

func readStandardInput() -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return bytes
}

func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
        if written <= 0 { return false }
        offset += written
    }
    return true
}

let request: CodeGeneratorRequest
do {
    request = try CodeGeneratorRequest(serializedBytes: readStandardInput())
} catch {
    _ = writeAll(Array("protoc-gen-dh: unreadable CodeGeneratorRequest: \(error)\n".utf8), to: 2)
    exit(1)
}
let response = SwiftGenerator.respond(to: request)
exit(writeAll(response.serializedBytes(), to: 1) ? 0 : 1)
