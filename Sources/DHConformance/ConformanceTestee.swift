public import DHDynamic
internal import DHWire

/// The testee side of protobuf's conformance protocol: a ConformanceRequest in, a
/// ConformanceResponse out, for proto3 message types found in a descriptor pool (dynamic
/// messages). The two messages are read and written here by field number, as the public
/// conformance.proto defines them:
///
///     ConformanceRequest:  1 protobuf_payload (bytes), 2 json_payload, 7 jspb_payload,
///                          8 text_payload (oneof); 3 requested_output_format (enum
///                          PROTOBUF = 1, JSON = 2, JSPB = 3, TEXT_FORMAT = 4); 4 message_type;
///                          5 test_category (JSON_IGNORE_UNKNOWN_PARSING_TEST = 3); 9 print_unknown_fields
///     ConformanceResponse: 1 parse_error, 6 serialize_error, 9 timeout_error, 2 runtime_error,
///                          3 protobuf_payload, 4 json_payload, 5 skipped, 7 jspb_payload, 8 text_payload
public struct ConformanceTestee: Sendable {
    public let pool: DescriptorPool

    public init(pool: DescriptorPool) { self.pool = pool }

    struct Request {
        var protobuf: [UInt8]?
        var json: String?
        var otherPayload = false
        var outputFormat = 0
        var messageType = ""
        var category = 0
    }

    enum Response {
        case parseError(String), serializeError(String), runtimeError(String), skipped(String)
        case protobuf([UInt8]), json(String)
    }

    /// Answers one request (its bytes) with a response (its bytes).
    public func handle(_ bytes: [UInt8]) -> [UInt8] {
        encode(respond(to: bytes))
    }

    func respond(to bytes: [UInt8]) -> Response {
        let request: Request
        do {
            request = try decode(bytes)
        } catch {
            return .runtimeError("the ConformanceRequest does not decode: \(error)")
        }
        // The runner first asks for the list of expected failures: none.
        if request.messageType == "conformance.FailureSet" { return .protobuf([]) }
        guard pool.messages[request.messageType] != nil else {
            return .skipped("\(request.messageType) is not in the testee's descriptors (proto3 only)")
        }
        guard request.outputFormat == 1 || request.outputFormat == 2 else {
            return .skipped("only protobuf and JSON output are supported")
        }
        let message: DynamicMessage
        do {
            if let protobuf = request.protobuf {
                message = try DynamicMessage(typeName: request.messageType, binary: protobuf, pool: pool)
            } else if let json = request.json {
                var options = DynamicJSONOptions()
                options.ignoreUnknownFields = request.category == 3
                message = try DynamicMessage(typeName: request.messageType, json: json, pool: pool, options: options)
            } else {
                return .skipped("only protobuf and JSON input are supported")
            }
        } catch {
            return .parseError(error.message)
        }
        do {
            return request.outputFormat == 1
                ? .protobuf(try message.serializedBytes(pool: pool)) : .json(try message.jsonString(pool: pool))
        } catch {
            return .serializeError(error.message)
        }
    }

    func decode(_ bytes: [UInt8]) throws -> Request {
        var request = Request()
        var reader = BinaryReader(bytes)
        while let tag = try reader.readTag() {
            switch (tag.fieldNumber, tag.wireType) {
            case (1, .lengthDelimited): request.protobuf = Array(try reader.readLengthDelimited())
            case (2, .lengthDelimited): request.json = try reader.readString()
            case (7, .lengthDelimited), (8, .lengthDelimited):
                _ = try reader.readLengthDelimited()
                request.otherPayload = true
            case (3, .varint): request.outputFormat = Int(try reader.readVarint())
            case (4, .lengthDelimited): request.messageType = try reader.readString()
            case (5, .varint): request.category = Int(try reader.readVarint())
            default: try reader.skip(tag.wireType)
            }
        }
        return request
    }

    func encode(_ response: Response) -> [UInt8] {
        var writer = BinaryWriter()
        switch response {
        case .parseError(let text): writer.writeTag(1, .lengthDelimited); writer.writeString(text)
        case .runtimeError(let text): writer.writeTag(2, .lengthDelimited); writer.writeString(text)
        case .protobuf(let bytes): writer.writeTag(3, .lengthDelimited); writer.writeLengthDelimited(bytes)
        case .json(let text): writer.writeTag(4, .lengthDelimited); writer.writeString(text)
        case .skipped(let text): writer.writeTag(5, .lengthDelimited); writer.writeString(text)
        case .serializeError(let text): writer.writeTag(6, .lengthDelimited); writer.writeString(text)
        }
        return writer.bytes
    }
}
