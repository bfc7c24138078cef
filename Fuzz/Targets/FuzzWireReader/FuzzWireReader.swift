import DHWire

/// Walks arbitrary bytes as a protobuf message: every key, every value, skipped or read.
/// Any outcome but a typed `WireError` or a clean end is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireReader(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    var reader = BinaryReader(input)
    do {
        while let tag = try reader.readTag() {
            switch tag.wireType {
            case .lengthDelimited where tag.fieldNumber % 2 == 0:
                _ = try? reader.readString()
            default:
                try reader.skip(tag.wireType)
            }
        }
    } catch {
        precondition(error.offset >= 0 && error.offset <= count, "error offset outside the input")
    }
    return 0
}
