internal import COpenSSL

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An X.509 certificate revocation list (CRL), held as DER. A value: `Sendable`.
public struct CertificateRevocationList: Sendable, Hashable {
    /// One revoked certificate.
    public struct Entry: Sendable, Hashable {
        public var serialNumber: SerialNumber
        public var revocationDate: Date

        public init(serialNumber: SerialNumber, revocationDate: Date) {
            self.serialNumber = serialNumber
            self.revocationDate = revocationDate
        }
    }

    public let derBytes: [UInt8]

    /// Reads exactly one PEM CRL (`-----BEGIN X509 CRL-----`).
    ///
    /// - Throws: ``PKIError/Code/invalidPEM``.
    public init(pem: String) throws(PKIError) {
        let all = try Self.lists(pemBytes: Array(pem.utf8))
        guard all.count == 1 else {
            throw PKIError(code: .invalidPEM, message: "expected one PEM CRL, found \(all.count)")
        }
        self = all[0]
    }

    /// Reads every PEM CRL in a file.
    public static func lists(file path: String) throws(PKIError) -> [CertificateRevocationList] {
        try lists(pemBytes: OpenSSLSupport.readFile(path))
    }

    static func lists(pemBytes: [UInt8]) throws(PKIError) -> [CertificateRevocationList] {
        OpenSSLErrorQueue.clear()
        let lists = try OpenSSLSupport.withReadBIO(pemBytes) { bio throws(PKIError) in
            var lists: [CertificateRevocationList] = []
            while let crl = PEM_read_bio_X509_CRL(bio, nil, dh_pem_no_password, nil) {
                defer { X509_CRL_free(crl) }
                lists.append(try CertificateRevocationList(crl: crl))
            }
            return lists
        }
        let entries = OpenSSLErrorQueue.drain()
        let endOfInput = entries.allSatisfy {
            $0.library == ERR_LIB_PEM && $0.reason == PEM_R_NO_START_LINE
        }
        guard endOfInput, !lists.isEmpty else {
            throw PKIError(
                code: .invalidPEM, message: "no readable PEM CRL",
                openSSLReason: entries.isEmpty ? nil : entries.map(\.text).joined(separator: "; "))
        }
        return lists
    }

    init(crl: OpaquePointer) throws(PKIError) {
        let length = i2d_X509_CRL(crl, nil)
        guard length > 0 else { throw PKIError.fromQueue(.invalidRevocationList, "cannot encode a CRL") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509_CRL(crl, &cursor)
        }
        guard written == length else { throw PKIError.fromQueue(.invalidRevocationList, "cannot encode a CRL") }
        self.derBytes = bytes
    }

    /// A fresh X509_CRL; the caller frees it with X509_CRL_free.
    func makeCRL() throws(PKIError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        let crl = derBytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let crl else { throw PKIError.fromQueue(.invalidRevocationList, "the DER bytes are not a CRL") }
        return crl
    }

    private func inspect<R>(_ body: (OpaquePointer) -> R) -> R {
        // `derBytes` came from an X509_CRL, so it decodes.
        let crl = try! makeCRL()
        defer { X509_CRL_free(crl) }
        return body(crl)
    }

    /// The list in PEM.
    public var pemString: String {
        inspect { crl in
            let bytes = (try? OpenSSLSupport.writeBIO("a CRL") { PEM_write_bio_X509_CRL($0, crl) == 1 }) ?? []
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The issuing CA's name in RFC 2253 form.
    public var issuer: String { inspect { Certificate.nameText(X509_CRL_get_issuer($0)) } }
    public var thisUpdate: Date { inspect { OpenSSLSupport.date(X509_CRL_get0_lastUpdate($0)) ?? .distantPast } }
    public var nextUpdate: Date? { inspect { OpenSSLSupport.date(X509_CRL_get0_nextUpdate($0)) } }

    /// The cRLNumber extension, when present and small enough.
    public var number: Int? {
        inspect { crl in
            guard let raw = X509_CRL_get_ext_d2i(crl, NID_crl_number, nil, nil) else { return nil }
            let integer = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
            defer { ASN1_INTEGER_free(integer) }
            let value = ASN1_INTEGER_get(integer)
            return value >= 0 ? Int(value) : nil
        }
    }

    public var entries: [Entry] {
        inspect { crl in
            (0..<dh_revoked_count(crl)).compactMap { index in
                guard let revoked = dh_revoked_value(crl, index) else { return nil }
                return Entry(
                    serialNumber: SerialNumber(bytes: OpenSSLSupport.bytes(X509_REVOKED_get0_serialNumber(revoked))),
                    revocationDate: OpenSSLSupport.date(X509_REVOKED_get0_revocationDate(revoked)) ?? .distantPast)
            }
        }
    }

    /// Whether the list carries a valid signature by `issuer`'s key.
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let x509 = try? issuer.makeX509() else { return false }
        defer { X509_free(x509) }
        let verified = inspect { crl in
            guard let key = X509_get0_pubkey(x509) else { return false }
            return X509_CRL_verify(crl, key) == 1
        }
        OpenSSLErrorQueue.clear()
        return verified
    }

    /// Whether `serialNumber` is on the list.
    public func contains(_ serialNumber: SerialNumber) -> Bool {
        entries.contains { $0.serialNumber == serialNumber }
    }
}
