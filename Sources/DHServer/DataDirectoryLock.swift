#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An exclusive lock on `DIR/server.lock`, held while a server uses the data directory: two
/// servers never share one directory, and a server that finds the embedded cluster running
/// without anyone holding the lock knows it was left by a server that died (SIGKILL, power
/// loss), and may take it over. The kernel drops the lock when the process ends, however it ends.
final class DataDirectoryLock: Sendable {
    private let descriptor: Int32
    let path: String

    init(directory: String) throws(ServerError) {
        path = directory + "/server.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ServerError(code: .invalidConfiguration, message: "cannot open \(path): errno \(errno)")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ServerError(
                code: .invalidConfiguration,
                message: "another server is using the data directory \(directory) (\(path) is locked)")
        }
        self.descriptor = descriptor
    }

    /// Releases the lock.
    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
