import Foundation
import SwiftASN1
import X509

/// A parsed X.509 CRL (RFC 5280 §5), signature not yet checked.
///
/// Parsing is strict where a lenient reading could un-revoke a certificate: an unknown
/// signature algorithm, inner and outer algorithm identifiers that differ, trailing bytes,
/// and any critical extension other than the CRL number and the authority key identifier
/// (on the list) or the reason code and the invalidity date (on an entry) make the list
/// unusable. Delta CRLs and CRLs scoped by an issuing distribution point carry such
/// critical extensions, so they are refused rather than mistaken for complete lists.
/// Unknown non-critical extensions are ignored.
///
/// An entry whose serial number is negative (which RFC 5280 forbids, but some old CAs
/// issued) is skipped: swift-certificates cannot parse a certificate with such a serial
/// number, so no certificate could ever be looked up by it.
///
/// Two lists are equal when their DER encodings are.
public struct CertificateRevocationList: Sendable, Hashable {
    /// The largest file (or DER CRL) accepted: 64 MiB.
    public static let maximumFileSize = 64 * 1024 * 1024
    /// The most entries one CRL may list: 1,000,000.
    public static let maximumEntryCount = 1_000_000

    /// The whole CRL, DER-encoded.
    public let derEncoded: [UInt8]
    /// The CA that issued the list.
    public let issuer: DistinguishedName
    /// When the list was issued.
    public let thisUpdate: Date
    /// When the next list will be issued, if the list says.
    public let nextUpdate: Date?
    /// The algorithm the issuer signed the list with.
    public let signatureAlgorithm: Certificate.SignatureAlgorithm
    /// The CRL number extension, as big-endian bytes of a non-negative integer, if present.
    public let crlNumber: [UInt8]?
    /// The key identifier of the authority key identifier extension, if present.
    public let authorityKeyIdentifier: [UInt8]?

    /// The serial numbers of the listed certificates.
    private let revokedSerials: Set<Certificate.SerialNumber>
    /// The DER bytes of `tbsCertList`: what the signature covers.
    private let tbsCertListBytes: ArraySlice<UInt8>
    /// The signature, as the bytes of the BIT STRING.
    private let signatureBytes: ArraySlice<UInt8>

    /// Parses one DER-encoded CRL.
    ///
    /// - Throws: `CRLError` when the bytes are empty, larger than `maximumFileSize`, not
    ///   exactly one well-formed CertificateList, signed with an unsupported algorithm, list
    ///   more than `maximumEntryCount` certificates, or carry an unknown critical extension.
    public init(derEncoded: [UInt8]) throws(CRLError) {
        try self.init(derEncoded: derEncoded, entryLimit: Self.maximumEntryCount)
    }

    /// Parses one DER-encoded CRL that may list at most `entryLimit` certificates.
    init(derEncoded: [UInt8], entryLimit: Int) throws(CRLError) {
        guard !derEncoded.isEmpty else {
            throw CRLError(.empty, "the CRL is empty")
        }
        guard derEncoded.count <= Self.maximumFileSize else {
            throw CRLError(.fileTooLarge, "the CRL is \(derEncoded.count) bytes; at most \(Self.maximumFileSize) are accepted")
        }
        let parsed: CRLFields
        do {
            parsed = try CRLFields(derEncoded: derEncoded, entryLimit: entryLimit)
        } catch let error as CRLError {
            throw error
        } catch {
            throw CRLError(.malformed, "the CRL does not parse: \(crlDescribe(error))")
        }
        self.derEncoded = derEncoded
        self.issuer = parsed.issuer
        self.thisUpdate = parsed.thisUpdate
        self.nextUpdate = parsed.nextUpdate
        self.signatureAlgorithm = parsed.signatureAlgorithm
        self.crlNumber = parsed.crlNumber
        self.authorityKeyIdentifier = parsed.authorityKeyIdentifier
        self.revokedSerials = parsed.revokedSerials
        self.tbsCertListBytes = parsed.tbsCertListBytes
        self.signatureBytes = parsed.signatureBytes
    }

    /// How many distinct serial numbers the list names.
    public var revokedCount: Int { revokedSerials.count }

