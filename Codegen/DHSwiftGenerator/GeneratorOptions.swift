/// What `--swift_opt` may set. Options are `Key=Value` pairs separated by commas,
/// as protoc passes them to a plugin.
public struct GeneratorOptions: Sendable, Hashable {
    /// The access level of generated declarations.
    public enum Visibility: String, Sendable, Hashable, CaseIterable {
        case `internal` = "Internal"
        case `public` = "Public"
        case `package` = "Package"

        var keyword: String? {
            switch self {
            case .internal: nil
            case .public: "public"
            case .package: "package"
            }
        }
    }

    /// How a .proto path becomes a Swift file name.
    public enum FileNaming: String, Sendable, Hashable, CaseIterable {
        /// `a/b/c.proto` → `a/b/c.pb.swift`
        case fullPath = "FullPath"
        /// `a/b/c.proto` → `a_b_c.pb.swift`
        case pathToUnderscores = "PathToUnderscores"
        /// `a/b/c.proto` → `c.pb.swift`
        case dropPath = "DropPath"
    }

    public var visibility: Visibility = .internal
    public var fileNaming: FileNaming = .fullPath
    /// The module that holds the well-known types (`google/protobuf/*.proto`), or empty
    /// when they are generated into the same module as the code that uses them.
    public var wellKnownTypesModule = "DHWire"
    /// Whether each service carries the descriptors of its file and every file that file
    /// imports (`Descriptors=Embed`), for reflection services; default `None`.
    public var embedDescriptors = false

    public init() {}

    /// Parses protoc's parameter string, e.g. `Visibility=Public,FileNaming=DropPath`.
    public init(parameter: String) throws(GeneratorError) {
        self.init()
        for pair in parameter.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String(String($0).trimmingWhitespace()) }
            guard parts.count == 2 else {
                throw GeneratorError(code: .invalidOption, message: "option '\(pair)' is not Key=Value")
            }
            switch parts[0] {
            case "Visibility":
                guard let value = Visibility(rawValue: parts[1]) else {
                    throw GeneratorError(
                        code: .invalidOption,
                        message: "Visibility must be one of "
                            + Visibility.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(parts[1])'")
                }
                visibility = value
            case "FileNaming":
                guard let value = FileNaming(rawValue: parts[1]) else {
                    throw GeneratorError(
                        code: .invalidOption,
                        message: "FileNaming must be one of "
                            + FileNaming.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(parts[1])'")
                }
                fileNaming = value
            case "WellKnownTypesModule":
                wellKnownTypesModule = parts[1]
            case "Descriptors":
                switch parts[1] {
                case "Embed": embedDescriptors = true
                case "None": embedDescriptors = false
                default:
                    throw GeneratorError(
                        code: .invalidOption, message: "Descriptors must be one of Embed, None, not '\(parts[1])'")
                }
            default:
                throw GeneratorError(code: .invalidOption, message: "unknown option '\(parts[0])'")
            }
        }
    }

    /// The Swift file name for a .proto path.
    func outputName(for protoPath: String) -> String {
        var base = protoPath
        if base.hasSuffix(".proto") { base.removeLast(".proto".count) }
        switch fileNaming {
        case .fullPath: break
        case .pathToUnderscores: base = base.replacingAll("/", with: "_")
        case .dropPath: base = String(base.split(separator: "/").last ?? Substring(base))
        }
        return base + ".pb.swift"
    }
}

/// An error of the Swift generator: bad options, or a descriptor it cannot generate from.
public struct GeneratorError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidOption, unknownType, unsupported, invalidDescriptor
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static let invalidOption = Code(.invalidOption)
        /// A field names a type that no given file defines.
        public static let unknownType = Code(.unknownType)
        /// A feature DataHealth does not generate (groups, extensions of messages).
        public static let unsupported = Code(.unsupported)
        /// A descriptor that lacks what every descriptor from a compiler has.
        public static let invalidDescriptor = Code(.invalidDescriptor)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
