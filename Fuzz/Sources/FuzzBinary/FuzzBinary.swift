import DHWire

/// Decodes arbitrary bytes as the test messages. Anything that decodes must re-encode to a
/// message of the same size that decodes again; nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinary(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    if let record = try? Dhtest_CareRecord(serializedBytes: input) {
        let bytes = record.serializedBytes()
        precondition(bytes.count == record.serializedSize())
        let again = try! Dhtest_CareRecord(serializedBytes: bytes)
        precondition(again.serializedSize() == bytes.count)
        _ = try? record.jsonUTF8Bytes()
    }
    if let wellKnown = try? Dhtest_WellKnown(serializedBytes: input) {
        let again = try! Dhtest_WellKnown(serializedBytes: wellKnown.serializedBytes())
        precondition(again.serializedSize() == wellKnown.serializedSize())
        _ = try? wellKnown.jsonUTF8Bytes()
    }
    return 0
}