    /// Whether `issuer`'s public key signed this CRL (and issuer's subject equals this CRL's issuer).
    ///
    /// This checks the signature only: whether `issuer` may sign CRLs at all (its key usage
    /// includes `cRLSign`) and whether it is trusted are the caller's to decide. Each call
    /// verifies the signature again.
    public func isSigned(by issuer: Certificate) -> Bool {
        issuer.subject == self.issuer
            && issuer.publicKey.isValidSignature(
                signatureBytes,
                for: tbsCertListBytes,
                signatureAlgorithm: signatureAlgorithm
            )
    }

    /// Whether the certificate with this serial number is listed.
    public func lists(_ serial: Certificate.SerialNumber) -> Bool {
        revokedSerials.contains(serial)
    }

    public static func == (lhs: CertificateRevocationList, rhs: CertificateRevocationList) -> Bool {
        lhs.derEncoded == rhs.derEncoded
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(derEncoded)
    }
}

extension CertificateRevocationList: CustomStringConvertible {
    public var description: String {
        var text = "CertificateRevocationList(issuer: \(issuer), thisUpdate: \(thisUpdate)"
        if let nextUpdate {
            text += ", nextUpdate: \(nextUpdate)"
        }
        return text + ", revoked: \(revokedCount))"
    }
}

// MARK: - Parsing

/// The fields of a CertificateList, parsed with SwiftASN1.
///
/// ```
/// CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier,
///                                signatureValue BIT STRING }
/// TBSCertList ::= SEQUENCE {
///     version Version OPTIONAL, -- if present, MUST be v2
///     signature AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
///     revokedCertificates SEQUENCE OF SEQUENCE {
///         userCertificate CertificateSerialNumber, revocationDate Time,
///         crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
///     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
private struct CRLFields {
    var issuer: DistinguishedName
    var thisUpdate: Date
    var nextUpdate: Date?
    var signatureAlgorithm: Certificate.SignatureAlgorithm
    var crlNumber: [UInt8]?
    var authorityKeyIdentifier: [UInt8]?
    var revokedSerials: Set<Certificate.SerialNumber> = []
    var tbsCertListBytes: ArraySlice<UInt8>
    var signatureBytes: ArraySlice<UInt8>

    init(derEncoded: [UInt8], entryLimit: Int) throws {
        // DER.parse refuses trailing bytes after the outer SEQUENCE.
        let root = try crlField("the CRL's DER encoding") { try DER.parse(derEncoded) }
        let (tbsNode, outerAlgorithmNode, signatureNode) = try crlField("the CertificateList SEQUENCE") {
            try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next(), let algorithm = nodes.next(), let signature = nodes.next() else {
                    throw CRLError(.malformed, "the CertificateList SEQUENCE has fewer than 3 elements")
                }
                return (tbs, algorithm, signature)
            }
        }
        let signatureAlgorithm = try CRLSignatureAlgorithms.algorithm(outerAlgorithmNode)
        let signature = try crlField("signatureValue") { try ASN1BitString(derEncoded: signatureNode) }
        guard signature.paddingBits == 0 else {
            throw CRLError(.malformed, "signatureValue has \(signature.paddingBits) unused bits")
        }
        self.signatureAlgorithm = signatureAlgorithm
        self.signatureBytes = signature.bytes
        self.tbsCertListBytes = tbsNode.encodedBytes

