#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the compiler needs, straight on the C library: the compiler runs
/// once per invocation, and loading Foundation (with ICU) would cost more than compiling.
enum PosixFiles {
    enum Kind { case file, directory, other }

    /// What is at `path`, nil when nothing is (or it cannot be seen).
    static func kind(of path: String) -> Kind? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    static func exists(_ path: String) -> Bool { kind(of: path) != nil }

    /// The whole file, nil when it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates `path` and its missing parents.
    static func createDirectories(_ path: String) throws(WriteError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if kind(of: prefix) != .directory, mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw WriteError(description: "cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
            }
            prefix += "/"
        }
    }

    /// Writes `bytes` as the whole content of `path`.
    static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw WriteError(description: "\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw WriteError(description: "\(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
