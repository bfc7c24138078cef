import DHProtoCompiler

#if canImport(Glibc)
import Glibc
#endif

// dh-protoc takes protoc's command line. Until the compiler front end lands it
// answers --version and --help and refuses everything else with protoc's exit status.

let usage = """
    Usage: dh-protoc [OPTION] PROTO_FILES
    Parse PROTO_FILES and generate output based on the options given:
      --version                   Show version info and exit.
      -h, --help                  Show this text and exit.

    dh-protoc is DataHealth's own protobuf compiler; it accepts protoc's options.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--version") {
    print("dh-protoc \(CompilerVersion.current) (libprotoc \(CompilerVersion.compatibleProtoc) compatible)")
    exit(0)
}
if arguments.isEmpty || arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(arguments.isEmpty ? 1 : 0)
}
let message = "dh-protoc: compiling .proto files is not available in this build\n"
_ = message.withCString { write(2, $0, strlen($0)) }
exit(1)
