internal import ArgumentParser
internal import DHDescriptor
internal import DHDynamic
internal import DHRPC
internal import DHSchemas
internal import DHTLS
internal import DHTransport
internal import DHWire
internal import Foundation

/// The TLS flags and call settings `dh call`, `dh list` and `dh describe` share.
struct ClientOptions: ParsableArguments {
    @Option(help: "The client certificate (PEM): the caller's identity.")
    var cert: String?

    @Option(help: "The client certificate's private key (PEM).")
    var key: String?

    @Option(help: "The CA bundle the server's certificate must chain to (PEM).")
    var ca: String?

    @Option(help: ArgumentHelp("A PKI directory from `dh pki init`: --ca DIR/ca.crt.pem, and with --as the client's files.", valueName: "dir"))
    var pki: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("With --pki: call as DIR/clients/NAME.crt.pem (e.g. gateway).", valueName: "name"))
    var identity: String?

    @Option(help: ArgumentHelp("The name the server's certificate must carry (default: the host; localhost for 127.0.0.1).", valueName: "name"))
    var serverName: String?

    @Option(name: [.customShort("H"), .customLong("header")], help: ArgumentHelp("Call metadata, KEY:VALUE (repeatable), e.g. -H dh-purpose:treatment.", valueName: "key:value"))
    var headers: [String] = []

    @Option(help: "Seconds the call may take (its deadline).")
    var deadline: Double = 30

    @Option(help: ArgumentHelp("Take the schema from this descriptor set (protoc --descriptor_set_out --include_imports) instead of the server's reflection service.", valueName: "file"))
    var descriptorSet: String?

    func validate() throws {
        if pki == nil, cert == nil || key == nil || ca == nil {
            throw ValidationError("give --cert, --key and --ca, or --pki DIR --as NAME")
        }
        if pki != nil, identity == nil, cert == nil { throw ValidationError("with --pki, say who calls: --as NAME") }
        for header in headers where !header.contains(":") {
            throw ValidationError("-H takes KEY:VALUE, not '\(header)'")
        }
        guard deadline > 0 else { throw ValidationError("--deadline must be positive") }
    }

    func transport(target: String) throws -> TLSClientTransport {
        let (host, port) = try ServeCommand.parseListen(target)
        let directory = pki.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        let certificate = cert ?? directory.map { $0 + "clients/\(identity ?? "")" + ".crt.pem" } ?? ""
        let privateKey = key ?? directory.map { $0 + "clients/\(identity ?? "")" + ".key.pem" } ?? ""
        let trust = ca ?? directory.map { $0 + "ca.crt.pem" } ?? ""
        let context: TLSContext
        do {
            context = try TLSContext(
                configuration: .client(
                    certificateChain: .file(certificate), privateKey: .file(privateKey), trustRoots: [.file(trust)]))
        } catch {
            throw CLIError("cannot load the TLS material: \(error)")
        }
        let name = serverName ?? (host == "127.0.0.1" || host == "::1" ? "localhost" : host)
        var configuration = TLSClientTransport.Configuration()
        configuration.maxRefusedRetries = 0
        return TLSClientTransport(host: host, port: port, tls: context, serverName: name, configuration: configuration)
    }

    /// The call options: the -H metadata (and dh-purpose `defaultPurpose` unless given), the deadline.
    func callOptions(defaultPurpose: String? = nil) -> CallOptions {
        var metadata = Metadata()
        var purposeGiven = false
        for header in headers {
            let parts = header.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            metadata.addString(parts.count > 1 ? parts[1] : "", forKey: parts[0].lowercased())
            if parts[0].lowercased() == "dh-purpose" { purposeGiven = true }
        }
        if !purposeGiven, let defaultPurpose { metadata.addString(defaultPurpose, forKey: "dh-purpose") }
        var options = CallOptions(metadata: metadata)
        options.timeout = .milliseconds(Int64(deadline * 1000))
        return options
    }

    /// The descriptors of `symbol`: from --descriptor-set, else from the server's reflection.
    func pool(for symbol: String, transport: TLSClientTransport) async throws -> DescriptorPool {
        if let descriptorSet {
            guard let data = FileManager.default.contents(atPath: descriptorSet) else {
                throw CLIError("cannot read \(descriptorSet)")
            }
            do {
                return DescriptorPool(try FileDescriptorSet(serializedBytes: Array(data)))
            } catch {
                throw CLIError("\(descriptorSet) is not a FileDescriptorSet: \(error)")
            }
        }
        var request = Datahealth_Ops_V1_FileContainingSymbolRequest()
        request.symbol = symbol
        let response = try await Datahealth_Ops_V1_ReflectionClient(transport: transport)
            .fileContainingSymbol(request, options: callOptions(defaultPurpose: "operations"))
        return DescriptorPool(try FileDescriptorSet(serializedBytes: response.fileDescriptorSet))
    }
}

