#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a fuzz input could not be read.
public struct FuzzInputError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "cannot read \(path)" }
}

/// The bytes of a file (a fuzz input or a corpus entry).
public func readFuzzInput(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw FuzzInputError(path: path) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}

/// The regular files in a directory, sorted by name.
public func listFuzzCorpus(_ directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if !name.hasPrefix(".") { names.append(directory + "/" + name) }
    }
    return names.sorted()
}