        var issuer: DistinguishedName?
        var thisUpdate: Date?
        var nextUpdate: Date?
        var revoked: Set<Certificate.SerialNumber> = []
        var crlExtensions: [Certificate.Extension] = []
        try crlField("tbsCertList") {
            try DER.sequence(tbsNode, identifier: .sequence) { nodes in
                let isVersion2 = try Self.version(&nodes)
                guard let innerAlgorithmNode = nodes.next() else {
                    throw CRLError(.malformed, "tbsCertList ends before its signature algorithm")
                }
                guard innerAlgorithmNode.encodedBytes == outerAlgorithmNode.encodedBytes else {
                    throw CRLError(
                        .unsupportedSignatureAlgorithm,
                        "the signature algorithm inside tbsCertList differs from the one outside it"
                    )
                }
                guard let issuerNode = nodes.next() else {
                    throw CRLError(.malformed, "tbsCertList ends before its issuer")
                }
                issuer = try crlField("the issuer name") { try DistinguishedName(derEncoded: issuerNode) }
                guard let thisUpdateNode = nodes.next() else {
                    throw CRLError(.malformed, "tbsCertList ends before thisUpdate")
                }
                thisUpdate = try crlField("thisUpdate") { try crlTime(thisUpdateNode) }
                var lookahead = nodes
                if let node = lookahead.next(), node.identifier == .utcTime || node.identifier == .generalizedTime {
                    nodes = lookahead
                    nextUpdate = try crlField("nextUpdate") { try crlTime(node) }
                }
                lookahead = nodes
                if let node = lookahead.next(), node.identifier == .sequence {
                    nodes = lookahead
                    revoked = try Self.revokedCertificates(node, extensionsAllowed: isVersion2, limit: entryLimit)
                }
                if let extensions = try crlField("crlExtensions", {
                    try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                        try crlExtensionList(node, of: "the CRL")
                    }
                }) {
                    guard isVersion2 else {
                        throw CRLError(.malformed, "a version 1 CRL has crlExtensions; only version 2 CRLs may")
                    }
                    crlExtensions = extensions
                }
                if let extra = nodes.next() {
                    throw CRLError(.malformed, "tbsCertList has an unexpected element \(extra.identifier) after its fields")
                }
            }
        }
        // `try crlField` above returns only after setting both.
        self.issuer = issuer!
        self.thisUpdate = thisUpdate!
        self.nextUpdate = nextUpdate
        self.revokedSerials = revoked

        for crlExtension in crlExtensions {
            switch crlExtension.oid {
            case CRLExtensionIDs.crlNumber:
                let number = try crlField("the CRL number extension") {
                    try ArraySlice<UInt8>(derEncoded: crlExtension.value)
                }
                crlNumber = Array(number)
            case CRLExtensionIDs.authorityKeyIdentifier:
                let identifier = try crlField("the authority key identifier extension") {
                    try AuthorityKeyIdentifier(crlExtension)
                }
                authorityKeyIdentifier = identifier.keyIdentifier.map { Array($0) }
            default:
                if crlExtension.critical {
                    throw CRLError(
                        .unsupportedCriticalExtension,
                        "the CRL has an unsupported critical extension \(crlExtensionName(crlExtension.oid))"
                    )
                }
            }
        }
    }

    /// Reads the optional version; returns whether it is v2. A version other than v2 is refused.
    private static func version(_ nodes: inout ASN1NodeCollection.Iterator) throws -> Bool {
        var lookahead = nodes
        guard let node = lookahead.next(), node.identifier == .integer else { return false }
        nodes = lookahead
        let version = try crlField("the CRL version") { try Int(derEncoded: node) }
        guard version == 1 else {
            throw CRLError(.malformed, "the CRL's version field is \(version); when present it must be 1 (v2)")
        }
        return true
    }

    /// Reads `revokedCertificates` into a set of serial numbers.
    private static func revokedCertificates(
        _ node: ASN1Node,
        extensionsAllowed: Bool,
        limit: Int
    ) throws -> Set<Certificate.SerialNumber> {
        var serials: Set<Certificate.SerialNumber> = []
        var count = 0
        try crlField("revokedCertificates") {
            try DER.sequence(node, identifier: .sequence) { entries in
                // Count first, so that an oversized list is refused before any entry is read.
                var counter = entries
                var entryCount = 0
                while counter.next() != nil {
                    entryCount += 1
                    guard entryCount <= limit else {
                        throw CRLError(.tooManyEntries, "the CRL lists more than \(limit) certificates")
                    }
                }
                serials.reserveCapacity(entryCount)
                while let entry = entries.next() {
                    count += 1
                    if let serial = try crlField("revoked certificate entry \(count)", {
                        try revokedEntry(entry, number: count, extensionsAllowed: extensionsAllowed)
                    }) {
                        serials.insert(serial)
                    }
                }
            }
        }
        return serials
    }

    /// Reads one entry; returns its serial number, or nil for a negative one.
    private static func revokedEntry(
        _ node: ASN1Node,
        number: Int,
        extensionsAllowed: Bool
    ) throws -> Certificate.SerialNumber? {
        try DER.sequence(node, identifier: .sequence) { fields in
            let serial = try CRLSignedInteger(derEncoded: &fields)
            guard let revocationDate = fields.next() else {
                throw CRLError(.malformed, "revoked certificate entry \(number) has no revocation date")
            }
            _ = try crlTime(revocationDate)
            if let extensionsNode = fields.next() {
                guard extensionsAllowed else {
                    throw CRLError(.malformed, "a version 1 CRL has entry extensions; only version 2 CRLs may")
                }
                for entryExtension in try crlExtensionList(extensionsNode, of: "revoked certificate entry \(number)")
                where entryExtension.critical {
                    switch entryExtension.oid {
                    case CRLExtensionIDs.reasonCode, CRLExtensionIDs.invalidityDate:
                        continue
                    default:
                        throw CRLError(
                            .unsupportedCriticalExtension,
                            "revoked certificate entry \(number) has an unsupported critical extension "
                                + crlExtensionName(entryExtension.oid)
                        )
                    }
                }
            }
            guard !serial.isNegative else { return nil }
            return Certificate.SerialNumber(bytes: serial.bytes)
        }
    }
}

