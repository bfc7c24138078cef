internal import DHWire

/// The comments of a .proto file, keyed by descriptor path (SourceCodeInfo.Location.path).
///
/// Paths follow descriptor.proto's field numbers: `[4, i]` is message i of the file,
/// `[4, i, 2, j]` its field j, `[4, i, 3, k]` its nested message k, `[5, i, 2, j]` value j
/// of enum i, `[6, i, 2, j]` method j of service i.
struct SourceComments {
    private var leading: [[Int32]: String] = [:]
    private var trailing: [[Int32]: String] = [:]

    init() {}

    /// Reads the serialized SourceCodeInfo a compiler attached to a file descriptor.
    init(sourceCodeInfo bytes: [UInt8]) throws(WireError) {
        var reader = BinaryReader(bytes)
        while let tag = try reader.readTag() {
            guard tag.fieldNumber == 1, tag.wireType == .lengthDelimited else {
                try reader.skip(tag.wireType)
                continue
            }
            var location = BinaryReader(Array(try reader.readLengthDelimited()))
            var path: [Int32] = []
            var leadingText: String?
            var trailingText: String?
            while let field = try location.readTag() {
                switch (field.fieldNumber, field.wireType) {
                case (1, .lengthDelimited):
                    var packed = BinaryReader(Array(try location.readLengthDelimited()))
                    while !packed.isAtEnd { path.append(Int32(truncatingIfNeeded: try packed.readVarint())) }
                case (1, .varint):
                    path.append(Int32(truncatingIfNeeded: try location.readVarint()))
                case (3, .lengthDelimited):
                    leadingText = try location.readString()
                case (4, .lengthDelimited):
                    trailingText = try location.readString()
                default:
                    try location.skip(field.wireType)
                }
            }
            if let leadingText { leading[path] = leadingText }
            if let trailingText { trailing[path] = trailingText }
        }
    }

    /// The comment to document the element at `path`: its leading comment, else its trailing one.
    func comment(for path: [Int32]) -> String {
        leading[path] ?? trailing[path] ?? ""
    }
}
