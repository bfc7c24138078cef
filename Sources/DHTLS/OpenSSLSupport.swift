internal import COpenSSL

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Small helpers shared by the PKI and TLS types: memory BIOs, files, times and serials.
enum OpenSSLSupport {
    /// The largest PEM or DER file DataHealth reads (CA bundles and CRLs included).
    static let maximumFileSize = 16 * 1024 * 1024

    /// Runs `body` with a read-only memory BIO over `bytes`.
    static func withReadBIO<R>(
        _ bytes: [UInt8], _ body: (OpaquePointer) throws(PKIError) -> R
    ) throws(PKIError) -> R {
        let result: Result<R, PKIError> = bytes.withUnsafeBufferPointer { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                return .failure(PKIError.fromQueue(.internalError, "cannot allocate a memory BIO"))
            }
            defer { BIO_free(bio) }
            do throws(PKIError) {
                return .success(try body(bio))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Runs `body` with a writable memory BIO and returns what it wrote.
    static func writeBIO(_ what: String, _ body: (OpaquePointer) -> Bool) throws(PKIError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw PKIError.fromQueue(.internalError, "cannot allocate a memory BIO")
        }
        defer { BIO_free(bio) }
        guard body(bio) else {
            throw PKIError.fromQueue(.internalError, "cannot encode \(what)")
        }
        return readAll(bio)
    }

    /// Reads everything pending in a memory BIO.
    static func readAll(_ bio: OpaquePointer) -> [UInt8] {
        var bytes: [UInt8] = []
        readPending(bio) { size, copy in
            bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = copy(UnsafeMutableRawBufferPointer(buffer))
            }
        }
        return bytes
    }

    /// Hands what is pending in a memory BIO to `output`: its size, and a function that copies
    /// it into memory of at least that size and returns how many bytes it copied. `output` is
    /// not called when nothing is pending.
    static func readPending(
        _ bio: OpaquePointer, output: (_ size: Int, _ copy: (UnsafeMutableRawBufferPointer) -> Int) -> Void
    ) {
        let pending = Int(BIO_ctrl_pending(bio))
        guard pending > 0 else { return }
        output(pending) { memory in
            guard let base = memory.baseAddress else { return 0 }
            return max(0, Int(BIO_read(bio, base, Int32(min(pending, memory.count)))))
        }
    }

    /// Reads a whole file of at most ``maximumFileSize`` bytes.
    static func readFile(_ path: String) throws(PKIError) -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new_file(path, "rb") else {
            throw PKIError.fromQueue(.fileUnreadable, "cannot open '\(path)'")
        }
        defer { BIO_free(bio) }
        var bytes: [UInt8] = []
        let chunk = 16 * 1024
        while bytes.count <= maximumFileSize {
            var read: Int32 = 0
            let old = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            bytes.withUnsafeMutableBufferPointer { buffer in
                read = BIO_read(bio, buffer.baseAddress! + old, Int32(chunk))
            }
            bytes.removeLast(chunk - max(0, Int(read)))
            if read <= 0 { break }
        }
        guard bytes.count <= maximumFileSize else {
            throw PKIError(code: .fileUnreadable, message: "'\(path)' is larger than \(maximumFileSize) bytes")
        }
        OpenSSLErrorQueue.clear()
        return bytes
    }

    // MARK: Times

    /// A new ASN1_TIME for `date` (whole seconds); free with ASN1_TIME_free.
    static func makeTime(_ date: Date) throws(PKIError) -> UnsafeMutablePointer<ASN1_TIME> {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds > -62_135_596_800, seconds < 253_402_300_800, let time = ASN1_TIME_set(nil, time_t(seconds))
        else {
            throw PKIError.fromQueue(.invalidValidity, "time \(date) cannot be encoded in a certificate")
        }
        return time
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time, let epoch = ASN1_TIME_set(nil, 0) else { return nil }
        defer { ASN1_TIME_free(epoch) }
        var days: Int32 = 0
        var seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, epoch, time) == 1 else { return nil }
        return Date(timeIntervalSince1970: Double(days) * 86_400 + Double(seconds))
    }

    // MARK: Integers and strings

    static func makeInteger(_ bytes: [UInt8]) throws(PKIError) -> UnsafeMutablePointer<ASN1_INTEGER> {
        guard let integer = ASN1_INTEGER_new() else {
            throw PKIError.fromQueue(.internalError, "cannot allocate an ASN1_INTEGER")
        }
        guard ASN1_STRING_set(integer, bytes, Int32(bytes.count)) == 1 else {
            ASN1_INTEGER_free(integer)
            throw PKIError.fromQueue(.internalError, "cannot set an ASN1_INTEGER")
        }
        return integer
    }

    static func bytes(_ string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    /// Formats a 4- or 16-byte address the usual way (`127.0.0.1`, `::1`).
    static func formatIPAddress(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        // The longest run of two or more zero groups is written as '::'.
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > best.length, end - index >= 2 { best = (index, end - index) }
                index = end
            } else {
                index += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}
