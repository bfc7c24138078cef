internal import COpenSSL

/// One entry of OpenSSL's thread-local error queue.
struct OpenSSLErrorEntry: Sendable, Hashable {
    var code: UInt
    var library: Int32
    var reason: Int32
    /// OpenSSL's own words, e.g. `error:0A000086:SSL routines::certificate verify failed`,
    /// followed by any detail text OpenSSL attached.
    var text: String
}

/// OpenSSL reports failures on a per-thread queue. Every DHTLS operation clears the queue
/// before it calls into OpenSSL and drains it afterwards, so an error never leaks from one
/// operation (or one connection) into the next one run on the same thread.
enum OpenSSLErrorQueue {
    static func clear() {
        ERR_clear_error()
    }

    static var isEmpty: Bool {
        ERR_peek_error() == 0
    }

    /// Removes and returns every entry, oldest first.
    static func drain() -> [OpenSSLErrorEntry] {
        var entries: [OpenSSLErrorEntry] = []
        // The queue holds at most ERR_NUM_ERRORS (16) entries; the bound keeps the loop finite.
        for _ in 0..<64 {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var text = errorString(code)
            if let data, flags & ERR_TXT_STRING != 0 {
                let detail = String(cString: data)
                if !detail.isEmpty { text += " (\(detail))" }
            }
            entries.append(
                OpenSSLErrorEntry(
                    code: UInt(code), library: dh_err_get_lib(code), reason: dh_err_get_reason(code),
                    text: text))
        }
        return entries
    }

    /// Drains the queue and joins the entries into one line, or returns nil when it was empty.
    static func drainText() -> String? {
        let entries = drain()
        return entries.isEmpty ? nil : entries.map(\.text).joined(separator: "; ")
    }

    static func errorString(_ code: UInt) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            ERR_error_string_n(code, buffer.baseAddress, 256)
            return String(cString: buffer.baseAddress!)
        }
    }
}
