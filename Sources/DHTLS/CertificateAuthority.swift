internal import COpenSSL
public import DHIdentity

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An extended key usage (EKU) purpose.
public struct ExtendedKeyUsage: Sendable, Hashable, CustomStringConvertible {
    /// OpenSSL's short name for the purpose.
    let name: String

    /// TLS server authentication: every DataHealth server certificate.
    public static let serverAuth = ExtendedKeyUsage(name: "serverAuth")
    /// TLS client authentication: every caller certificate.
    public static let clientAuth = ExtendedKeyUsage(name: "clientAuth")
    /// Code signing: never valid for TLS.
    public static let codeSigning = ExtendedKeyUsage(name: "codeSigning")
    /// S/MIME e-mail protection: never valid for TLS.
    public static let emailProtection = ExtendedKeyUsage(name: "emailProtection")

    public var description: String { name }
}

/// What goes into a certificate. The convenience makers give DataHealth's standard profiles;
/// the stored properties can be changed to make anything else (tests use that to make
/// certificates that must be refused).
public struct CertificateProfile: Sendable, Hashable {
    public var commonName: String
    public var organization: String?
    public var notBefore: Date
    public var notAfter: Date
    public var subjectAlternativeNames: SubjectAlternativeNames
    /// Empty means no extendedKeyUsage extension.
    public var extendedKeyUsage: [ExtendedKeyUsage]
    public var isCertificateAuthority: Bool
    /// Nil: 128 random bits.
    public var serialNumber: SerialNumber?

    public init(
        commonName: String, organization: String? = nil, notBefore: Date, notAfter: Date,
        subjectAlternativeNames: SubjectAlternativeNames = SubjectAlternativeNames(),
        extendedKeyUsage: [ExtendedKeyUsage] = [], isCertificateAuthority: Bool = false,
        serialNumber: SerialNumber? = nil
    ) {
        self.commonName = commonName
        self.organization = organization
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectAlternativeNames = subjectAlternativeNames
        self.extendedKeyUsage = extendedKeyUsage
        self.isCertificateAuthority = isCertificateAuthority
        self.serialNumber = serialNumber
    }

    /// A TLS server certificate: DNS and IP SANs, serverAuth.
    public static func server(
        commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], notBefore: Date, notAfter: Date
    ) -> CertificateProfile {
        CertificateProfile(
            commonName: commonName, notBefore: notBefore, notAfter: notAfter,
            subjectAlternativeNames: SubjectAlternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses),
            extendedKeyUsage: [.serverAuth])
    }

    /// A caller certificate: the identity as SAN URI `dh://ORG/ROLE/ID`, clientAuth.
    public static func client(identity: PeerIdentity, notBefore: Date, notAfter: Date) -> CertificateProfile {
        CertificateProfile(
            commonName: "\(identity.role.rawValue) \(identity.id)", organization: identity.organization,
            notBefore: notBefore, notAfter: notAfter,
            subjectAlternativeNames: SubjectAlternativeNames(uris: [identity.uri]),
            extendedKeyUsage: [.clientAuth])
    }
}

/// A certificate authority: its certificate and private key. Issues certificates and CRLs.
public struct CertificateAuthority: Sendable, Hashable {
    public let certificate: Certificate
    public let privateKey: PrivateKey

