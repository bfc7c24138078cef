/// One audited call: who did what to whose record, and how it ended. Every call, allowed or
/// denied, becomes one entry, and each entry is a leaf of the log's Merkle tree.
public struct AuditEntry: Sendable, Hashable {
    /// How the call ended for the caller.
    public enum Outcome: UInt8, Sendable, Hashable, CaseIterable {
        /// The call ran and succeeded.
        case allowed = 1
        /// Policy or consent refused the call.
        case denied = 2
        /// The call was allowed but failed (invalid input, unavailable database ...).
        case failed = 3
    }

    /// Microseconds since 1970-01-01T00:00:00Z.
    public var timeMicroseconds: Int64
    /// The caller's certificate identity, `dh://ORG/ROLE/ID`.
    public var identity: String
    /// The user a gateway acts for, when it asserted one (e.g. a clinician id).
    public var actingUser: String
    /// The purpose of use the caller stated (treatment, emergency, research ...).
    public var purpose: String
    /// The full method path, `/package.Service/Method`.
    public var method: String
    /// The patient pseudonym the call touched, if any.
    public var patient: String
    /// The dataset the call touched, if any.
    public var dataset: String
    public var outcome: Outcome
    /// The call's status code (the gRPC code set, 0 = OK).
    public var statusCode: UInt8
    /// Emergency (break-glass) access: always flagged for review.
    public var breakGlass: Bool
    /// The stated reason (required for break-glass), or the denial's explanation.
    public var reason: String

    public init(
        timeMicroseconds: Int64, identity: String, actingUser: String = "", purpose: String = "",
        method: String, patient: String = "", dataset: String = "", outcome: Outcome, statusCode: UInt8,
        breakGlass: Bool = false, reason: String = ""
    ) {
        self.timeMicroseconds = timeMicroseconds
        self.identity = identity
        self.actingUser = actingUser
        self.purpose = purpose
        self.method = method
        self.patient = patient
        self.dataset = dataset
        self.outcome = outcome
        self.statusCode = statusCode
        self.breakGlass = breakGlass
        self.reason = reason
    }

    /// The version byte that starts every encoded entry.
    static let encodingVersion: UInt8 = 1

    /// The canonical bytes hashed into the tree (docs/AUDIT.md): version 1, the time as a
    /// big-endian u64, then outcome, status code and break-glass as one byte each, then the
    /// seven strings, each as a big-endian u32 length and its UTF-8 bytes. One entry has
    /// exactly one encoding, so equal entries hash equally everywhere.
    public func encoded() -> [UInt8] {
        let strings = [identity, actingUser, purpose, method, patient, dataset, reason]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + strings.reduce(0) { $0 + 4 + $1.utf8.count })
        bytes.append(Self.encodingVersion)
        appendBigEndian(UInt64(bitPattern: timeMicroseconds), to: &bytes)
        bytes.append(outcome.rawValue)
        bytes.append(statusCode)
        bytes.append(breakGlass ? 1 : 0)
        for string in strings {
            appendBigEndian(UInt32(string.utf8.count), to: &bytes)
            bytes.append(contentsOf: string.utf8)
        }
        return bytes
    }

    /// Reads the canonical encoding back.
    ///
    /// - Throws: ``AuditError/Code/entryMismatch`` for bytes that are not a valid encoding.
    public init(encoded bytes: [UInt8]) throws(AuditError) {
        var cursor = ByteCursor(bytes)
        guard try cursor.byte() == Self.encodingVersion else {
            throw AuditError(code: .entryMismatch, message: "unknown audit entry encoding version")
        }
        let time = Int64(bitPattern: try cursor.uint64())
        guard let outcome = Outcome(rawValue: try cursor.byte()) else {
            throw AuditError(code: .entryMismatch, message: "unknown outcome")
        }
        let status = try cursor.byte()
        let flag = try cursor.byte()
        guard flag <= 1 else { throw AuditError(code: .entryMismatch, message: "break-glass flag is not 0 or 1") }
        var strings: [String] = []
        for _ in 0..<7 { strings.append(try cursor.string()) }
        guard cursor.isAtEnd else { throw AuditError(code: .entryMismatch, message: "bytes after the entry") }
        self.init(
            timeMicroseconds: time, identity: strings[0], actingUser: strings[1], purpose: strings[2],
            method: strings[3], patient: strings[4], dataset: strings[5], outcome: outcome, statusCode: status,
            breakGlass: flag == 1, reason: strings[6])
    }
}

func appendBigEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    var big = value.bigEndian
    withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
}

/// Reads big-endian values and length-prefixed strings, throwing at the end of the input.
struct ByteCursor {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(AuditError) -> UInt8 {
        guard offset < bytes.count else { throw Self.truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint64() throws(AuditError) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(try byte()) }
        return value
    }

    mutating func uint32() throws(AuditError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
        return value
    }

    mutating func take(_ count: Int) throws(AuditError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else { throw Self.truncated }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func string() throws(AuditError) -> String {
        let slice = try take(Int(try uint32()))
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw AuditError(code: .entryMismatch, message: "a text field is not UTF-8")
        }
        return text
    }

    static let truncated = AuditError(code: .entryMismatch, message: "the encoding ends early")
}
