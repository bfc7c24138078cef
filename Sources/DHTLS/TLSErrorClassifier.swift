internal import COpenSSL

/// Turns OpenSSL's account of a failure (SSL_get_error, the verify result, the error queue,
/// and what our callbacks noted) into a ``TLSError`` that names what failed.
enum TLSErrorClassifier {
    static func classify(
        ssl: OpaquePointer, sslError: Int32, notes: ConnectionNotes, entries: [OpenSSLErrorEntry],
        duringHandshake: Bool
    ) -> TLSError {
        let reasonText = entries.isEmpty ? nil : entries.map(\.text).joined(separator: "; ")
        func error(
            _ code: TLSError.Code, _ message: String, verifyResult: Int? = nil, byPeer: Bool = false,
            cause: (any Error & Sendable)? = nil
        ) -> TLSError {
            TLSError(
                code: code, message: message, openSSLReason: reasonText, verifyResult: verifyResult,
                reportedByPeer: byPeer, cause: cause)
        }

        // 1. What our callbacks refused.
        if let refusal = notes.applicationProtocolRefusal {
            return error(.noALPNMatch, refusal)
        }
        if let identityError = notes.identityError {
            return error(
                identityError.code == .missing ? .noIdentity : .invalidIdentity,
                "the peer's certificate has no valid identity: \(identityError.message)", cause: identityError)
        }

        // 2. Certificate verification, by its X509_V_ERR code.
        let sslReasons = entries.filter { $0.library == ERR_LIB_SSL }.map(\.reason)
        let verifyResult = Int(SSL_get_verify_result(ssl))
        if verifyResult != Int(X509_V_OK), sslReasons.contains(SSL_R_CERTIFICATE_VERIFY_FAILED) {
            let text = X509_verify_cert_error_string(verifyResult).map { String(cString: $0) } ?? "\(verifyResult)"
            let what = notes.role == .server ? "client" : "server"
            return error(
                verificationCode(Int32(verifyResult)), "the \(what) certificate failed verification: \(text)",
                verifyResult: verifyResult)
        }

        // 3. OpenSSL's reasons: our own refusals, then alerts the peer sent.
        for reason in sslReasons {
            switch reason {
            case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
                return error(.noClientCertificate, "the client sent no certificate")
            case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_VERSION_TOO_LOW, SSL_R_NO_PROTOCOLS_AVAILABLE:
                return error(.protocolVersion, "the peer does not speak TLS 1.3")
            case SSL_R_NO_APPLICATION_PROTOCOL:
                return error(.noALPNMatch, "no common ALPN protocol")
            default:
                if let (code, alert) = peerAlert(reason) {
                    return error(code, "the peer refused the connection with alert '\(alert)'", byPeer: true)
                }
            }
        }
        if sslError == SSL_ERROR_ZERO_RETURN {
            return error(
                duringHandshake ? .handshakeFailure : .connectionFailure, "the peer closed the connection")
        }
        return duringHandshake
            ? error(.handshakeFailure, "the TLS handshake failed")
            : error(.connectionFailure, "the TLS connection failed")
    }

    static func verificationCode(_ result: Int32) -> TLSError.Code {
        switch result {
        case X509_V_ERR_CERT_HAS_EXPIRED: .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: .notYetValid
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_REJECTED:
            .unknownCA
        case X509_V_ERR_CERT_REVOKED: .revoked
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
            X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
            X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
            X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, X509_V_ERR_DIFFERENT_CRL_SCOPE:
            .revocationUnavailable
        case X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE: .wrongKeyUsage
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH: .hostnameMismatch
        case X509_V_ERR_APPLICATION_VERIFICATION: .noIdentity
        default: .certificateRejected
        }
    }

    /// Alerts a peer sends when it refuses us, by OpenSSL's reason for "received alert X".
    static func peerAlert(_ reason: Int32) -> (TLSError.Code, String)? {
        switch reason {
        case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED: (.expired, "certificate_expired")
        case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED: (.revoked, "certificate_revoked")
        case SSL_R_TLSV1_ALERT_UNKNOWN_CA: (.unknownCA, "unknown_ca")
        case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: (.wrongKeyUsage, "unsupported_certificate")
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED: (.noClientCertificate, "certificate_required")
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION: (.protocolVersion, "protocol_version")
        case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL: (.noALPNMatch, "no_application_protocol")
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE: (.certificateRejected, "bad_certificate")
        case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN: (.certificateRejected, "certificate_unknown")
        case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE: (.handshakeFailure, "handshake_failure")
        case SSL_R_TLSV1_ALERT_DECRYPT_ERROR: (.handshakeFailure, "decrypt_error")
        case SSL_R_TLSV1_ALERT_ACCESS_DENIED: (.certificateRejected, "access_denied")
        default: nil
        }
    }
}