    /// Pairs a CA certificate with its key.
    ///
    /// - Throws: ``PKIError/Code/keyMismatch`` when the key is not the certificate's, and
    ///   ``PKIError/Code/invalidCertificate`` when the certificate is not a CA.
    public init(certificate: Certificate, privateKey: PrivateKey) throws(PKIError) {
        let x509 = try certificate.makeX509()
        defer { X509_free(x509) }
        let key = try privateKey.makeEVPKey()
        defer { EVP_PKEY_free(key) }
        guard X509_check_private_key(x509, key) == 1 else {
            throw PKIError.fromQueue(.keyMismatch, "the private key does not belong to the CA certificate")
        }
        guard X509_check_ca(x509) != 0 else {
            throw PKIError(code: .invalidCertificate, message: "'\(certificate.subject)' is not a CA certificate")
        }
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Makes a self-signed development CA.
    public static func makeDevelopmentCA(
        commonName: String = "DataHealth Development CA", organization: String? = "DataHealth Development",
        privateKey: PrivateKey, notBefore: Date, notAfter: Date
    ) throws(PKIError) -> CertificateAuthority {
        let profile = CertificateProfile(
            commonName: commonName, organization: organization, notBefore: notBefore, notAfter: notAfter,
            isCertificateAuthority: true)
        let certificate = try sign(profile, subjectKey: privateKey, issuer: nil, issuerKey: privateKey)
        return try CertificateAuthority(certificate: certificate, privateKey: privateKey)
    }

    /// Issues a certificate for the public half of `subjectKey`.
    ///
    /// - Throws: ``PKIError/Code/invalidName``, ``PKIError/Code/invalidValidity``,
    ///   ``PKIError/Code/signingFailed``.
    public func issue(_ profile: CertificateProfile, for subjectKey: PrivateKey) throws(PKIError) -> Certificate {
        try Self.sign(profile, subjectKey: subjectKey, issuer: certificate, issuerKey: privateKey)
    }

    /// Makes a CRL (v2) listing `entries`, signed by this CA.
    public func makeRevocationList(
        entries: [CertificateRevocationList.Entry], number: Int, thisUpdate: Date, nextUpdate: Date
    ) throws(PKIError) -> CertificateRevocationList {
        guard nextUpdate > thisUpdate else {
            throw PKIError(code: .invalidValidity, message: "nextUpdate must be later than thisUpdate")
        }
        guard number >= 0 else { throw PKIError(code: .invalidValidity, message: "the CRL number must not be negative") }
        OpenSSLErrorQueue.clear()
        let issuer = try certificate.makeX509()
        defer { X509_free(issuer) }
        let key = try privateKey.makeEVPKey()
        defer { EVP_PKEY_free(key) }
        guard let crl = X509_CRL_new() else { throw PKIError.fromQueue(.internalError, "cannot allocate a CRL") }
        defer { X509_CRL_free(crl) }

        let last = try OpenSSLSupport.makeTime(thisUpdate)
        defer { ASN1_TIME_free(last) }
        let next = try OpenSSLSupport.makeTime(nextUpdate)
        defer { ASN1_TIME_free(next) }
        guard X509_CRL_set_version(crl, 1) == 1,
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) == 1,
            X509_CRL_set1_lastUpdate(crl, last) == 1,
            X509_CRL_set1_nextUpdate(crl, next) == 1
        else { throw PKIError.fromQueue(.internalError, "cannot fill in the CRL") }

        for entry in entries {
            guard let revoked = X509_REVOKED_new() else {
                throw PKIError.fromQueue(.internalError, "cannot allocate a CRL entry")
            }
            let serial = try OpenSSLSupport.makeInteger(entry.serialNumber.bytes)
            defer { ASN1_INTEGER_free(serial) }
            let date = try OpenSSLSupport.makeTime(entry.revocationDate)
            defer { ASN1_TIME_free(date) }
            guard X509_REVOKED_set_serialNumber(revoked, serial) == 1,
                X509_REVOKED_set_revocationDate(revoked, date) == 1,
                X509_CRL_add0_revoked(crl, revoked) == 1
            else {
                X509_REVOKED_free(revoked)
                throw PKIError.fromQueue(.internalError, "cannot add a CRL entry")
            }
        }
        let crlNumber = try OpenSSLSupport.makeInteger(Self.bigEndian(number))
        defer { ASN1_INTEGER_free(crlNumber) }
        guard X509_CRL_sort(crl) == 1, X509_CRL_add1_ext_i2d(crl, NID_crl_number, crlNumber, 0, 0) == 1 else {
            throw PKIError.fromQueue(.internalError, "cannot finish the CRL")
        }
        guard X509_CRL_sign(crl, key, PrivateKey.signingDigest(key)) > 0 else {
            throw PKIError.fromQueue(.signingFailed, "cannot sign the CRL")
        }
        return try CertificateRevocationList(crl: crl)
    }

    // MARK: Signing

    private static func bigEndian(_ number: Int) -> [UInt8] {
        var value = UInt64(number)
        var bytes: [UInt8] = []
        repeat {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        } while value > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return bytes
    }

