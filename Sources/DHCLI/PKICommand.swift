internal import ArgumentParser
internal import DHIdentity
internal import DHTLS
internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// `dh pki`: a development PKI for local servers, tests and demos.
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Make and maintain a development PKI: CA, server and client certificates, CRL.",
        discussion: """
            Every DataHealth call is mutual TLS 1.3: the client certificate's SAN URI
            dh://ORG/ROLE/ID is the caller's identity (docs/IDENTITY.md). These commands make
            such certificates for development. Production certificates come from a real CA.

            Examples:
              dh pki init dev-pki
              dh pki issue dev-pki --identity dh://1312345678/gateway/gw-02
              dh pki revoke dev-pki --certificate dev-pki/clients/auditor.crt.pem
            """,
        subcommands: [PKIInitCommand.self, PKIIssueCommand.self, PKIRevokeCommand.self]
    )
}

/// Errors the CLI reports in words.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A key algorithm as a command-line value.
struct KeyAlgorithm: ExpressibleByArgument {
    var algorithm: PrivateKey.Algorithm

    init?(argument: String) {
        guard let algorithm = PrivateKey.Algorithm(rawValue: argument) else { return nil }
        self.algorithm = algorithm
    }

    init(_ algorithm: PrivateKey.Algorithm) { self.algorithm = algorithm }

    static var allValueStrings: [String] { PrivateKey.Algorithm.allCases.map(\.rawValue) }
    var defaultValueDescription: String { algorithm.rawValue }
}

/// Writing PEM files: keys readable by the owner only, every file replaced atomically.
enum PEMFiles {
    static func write(_ text: String, to path: String, secret: Bool) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Written to a private temporary file first, so a key is never readable by others,
        // and a reader never sees half a file.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(UUID().uuidString)")
        guard
            FileManager.default.createFile(
                atPath: temporary.path, contents: Data(text.utf8),
                attributes: [.posixPermissions: secret ? 0o600 : 0o644])
        else { throw CLIError("cannot write \(temporary.path)") }
        do {
            if rename(temporary.path, path) != 0 {
                throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The CA certificate and key in `directory`.
    static func authority(in directory: String) throws -> CertificateAuthority {
        let certificate = try Certificate(pem: read(directory + "/ca.crt.pem"))
        let key = try PrivateKey(pem: read(directory + "/ca.key.pem"))
        return try CertificateAuthority(certificate: certificate, privateKey: key)
    }
}

/// `dh pki init DIR`.
struct PKIInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a development CA, a server certificate and one client certificate per role.",
        discussion: """
            Writes into DIR (created if missing):
              ca.crt.pem, ca.key.pem      the development CA (trust ca.crt.pem; keep the key secret)
              ca.crl.pem                  its CRL, empty at first (dh pki revoke updates it)
              server.crt.pem, .key.pem    the server: DNS localhost, IP 127.0.0.1 and ::1
              clients/ROLE.crt.pem, .key.pem for each role, with SAN URI dh://ORG/ROLE/dev-ROLE

            ORG is the --hospital code for gateway and clinician (so "own institution"
            rules apply to them) and --organization for every other role:
              dh://1312345678/gateway/dev-gateway         dh://datahealth-dev/researcher/dev-researcher
              dh://1312345678/clinician/dev-clinician     dh://datahealth-dev/insurer/dev-insurer
              dh://datahealth-dev/genome-lab/dev-genome-lab  dh://datahealth-dev/auditor/dev-auditor
              dh://datahealth-dev/phr-backend/dev-phr-backend dh://datahealth-dev/ops/dev-ops
              dh://datahealth-dev/server/dev-server
            Keys are unencrypted PKCS#8 files with mode 0600. An existing PKI in DIR is only
            replaced with --force.

            Examples:
              dh pki init dev-pki
              dh pki init dev-pki --hospital 2712345678 --days 30 --algorithm ed25519
              dh pki init /tmp/pki --dns-name dh.local --ip-address 10.0.0.5 --force
            """
    )

    @Argument(help: "The directory to write the PKI into.")
    var directory: String

    @Option(help: "ORG (a 10-digit 医療機関コード) of the gateway and clinician certificates.")
    var hospital = "1312345678"

    @Option(help: "ORG of the certificates of every other role.")
    var organization = "datahealth-dev"

