internal import COpenSSL
public import DHIdentity

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A certificate serial number: a positive big-endian integer.
public struct SerialNumber: Sendable, Hashable, CustomStringConvertible {
    /// Big-endian magnitude, without leading zero bytes.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = Array(bytes.drop(while: { $0 == 0 }))
    }

    /// 128 random bits, the top bit clear so the DER integer stays positive.
    public static func random() -> SerialNumber {
        var bytes = [UInt8](repeating: 0, count: 16)
        _ = RAND_bytes(&bytes, Int32(bytes.count))
        bytes[0] = (bytes[0] & 0x7F) | 0x40
        return SerialNumber(bytes: bytes)
    }

    /// Lower-case hex, e.g. `4f1a…`.
    public var description: String {
        bytes.isEmpty ? "0" : bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Parses the hex form that ``description`` prints (as `dh pki revoke SERIAL` takes it).
    public init?(hex: String) {
        var text = Substring(hex.lowercased())
        if text.hasPrefix("0x") { text = text.dropFirst(2) }
        guard !text.isEmpty, text.count <= 80 else { return nil }
        if text.count % 2 == 1 { text = "0" + text }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes: bytes)
    }
}

/// The names in a certificate's subjectAltName extension.
public struct SubjectAlternativeNames: Sendable, Hashable {
    public var dnsNames: [String] = []
    /// IPv4 as `127.0.0.1`, IPv6 as `::1`.
    public var ipAddresses: [String] = []
    public var uris: [String] = []

    public init(dnsNames: [String] = [], ipAddresses: [String] = [], uris: [String] = []) {
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.uris = uris
    }
}

/// An X.509 certificate, held as DER. A value: copies are cheap and `Sendable`.
public struct Certificate: Sendable, Hashable {
    public let derBytes: [UInt8]

    /// Wraps DER bytes after checking that they decode.
    ///
    /// - Throws: ``PKIError/Code/invalidCertificate``.
    public init(derBytes: [UInt8]) throws(PKIError) {
        self.derBytes = derBytes
        let x509 = try makeX509()
        X509_free(x509)
    }

    /// Reads exactly one PEM certificate.
    ///
    /// - Throws: ``PKIError/Code/invalidPEM`` when there is none or more than one.
    public init(pem: String) throws(PKIError) {
        let all = try Self.chain(pem: pem)
        guard all.count == 1 else {
            throw PKIError(code: .invalidPEM, message: "expected one PEM certificate, found \(all.count)")
        }
        self = all[0]
    }

    /// Reads every PEM certificate in the text, in order (a chain or a CA bundle).
    ///
    /// - Throws: ``PKIError/Code/invalidPEM`` when there is none or one does not decode.
    public static func chain(pem: String) throws(PKIError) -> [Certificate] {
        try chain(pemBytes: Array(pem.utf8))
    }

    /// Reads every PEM certificate in a file.
    public static func chain(file path: String) throws(PKIError) -> [Certificate] {
        try chain(pemBytes: OpenSSLSupport.readFile(path))
    }

    static func chain(pemBytes: [UInt8]) throws(PKIError) -> [Certificate] {
        OpenSSLErrorQueue.clear()
        let certificates = try OpenSSLSupport.withReadBIO(pemBytes) { bio throws(PKIError) -> [Certificate] in
            var certificates: [Certificate] = []
            while let x509 = PEM_read_bio_X509(bio, nil, dh_pem_no_password, nil) {
                defer { X509_free(x509) }
                certificates.append(try Certificate(x509: x509))
            }
            return certificates
        }
        // PEM_read_bio_X509 ends the loop with "no start line" once the text is used up;
        // any other reason means a block did not decode.
        let entries = OpenSSLErrorQueue.drain()
        let endOfInput = entries.allSatisfy {
            $0.library == ERR_LIB_PEM && $0.reason == PEM_R_NO_START_LINE
        }
        guard endOfInput, !certificates.isEmpty else {
            throw PKIError(
                code: .invalidPEM, message: "no readable PEM certificate",
                openSSLReason: entries.isEmpty ? nil : entries.map(\.text).joined(separator: "; "))
        }
        return certificates
    }

    /// Copies an X509 (the caller keeps its reference).
    init(x509: OpaquePointer) throws(PKIError) {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { throw PKIError.fromQueue(.invalidCertificate, "cannot encode a certificate") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(x509, &cursor)
        }
        guard written == length else {
            throw PKIError.fromQueue(.invalidCertificate, "cannot encode a certificate")
        }
        self.derBytes = bytes
    }

    /// A fresh X509; the caller frees it with X509_free.
    func makeX509() throws(PKIError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        let x509 = derBytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 else { throw PKIError.fromQueue(.invalidCertificate, "the DER bytes are not a certificate") }
        return x509
    }

