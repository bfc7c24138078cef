// Benchmarks/Peers/grpc-cpp/echo.proto (both peers use it) for swift-protobuf and grpc-swift-2,
// written by hand in the shape protoc-gen-swift 1.39 and protoc-gen-grpc-swift-2 give it: the
// messages conform to SwiftProtobuf.Message (binary coding by SwiftProtobuf's own encoder and
// decoder), the service registers its two methods on a GRPCCore RPCRouter with GRPCProtobuf's
// serializers.

internal import Foundation
internal import GRPCCore
internal import GRPCProtobuf
internal import SwiftProtobuf

private let protobufPackage = "dh.bench.v1"

struct EchoRequest: Sendable {
    var sequence: Int64 = 0
    var payload = Data()
    var unknownFields = SwiftProtobuf.UnknownStorage()

    init() {}
}

struct EchoResponse: Sendable {
    var sequence: Int64 = 0
    var payload = Data()
    var unknownFields = SwiftProtobuf.UnknownStorage()

    init() {}
}

extension EchoRequest: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase,
    SwiftProtobuf._ProtoNameProviding
{
    static let protoMessageName = protobufPackage + ".EchoRequest"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}sequence\0\u{1}payload\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularInt64Field(value: &sequence)
            case 2: try decoder.decodeSingularBytesField(value: &payload)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if sequence != 0 { try visitor.visitSingularInt64Field(value: sequence, fieldNumber: 1) }
        if !payload.isEmpty { try visitor.visitSingularBytesField(value: payload, fieldNumber: 2) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: EchoRequest, rhs: EchoRequest) -> Bool {
        lhs.sequence == rhs.sequence && lhs.payload == rhs.payload && lhs.unknownFields == rhs.unknownFields
    }
}

extension EchoResponse: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase,
    SwiftProtobuf._ProtoNameProviding
{
    static let protoMessageName = protobufPackage + ".EchoResponse"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}sequence\0\u{1}payload\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularInt64Field(value: &sequence)
            case 2: try decoder.decodeSingularBytesField(value: &payload)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if sequence != 0 { try visitor.visitSingularInt64Field(value: sequence, fieldNumber: 1) }
        if !payload.isEmpty { try visitor.visitSingularBytesField(value: payload, fieldNumber: 2) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: EchoResponse, rhs: EchoResponse) -> Bool {
        lhs.sequence == rhs.sequence && lhs.payload == rhs.payload && lhs.unknownFields == rhs.unknownFields
    }
}

/// The methods of `dh.bench.v1.Echo`.
enum Echo {
    static let get = MethodDescriptor(fullyQualifiedService: "dh.bench.v1.Echo", method: "Get")
    static let collect = MethodDescriptor(fullyQualifiedService: "dh.bench.v1.Echo", method: "Collect")
}

/// The server side: echoes `Get`; counts `Collect`'s requests into `sequence`.
struct EchoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Echo.get,
            deserializer: ProtobufDeserializer<EchoRequest>(),
            serializer: ProtobufSerializer<EchoResponse>()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            var response = EchoResponse()
            response.sequence = single.message.sequence
            response.payload = single.message.payload
            return StreamingServerResponse(single: ServerResponse(message: response))
        }
        router.registerHandler(
            forMethod: Echo.collect,
            deserializer: ProtobufDeserializer<EchoRequest>(),
            serializer: ProtobufSerializer<EchoResponse>()
        ) { request, _ in
            var response = EchoResponse()
            for try await message in request.messages {
                response.sequence += 1
                response.payload = message.payload.prefix(1)
            }
            return StreamingServerResponse(single: ServerResponse(message: response))
        }
    }
}

/// The client side of `dh.bench.v1.Echo`.
struct EchoClient<Transport: ClientTransport>: Sendable {
    let client: GRPCClient<Transport>

    func get(_ message: EchoRequest, options: CallOptions = .defaults) async throws -> EchoResponse {
        try await client.unary(
            request: ClientRequest(message: message),
            descriptor: Echo.get,
            serializer: ProtobufSerializer<EchoRequest>(),
            deserializer: ProtobufDeserializer<EchoResponse>(),
            options: options
        ) { response in try response.message }
    }

    func collect(
        _ producer: @escaping @Sendable (RPCWriter<EchoRequest>) async throws -> Void
    ) async throws -> EchoResponse {
        try await client.clientStreaming(
            request: StreamingClientRequest(producer: producer),
            descriptor: Echo.collect,
            serializer: ProtobufSerializer<EchoRequest>(),
            deserializer: ProtobufDeserializer<EchoResponse>(),
            options: .defaults
        ) { response in try response.message }
    }
}
