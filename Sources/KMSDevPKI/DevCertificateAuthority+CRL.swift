import Crypto
import Foundation
import SwiftASN1
import X509

extension DevCertificateAuthority {
    /// Issues a version 2 certificate revocation list (RFC 5280 §5) signed by this CA, in DER.
    ///
    /// Every serial number is listed with `thisUpdate` as its revocation date. The list
    /// carries a non-critical CRL number (the whole seconds of `thisUpdate` since 1970, so a
    /// later list has a larger number) and a non-critical authority key identifier naming
    /// this CA's key. Dates are written to the second: UTCTime before 2050, GeneralizedTime
    /// after. The signature algorithm follows the CA key: ECDSA with SHA-256/384/512 for
    /// P-256/384/521, Ed25519, or RSA PKCS #1 v1.5 with SHA-256.
    ///
    /// - Parameters:
    ///   - serials: the serial numbers of the revoked certificates; may be empty.
    ///   - thisUpdate: when the list is issued.
    ///   - nextUpdate: when the next list is due, or nil to leave it out.
    /// - Throws: `DevPKIError` when `nextUpdate` is before `thisUpdate`, a date is before
    ///   1970, or the list cannot be encoded or signed.
    public func issueCRL(
        revoking serials: [Certificate.SerialNumber],
        thisUpdate: Date,
        nextUpdate: Date?
    ) throws(DevPKIError) -> [UInt8] {
        if let nextUpdate, nextUpdate < thisUpdate {
            throw DevPKIError("the CRL's nextUpdate \(nextUpdate) is before its thisUpdate \(thisUpdate)")
        }
        guard thisUpdate.timeIntervalSince1970 >= 0 else {
            throw DevPKIError("the CRL's thisUpdate \(thisUpdate) is before 1970")
        }
        // The key is read back from its PEM, which is public, rather than widening access
        // to the stored key.
        let key = try wrappingErrors("cannot read the CA private key", includeCause: false) {
            try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        }
        let algorithm = DevCRLSignatureAlgorithm(for: key.publicKey)
        let keyIdentifier =
            (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        let tbsCertList = try wrappingErrors("cannot encode the CRL") {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(1)  // version v2
                try algorithm.serializeIdentifier(into: &coder)
                try coder.serialize(certificate.subject)
                try serializeCRLTime(thisUpdate, into: &coder)
                if let nextUpdate {
                    try serializeCRLTime(nextUpdate, into: &coder)
                }
                if !serials.isEmpty {
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        for serial in serials {
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                try coder.serialize(serial.bytes)
                                try serializeCRLTime(thisUpdate, into: &coder)
                            }
                        }
                    }
                }
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        var number = DER.Serializer()
                        try number.serialize(UInt64(thisUpdate.timeIntervalSince1970.rounded(.down)))
                        try coder.serialize(
                            Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: number.serializedBytes[...])
                        )
                        try coder.serialize(
                            Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: keyIdentifier), critical: false)
                        )
                    }
                }
            }
            return coder.serializedBytes
        }
        let signature = try wrappingErrors("cannot sign the CRL") {
            try key.sign(bytes: tbsCertList, signatureAlgorithm: algorithm.algorithm)
        }
        return try wrappingErrors("cannot encode the CRL") {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                coder.serializeRawBytes(tbsCertList)
                try algorithm.serializeIdentifier(into: &coder)
                try coder.serialize(ASN1BitString(bytes: signature.rawRepresentation[...]))
            }
            return coder.serializedBytes
        }
    }

    /// Issues a CRL as `issueCRL(revoking:thisUpdate:nextUpdate:)` does, as one PEM block
    /// labelled `X509 CRL` (`-----BEGIN X509 CRL-----`).
    ///
    /// - Throws: `DevPKIError` as `issueCRL(revoking:thisUpdate:nextUpdate:)` does.
    public func issueCRLPEM(
        revoking serials: [Certificate.SerialNumber],
        thisUpdate: Date,
        nextUpdate: Date?
    ) throws(DevPKIError) -> String {
        let der = try issueCRL(revoking: serials, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        return PEMDocument(type: "X509 CRL", derBytes: der).pemString
    }
}

/// The signature algorithm a dev CA signs its CRLs with, chosen by its key type.
private struct DevCRLSignatureAlgorithm {
    let algorithm: Certificate.SignatureAlgorithm
    let oid: ASN1ObjectIdentifier
    /// RSA PKCS #1 v1.5 identifiers carry an explicit NULL (RFC 4055 §5); ECDSA and Ed25519 none.
    let nullParameters: Bool

    init(for publicKey: Certificate.PublicKey) {
        if P256.Signing.PublicKey(publicKey) != nil {
            (algorithm, oid, nullParameters) = (.ecdsaWithSHA256, [1, 2, 840, 10_045, 4, 3, 2], false)
        } else if P384.Signing.PublicKey(publicKey) != nil {
            (algorithm, oid, nullParameters) = (.ecdsaWithSHA384, [1, 2, 840, 10_045, 4, 3, 3], false)
        } else if P521.Signing.PublicKey(publicKey) != nil {
            (algorithm, oid, nullParameters) = (.ecdsaWithSHA512, [1, 2, 840, 10_045, 4, 3, 4], false)
        } else if Curve25519.Signing.PublicKey(publicKey) != nil {
            (algorithm, oid, nullParameters) = (.ed25519, [1, 3, 101, 112], false)
        } else {
            // The only other key type swift-certificates has.
            (algorithm, oid, nullParameters) = (.sha256WithRSAEncryption, [1, 2, 840, 113_549, 1, 1, 11], true)
        }
    }

    func serializeIdentifier(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            if nullParameters {
                try coder.serialize(ASN1Null())
            }
        }
    }
}

/// Writes `date`, truncated to the second, as a UTCTime before 2050 and a GeneralizedTime
/// from 2050 on (RFC 5280 §5.1.2.4).
private func serializeCRLTime(_ date: Date, into coder: inout DER.Serializer) throws {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
    let (year, month, day) = (parts.year!, parts.month!, parts.day!)
    let (hours, minutes, seconds) = (parts.hour!, parts.minute!, parts.second!)
    if (1950..<2050).contains(year) {
        try coder.serialize(
            UTCTime(year: year, month: month, day: day, hours: hours, minutes: minutes, seconds: seconds)
        )
    } else {
        try coder.serialize(
            GeneralizedTime(
                year: year, month: month, day: day, hours: hours, minutes: minutes, seconds: seconds,
                fractionalSeconds: 0
            )
        )
    }
}
