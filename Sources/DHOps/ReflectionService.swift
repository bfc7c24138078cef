import DHDescriptor
public import DHRPC
public import DHSchemas
public import DHWire

/// `datahealth.ops.v1.Reflection`: the services a server hosts and the descriptors of any of
/// their symbols, so that `dh list`, `dh describe` and `dh call` work without the .proto files.
public struct ReflectionService: Datahealth_Ops_V1_ReflectionHandler {
    private let services: [String]
    private let files: [String: FileDescriptorProto]
    /// Fully-qualified symbol (no leading dot) → the file that defines it.
    private let symbols: [String: String]

    /// - Parameters:
    ///   - services: the fully-qualified names of the hosted services.
    ///   - descriptorSets: serialized FileDescriptorSets that together describe them (the
    ///     generated `descriptorSet` of each service); files are merged by name.
    /// - Throws: ``WireError`` when a set does not decode.
    public init(services: [String], descriptorSets: [[UInt8]]) throws(WireError) {
        var files: [String: FileDescriptorProto] = [:]
        for bytes in descriptorSets {
            for file in try FileDescriptorSet(serializedBytes: bytes).file {
                files[file.name ?? ""] = file
            }
        }
        var symbols: [String: String] = [:]
        for (name, file) in files {
            for symbol in Self.symbols(in: file) { symbols[symbol] = name }
        }
        self.services = services.sorted()
        self.files = files
        self.symbols = symbols
    }

    /// Every symbol a file defines: messages and enums (nested too), fields, enum values (in
    /// their enclosing scope, as protobuf scopes them), services and methods, extensions.
    static func symbols(in file: FileDescriptorProto) -> [String] {
        let prefix = (file.package ?? "").isEmpty ? "" : (file.package ?? "") + "."
        var names: [String] = []
        func addEnum(_ enumType: EnumDescriptorProto, scope: String) {
            names.append(scope + (enumType.name ?? ""))
            for value in enumType.value { names.append(scope + (value.name ?? "")) }
        }
        func addMessage(_ message: DescriptorProto, scope: String) {
            let name = scope + (message.name ?? "")
            names.append(name)
            for field in message.field { names.append(name + "." + (field.name ?? "")) }
            for field in message.extension { names.append(name + "." + (field.name ?? "")) }
            for nested in message.nestedType { addMessage(nested, scope: name + ".") }
            for nested in message.enumType { addEnum(nested, scope: name + ".") }
        }
        for message in file.messageType { addMessage(message, scope: prefix) }
        for enumType in file.enumType { addEnum(enumType, scope: prefix) }
        for field in file.extension { names.append(prefix + (field.name ?? "")) }
        for service in file.service {
            let name = prefix + (service.name ?? "")
            names.append(name)
            for method in service.method { names.append(name + "." + (method.name ?? "")) }
        }
        return names
    }

    public func listServices(
        request: Datahealth_Ops_V1_ListServicesRequest, context: ServerContext
    ) async throws -> Datahealth_Ops_V1_ListServicesResponse {
        var response = Datahealth_Ops_V1_ListServicesResponse()
        response.services = services
        return response
    }

    public func fileContainingSymbol(
        request: Datahealth_Ops_V1_FileContainingSymbolRequest, context: ServerContext
    ) async throws -> Datahealth_Ops_V1_FileDescriptorSetResponse {
        let symbol = request.symbol.hasPrefix(".") ? String(request.symbol.dropFirst()) : request.symbol
        guard let file = symbols[symbol] else {
            throw RPCError(code: .notFound, message: "no symbol '\(request.symbol)' in this server's descriptors")
        }
        return try response(for: file)
    }

    public func fileByName(
        request: Datahealth_Ops_V1_FileByNameRequest, context: ServerContext
    ) async throws -> Datahealth_Ops_V1_FileDescriptorSetResponse {
        guard files[request.name] != nil else {
            throw RPCError(code: .notFound, message: "no file '\(request.name)' in this server's descriptors")
        }
        return try response(for: request.name)
    }

    /// The file and its imports, dependencies first.
    private func response(for name: String) throws -> Datahealth_Ops_V1_FileDescriptorSetResponse {
        var ordered: [FileDescriptorProto] = []
        var seen: Set<String> = []
        func visit(_ name: String) throws {
            guard seen.insert(name).inserted else { return }
            guard let file = files[name] else {
                throw RPCError(code: .internal, message: "the descriptors of '\(name)' are missing on this server")
            }
            for dependency in file.dependency { try visit(dependency) }
            ordered.append(file)
        }
        try visit(name)
        var response = Datahealth_Ops_V1_FileDescriptorSetResponse()
        response.fileDescriptorSet = FileDescriptorSet(file: ordered).serializedBytes()
        return response
    }
}