/// An INTEGER read with its sign, so that a negative serial number is recognised rather
/// than refused.
private struct CRLSignedInteger: ASN1IntegerRepresentable {
    static var isSigned: Bool { true }

    var bytes: ArraySlice<UInt8>

    var isNegative: Bool { (bytes.first ?? 0) & 0x80 != 0 }

    init(derIntegerBytes: ArraySlice<UInt8>) throws {
        bytes = derIntegerBytes
    }

    init(berIntegerBytes: ArraySlice<UInt8>) throws {
        bytes = berIntegerBytes
    }

    func withBigEndianIntegerBytes<ReturnType>(
        _ body: (ArraySlice<UInt8>) throws -> ReturnType
    ) rethrows -> ReturnType {
        try body(bytes)
    }
}

/// Reads an `Extensions` SEQUENCE, refusing an extension that appears twice (RFC 5280 §4.2).
private func crlExtensionList(_ node: ASN1Node, of owner: @autoclosure () -> String) throws -> [Certificate.Extension] {
    let extensions = try crlField("the extensions of \(owner())") {
        try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: node)
    }
    var seen = Set<ASN1ObjectIdentifier>()
    for crlExtension in extensions where !seen.insert(crlExtension.oid).inserted {
        throw CRLError(.malformed, "\(owner()) has the extension \(crlExtensionName(crlExtension.oid)) twice")
    }
    return extensions
}

/// Reads a `Time` (UTCTime or GeneralizedTime) as a date.
private func crlTime(_ node: ASN1Node) throws -> Date {
    switch node.identifier {
    case .utcTime:
        let time = try UTCTime(derEncoded: node)
        return crlDate(
            year: time.year, month: time.month, day: time.day,
            hours: time.hours, minutes: time.minutes, seconds: time.seconds, fraction: 0
        )
    case .generalizedTime:
        let time = try GeneralizedTime(derEncoded: node)
        return crlDate(
            year: time.year, month: time.month, day: time.day,
            hours: time.hours, minutes: time.minutes, seconds: time.seconds, fraction: time.fractionalSeconds
        )
    default:
        throw CRLError(.malformed, "a time is a \(node.identifier), not a UTCTime or GeneralizedTime")
    }
}

/// The date of a proleptic Gregorian UTC time, from its already validated fields.
private func crlDate(year: Int, month: Int, day: Int, hours: Int, minutes: Int, seconds: Int, fraction: Double) -> Date {
    // Days from 1970-01-01 (H. Hinnant's days_from_civil, with the year starting in March).
    let shiftedYear = month <= 2 ? year - 1 : year
    let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
    let yearOfEra = shiftedYear - era * 400
    let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    let secondsSinceEpoch = days * 86_400 + hours * 3_600 + minutes * 60 + seconds
    return Date(timeIntervalSince1970: Double(secondsSinceEpoch) + fraction)
}

/// Runs `body`, turning an error that is not already a `CRLError` into a `malformed` one
/// that names `what` was being read.
private func crlField<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as CRLError {
        throw error
    } catch {
        throw CRLError(.malformed, "\(what()) does not parse: \(crlDescribe(error))")
    }
}

