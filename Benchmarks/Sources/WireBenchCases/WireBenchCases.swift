import BenchCareDH
import BenchCareSwiftProtobuf
import CBenchCare
import DHWire
import SwiftProtobuf

public typealias DHCareRecord = BenchCareDH.Benchcare_CareRecord
public typealias SwiftProtobufCareRecord = BenchCareSwiftProtobuf.Benchcare_CareRecord

/// One measured operation on the care record.
public enum WireOperation: String, CaseIterable, Sendable {
    case encodeDHWire = "encode-dhwire"
    case encodeSwiftProtobuf = "encode-swift-protobuf"
    case encodeProtobufC = "encode-protobuf-c"
    case decodeDHWire = "decode-dhwire"
    case decodeSwiftProtobuf = "decode-swift-protobuf"
    case decodeProtobufC = "decode-protobuf-c"
    case jsonEncodeDHWire = "json-encode-dhwire"
    case jsonEncodeSwiftProtobuf = "json-encode-swift-protobuf"
    case jsonDecodeDHWire = "json-decode-dhwire"
    case jsonDecodeSwiftProtobuf = "json-decode-swift-protobuf"

    /// What is measured: "encode", "decode", "JSON encode" or "JSON decode".
    public var task: String {
        switch self {
        case .encodeDHWire, .encodeSwiftProtobuf, .encodeProtobufC: "encode"
        case .decodeDHWire, .decodeSwiftProtobuf, .decodeProtobufC: "decode"
        case .jsonEncodeDHWire, .jsonEncodeSwiftProtobuf: "JSON encode"
        case .jsonDecodeDHWire, .jsonDecodeSwiftProtobuf: "JSON decode"
        }
    }

    /// Which implementation runs it: "DHWire", "swift-protobuf" or "protobuf-c".
    public var implementation: String {
        switch self {
        case .encodeDHWire, .decodeDHWire, .jsonEncodeDHWire, .jsonDecodeDHWire: "DHWire"
        case .encodeSwiftProtobuf, .decodeSwiftProtobuf, .jsonEncodeSwiftProtobuf, .jsonDecodeSwiftProtobuf:
            "swift-protobuf"
        case .encodeProtobufC, .decodeProtobufC: "protobuf-c"
        }
    }

    /// The DHWire operation this one is compared with.
    public var dhWirePeer: WireOperation {
        switch task {
        case "encode": .encodeDHWire
        case "decode": .decodeDHWire
        case "JSON encode": .jsonEncodeDHWire
        default: .jsonDecodeDHWire
        }
    }
}

/// The fixture's setup found the implementations disagreeing about the record.
public struct WireBenchSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// The care record in every form the operations need, checked at setup to be the same value
/// in all three implementations: swift-protobuf and protobuf-c decode DHWire's bytes, and
/// what they encode decodes back (in DHWire) to the original value; both JSON encoders'
/// output parses in the other to the same value.
public final class WireBenchCases {
    /// DHWire's encoding of the record: the input of every binary decode.
    public let bytes: [UInt8]
    /// DHWire's JSON for the record: the input of every JSON decode.
    public let json: [UInt8]
    public let dhRecord: DHCareRecord
    public let swiftProtobufRecord: SwiftProtobufCareRecord
    private let cRecord: UnsafeMutableRawPointer

    public init() throws {
        let dhRecord = CareFixture.record()
        let bytes = dhRecord.serializedBytes()
        let json = try dhRecord.jsonUTF8Bytes()
        let swiftProtobufRecord = try SwiftProtobufCareRecord(serializedBytes: bytes)
        guard let cRecord = bytes.withUnsafeBufferPointer({ cbench_care_decode($0.baseAddress, $0.count) }) else {
            throw WireBenchSetupError(description: "protobuf-c could not decode DHWire's bytes")
        }
        self.dhRecord = dhRecord
        self.bytes = bytes
        self.json = json
        self.swiftProtobufRecord = swiftProtobufRecord
        self.cRecord = cRecord

        let fromSwiftProtobuf = try DHCareRecord(serializedBytes: swiftProtobufRecord.serializedBytes() as [UInt8])
        guard fromSwiftProtobuf == dhRecord else {
            throw WireBenchSetupError(description: "swift-protobuf's encoding decodes to another value")
        }
        var cBytes = [UInt8](repeating: 0, count: cbench_care_size(cRecord))
        guard cBytes.count == bytes.count else {
            throw WireBenchSetupError(
                description: "protobuf-c sizes the record at \(cBytes.count) bytes, not \(bytes.count)")
        }
        _ = cBytes.withUnsafeMutableBufferPointer { cbench_care_pack(cRecord, $0.baseAddress) }
        guard try DHCareRecord(serializedBytes: cBytes) == dhRecord else {
            throw WireBenchSetupError(description: "protobuf-c's encoding decodes to another value")
        }
        guard try SwiftProtobufCareRecord(jsonUTF8Bytes: json) == swiftProtobufRecord else {
            throw WireBenchSetupError(description: "swift-protobuf parses DHWire's JSON to another value")
        }
        let swiftProtobufJSON: [UInt8] = try swiftProtobufRecord.jsonUTF8Bytes()
        guard try DHCareRecord(jsonUTF8Bytes: swiftProtobufJSON) == dhRecord else {
            throw WireBenchSetupError(description: "DHWire parses swift-protobuf's JSON to another value")
        }
    }

    deinit {
        cbench_care_free(cRecord)
    }

    /// Runs `operation` once; the result depends on the work done, for the caller to consume.
    @inline(never)
    public func run(_ operation: WireOperation) -> Int {
        do {
            switch operation {
            case .encodeDHWire:
                return dhRecord.serializedBytes().count
            case .encodeSwiftProtobuf:
                let encoded: [UInt8] = try swiftProtobufRecord.serializedBytes()
                return encoded.count
            case .encodeProtobufC:
                return cbench_care_encode_once(cRecord)
            case .decodeDHWire:
                return try DHCareRecord(serializedBytes: bytes).visits.count
            case .decodeSwiftProtobuf:
                return try SwiftProtobufCareRecord(serializedBytes: bytes).visits.count
            case .decodeProtobufC:
                return Int(bytes.withUnsafeBufferPointer { cbench_care_decode_once($0.baseAddress, $0.count) })
            case .jsonEncodeDHWire:
                return try dhRecord.jsonUTF8Bytes().count
            case .jsonEncodeSwiftProtobuf:
                let encoded: [UInt8] = try swiftProtobufRecord.jsonUTF8Bytes()
                return encoded.count
            case .jsonDecodeDHWire:
                return try DHCareRecord(jsonUTF8Bytes: json).visits.count
            case .jsonDecodeSwiftProtobuf:
                return try SwiftProtobufCareRecord(jsonUTF8Bytes: json).visits.count
            }
        } catch {
            fatalError("\(operation.rawValue) failed on the checked fixture: \(error)")
        }
    }
}
