/// The version dh-protoc reports, and the protobuf language level it implements.
public enum CompilerVersion {
    /// dh-protoc's own release.
    public static let current = "0.1.0"
    /// The protoc release whose descriptor output dh-protoc matches.
    public static let compatibleProtoc = "3.21.12"
}
