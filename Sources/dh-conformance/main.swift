// dh-conformance: the testee for protobuf's conformance runner (conformance_test_runner).
//
//   dh-conformance --descriptor-set test_messages.pb
//   dh-conformance --proto google/protobuf/test_messages_proto3.proto -I PROTOBUF_SRC
//
// Reads length-prefixed (4 bytes, little-endian) ConformanceRequests on standard input and
// writes length-prefixed ConformanceResponses on standard output until standard input ends.
// The schema comes from a descriptor set (dh-protoc or protoc --descriptor_set_out
// --include_imports) or from .proto files compiled here with dh-protoc's front end.

import DHConformance
import DHDescriptor
import DHDynamic
import DHProtoCompiler

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = "dh-conformance: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

func readExactly(_ count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
        let got = bytes.withUnsafeMutableBytes { read(0, $0.baseAddress! + offset, count - offset) }
        if got < 0, errno == EINTR { continue }
        if got <= 0 {
            if offset == 0 { return nil }
            fail("standard input ended inside a request")
        }
        offset += got
    }
    return bytes
}

func writeAll(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(1, $0.baseAddress! + offset, bytes.count - offset) }
        if written < 0, errno == EINTR { continue }
        if written <= 0 { exit(1) }
        offset += written
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var descriptorSet: String?
var protos: [String] = []
var includes: [String] = []
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--descriptor-set": descriptorSet = arguments.isEmpty ? nil : arguments.removeFirst()
    case "--proto": if !arguments.isEmpty { protos.append(arguments.removeFirst()) }
    case "-I": if !arguments.isEmpty { includes.append(arguments.removeFirst()) }
    default:
        if argument.hasPrefix("-I") { includes.append(String(argument.dropFirst(2))) } else { fail("unknown argument \(argument)") }
    }
}

var pool = DHDynamic.DescriptorPool()
if let descriptorSet {
    let descriptor = open(descriptorSet, O_RDONLY)
    guard descriptor >= 0 else { fail("cannot read \(descriptorSet)") }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        if got <= 0 { break }
        bytes += chunk[0..<got]
    }
    close(descriptor)
    do {
        pool = DHDynamic.DescriptorPool(try FileDescriptorSet(serializedBytes: bytes))
    } catch {
        fail("\(descriptorSet) is not a FileDescriptorSet: \(error)")
    }
} else if !protos.isEmpty {
    var configuration = Compiler.Configuration()
    configuration.importPaths = includes
    var compiler = Compiler(configuration: configuration)
    switch compiler.compile(inputs: protos) {
    case .success(let names): pool = DHDynamic.DescriptorPool(compiler.descriptorSet(for: names, includeImports: true))
    case .failure(let error): fail("\(error)")
    }
} else {
    fail("give --descriptor-set FILE or --proto FILE [-I DIR]")
}

let testee = ConformanceTestee(pool: pool)
while let prefix = readExactly(4) {
    let length = Int(prefix[0]) | Int(prefix[1]) << 8 | Int(prefix[2]) << 16 | Int(prefix[3]) << 24
    guard let request = readExactly(length) else { fail("standard input ended inside a request") }
    let response = testee.handle(request)
    let count = UInt32(response.count)
    writeAll([UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)] + response)
}
