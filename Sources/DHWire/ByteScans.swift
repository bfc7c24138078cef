/// Byte scans for the decoder's hot paths, eight bytes at a time.
@usableFromInline
internal enum UTF8Check {
    /// Whether `bytes` is well-formed UTF-8: no overlong forms, no surrogates, nothing
    /// above U+10FFFF, no truncated sequences.
    @inlinable
    internal static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        validate(bytes) != .invalid
    }

    @usableFromInline
    internal enum Result { case ascii, nonASCII, invalid }

    /// Validates `bytes` as UTF-8 and says whether they are all ASCII.
    @inlinable
    internal static func validate(_ bytes: UnsafeBufferPointer<UInt8>) -> Result {
        guard let start = bytes.baseAddress else { return .ascii }
        let raw = UnsafeRawPointer(start)
        let count = bytes.count
        var index = 0
        // Skip ASCII eight bytes at a time, then check the rest byte by byte.
        while index &+ 8 <= count
            && raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
        {
            index &+= 8
        }
        while index < count && start[index] < 0x80 {
            index &+= 1
        }
        if index == count { return .ascii }
        return isValidTail(start, count, from: index) ? .nonASCII : .invalid
    }

    /// Validates from a non-ASCII byte to the end.
    @usableFromInline
    internal static func isValidTail(_ start: UnsafePointer<UInt8>, _ count: Int, from: Int) -> Bool {
        var index = from
        let raw = UnsafeRawPointer(start)
        // Four bytes at a time while they last: most Japanese text is three-byte sequences
        // with a lead of E1...EC or EE...EF, which need no check beyond the bit pattern.
        while index &+ 4 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian
            if word & 0x00C0_C0F0 == 0x0080_80E0 {
                let lead = UInt8(truncatingIfNeeded: word)
                if lead != 0xE0 && lead != 0xED {
                    index &+= 3
                    continue
                }
            } else if word & 0x8080_8080 == 0 {
                index &+= 4
                continue
            } else if word & 0x80 == 0 {
                index &+= 1
                continue
            }
            guard let next = validSequenceEnd(start, count, index) else { return false }
            index = next
        }
        while index < count {
            guard let next = validSequenceEnd(start, count, index) else { return false }
            index = next
        }
        return true
    }

    /// The end of the well-formed sequence at `index`, or nil.
    @inline(__always)
    internal static func validSequenceEnd(_ start: UnsafePointer<UInt8>, _ count: Int, _ from: Int) -> Int? {
        var index = from
        let lead = start[index]
        if lead & 0xF0 == 0xE0 {
            // Three-byte sequences first: most of Japanese text.
            guard index &+ 2 < count else { return nil }
            let second = start[index &+ 1]
            let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80  // overlong below U+0800
            let high: UInt8 = lead == 0xED ? 0x9F : 0xBF  // surrogates U+D800...U+DFFF
            guard second >= low, second <= high, start[index &+ 2] & 0xC0 == 0x80 else { return nil }
            index &+= 3
        } else if lead < 0x80 {
            index &+= 1
        } else if lead < 0xC2 {
            return nil  // a continuation byte without a lead, or an overlong two-byte form
        } else if lead < 0xE0 {
            guard index &+ 1 < count, start[index &+ 1] & 0xC0 == 0x80 else { return nil }
            index &+= 2
        } else if lead < 0xF5 {
            guard index &+ 3 < count else { return nil }
            let second = start[index &+ 1]
            let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80  // overlong below U+10000
            let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF  // above U+10FFFF
            guard second >= low, second <= high,
                start[index &+ 2] & 0xC0 == 0x80, start[index &+ 3] & 0xC0 == 0x80
            else { return nil }
            index &+= 4
        } else {
            return nil
        }
        return index
    }

    /// How many bytes below 0x80 (varint ends) the range holds.
    @inlinable
    internal static func countVarintEnds(_ start: UnsafeRawPointer, _ count: Int) -> Int {
        var ends = 0
        var index = 0
        while index < count {
            ends &+= Int(truncatingIfNeeded: ~start.load(fromByteOffset: index, as: UInt8.self) &>> 7)
            index &+= 1
        }
        return ends
    }
}
