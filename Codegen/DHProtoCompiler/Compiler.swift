public import DHDescriptor
import DHWire

/// Reads .proto files the way protoc does: import paths searched in order (the system's
/// well-known types directory last), imports loaded depth first with cycle detection, each
/// file parsed and linked once. Files from `--descriptor_set_in` are used as given.
public struct Compiler {
    public struct Configuration: Sendable {
        /// `-I` / `--proto_path` directories, searched in order. protoc uses "." when none is given.
        public var importPaths: [String] = []
        /// Where `google/protobuf/*.proto` are found without `-I` (Debian's libprotobuf-dev).
        public var wellKnownTypesDirectory: String? = "/usr/include"
        /// The largest .proto file read, in bytes.
        public var maximumFileBytes = 64 << 20
        public var parser = Parser.Configuration()
        public init() {}
    }

    public let configuration: Configuration
    public private(set) var pool = DescriptorPool()
    /// Files already known to be bad, not reported twice (protoc's known_bad_files_).
    private var badFiles: Set<String> = []
    private var parsed: [String: FileNode] = [:]
    private var pending: [String] = []
    private var fallback: [String: FileDescriptorProto] = [:]
    /// descriptor.proto's types, for built-in options of files that do not import it.
    private var builtinOptionTypes: DescriptorPool?
    public private(set) var diagnostics: [Diagnostic] = []
    /// protoc's warnings (unused imports of the command-line inputs), when compilation succeeds.
    public private(set) var warnings: [Diagnostic] = []
    /// Like protoc, unused imports are reported for the files named on the command line only.
    private var trackUnusedImports: Set<String> = []

    static let descriptorProto = "google/protobuf/descriptor.proto"

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The directories searched, in order, as protoc builds its list.
    public var searchPaths: [String] {
        var paths = configuration.importPaths.isEmpty ? ["."] : configuration.importPaths
        if let wellKnown = configuration.wellKnownTypesDirectory,
            PosixFiles.exists(wellKnown + "/" + Self.descriptorProto)
        {
            paths.append(wellKnown)
        }
        return paths
    }

    /// Files given with `--descriptor_set_in`; used when a file is in no import path.
    public mutating func addDescriptorSet(_ set: FileDescriptorSet) {
        for file in set.file {
            if let name = file.name, fallback[name] == nil { fallback[name] = file }
        }
    }

    // MARK: - Source tree

    static func canonicalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            parts.append(part)
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// Whether protoc accepts a virtual file name: already canonical (no "." parts, no doubled
    /// slashes) and without "..".
    static func isValidVirtualName(_ name: String) -> Bool {
        var canonical = canonicalize(name)
        if name.hasSuffix("/"), !canonical.isEmpty, !canonical.hasSuffix("/") { canonical += "/" }
        let parentReference =
            name == ".." || name.hasPrefix("../") || name.hasSuffix("/..") || name.contains("/../")
        return canonical == name && !parentReference
    }

    /// The disk path of a virtual file name, from the first import path that has it.
    public func diskPath(of virtualName: String) -> String? {
        guard Self.isValidVirtualName(virtualName), !virtualName.hasPrefix("/") else { return nil }
        for path in searchPaths {
            let candidate = path == "." || path.isEmpty ? virtualName : path + "/" + virtualName
            if let kind = PosixFiles.kind(of: candidate), kind != .directory { return candidate }
        }
        return nil
    }

    /// Maps a command-line input to the virtual name protoc would use; nil and a message when
    /// protoc would refuse it.
    public func virtualName(ofInput input: String) -> Result<String, CompileError> {
        if !PosixFiles.exists(input) {
            if diskPath(of: input) != nil || fallback[input] != nil { return .success(input) }
            return .failure(
                CompileError(code: .fileNotFound, message: "Could not make proto path relative: \(input): No such file or directory"))
        }
        let file = Self.canonicalize(input)
        for path in searchPaths {
            let prefix = Self.canonicalize(path)
            var remainder: String?
            if prefix.isEmpty {
                if !file.hasPrefix("/") { remainder = file }
            } else if file.hasPrefix(prefix + "/") {
                remainder = String(file.dropFirst(prefix.count + 1))
            }
            guard let virtual = remainder, !virtual.split(separator: "/").contains("..") else { continue }
            if let shadowing = diskPath(of: virtual), Self.canonicalize(shadowing) != file {
                return .failure(
                    CompileError(
                        code: .fileNotFound,
                        message: "\(input): Input is shadowed in the --proto_path by \"\(shadowing)\".  Either use the latest version of the file or remove the input."
                    ))
            }
            return .success(virtual)
        }
        if diskPath(of: input) != nil || fallback[input] != nil { return .success(input) }
        return .failure(
            CompileError(
                code: .fileNotFound,
                message: "\(input): File does not reside within any path specified using --proto_path (or -I).  You must specify a --proto_path which encompasses this file.  Note that the proto_path must be an exact prefix of the .proto file names -- protoc is too dumb to figure out when two paths (e.g. absolute and relative) are equivalent (it's harder than you think)."
            ))
    }

    // MARK: - Loading

