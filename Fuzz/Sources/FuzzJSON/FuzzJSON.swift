import DHWire

/// Decodes arbitrary bytes as JSON of the test messages. Anything that decodes must encode
/// to JSON and binary that decode again; nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    if let record = try? Dhtest_CareRecord(jsonUTF8Bytes: input) {
        let again = try! Dhtest_CareRecord(serializedBytes: record.serializedBytes())
        precondition(again.serializedSize() == record.serializedSize())
        if let json = try? record.jsonUTF8Bytes() {
            _ = try! Dhtest_CareRecord(jsonUTF8Bytes: json)
        }
    }
    let lenient = JSONReader.Configuration(ignoresUnknownFields: true)
    if let wellKnown = try? Dhtest_WellKnown(jsonUTF8Bytes: input, configuration: lenient) {
        _ = try! Dhtest_WellKnown(serializedBytes: wellKnown.serializedBytes())
        if let json = try? wellKnown.jsonUTF8Bytes() {
            _ = try! Dhtest_WellKnown(jsonUTF8Bytes: json)
        }
    }
    return 0
}
