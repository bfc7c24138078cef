/// Everything a ``TLSContext`` is made from: the side it plays, its certificate and key, the
/// CAs it trusts, the CRLs it checks, the ALPN protocols it speaks, and its limits.
///
/// TLS 1.3 is the only version; peers are always verified (servers require a client
/// certificate). Files are read when the context is made, so making a new context from the
/// same configuration (``ReloadableTLSContext/reload()``) picks up renewed files.
public struct TLSConfiguration: Sendable, Hashable {
    public enum Role: Sendable, Hashable {
        case server
        case client
    }

    /// Where PEM material comes from.
    public enum Material: Sendable, Hashable {
        /// A PEM file, read when the context is made.
        case file(String)
        /// PEM text.
        case pem(String)
    }

    /// Limits, each with a safe default.
    public struct Limits: Sendable, Hashable {
        /// How long a handshake may take. DHTLS has no clock: the transport that drives a
        /// ``TLSConnection`` enforces this.
        public var handshakeTimeout: Duration = .seconds(10)
        /// The largest certificate chain accepted from a peer, in bytes.
        public var maximumCertificateChainBytes: Int = 32 * 1024
        /// The most intermediate CAs allowed between a peer's certificate and a trusted root.
        public var maximumVerifyDepth: Int = 4
        /// How long a session ticket stays valid for resumption (servers).
        public var sessionLifetime: Duration = .seconds(2 * 3600)
        /// How many TLS 1.3 session tickets a server sends after each full handshake
        /// (0 turns resumption off).
        public var ticketsPerHandshake: Int = 2
        /// How many servers' sessions a client context remembers for resumption
        /// (0 turns resumption off).
        public var clientSessionCacheCapacity: Int = 256

        public init() {}
    }

    /// The ALPN identifier of the DataHealth RPC protocol (docs/PROTOCOL.md).
    public static let defaultApplicationProtocols = ["dh-rpc/1"]

    public var role: Role
    /// The certificate, then any intermediates. Required for both roles (mutual TLS).
    public var certificateChain: Material
    public var privateKey: Material
    /// CA bundles the peer's certificate must chain to. At least one.
    public var trustRoots: [Material]
    /// CRLs. When any are given, revocation is checked for every certificate in the peer's
    /// chain (`X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL`), so each issuing CA needs one.
    public var revocationLists: [Material]
    /// ALPN protocols, most preferred first. A connection without one of them is refused.
    public var applicationProtocols: [String]
    /// Whether the peer's certificate must carry a `dh://ORG/ROLE/ID` identity
    /// (docs/IDENTITY.md). On by default for servers, off for clients.
    public var requirePeerIdentity: Bool
    public var limits: Limits

    public init(
        role: Role, certificateChain: Material, privateKey: Material, trustRoots: [Material],
        revocationLists: [Material] = [], applicationProtocols: [String] = defaultApplicationProtocols,
        requirePeerIdentity: Bool? = nil, limits: Limits = Limits()
    ) {
        self.role = role
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.revocationLists = revocationLists
        self.applicationProtocols = applicationProtocols
        self.requirePeerIdentity = requirePeerIdentity ?? (role == .server)
        self.limits = limits
    }

    /// A server: presents `certificateChain`, requires and verifies client certificates.
    public static func server(
        certificateChain: Material, privateKey: Material, trustRoots: [Material], revocationLists: [Material] = []
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .server, certificateChain: certificateChain, privateKey: privateKey, trustRoots: trustRoots,
            revocationLists: revocationLists)
    }

    /// A client: presents `certificateChain` as its identity, verifies the server.
    public static func client(
        certificateChain: Material, privateKey: Material, trustRoots: [Material], revocationLists: [Material] = []
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .client, certificateChain: certificateChain, privateKey: privateKey, trustRoots: trustRoots,
            revocationLists: revocationLists)
    }
}