    /// Loads, parses and links a file and everything it imports. Returns its descriptor, or
    /// nil when it or an import failed; `diagnostics` then holds protoc's messages.
    @discardableResult
    public mutating func load(_ name: String) -> FileDescriptorProto? {
        if let done = pool.files[name] { return done }
        if badFiles.contains(name) { return nil }
        if !parsed.keys.contains(name), diskPath(of: name) == nil, let given = fallback[name] {
            for dependency in given.dependency { load(dependency) }
            pool.register(given)
            return given
        }
        guard let node = parse(name) else {
            badFiles.insert(name)
            return nil
        }
        if let start = pending.firstIndex(of: name) {
            let chain = pending[start...] + [name]
            let target = start + 1 < pending.count ? pending[start + 1] : name
            diagnostics.append(
                Diagnostic(
                    file: name, position: node.imports.first { $0.path == target }?.position,
                    message: "File recursively imports itself: " + chain.joined(separator: " -> ")))
            badFiles.insert(name)
            return nil
        }
        pending.append(name)
        for imported in node.imports where pool.files[imported.path] == nil {
            load(imported.path)
        }
        pending.removeLast()
        if name != Self.descriptorProto { loadDescriptorProtoForOptions() }
        var fileWarnings: [Diagnostic] = []
        switch Linker.link(node, pool: &pool, builtinOptionTypes: builtinOptionTypes, warnings: &fileWarnings) {
        case .success(let proto):
            if trackUnusedImports.contains(name) { warnings += fileWarnings }
            return proto
        case .failure(let error):
            diagnostics += error.diagnostics
            badFiles.insert(name)
            return nil
        }
    }

    /// Built-in options are fields of descriptor.proto's *Options messages. Like protoc
    /// (which falls back to its compiled-in copy), interpret them with a descriptor.proto
    /// loaded on the side when a file does not import it, so its names stay out of the pool.
    ///
    /// The compiled-in copy (``BuiltinDescriptorProto``) saves reading, parsing and linking the
    /// file on every run; the file on disk is the fallback should the copy not decode.
    private mutating func loadDescriptorProtoForOptions() {
        guard builtinOptionTypes == nil, pool.messages["google.protobuf.FileOptions"] == nil else { return }
        if let file = Self.builtinDescriptorProto {
            var side = DescriptorPool()
            side.register(file)
            builtinOptionTypes = side
            return
        }
        var side = Compiler(configuration: configuration)
        side.load(Self.descriptorProto)
        builtinOptionTypes = side.pool
    }

    /// descriptor.proto as recorded in ``BuiltinDescriptorProto``.
    public static let builtinDescriptorProto: FileDescriptorProto? = {
        guard let bytes = Base64.decode(BuiltinDescriptorProto.setBase64.utf8), let set = try? FileDescriptorSet(serializedBytes: bytes),
            set.file.count == 1, set.file[0].name == descriptorProto
        else { return nil }
        return set.file[0]
    }()

    private mutating func parse(_ name: String) -> FileNode? {
        if let node = parsed[name] { return node }
        guard Self.isValidVirtualName(name) else {
            diagnostics.append(
                Diagnostic(
                    file: name, position: nil,
                    message: "Backslashes, consecutive slashes, \".\", or \"..\" are not allowed in the virtual path"))
            return nil
        }
        guard let path = diskPath(of: name) else {
            diagnostics.append(Diagnostic(file: name, position: nil, message: "File not found."))
            return nil
        }
        guard let data = PosixFiles.read(path) else {
            diagnostics.append(Diagnostic(file: name, position: nil, message: "Read access is denied for file: \(path)"))
            return nil
        }
        guard data.count <= configuration.maximumFileBytes else {
            diagnostics.append(
                Diagnostic(file: name, position: nil, message: "File is larger than \(configuration.maximumFileBytes) bytes."))
            return nil
        }
        let (node, errors) = Parser.parse(fileName: name, source: data, configuration: configuration.parser)
        guard errors.isEmpty else {
            diagnostics += errors
            return nil
        }
        parsed[name] = node
        return node
    }

    // MARK: - Output

    /// The descriptor set protoc writes for `inputs`: every file after the files it imports;
    /// without `includeImports` only the inputs (still in that dependency order). With
    /// `includeSourceInfo` each parsed file carries its SourceCodeInfo (files from
    /// `--descriptor_set_in` keep what they were given with).
    public func descriptorSet(for inputs: [String], includeImports: Bool, includeSourceInfo: Bool = false)
        -> FileDescriptorSet
    {
        var set = FileDescriptorSet()
        var seen = Set<String>()
        if !includeImports {
            // As protoc: imports that are not inputs count as written already, which also
            // keeps out what only they import.
            let inputSet = Set(inputs)
            for input in inputs {
                for dependency in pool.files[input]?.dependency ?? [] where !inputSet.contains(dependency) {
                    seen.insert(dependency)
                }
            }
        }
        func add(_ name: String) {
            guard var file = pool.files[name], seen.insert(name).inserted else { return }
            for dependency in file.dependency { add(dependency) }
            if includeSourceInfo, let node = parsed[name] { file.sourceCodeInfo = SourceInfo.encode(node) }
            set.file.append(file)
        }
        for input in inputs { add(input) }
        return set
    }

    /// Compiles command-line inputs as protoc does, stopping at the first input that fails.
    public mutating func compile(inputs: [String]) -> Result<[String], CompileError> {
        var names: [String] = []
        for input in inputs {
            switch virtualName(ofInput: input) {
            case .success(let name): names.append(name)
            case .failure(let error): return .failure(error)
            }
        }
        trackUnusedImports.formUnion(names)
        for name in names where load(name) == nil {
            return .failure(CompileError(code: .invalidProto, diagnostics: diagnostics))
        }
        return .success(names)
    }
}