/// Runs `body`; an RPC failure becomes words on standard error and the status code as the exit code.
func exitingOnRPCError(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as RPCError {
        FileHandle.standardError.write(Data("dh: \(error.code): \(error.message)\n".utf8))
        throw ExitCode(Int32(error.code.rawValue))
    } catch let error as DynamicError {
        FileHandle.standardError.write(Data("dh: \(error.message)\n".utf8))
        throw ExitCode(Int32(RPCStatus.Code.invalidArgument.rawValue))
    }
}

/// `dh call`: any method of any service, with JSON.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call any method with JSON requests and print JSON responses.",
        discussion: """
            The schema comes from the server's reflection service (or --descriptor-set). The
            request is JSON: -d '{...}', -d @file, or standard input. For a client- or
            bidirectional-streaming method give several JSON values (JSON lines); every response
            is printed as one line of JSON. The exit status is the call's status code (0 OK,
            3 INVALID_ARGUMENT, 7 PERMISSION_DENIED, 14 UNAVAILABLE, …); the reason goes to
            standard error in words.

            Examples:
              dh call 127.0.0.1:7443 datahealth.ops.v1.Health/Check --pki dev-pki --as ops -d '{}'
              dh call 127.0.0.1:7443 datahealth.v1.CareRecordService/GetPatientSummary \\
                  --pki dev-pki --as gateway -H dh-purpose:treatment -H dh-acting-user:D0001 \\
                  -d '{"patient": {"insured": {"insurerNumber": "06130019", "number": "1234567", "branchNumber": "01"}}}'
              dh synth --patients 10 --institution 1312345678 \\
                | jq -c '{records: [.]}' \\
                | dh call 127.0.0.1:7443 datahealth.v1.CareRecordService/SubmitRecords \\
                    --cert gw.crt.pem --key gw.key.pem --ca ca.crt.pem -H dh-purpose:treatment
            """)

    @Argument(help: "The server, HOST:PORT.")
    var target: String

    @Argument(help: "The method: package.Service/Method.")
    var method: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The request JSON, or @FILE (default: standard input).", valueName: "json"))
    var data: String?

    @Flag(help: "Print fields that hold their default value too.")
    var emitDefaults = false

    @OptionGroup var client: ClientOptions

    func requestText() throws -> String {
        if let data {
            if data.hasPrefix("@") {
                guard let contents = FileManager.default.contents(atPath: String(data.dropFirst())) else {
                    throw CLIError("cannot read \(data.dropFirst())")
                }
                return String(decoding: contents, as: UTF8.self)
            }
            return data
        }
        return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }

    func run() async throws {
        let transport = try client.transport(target: target)
        defer { Task { await transport.close() } }
        try await exitingOnRPCError {
            let service = String(method.split(separator: "/").first ?? "").trimmingCharacters(in: ["/"])
            let pool = try await client.pool(for: service.isEmpty ? method : service, transport: transport)
            let (found, descriptor) = try pool.method(method)
            let inputs = try JSONValues.split(try requestText())
            let kind: CallKind =
                switch (descriptor.clientStreaming, descriptor.serverStreaming) {
                case (false, false): .unary
                case (true, false): .clientStreaming
                case (false, true): .serverStreaming
                case (true, true): .bidirectionalStreaming
                }
            if !descriptor.clientStreaming, inputs.count != 1 {
                throw CLIError("\(found.fullName)/\(descriptor.name) takes one request; \(inputs.count) JSON values were given")
            }
            let requests = try inputs.map {
                try DynamicMessage(typeName: descriptor.inputType, json: $0, pool: pool).serializedBytes(pool: pool)
            }
            var options = DynamicJSONOptions()
            options.emitDefaults = emitDefaults
            let printOptions = options
            let outputType = descriptor.outputType
            _ = try await RPCClient(transport: transport).rawCall(
                MethodDescriptor(service: found.fullName, method: descriptor.name, kind: kind),
                options: client.callOptions(),
                requests: { writer in for request in requests { try await writer.write(request) } },
                response: { bytes in
                    let message = try DynamicMessage(typeName: outputType, binary: bytes, pool: pool)
                    print(try message.jsonString(pool: pool, options: printOptions))
                    fflush(nil)
                })
        }
    }
}

/// Splits text into its top-level JSON values (JSON lines, or values separated by white space).
enum JSONValues {
    static func split(_ text: String) throws -> [String] {
        var values: [String] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if start == nil, !character.isWhitespace { start = index }
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
            } else if character == "\"" {
                inString = true
            } else if character == "{" || character == "[" {
                depth += 1
            } else if character == "}" || character == "]" {
                depth -= 1
                if depth == 0, let begin = start {
                    values.append(String(text[begin...index]))
                    start = nil
                }
            }
            index = text.index(after: index)
        }
        if let start, !text[start...].allSatisfy(\.isWhitespace) {
            throw CLIError("the request JSON is incomplete: \(text[start...].prefix(60))")
        }
        return values
    }
}
