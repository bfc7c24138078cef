internal import DHDescriptor
internal import DHWire

/// Emits, for each service: its method descriptors, a handler protocol that servers
/// implement (registering itself with an `RPCRouter`), and a typed client.
struct ServiceEmitter {
    let index: TypeIndex
    let options: GeneratorOptions
    let comments: SourceComments
    let package: String
    /// The .proto file the services come from.
    var fileName = ""
    /// With `Descriptors=Embed`: the serialized FileDescriptorSet of the file and its imports.
    var descriptorSet: [UInt8]? = nil

    private var access: String { options.visibility.keyword.map { $0 + " " } ?? "" }

    private struct Method {
        let protoName: String
        let swiftName: String
        let request: String
        let response: String
        let kind: String
        let clientStreaming: Bool
        let serverStreaming: Bool
        let comment: String
    }

    func emit(_ service: ServiceDescriptorProto, position: Int, into p: inout CodePrinter) throws(GeneratorError) {
        let serviceName = service.name ?? ""
        let fullName = package.isEmpty ? serviceName : "\(package).\(serviceName)"
        let swiftName = SwiftNamer.packagePrefix(package) + serviceName
        let path: [Int32] = [6, Int32(position)]
        var methods: [Method] = []
        for (methodPosition, method) in service.method.enumerated() {
            let name = method.name ?? ""
            let clientStreaming = method.clientStreaming ?? false
            let serverStreaming = method.serverStreaming ?? false
            let kind =
                switch (clientStreaming, serverStreaming) {
                case (false, false): "unary"
                case (true, false): "clientStreaming"
                case (false, true): "serverStreaming"
                case (true, true): "bidirectionalStreaming"
                }
            methods.append(
                Method(
                    protoName: name, swiftName: SwiftNamer.memberName(name),
                    request: try index.entry(method.inputType ?? "").swiftName,
                    response: try index.entry(method.outputType ?? "").swiftName, kind: kind,
                    clientStreaming: clientStreaming, serverStreaming: serverStreaming,
                    comment: comments.comment(for: path + [2, Int32(methodPosition)])))
        }
        let serviceComment = comments.comment(for: path)

        // The service's names.
        p.documentation(serviceComment)
        p.block("\(access)enum \(swiftName)") { p in
            p.line("/// The fully-qualified service name.")
            p.line("\(access)static let name = \(SwiftLiteral.string(fullName))")
            p.line()
            p.block("\(access)enum Method") { p in
                for method in methods {
                    p.line(
                        "\(access)static let \(SwiftNamer.escaped(method.swiftName)) = DHRPC.MethodDescriptor(service: \(SwiftLiteral.string(fullName)), method: \(SwiftLiteral.string(method.protoName)), kind: .\(method.kind))"
                    )
                }
                p.line()
                p.line("/// Every method of the service, in .proto order.")
                let all = methods.map { SwiftNamer.escaped($0.swiftName) }.joined(separator: ", ")
                p.line("\(access)static let all: [DHRPC.MethodDescriptor] = [\(all)]")
            }
            if let descriptorSet {
                p.line()
                p.line("/// The descriptors of `\(fileName)` and every file it imports: a serialized")
                p.line("/// google.protobuf.FileDescriptorSet without source info, for reflection.")
                p.line(
                    "\(access)static let descriptorSet: [UInt8] = DHWire.Base64.decode(descriptorSetText.utf8.filter { $0 != 0x0A }) ?? []"
                )
                p.line()
                var encoded: [UInt8] = []
                Base64.encode(descriptorSet, into: &encoded)
                p.line("private static let descriptorSetText = \"\"\"")
                var start = 0
                while start < encoded.count {
                    let end = min(start + 96, encoded.count)
                    p.line("    " + String(decoding: encoded[start..<end], as: UTF8.self))
                    start = end
                }
                p.line("    \"\"\"")
            }
        }

        // The server side.
        p.line()
        p.line("/// Implement this to serve `\(fullName)`; register the value with an `RPCServer`.")
        if !serviceComment.isEmpty {
            p.line("///")
            p.documentation(serviceComment)
        }
        p.block("\(access)protocol \(swiftName)Handler: DHRPC.RPCService") { p in
            for (position, method) in methods.enumerated() {
                if position > 0 { p.line() }
                p.documentation(method.comment)
                p.line(
                    "func \(SwiftNamer.escaped(method.swiftName))(\(handlerParameters(method))) async throws\(method.serverStreaming ? "" : " -> \(method.response)")"
                )
            }
        }
        p.line()
        p.block("extension \(swiftName)Handler") { p in
            p.block("\(access)func register(with router: inout DHRPC.RPCRouter)") { p in
                for method in methods {
                    let descriptor = "\(swiftName).Method.\(SwiftNamer.escaped(method.swiftName))"
                    let call = "self.\(SwiftNamer.escaped(method.swiftName))"
                    switch (method.clientStreaming, method.serverStreaming) {
                    case (false, false):
                        p.block("router.registerUnary(\(descriptor))") { p in
                            p.line(
                                "(request: \(method.request), context) in try await \(call)(request: request, context: context)"
                            )
                        }
                    case (true, false):
                        p.block("router.registerClientStreaming(\(descriptor))") { p in
                            p.line("(requests: DHRPC.RPCAsyncSequence<\(method.request)>, context) in")
                            p.line("try await \(call)(requests: requests, context: context)")
                        }
                    case (false, true):
                        p.block("router.registerServerStreaming(\(descriptor))") { p in
                            p.line(
                                "(request: \(method.request), responses: DHRPC.RPCWriter<\(method.response)>, context) in"
                            )
                            p.line("try await \(call)(request: request, responses: responses, context: context)")
                        }
                    case (true, true):
                        p.block("router.registerBidirectionalStreaming(\(descriptor))") { p in
                            p.line(
                                "(requests: DHRPC.RPCAsyncSequence<\(method.request)>, responses: DHRPC.RPCWriter<\(method.response)>, context) in"
                            )
                            p.line("try await \(call)(requests: requests, responses: responses, context: context)")
                        }
                    }
                }
            }
        }

        // The client side.
        p.line()
        p.line("/// Calls `\(fullName)`. Each method throws `RPCError` for any status but OK.")
        if !serviceComment.isEmpty {
            p.line("///")
            p.documentation(serviceComment)
        }
        p.block("\(access)struct \(swiftName)Client: Sendable") { p in
            p.line("\(access)let client: DHRPC.RPCClient")
            p.line()
            p.line("\(access)init(_ client: DHRPC.RPCClient) { self.client = client }")
            p.line()
            p.line(
                "\(access)init(transport: any DHRPC.ClientTransport) { self.client = DHRPC.RPCClient(transport: transport) }"
            )
            for method in methods {
                p.line()
                p.documentation(method.comment)
                let name = SwiftNamer.escaped(method.swiftName)
                let descriptor = "\(swiftName).Method.\(name)"
                switch (method.clientStreaming, method.serverStreaming) {
                case (false, false):
                    p.block(
                        "\(access)func \(name)(_ request: \(method.request), options: DHRPC.CallOptions = DHRPC.CallOptions()) async throws -> \(method.response)"
                    ) { p in
                        p.line("try await client.unary(\(descriptor), request: request, options: options)")
                    }
                case (true, false):
                    p.block(
                        "\(access)func \(name)(options: DHRPC.CallOptions = DHRPC.CallOptions(), requests: @escaping @Sendable (DHRPC.RPCWriter<\(method.request)>) async throws -> Void) async throws -> \(method.response)"
                    ) { p in
                        p.line("try await client.clientStreaming(\(descriptor), options: options, requests: requests)")
                    }
                case (false, true):
                    p.block(
                        "\(access)func \(name)<Result: Sendable>(_ request: \(method.request), options: DHRPC.CallOptions = DHRPC.CallOptions(), responses: @escaping @Sendable (DHRPC.RPCAsyncSequence<\(method.response)>) async throws -> Result) async throws -> Result"
                    ) { p in
                        p.line(
                            "try await client.serverStreaming(\(descriptor), request: request, options: options, responses: responses)"
                        )
                    }
                case (true, true):
                    p.block(
                        "\(access)func \(name)<Result: Sendable>(options: DHRPC.CallOptions = DHRPC.CallOptions(), requests: @escaping @Sendable (DHRPC.RPCWriter<\(method.request)>) async throws -> Void, responses: @escaping @Sendable (DHRPC.RPCAsyncSequence<\(method.response)>) async throws -> Result) async throws -> Result"
                    ) { p in
                        p.line(
                            "try await client.bidirectionalStreaming(\(descriptor), options: options, requests: requests, responses: responses)"
                        )
                    }
                }
            }
        }
    }

    private func handlerParameters(_ method: Method) -> String {
        switch (method.clientStreaming, method.serverStreaming) {
        case (false, false): "request: \(method.request), context: DHRPC.ServerContext"
        case (true, false): "requests: DHRPC.RPCAsyncSequence<\(method.request)>, context: DHRPC.ServerContext"
        case (false, true):
            "request: \(method.request), responses: DHRPC.RPCWriter<\(method.response)>, context: DHRPC.ServerContext"
        case (true, true):
            "requests: DHRPC.RPCAsyncSequence<\(method.request)>, responses: DHRPC.RPCWriter<\(method.response)>, context: DHRPC.ServerContext"
        }
    }
}