/// A short description of a parsing error, without the source location SwiftASN1 adds,
/// and cut to 200 characters (a PEM error may quote the input).
func crlDescribe(_ error: any Error) -> String {
    var text = String(describing: error)
    if error is ASN1Error {
        if text.hasPrefix("ASN1Error.") {
            text.removeFirst("ASN1Error.".count)
        }
        if let space = text.lastIndex(of: " "), text[space...].contains(".swift:") {
            text = String(text[..<space])
        }
    }
    return text.count > 200 ? text.prefix(200) + "…" : text
}

/// An extension's name for messages: its common name when it has one, else its OID.
private func crlExtensionName(_ oid: ASN1ObjectIdentifier) -> String {
    switch oid {
    case CRLExtensionIDs.deltaCRLIndicator: return "deltaCRLIndicator (\(oid))"
    case CRLExtensionIDs.issuingDistributionPoint: return "issuingDistributionPoint (\(oid))"
    case CRLExtensionIDs.certificateIssuer: return "certificateIssuer (\(oid))"
    default: return "\(oid)"
    }
}

/// The OIDs of the CRL and CRL entry extensions this parser knows (RFC 5280 §5.2, §5.3).
private enum CRLExtensionIDs {
    static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
    static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
    static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
    static let issuingDistributionPoint: ASN1ObjectIdentifier = [2, 5, 29, 28]
    static let certificateIssuer: ASN1ObjectIdentifier = [2, 5, 29, 29]
}

/// The signature algorithms a CRL may be signed with, by AlgorithmIdentifier.
private enum CRLSignatureAlgorithms {
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 4, 3, 3]
    static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 4, 3, 4]
    static let sha256WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 11]
    static let sha384WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 12]
    static let sha512WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 13]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
    static let rsaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 10]
    static let sha1WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 5]
    static let ecdsaWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 10_045, 4, 1]

    /// Maps an AlgorithmIdentifier to the algorithm swift-certificates verifies.
    ///
    /// ECDSA and Ed25519 identifiers must have no parameters; RSA PKCS #1 v1.5 ones a NULL
    /// or none (RFC 4055 §5).
    static func algorithm(_ node: ASN1Node) throws -> Certificate.SignatureAlgorithm {
        let (oid, parameters) = try crlField("the signature algorithm") {
            try DER.sequence(node, identifier: .sequence) { nodes in
                let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
                return (oid, nodes.next())
            }
        }
        let algorithm: Certificate.SignatureAlgorithm
        let parametersAreNull: Bool
        switch oid {
        case ecdsaWithSHA256: (algorithm, parametersAreNull) = (.ecdsaWithSHA256, false)
        case ecdsaWithSHA384: (algorithm, parametersAreNull) = (.ecdsaWithSHA384, false)
        case ecdsaWithSHA512: (algorithm, parametersAreNull) = (.ecdsaWithSHA512, false)
        case ed25519: (algorithm, parametersAreNull) = (.ed25519, false)
        case sha256WithRSAEncryption: (algorithm, parametersAreNull) = (.sha256WithRSAEncryption, true)
        case sha384WithRSAEncryption: (algorithm, parametersAreNull) = (.sha384WithRSAEncryption, true)
        case sha512WithRSAEncryption: (algorithm, parametersAreNull) = (.sha512WithRSAEncryption, true)
        case rsaPSS:
            throw CRLError(.unsupportedSignatureAlgorithm, "the CRL is signed with RSA-PSS (\(oid)), which is not supported")
        case sha1WithRSAEncryption, ecdsaWithSHA1:
            throw CRLError(.unsupportedSignatureAlgorithm, "the CRL is signed with SHA-1 (\(oid)), which is refused as too weak")
        default:
            throw CRLError(.unsupportedSignatureAlgorithm, "the CRL is signed with an unknown algorithm \(oid)")
        }
        if let parameters {
            guard parametersAreNull else {
                throw CRLError(.malformed, "the signature algorithm \(oid) has parameters; it must have none")
            }
            _ = try crlField("the signature algorithm's parameters") { try ASN1Null(derEncoded: parameters) }
        }
        return algorithm
    }
}
