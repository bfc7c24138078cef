public import DHDescriptor
import DHWire

/// protoc's command line: the options dh-protoc accepts and what it does with them.
public struct CommandLineOptions: Sendable, Equatable {
    public var importPaths: [String] = []
    public var descriptorSetOut: String?
    public var descriptorSetIn: [String] = []
    public var includeImports = false
    public var includeSourceInfo = false
    public var swiftOut: String?
    public var swiftOptions: [String] = []
    public var showVersion = false
    public var showHelp = false
    public var inputs: [String] = []

    public init() {}

    public static let usage = """
        Usage: dh-protoc [OPTION] PROTO_FILES
        Parse PROTO_FILES and generate output based on the options given:
          -IPATH, --proto_path=PATH   Specify the directory in which to search for
                                      imports.  May be specified multiple times;
                                      directories will be searched in order.  If not
                                      given, the current working directory is used.
                                      The well-known types are found in /usr/include.
          --version                   Show version info and exit.
          -h, --help                  Show this text and exit.
          --descriptor_set_in=FILES   Specifies a delimited list of FILES
                                      each containing a FileDescriptorSet (a
                                      protocol buffer defined in descriptor.proto).
                                      The FileDescriptor for each of the PROTO_FILES
                                      provided will be loaded from these
                                      FileDescriptorSets. If a FileDescriptor
                                      appears multiple times, the first occurrence
                                      will be used.
          -oFILE,                     Writes a FileDescriptorSet (a protocol buffer,
            --descriptor_set_out=FILE defined in descriptor.proto) containing all of
                                      the input files to FILE.
          --include_imports           When using --descriptor_set_out, also include
                                      all dependencies of the input files in the
                                      set, so that the set is self-contained.
          --include_source_info       When using --descriptor_set_out, do not strip
                                      SourceCodeInfo from the FileDescriptorProto.
                                      Locations are recorded for the file and its
                                      declarations, with their comments.
          --swift_out=OUT_DIR         Generate Swift source file (not yet available).
          --swift_opt=OPTION          Option for the Swift generator.

        dh-protoc is DataHealth's own protobuf compiler; it accepts protoc's options.
        """

    /// Parses arguments as protoc does (`-IPATH`, `-I PATH`, `--flag=value`, `--flag value`).
    public static func parse(_ arguments: [String]) -> Result<CommandLineOptions, CompileError> {
        var options = CommandLineOptions()
        var index = 0
        func fail(_ message: String) -> Result<CommandLineOptions, CompileError> {
            .failure(CompileError(code: .usage, message: message))
        }
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                options.inputs.append(argument)
                continue
            }
            var name = argument
            var value: String?
            if argument.hasPrefix("--") {
                if let equals = argument.firstIndex(of: "=") {
                    name = String(argument[..<equals])
                    value = String(argument[argument.index(after: equals)...])
                }
            } else if argument.count > 2 {
                name = String(argument.prefix(2))
                value = String(argument.dropFirst(2))
            }
            let takesValue: Set<String> = [
                "-I", "--proto_path", "-o", "--descriptor_set_out", "--descriptor_set_in", "--swift_out", "--swift_opt",
            ]
            let noValue: Set<String> = ["--include_imports", "--include_source_info", "--version", "-h", "--help"]
            if takesValue.contains(name) {
                if value == nil {
                    guard index < arguments.count else { return fail("Missing value for flag: \(name)") }
                    value = arguments[index]
                    index += 1
                }
            } else if noValue.contains(name) {
                if value != nil { return fail("\(name) does not take a parameter.") }
            } else {
                return fail("Unknown flag: \(name)")
            }
            let v = value ?? ""
            switch name {
            case "-I", "--proto_path":
                options.importPaths += v.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
            case "-o", "--descriptor_set_out": options.descriptorSetOut = v
            case "--descriptor_set_in":
                options.descriptorSetIn += v.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
            case "--include_imports": options.includeImports = true
            case "--include_source_info": options.includeSourceInfo = true
            case "--swift_out": options.swiftOut = v
            case "--swift_opt": options.swiftOptions.append(v)
            case "--version": options.showVersion = true
            default: options.showHelp = true
            }
        }
        return .success(options)
    }
}

/// Runs dh-protoc: returns the exit status and writes protoc's messages to `errorOutput`.
public enum CommandLineTool {
    /// Generates source files for `--swift_out`: given every compiled file (imports first),
    /// the names to generate and the joined `--swift_opt` values, returns (path, content)
    /// pairs relative to the output directory, or throws a message for the user.
    public typealias SourceGenerator = (
        _ files: [FileDescriptorProto], _ filesToGenerate: [String], _ parameter: String
    ) throws(CompileError) -> [(path: String, content: String)]

    public static func run(
        _ arguments: [String], output: (String) -> Void, errorOutput: (String) -> Void,
        configuration: Compiler.Configuration = Compiler.Configuration(),
        swiftGenerator: SourceGenerator? = nil
    ) -> Int32 {
        let options: CommandLineOptions
        switch CommandLineOptions.parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let error):
            errorOutput(error.description)
            return 1
        }
        if options.showHelp {
            output(CommandLineOptions.usage)
            return 0
        }
        if options.showVersion {
            output("dh-protoc \(CompilerVersion.current) (libprotoc \(CompilerVersion.compatibleProtoc) compatible)")
            return 0
        }
        if options.inputs.isEmpty {
            errorOutput("Missing input file.")
            return 1
        }
        if options.descriptorSetOut == nil && options.swiftOut == nil {
            errorOutput("Missing output directives.")
            return 1
        }
        var settings = configuration
        settings.importPaths = options.importPaths
        var compiler = Compiler(configuration: settings)
        for path in options.descriptorSetIn {
            guard let data = PosixFiles.read(path) else {
                errorOutput("\(path): No such file or directory")
                return 1
            }
            do {
                compiler.addDescriptorSet(try FileDescriptorSet(serializedBytes: data))
            } catch {
                errorOutput("\(path): Unable to parse.")
                return 1
            }
        }
        let names: [String]
        switch compiler.compile(inputs: options.inputs) {
        case .success(let compiled):
            names = compiled
            for warning in compiler.warnings { errorOutput(warning.description) }
        case .failure(let error):
            errorOutput(error.description)
            return 1
        }
        if let swiftOut = options.swiftOut {
            guard let swiftGenerator else {
                errorOutput("--swift_out=\(swiftOut): this build has no Swift generator.")
                return 1
            }
            // Like protoc with its plugins, the generator gets source info (for doc comments).
            let all = compiler.descriptorSet(for: names, includeImports: true, includeSourceInfo: true).file
            do {
                let generated = try swiftGenerator(all, names, options.swiftOptions.joined(separator: ","))
                for file in generated {
                    let path = (swiftOut.hasSuffix("/") ? swiftOut : swiftOut + "/") + file.path
                    if let slash = path.lastIndex(of: "/") { try PosixFiles.createDirectories(String(path[..<slash])) }
                    try PosixFiles.write(Array(file.content.utf8), to: path)
                }
            } catch let error as CompileError {
                errorOutput("--swift_out: \(error.description)")
                return 1
            } catch {
                errorOutput("\(swiftOut): \(error)")
                return 1
            }
        }
        if let path = options.descriptorSetOut {
            let set = compiler.descriptorSet(
                for: names, includeImports: options.includeImports, includeSourceInfo: options.includeSourceInfo)
            do {
                try PosixFiles.write(set.serializedBytes(), to: path)
            } catch {
                errorOutput(error.description)
                return 1
            }
        }
        return 0
    }
}