    private func inspect<R>(_ body: (OpaquePointer) -> R) -> R {
        // `derBytes` was checked to decode when this value was made.
        let x509 = try! makeX509()
        defer { X509_free(x509) }
        return body(x509)
    }

    /// The certificate in PEM (`-----BEGIN CERTIFICATE-----`).
    public var pemString: String {
        inspect { x509 in
            let bytes = (try? OpenSSLSupport.writeBIO("a certificate") { PEM_write_bio_X509($0, x509) == 1 }) ?? []
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    public var serialNumber: SerialNumber {
        inspect { SerialNumber(bytes: OpenSSLSupport.bytes(X509_get0_serialNumber($0))) }
    }

    public var notBefore: Date { inspect { OpenSSLSupport.date(X509_get0_notBefore($0)) ?? .distantPast } }
    public var notAfter: Date { inspect { OpenSSLSupport.date(X509_get0_notAfter($0)) ?? .distantPast } }

    /// The subject in RFC 2253 form, e.g. `CN=gateway 1,O=Example Hospital`.
    public var subject: String { inspect { Self.nameText(X509_get_subject_name($0)) } }
    /// The issuer in RFC 2253 form.
    public var issuer: String { inspect { Self.nameText(X509_get_issuer_name($0)) } }

    /// The subject's common name, if it has one.
    public var subjectCommonName: String? {
        inspect { x509 in
            guard let name = X509_get_subject_name(x509) else { return nil }
            let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
            guard index >= 0, let entry = X509_NAME_get_entry(name, index),
                let data = X509_NAME_ENTRY_get_data(entry)
            else { return nil }
            var utf8: UnsafeMutablePointer<UInt8>? = nil
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            guard length >= 0, let utf8 else { return nil }
            defer { dh_openssl_free(utf8) }
            return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
        }
    }

    public var subjectAlternativeNames: SubjectAlternativeNames {
        inspect(Self.subjectAlternativeNames)
    }

    /// The extendedKeyUsage purposes DataHealth knows, or nil when the certificate has no
    /// extendedKeyUsage extension (which means: any purpose).
    public var extendedKeyUsage: [ExtendedKeyUsage]? {
        inspect { x509 in
            let flags = X509_get_extended_key_usage(x509)
            guard flags != UInt32.max else { return nil }
            var usages: [ExtendedKeyUsage] = []
            if flags & UInt32(XKU_SSL_SERVER) != 0 { usages.append(.serverAuth) }
            if flags & UInt32(XKU_SSL_CLIENT) != 0 { usages.append(.clientAuth) }
            if flags & UInt32(XKU_CODE_SIGN) != 0 { usages.append(.codeSigning) }
            if flags & UInt32(XKU_SMIME) != 0 { usages.append(.emailProtection) }
            return usages
        }
    }

    /// Whether the certificate is a CA (basicConstraints CA:TRUE).
    public var isCertificateAuthority: Bool { inspect { X509_check_ca($0) != 0 } }

    /// The caller identity this certificate carries (its single `dh://` SAN URI).
    ///
    /// - Throws: ``IdentityError``; `.missing` when there is no `dh://` URI.
    public func peerIdentity() throws(IdentityError) -> PeerIdentity {
        try PeerIdentity(subjectAlternativeNameURIs: subjectAlternativeNames.uris)
    }

    // MARK: X509 helpers shared with the TLS engine

    static func subjectAlternativeNames(_ x509: OpaquePointer) -> SubjectAlternativeNames {
        var names = SubjectAlternativeNames()
        guard let list = dh_x509_subject_alt_names(x509) else {
            OpenSSLErrorQueue.clear()
            return names
        }
        defer { dh_general_names_free(list) }
        for index in 0..<dh_general_names_count(list) {
            guard let name = dh_general_names_value(list, index) else { continue }
            var type: Int32 = 0
            guard let value = GENERAL_NAME_get0_value(name, &type) else { continue }
            let bytes = OpenSSLSupport.bytes(value.assumingMemoryBound(to: ASN1_STRING.self))
            switch type {
            case GEN_DNS: names.dnsNames.append(String(decoding: bytes, as: UTF8.self))
            case GEN_URI: names.uris.append(String(decoding: bytes, as: UTF8.self))
            case GEN_IPADD: names.ipAddresses.append(OpenSSLSupport.formatIPAddress(bytes))
            default: continue
            }
        }
        return names
    }

    static func nameText(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bytes =
            (try? OpenSSLSupport.writeBIO("a name") { bio in
                X509_NAME_print_ex(bio, name, 0, dh_xn_flags_rfc2253_utf8()) >= 0
            }) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Certificate: CustomStringConvertible {
    /// Subject, issuer and serial number, e.g. for logs.
    public var description: String { "Certificate(subject: \(subject), issuer: \(issuer), serial: \(serialNumber))" }
}
