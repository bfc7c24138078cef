internal import CLibPQ

/// Facts about the libpq client library this process runs against.
public enum LibPQ {
    /// The library version as libpq reports it (`PQlibVersion`): major × 10000 + minor for 10 and later.
    public static var versionNumber: Int {
        Int(PQlibVersion())
    }

    /// `major.minor`, e.g. `15.18`.
    public static var version: String {
        let number = versionNumber
        return "\(number / 10000).\(number % 10000)"
    }

    /// Whether this libpq is thread-safe (`PQisthreadsafe`); DataHealth runs libpq
    /// calls on a pool of threads and needs it.
    public static var isThreadSafe: Bool {
        PQisthreadsafe() == 1
    }
}
