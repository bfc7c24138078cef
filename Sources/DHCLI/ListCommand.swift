internal import ArgumentParser
internal import DHDescriptor
internal import DHDynamic
internal import DHRPC
internal import DHSchemas
internal import Foundation

/// `dh list [SERVICE]`: the services a server hosts, or one service's methods.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a server's services, or the methods of one service.",
        discussion: """
            Asks the server's reflection service (or reads --descriptor-set).

            Examples:
              dh list 127.0.0.1:7443 --pki dev-pki --as ops
              dh list 127.0.0.1:7443 datahealth.v1.CareRecordService --pki dev-pki --as ops
            """)

    @Argument(help: "The server, HOST:PORT.")
    var target: String

    @Argument(help: "A service: list its methods.")
    var service: String?

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let transport = try client.transport(target: target)
        defer { Task { await transport.close() } }
        try await exitingOnRPCError {
            if let service {
                let pool = try await client.pool(for: service, transport: transport)
                guard let found = pool.services[service] else { throw CLIError("no service \(service)") }
                for method in found.methods { print("\(found.fullName).\(method.name)") }
                return
            }
            if let set = client.descriptorSet {
                let pool = try await client.pool(for: "", transport: transport)
                _ = set
                for name in pool.services.keys.sorted() { print(name) }
                return
            }
            let listed = try await Datahealth_Ops_V1_ReflectionClient(transport: transport)
                .listServices(Datahealth_Ops_V1_ListServicesRequest(), options: client.callOptions(defaultPurpose: "operations"))
            for name in listed.services { print(name) }
        }
    }
}

/// `dh describe SYMBOL`: a service, method, message or enum, in .proto syntax.
struct DescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Describe a service, method, message or enum in .proto syntax.",
        discussion: """
            Examples:
              dh describe 127.0.0.1:7443 datahealth.v1.CareRecordService --pki dev-pki --as ops
              dh describe 127.0.0.1:7443 datahealth.v1.CareRecordService.SubmitRecords --pki dev-pki --as ops
              dh describe 127.0.0.1:7443 datahealth.v1.LabResult --pki dev-pki --as ops
            """)

    @Argument(help: "The server, HOST:PORT.")
    var target: String

    @Argument(help: "A fully-qualified symbol.")
    var symbol: String

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let transport = try client.transport(target: target)
        defer { Task { await transport.close() } }
        try await exitingOnRPCError {
            let pool = try await client.pool(for: symbol, transport: transport)
            guard let text = ProtoText.describe(symbol, in: pool) else {
                throw CLIError("\(symbol) is not in the descriptors")
            }
            print(text, terminator: "")
        }
    }
}

/// Prints descriptors back as .proto text.
enum ProtoText {
    static func describe(_ symbol: String, in pool: DescriptorPool) -> String? {
        for file in pool.files.values {
            let prefix = (file.package ?? "").isEmpty ? "" : (file.package ?? "") + "."
            for service in file.service {
                let name = prefix + (service.name ?? "")
                if name == symbol { return "// \(file.name ?? "")\n" + serviceText(service) }
                for method in service.method where name + "." + (method.name ?? "") == symbol {
                    return "// \(file.name ?? "")\n" + methodText(method) + "\n"
                }
            }
            if let found = find(symbol, in: file.messageType, scope: prefix) { return "// \(file.name ?? "")\n" + found }
            for enumType in file.enumType where prefix + (enumType.name ?? "") == symbol {
                return "// \(file.name ?? "")\n" + enumText(enumType, indent: "")
            }
        }
        return nil
    }

    private static func find(_ symbol: String, in messages: [DescriptorProto], scope: String) -> String? {
        for message in messages {
            let name = scope + (message.name ?? "")
            if name == symbol { return messageText(message, indent: "") }
            for enumType in message.enumType where name + "." + (enumType.name ?? "") == symbol {
                return enumText(enumType, indent: "")
            }
            if let found = find(symbol, in: message.nestedType, scope: name + ".") { return found }
        }
        return nil
    }

    static func serviceText(_ service: ServiceDescriptorProto) -> String {
        var text = "service \(service.name ?? "") {\n"
        for method in service.method { text += "  " + methodText(method) + "\n" }
        return text + "}\n"
    }

    static func methodText(_ method: MethodDescriptorProto) -> String {
        let input = DescriptorPool.strip(method.inputType ?? "")
        let output = DescriptorPool.strip(method.outputType ?? "")
        return "rpc \(method.name ?? "")(\(method.clientStreaming == true ? "stream " : "")\(input)) returns "
            + "(\(method.serverStreaming == true ? "stream " : "")\(output));"
    }

    static func messageText(_ message: DescriptorProto, indent: String) -> String {
        var text = "\(indent)message \(message.name ?? "") {\n"
        let inner = indent + "  "
        for nested in message.nestedType where nested.options?.mapEntry != true {
            text += messageText(nested, indent: inner)
        }
        for enumType in message.enumType { text += enumText(enumType, indent: inner) }
        var openOneof: Int32?
        for field in message.field {
            let oneof = field.proto3Optional == true ? nil : field.oneofIndex
            if oneof != openOneof {
                if openOneof != nil { text += "\(inner)}\n" }
                if let oneof { text += "\(inner)oneof \(message.oneofDecl[Int(oneof)].name ?? "") {\n" }
                openOneof = oneof
            }
            let pad = oneof == nil ? inner : inner + "  "
            text += "\(pad)\(fieldType(field, in: message)) \(field.name ?? "") = \(field.number ?? 0);\n"
        }
        if openOneof != nil { text += "\(inner)}\n" }
        return text + "\(indent)}\n"
    }

    static func fieldType(_ field: FieldDescriptorProto, in message: DescriptorProto) -> String {
        let typeName = DescriptorPool.strip(field.typeName ?? "")
        if field.label == .repeated, let entry = message.nestedType.first(where: {
            $0.options?.mapEntry == true && typeName.hasSuffix("." + ($0.name ?? ""))
        }), entry.field.count == 2 {
            return "map<\(fieldType(entry.field[0], in: entry)), \(fieldType(entry.field[1], in: entry))>"
        }
        let base = (field.type == .message || field.type == .enum) ? typeName : "\(field.type ?? .int32)"
        if field.label == .repeated { return "repeated " + base }
        if field.proto3Optional == true { return "optional " + base }
        return base
    }

    static func enumText(_ enumType: EnumDescriptorProto, indent: String) -> String {
        var text = "\(indent)enum \(enumType.name ?? "") {\n"
        for value in enumType.value { text += "\(indent)  \(value.name ?? "") = \(value.number ?? 0);\n" }
        return text + "\(indent)}\n"
    }
}