    @Option(
        name: .customLong("dns-name"), help: "A DNS name of the server certificate (repeatable; default localhost).")
    var dnsNames: [String] = []

    @Option(
        name: .customLong("ip-address"),
        help: "An IP address of the server certificate (repeatable; default 127.0.0.1 and ::1).")
    var ipAddresses: [String] = []

    @Option(help: "How many days the certificates are valid.")
    var days = 90

    @Option(help: "The key algorithm.")
    var algorithm = KeyAlgorithm(.ecdsaP256)

    @Flag(help: "Replace a PKI already in the directory.")
    var force = false

    func validate() throws {
        guard (1...3650).contains(days) else { throw ValidationError("--days must be 1–3650") }
    }

    func run() throws {
        print(try execute(), terminator: "")
    }

    /// Writes the PKI and returns the report.
    func execute(now: Date = Date()) throws -> String {
        if !force, FileManager.default.fileExists(atPath: directory + "/ca.key.pem") {
            throw CLIError("\(directory) already holds a PKI (ca.key.pem); use --force to replace it")
        }
        var pki = try DevelopmentPKI.make(
            organization: organization, serverDNSNames: dnsNames.isEmpty ? ["localhost"] : dnsNames,
            serverIPAddresses: ipAddresses.isEmpty ? ["127.0.0.1", "::1"] : ipAddresses, algorithm: algorithm.algorithm,
            now: now, validity: TimeInterval(days) * 86_400)
        for role in [PeerIdentity.Role.gateway, .clinician] {
            guard let existing = pki.clients[role] else { continue }
            let identity: PeerIdentity
            do {
                identity = try PeerIdentity(organization: hospital, role: role, id: "dev-\(role.rawValue)")
            } catch {
                throw CLIError("--hospital: \(error.message)")
            }
            pki.clients[role] = try pki.authority.issueWithNewKey(
                .client(
                    identity: identity, notBefore: existing.certificate.notBefore,
                    notAfter: existing.certificate.notAfter),
                algorithm: algorithm.algorithm)
        }
        for file in pki.files {
            try PEMFiles.write(file.contents, to: directory + "/" + file.name, secret: file.name.hasSuffix(".key.pem"))
        }
        var report = "Wrote a development PKI to \(directory), valid \(days) days:\n"
        report += "  ca.crt.pem ca.key.pem ca.crl.pem   \(pki.authority.certificate.subject)\n"
        report +=
            "  server.crt.pem server.key.pem      "
            + (pki.server.certificate.subjectAlternativeNames.dnsNames
            + pki.server.certificate.subjectAlternativeNames.ipAddresses).joined(separator: " ") + "\n"
        for role in PeerIdentity.Role.allCases {
            guard let client = pki.clients[role] else { continue }
            let uri = (try? client.certificate.peerIdentity().uri) ?? "?"
            let name = "clients/\(role.rawValue).crt.pem"
            report += "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(uri)\n"
        }
        return report
    }
}

/// `dh pki issue DIR --identity URI`.
struct PKIIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a client certificate for one identity with the CA in DIR.",
        discussion: """
            Writes clients/NAME.crt.pem and clients/NAME.key.pem (mode 0600) in DIR, where NAME
            is ORG-ROLE-ID unless --name says otherwise, and prints the serial number
            (dh pki revoke --serial takes it).

            Examples:
              dh pki issue dev-pki --identity dh://1312345678/gateway/gw-02
              dh pki issue dev-pki --identity dh://univ-tokyo/researcher/r.tanaka --days 7
              dh pki issue dev-pki --identity dh://kenpo-a/insurer/batch --name insurer-a
            """
    )

    @Argument(help: "The directory of the PKI (from dh pki init).")
    var directory: String

    @Option(help: "The identity, dh://ORG/ROLE/ID (docs/IDENTITY.md).")
    var identity: String

    @Option(help: "The file name stem under clients/ (default ORG-ROLE-ID).")
    var name: String?

    @Option(help: "How many days the certificate is valid.")
    var days = 90

    @Option(help: "The key algorithm.")
    var algorithm = KeyAlgorithm(.ecdsaP256)

    @Flag(help: "Replace existing files of the same name.")
    var force = false

    func validate() throws {
        guard (1...3650).contains(days) else { throw ValidationError("--days must be 1–3650") }
        if let name {
            guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
                throw ValidationError("--name must be a plain file name stem")
            }
        }
    }

    func run() throws {
        print(try execute(), terminator: "")
    }

    func execute(now: Date = Date()) throws -> String {
        let peer: PeerIdentity
        do {
            peer = try PeerIdentity(uri: identity)
        } catch {
            throw CLIError("--identity: \(error.message)")
        }
        let authority = try PEMFiles.authority(in: directory)
        let stem = name ?? "\(peer.organization)-\(peer.role.rawValue)-\(peer.id)"
        let certificatePath = directory + "/clients/\(stem).crt.pem"
        let keyPath = directory + "/clients/\(stem).key.pem"
        if !force,
            FileManager.default.fileExists(atPath: certificatePath) || FileManager.default.fileExists(atPath: keyPath)
        {
            throw CLIError("\(certificatePath) already exists; use --force or --name")
        }
        let notAfter = min(now + TimeInterval(days) * 86_400, authority.certificate.notAfter)
        let issued = try authority.issueWithNewKey(
            .client(identity: peer, notBefore: now - 300, notAfter: notAfter), algorithm: algorithm.algorithm)
        try PEMFiles.write(issued.certificate.pemString, to: certificatePath, secret: false)
        try PEMFiles.write(issued.privateKey.pemString, to: keyPath, secret: true)
        return """
            Issued \(peer.uri)
              serial      \(issued.certificate.serialNumber)
              valid until \(issued.certificate.notAfter)
              certificate \(certificatePath)
              key         \(keyPath)

            """
    }
}

