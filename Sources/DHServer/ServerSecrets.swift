internal import DHTLS

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The secrets a server keeps in its data directory, outside the database, created on first
/// start with mode 0600:
///
/// - `audit-log.key.pem`: the key that signs the audit log's tree heads (its public half, from
///   `dh audit public-key`, is what auditors check heads and proofs with);
/// - `pseudonym.key`: 32 random bytes (hex) under which patients' insurance numbers become
///   patient ids (docs/CARE_RECORDS.md). Losing it breaks linkage of new records to old ones;
///   keep it with the backups of the data directory, never in the database.
struct ServerSecrets: Sendable {
    static let auditKeyFile = "audit-log.key.pem"
    static let pseudonymKeyFile = "pseudonym.key"

    var auditSigningKey: PrivateKey
    var pseudonymSecret: [UInt8]
    /// Which files were created by this start.
    var created: [String]

    static func loadOrCreate(in directory: String) throws(ServerError) -> ServerSecrets {
        var created: [String] = []
        let keyPath = directory + "/" + auditKeyFile
        let key: PrivateKey
        if FileManager.default.fileExists(atPath: keyPath) {
            do {
                key = try PrivateKey(file: keyPath)
            } catch {
                throw ServerError(code: .invalidConfiguration, message: "\(keyPath): \(error)")
            }
        } else {
            do {
                key = try PrivateKey.generate(.ecdsaP256)
            } catch {
                throw ServerError(code: .internalError, message: "cannot generate the audit signing key: \(error)")
            }
            try writeSecret(Array(key.pemString.utf8), to: keyPath)
            created.append(keyPath)
        }
        let secretPath = directory + "/" + pseudonymKeyFile
        let secret: [UInt8]
        if FileManager.default.fileExists(atPath: secretPath) {
            guard let data = FileManager.default.contents(atPath: secretPath),
                let text = String(data: data, encoding: .utf8),
                let bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32
            else {
                throw ServerError(
                    code: .invalidConfiguration, message: "\(secretPath) must hold at least 32 bytes in hex")
            }
            secret = bytes
        } else {
            do {
                secret = try SecureRandom.bytes(32)
            } catch {
                throw ServerError(code: .internalError, message: "cannot make the pseudonym secret: \(error)")
            }
            try writeSecret(Array((Hex.encode(secret) + "\n").utf8), to: secretPath)
            created.append(secretPath)
        }
        return ServerSecrets(auditSigningKey: key, pseudonymSecret: secret, created: created)
    }

    /// Writes a new file readable by its owner only: to a temporary name first, then renamed,
    /// so a crash never leaves half a key under the real name.
    private static func writeSecret(_ bytes: [UInt8], to path: String) throws(ServerError) {
        let temporary = path + ".new"
        let manager = FileManager.default
        try? manager.removeItem(atPath: temporary)
        guard manager.createFile(atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else {
            throw ServerError(code: .invalidConfiguration, message: "cannot write \(temporary)")
        }
        do {
            try manager.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw ServerError(code: .invalidConfiguration, message: "cannot write \(path): \(error)")
        }
    }
}
