/// Byte scans for the decoder's hot paths, eight or sixteen bytes at a time.
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
        // Sixteen bytes at a time when there are enough: each step reads the three bytes
        // before its block too, so it needs three bytes before it (the bytes before `from`
        // are ASCII).
        if count >= blockSize &+ 3 {
            while index < 3 {
                guard let next = validSequenceEnd(start, count, index) else { return false }
                index = next
            }
            while index &+ blockSize <= count {
                guard blockIsValid(raw, index) else { return false }
                index &+= blockSize
            }
            // The last block overlaps bytes already checked: the check of each byte depends
            // only on it and the three before it, so checking a byte twice changes nothing.
            if index < count {
                guard blockIsValid(raw, count &- blockSize) else { return false }
            }
            // A sequence cut short by the end: a lead among the last three bytes that needs
            // more continuation bytes than follow it.
            return start[count &- 1] < 0xC0 && start[count &- 2] < 0xE0 && start[count &- 3] < 0xF0
        }
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

    @usableFromInline
    internal static var blockSize: Int { 16 }

    /// Whether the sixteen bytes at `index` are each where well-formed UTF-8 allows them,
    /// given the three bytes before `index` (which must be readable).
    ///
    /// A byte is checked against the three before it only, so blocks need not start at a
    /// sequence boundary: a byte is a continuation (80...BF) exactly when a lead requires it
    /// (C0... one byte back, E0... two back, F0... three back); C0, C1 and F5...FF never
    /// occur; after E0, ED, F0 and F4 the second byte has a narrower range (no overlong
    /// forms, no surrogates, nothing above U+10FFFF). Every byte but the last of the input
    /// is also the byte before some checked byte, so the rules on leads are enforced on the
    /// byte after them; the last byte is a lead only in a truncated sequence, which the
    /// caller checks.
    @inline(__always)
    internal static func blockIsValid(_ raw: UnsafeRawPointer, _ index: Int) -> Bool {
        // Every constant is a whole vector, and masks are combined as bytes (0 or FF): with
        // scalar operands or mask operations the compiler emits far more instructions.
        typealias Bytes = SIMD16<UInt8>
        let current = raw.loadUnaligned(fromByteOffset: index, as: Bytes.self)
        let back1 = raw.loadUnaligned(fromByteOffset: index &- 1, as: Bytes.self)
        let back2 = raw.loadUnaligned(fromByteOffset: index &- 2, as: Bytes.self)
        let back3 = raw.loadUnaligned(fromByteOffset: index &- 3, as: Bytes.self)
        let isContinuation = lanes((current & Bytes(repeating: 0xC0)) .== Bytes(repeating: 0x80))
        let needsContinuation =
            lanes(back1 .>= Bytes(repeating: 0xC0)) | lanes(back2 .>= Bytes(repeating: 0xE0))
            | lanes(back3 .>= Bytes(repeating: 0xF0))
        // Leads after which the second byte's range is narrower, and leads that never occur:
        // C0, C1, E0, ED, F0...FF. Rare in text; the exact rules run only when one is seen.
        let twoByteInvalid = lanes((back1 & Bytes(repeating: 0xFE)) .== Bytes(repeating: 0xC0))  // C0, C1
        let afterE0 = lanes(back1 .== Bytes(repeating: 0xE0))
        let afterED = lanes(back1 .== Bytes(repeating: 0xED))
        let fourByteLead = lanes(back1 .>= Bytes(repeating: 0xF0))
        let misplaced = isContinuation ^ needsContinuation
        guard isNonzero(misplaced | twoByteInvalid | afterE0 | afterED | fourByteLead) else { return true }
        let overlong3 = afterE0 & lanes(current .< Bytes(repeating: 0xA0))
        let surrogate = afterED & lanes(current .> Bytes(repeating: 0x9F))
        let overlong4 = lanes(back1 .== Bytes(repeating: 0xF0)) & lanes(current .< Bytes(repeating: 0x90))
        let tooLarge = lanes(back1 .== Bytes(repeating: 0xF4)) & lanes(current .> Bytes(repeating: 0x8F))
        let aboveF4 = lanes(back1 .>= Bytes(repeating: 0xF5))
        return !isNonzero(misplaced | twoByteInvalid | overlong3 | surrogate | overlong4 | tooLarge | aboveF4)
    }

    /// A mask as bytes: FF where set, 0 elsewhere.
    @inline(__always)
    internal static func lanes(_ mask: SIMDMask<SIMD16<Int8>>) -> SIMD16<UInt8> {
        unsafeBitCast(mask, to: SIMD16<UInt8>.self)
    }

    /// Whether any byte of `bytes` is not zero (the standard library's `any` reduces lane
    /// by lane).
    @inline(__always)
    internal static func isNonzero(_ bytes: SIMD16<UInt8>) -> Bool {
        let words = unsafeBitCast(bytes, to: SIMD2<UInt64>.self)
        return words[0] | words[1] != 0
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