/// `dh pki revoke DIR --serial HEX | --certificate FILE`.
struct PKIRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke certificates: add them to the CA's CRL (DIR/ca.crl.pem).",
        discussion: """
            Keeps every serial already on the list, adds the new ones, raises the CRL number
            and replaces DIR/ca.crl.pem atomically. Servers reading the CRL refuse revoked
            certificates at the next handshake once they reload their TLS configuration.

            Examples:
              dh pki revoke dev-pki --certificate dev-pki/clients/auditor.crt.pem
              dh pki revoke dev-pki --serial 4f1a09c2d3e4f5a6b7c8d9e0f1a2b3c4
              dh pki revoke dev-pki --serial 01ab --serial 02cd --next-update-days 7
            """
    )

    @Argument(help: "The directory of the PKI (from dh pki init).")
    var directory: String

    @Option(help: "A serial number in hex, as dh pki issue prints it (repeatable).")
    var serial: [String] = []

    @Option(help: "A certificate file (PEM) to revoke (repeatable).")
    var certificate: [String] = []

    @Option(help: "Days until the CRL's nextUpdate.")
    var nextUpdateDays = 30

    func validate() throws {
        guard !serial.isEmpty || !certificate.isEmpty else {
            throw ValidationError("name at least one --serial or --certificate")
        }
        guard (1...365).contains(nextUpdateDays) else { throw ValidationError("--next-update-days must be 1–365") }
    }

    func run() throws {
        print(try execute(), terminator: "")
    }

    func execute(now: Date = Date()) throws -> String {
        let authority = try PEMFiles.authority(in: directory)
        var serials: [SerialNumber] = []
        for text in serial {
            guard let number = SerialNumber(hex: text) else { throw CLIError("--serial '\(text)' is not a hex number") }
            serials.append(number)
        }
        for path in certificate {
            let revoked = try Certificate(pem: PEMFiles.read(path))
            guard revoked.issuer == authority.certificate.subject else {
                throw CLIError("\(path) was issued by '\(revoked.issuer)', not by this CA")
            }
            serials.append(revoked.serialNumber)
        }
        let crlPath = directory + "/ca.crl.pem"
        let current =
            FileManager.default.fileExists(atPath: crlPath)
            ? try CertificateRevocationList(pem: PEMFiles.read(crlPath)) : nil
        let list = try authority.revoking(
            serials, in: current, at: now, nextUpdate: now + TimeInterval(nextUpdateDays) * 86_400)
        try PEMFiles.write(list.pemString, to: crlPath, secret: false)
        let before = Set(current?.entries.map(\.serialNumber) ?? [])
        var report =
            "Wrote \(crlPath): CRL number \(list.number.map(String.init) ?? "?"), \(list.entries.count) revoked\n"
        for entry in list.entries {
            let new = before.contains(entry.serialNumber) ? "" : "  (new)"
            report += "  \(entry.serialNumber)\(new)\n"
        }
        return report
    }
}