    /// Builds and signs a certificate; `issuer == nil` means self-signed.
    private static func sign(
        _ profile: CertificateProfile, subjectKey: PrivateKey, issuer: Certificate?, issuerKey: PrivateKey
    ) throws(PKIError) -> Certificate {
        guard profile.notAfter > profile.notBefore else {
            throw PKIError(code: .invalidValidity, message: "notAfter must be later than notBefore")
        }
        try validate(profile)
        OpenSSLErrorQueue.clear()
        let subjectEVP = try subjectKey.makeEVPKey()
        defer { EVP_PKEY_free(subjectEVP) }
        let signingEVP = try issuerKey.makeEVPKey()
        defer { EVP_PKEY_free(signingEVP) }
        let issuerX509 = try issuer?.makeX509()
        defer { if let issuerX509 { X509_free(issuerX509) } }

        guard let x509 = X509_new() else { throw PKIError.fromQueue(.internalError, "cannot allocate a certificate") }
        defer { X509_free(x509) }

        let serial = try OpenSSLSupport.makeInteger((profile.serialNumber ?? .random()).bytes)
        defer { ASN1_INTEGER_free(serial) }
        let notBefore = try OpenSSLSupport.makeTime(profile.notBefore)
        defer { ASN1_TIME_free(notBefore) }
        let notAfter = try OpenSSLSupport.makeTime(profile.notAfter)
        defer { ASN1_TIME_free(notAfter) }
        guard let name = X509_NAME_new() else { throw PKIError.fromQueue(.internalError, "cannot allocate a name") }
        defer { X509_NAME_free(name) }
        if let organization = profile.organization {
            guard X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, organization, -1, -1, 0) == 1 else {
                throw PKIError.fromQueue(.invalidName, "organisation '\(organization)' cannot go into a name")
            }
        }
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, profile.commonName, -1, -1, 0) == 1 else {
            throw PKIError.fromQueue(.invalidName, "common name '\(profile.commonName)' cannot go into a name")
        }
        guard X509_set_version(x509, 2) == 1,
            X509_set_serialNumber(x509, serial) == 1,
            X509_set_subject_name(x509, name) == 1,
            X509_set_issuer_name(x509, issuerX509.map { X509_get_subject_name($0) } ?? name) == 1,
            X509_set1_notBefore(x509, notBefore) == 1,
            X509_set1_notAfter(x509, notAfter) == 1,
            X509_set_pubkey(x509, subjectEVP) == 1
        else { throw PKIError.fromQueue(.internalError, "cannot fill in the certificate") }

        let issuerForExtensions = issuerX509 ?? x509
        func add(_ nid: Int32, _ value: String) throws(PKIError) {
            guard dh_x509_add_extension(x509, issuerForExtensions, nid, value) == 1 else {
                throw PKIError.fromQueue(.internalError, "cannot add extension '\(value)'")
            }
        }
        if profile.isCertificateAuthority {
            try add(NID_basic_constraints, "critical,CA:TRUE")
            try add(NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature")
        } else {
            try add(NID_basic_constraints, "critical,CA:FALSE")
            try add(NID_key_usage, "critical,digitalSignature")
        }
        if !profile.extendedKeyUsage.isEmpty {
            try add(NID_ext_key_usage, profile.extendedKeyUsage.map(\.name).joined(separator: ","))
        }
        try add(NID_subject_key_identifier, "hash")
        try add(NID_authority_key_identifier, "keyid:always")
        try addSubjectAlternativeNames(profile.subjectAlternativeNames, to: x509)

        guard X509_sign(x509, signingEVP, PrivateKey.signingDigest(signingEVP)) > 0 else {
            throw PKIError.fromQueue(.signingFailed, "cannot sign the certificate")
        }
        return try Certificate(x509: x509)
    }

    private static func validate(_ profile: CertificateProfile) throws(PKIError) {
        guard !profile.commonName.isEmpty, profile.commonName.utf8.count <= 64 else {
            throw PKIError(code: .invalidName, message: "the common name must be 1–64 bytes")
        }
        for dnsName in profile.subjectAlternativeNames.dnsNames {
            let labels = dnsName.split(separator: ".", omittingEmptySubsequences: false)
            let valid =
                dnsName.utf8.count <= 253
                && labels.enumerated().allSatisfy { index, label in
                    (label == "*" && index == 0 && labels.count > 2)
                        || (!label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                            && label.utf8.allSatisfy { byte in
                                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A)
                                    || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "-")
                            })
                }
            guard valid else { throw PKIError(code: .invalidName, message: "'\(dnsName)' is not a DNS name") }
        }
        for uri in profile.subjectAlternativeNames.uris {
            guard !uri.isEmpty, uri.contains(":"), uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw PKIError(code: .invalidName, message: "'\(uri)' is not a URI")
            }
        }
    }

    private static func addSubjectAlternativeNames(
        _ names: SubjectAlternativeNames, to x509: OpaquePointer
    ) throws(PKIError) {
        let all =
            names.dnsNames.map { (GEN_DNS, $0) } + names.ipAddresses.map { (GEN_IPADD, $0) }
            + names.uris.map { (GEN_URI, $0) }
        guard !all.isEmpty else { return }
        guard let list = dh_general_names_new() else {
            throw PKIError.fromQueue(.internalError, "cannot allocate a name list")
        }
        defer { dh_general_names_free(list) }
        for (type, value) in all {
            // One GENERAL_NAME per value: no configuration syntax is parsed, so a value
            // cannot smuggle in a second name.
            guard let name = a2i_GENERAL_NAME(nil, nil, nil, type, value, 0) else {
                throw PKIError.fromQueue(.invalidName, "'\(value)' cannot go into subjectAltName")
            }
            guard dh_general_names_push(list, name) > 0 else {
                GENERAL_NAME_free(name)
                throw PKIError.fromQueue(.internalError, "cannot add '\(value)' to subjectAltName")
            }
        }
        guard X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(list), 0, UInt(X509V3_ADD_DEFAULT)) == 1
        else { throw PKIError.fromQueue(.internalError, "cannot add subjectAltName") }
    }
}
