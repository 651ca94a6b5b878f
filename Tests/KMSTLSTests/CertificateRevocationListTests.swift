import Crypto
import Foundation
import KMSDevPKI
@testable import KMSTLS
import SwiftASN1
import Testing
import X509

@Suite("CertificateRevocationList")
struct CertificateRevocationListTests {
    // MARK: Round trips through the dev CA

    @Test("a dev CA's CRL lists exactly the revoked serials, with its issuer, dates and extensions")
    func devCARoundTrip() throws {
        let authority = try DevCertificateAuthority(commonName: "CRL test CA")
        let revoked = try authority.issueClient(ClientCertificateRequest(commonName: "revoked")).certificate
        let alsoRevoked = try authority.issueClient(ClientCertificateRequest(commonName: "also revoked")).certificate
        let good = try authority.issueClient(ClientCertificateRequest(commonName: "good")).certificate
        let thisUpdate = Date(timeIntervalSince1970: 1_800_000_000.75)
        let nextUpdate = thisUpdate.addingTimeInterval(86_400)

        let der = try authority.issueCRL(
            revoking: [revoked.serialNumber, alsoRevoked.serialNumber, 7],
            thisUpdate: thisUpdate,
            nextUpdate: nextUpdate
        )
        let list = try CertificateRevocationList(derEncoded: der)

        #expect(list.issuer == authority.certificate.subject)
        #expect(list.thisUpdate == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(list.nextUpdate == Date(timeIntervalSince1970: 1_800_086_400))
        #expect(list.lists(revoked.serialNumber))
        #expect(list.lists(alsoRevoked.serialNumber))
        #expect(list.lists(7))
        #expect(!list.lists(good.serialNumber))
        #expect(!list.lists(8))
        #expect(list.revokedCount == 3)
        #expect(list.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(list.crlNumber == CRLTestSupport.bigEndian(1_800_000_000))
        let caKeyID = try #require(try authority.certificate.extensions.subjectKeyIdentifier).keyIdentifier
        #expect(list.authorityKeyIdentifier == Array(caKeyID))
        #expect(list.derEncoded == der)
        #expect(list.isSigned(by: authority.certificate))
    }

    @Test("a CRL without entries or nextUpdate parses, and dates past 2049 use GeneralizedTime")
    func emptyListAndGeneralizedTime() throws {
        let authority = try DevCertificateAuthority()
        let thisUpdate = Date(timeIntervalSince1970: 2_600_000_000)  // 2052
        let list = try CertificateRevocationList(
            derEncoded: authority.issueCRL(revoking: [], thisUpdate: thisUpdate, nextUpdate: nil)
        )
        #expect(list.revokedCount == 0)
        #expect(list.nextUpdate == nil)
        #expect(list.thisUpdate == thisUpdate)
        #expect(list.isSigned(by: authority.certificate))
    }

    @Test("the dev CA refuses a nextUpdate before thisUpdate")
    func devCARefusesBackwardsDates() throws {
        let authority = try DevCertificateAuthority()
        let now = Date()
        #expect(throws: DevPKIError.self) {
            try authority.issueCRL(revoking: [], thisUpdate: now, nextUpdate: now.addingTimeInterval(-1))
        }
    }

    @Test("the signature verifies for the issuing CA only, and not for a certificate with the same name and another key")
    func signatureBindsTheIssuer() throws {
        let authority = try DevCertificateAuthority(commonName: "same name")
        let impostor = try DevCertificateAuthority(commonName: "same name")
        let stranger = try DevCertificateAuthority(commonName: "stranger")
        let list = try CertificateRevocationList(
            derEncoded: authority.issueCRL(revoking: [1], thisUpdate: Date(), nextUpdate: nil)
        )
        #expect(list.isSigned(by: authority.certificate))
        #expect(!list.isSigned(by: impostor.certificate))
        #expect(!list.isSigned(by: stranger.certificate))
        // A leaf of the CA has another subject and key.
        let leaf = try authority.issueClient(ClientCertificateRequest(commonName: "leaf")).certificate
        #expect(!list.isSigned(by: leaf))
    }

    @Test("changing any byte of a signed CRL makes it unparseable or unsigned")
    func everyTamperedByteIsCaught() throws {
        let authority = try DevCertificateAuthority()
        let serial: Certificate.SerialNumber = 0x0102_0304
        let der = try authority.issueCRL(revoking: [serial], thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(60))
        for index in der.indices {
            var tampered = der
            tampered[index] ^= 0x01
            guard let list = try? CertificateRevocationList(derEncoded: tampered) else { continue }
            #expect(!list.isSigned(by: authority.certificate), "byte \(index) changed and the CRL still verifies")
        }
        // The serial's last byte: the list still parses, names another serial, and does not verify.
        let position = try #require(CRLTestSupport.range(of: [0x02, 0x04, 0x01, 0x02, 0x03, 0x04], in: der)).upperBound - 1
        var tampered = der
        tampered[position] = 0x05
        let list = try CertificateRevocationList(derEncoded: tampered)
        #expect(!list.lists(serial))
        #expect(list.lists(0x0102_0305))
        #expect(!list.isSigned(by: authority.certificate))
    }

    @Test("each supported signature algorithm verifies", arguments: CRLTestSupport.KeyKind.allCases)
    func signatureAlgorithms(kind: CRLTestSupport.KeyKind) throws {
        let (key, algorithm) = kind.make()
        let issuer = try CRLTestSupport.selfSignedCertificate(key: key, algorithm: algorithm, commonName: "\(kind)")
        var builder = CRLTestSupport.Builder(issuer: issuer.subject, algorithm: kind.algorithmIdentifier)
        builder.entries = [.init(serial: [0x42])]
        let list = try CertificateRevocationList(derEncoded: builder.build(signingWith: key, algorithm: algorithm))
        #expect(list.signatureAlgorithm == algorithm)
        #expect(list.lists(0x42))
        #expect(list.isSigned(by: issuer))
        let otherIssuer = try CRLTestSupport.selfSignedCertificate(key: kind.make().0, algorithm: algorithm, commonName: "\(kind)")
        #expect(!list.isSigned(by: otherIssuer))
    }

    // MARK: Files

    @Test("parseFile reads one DER CRL")
    func derFile() throws {
        let authority = try DevCertificateAuthority()
        let der = try authority.issueCRL(revoking: [5], thisUpdate: Date(), nextUpdate: nil)
        let lists = try CertificateRevocationList.parseFile(der)
        #expect(lists.count == 1)
        #expect(lists.first?.derEncoded == der)
    }

    @Test("parseFile reads every PEM block of a file, in order, ignoring text around them")
    func pemFileWithSeveralCRLs() throws {
        let first = try DevCertificateAuthority(commonName: "first CA")
        let second = try DevCertificateAuthority(commonName: "second CA")
        let firstPEM = try first.issueCRLPEM(revoking: [1, 2], thisUpdate: Date(), nextUpdate: nil)
        let secondPEM = try second.issueCRLPEM(revoking: [3], thisUpdate: Date(), nextUpdate: nil)
        #expect(firstPEM.hasPrefix("-----BEGIN X509 CRL-----\n"))
        let file = "Certificate Revocation List (CRL):\n  comment\n\(firstPEM)\n\n\(secondPEM)\r\n"
        let lists = try CertificateRevocationList.parseFile(Array(file.utf8))
        #expect(lists.count == 2)
        #expect(lists[0].issuer == first.certificate.subject)
        #expect(lists[0].isSigned(by: first.certificate))
        #expect(lists[0].lists(2) && !lists[0].lists(3))
        #expect(lists[1].issuer == second.certificate.subject)
        #expect(lists[1].isSigned(by: second.certificate))
        #expect(!lists[1].isSigned(by: first.certificate))
        #expect(lists[1].lists(3))
        #expect(try CertificateRevocationList(pemEncoded: firstPEM) == lists[0])
        #expect(lists[0].pemEncoded == firstPEM)
    }

    @Test("a PEM block with another label is refused, alone or next to a CRL")
    func wrongPEMLabel() throws {
        let authority = try DevCertificateAuthority()
        let crlPEM = try authority.issueCRLPEM(revoking: [], thisUpdate: Date(), nextUpdate: nil)
        let error = #expect(throws: CRLError.self) {
            try CertificateRevocationList.parseFile(Array(authority.certificatePEM.utf8))
        }
        #expect(error?.code == .wrongPEMLabel)
        #expect(error?.message.contains("\"CERTIFICATE\"") == true)
        let mixed = #expect(throws: CRLError.self) {
            try CertificateRevocationList.parseFile(Array("\(crlPEM)\n\(authority.certificatePEM)\n".utf8))
        }
        #expect(mixed?.code == .wrongPEMLabel)
        #expect(mixed?.message.hasPrefix("PEM block 2") == true)
        let relabelled = crlPEM.replacingOccurrences(of: "X509 CRL", with: "CRL")
        #expect(throws: CRLError(.wrongPEMLabel, "")) {
            try CertificateRevocationList.parseFile(Array(relabelled.utf8))
        }
        #expect(throws: CRLError(.wrongPEMLabel, "")) {
            try CertificateRevocationList.parseFile(Array("no PEM here\n".utf8))
        }
    }

    @Test("a PEM block whose contents are not a CRL names the block")
    func pemBlockNotACRL() throws {
        let bogus = PEMDocument(type: "X509 CRL", derBytes: [0x30, 0x03, 0x02, 0x01, 0x01]).pemString
        let error = #expect(throws: CRLError.self) {
            try CertificateRevocationList.parseFile(Array(bogus.utf8))
        }
        #expect(error?.code == .malformed)
        #expect(error?.message.hasPrefix("PEM block 1: ") == true)
    }

    // MARK: OpenSSL interop

    @Test(
        "CRLs made by openssl ca -gencrl parse and verify",
        .enabled(if: FileManager.default.isExecutableFile(atPath: CRLTestSupport.openssl)),
        arguments: CRLTestSupport.OpenSSLCA.allCases
    )
    func opensslGeneratedCRL(kind: CRLTestSupport.OpenSSLCA) throws {
        let directory = try CRLTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try CRLTestSupport.runOpenSSL(
            ["req", "-x509", "-newkey"] + kind.keyArguments
                + ["-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=openssl \(kind) CA/O=interop", "-days", "2"],
            in: directory
        )
        let index = """
            R\t300101000000Z\t240101000000Z,keyCompromise\t1000\tunknown\t/CN=one
            R\t300101000000Z\t240102000000Z\t0A1B2C3D4E5F60718293A4B5C6D7E8F901020304\tunknown\t/CN=two
            V\t300101000000Z\t\t1001\tunknown\t/CN=three

            """
        try Data(index.utf8).write(to: directory.appendingPathComponent("index.txt"))
        try Data("1F\n".utf8).write(to: directory.appendingPathComponent("crlnumber"))
        let config = """
            [ ca ]
            default_ca = test_ca
            [ test_ca ]
            database = index.txt
            crlnumber = crlnumber
            default_md = \(kind.digest)
            default_crl_days = 7
            crl_extensions = crl_ext
            [ crl_ext ]
            authorityKeyIdentifier = keyid:always

            """
        try Data(config.utf8).write(to: directory.appendingPathComponent("ca.cnf"))
        try CRLTestSupport.runOpenSSL(
            ["ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-out", "crl.pem"],
            in: directory
        )
        try CRLTestSupport.runOpenSSL(
            ["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"],
            in: directory
        )

        let caCertificate = try Certificate(
            pemEncoded: String(contentsOf: directory.appendingPathComponent("ca.pem"), encoding: .utf8)
        )
        let pemLists = try CertificateRevocationList.parseFile(
            Array(Data(contentsOf: directory.appendingPathComponent("crl.pem")))
        )
        let derLists = try CertificateRevocationList.parseFile(
            Array(Data(contentsOf: directory.appendingPathComponent("crl.der")))
        )
        #expect(pemLists == derLists)
        let list = try #require(pemLists.first)
        #expect(pemLists.count == 1)
        #expect(list.signatureAlgorithm == kind.algorithm)
        #expect(list.issuer == caCertificate.subject)
        #expect(list.isSigned(by: caCertificate))
        #expect(list.lists(0x1000))
        #expect(list.lists(Certificate.SerialNumber(bytes: CRLTestSupport.hexBytes("0A1B2C3D4E5F60718293A4B5C6D7E8F901020304"))))
        #expect(!list.lists(0x1001))
        #expect(list.revokedCount == 2)
        #expect(list.crlNumber == [0x1F])
        #expect(list.authorityKeyIdentifier != nil)
        let nextUpdate = try #require(list.nextUpdate)
        #expect(abs(nextUpdate.timeIntervalSince(list.thisUpdate) - 7 * 86_400) < 1)
        #expect(abs(list.thisUpdate.timeIntervalSinceNow) < 3_600)

        let otherCA = try DevCertificateAuthority()
        #expect(!list.isSigned(by: otherCA.certificate))
    }

    @Test(
        "openssl crl verifies a dev CA's CRL",
        .enabled(if: FileManager.default.isExecutableFile(atPath: CRLTestSupport.openssl))
    )
    func opensslVerifiesDevCACRL() throws {
        let directory = try CRLTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let authority = try DevCertificateAuthority(commonName: "dev CA for openssl")
        let revoked = try authority.issueClient(ClientCertificateRequest(commonName: "gone")).certificate
        try Data(authority.certificatePEM.utf8).write(to: directory.appendingPathComponent("ca.pem"))
        try Data(
            authority.issueCRLPEM(revoking: [revoked.serialNumber], thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(3_600)).utf8
        ).write(to: directory.appendingPathComponent("crl.pem"))
        let output = try CRLTestSupport.runOpenSSL(
            ["crl", "-in", "crl.pem", "-CAfile", "ca.pem", "-noout", "-text"],
            in: directory
        )
        #expect(output.contains("verify OK"))
        #expect(output.contains("Version 2"))
        let serialHex = revoked.serialNumber.bytes.map { String(format: "%02X", $0) }.joined()
        #expect(output.contains(serialHex))
    }

    // MARK: Hostile input

    @Test("empty input is refused")
    func emptyInput() {
        #expect(throws: CRLError(.empty, "")) { try CertificateRevocationList(derEncoded: []) }
        #expect(throws: CRLError(.empty, "")) { try CertificateRevocationList.parseFile([]) }
        #expect(throws: CRLError(.empty, "")) { try CertificateRevocationList.parseFile(Array(" \n\t\r\n".utf8)) }
    }

    @Test("every truncation of a valid CRL is refused")
    func everyTruncation() throws {
        let authority = try DevCertificateAuthority()
        let der = try authority.issueCRL(revoking: [1, 2, 0x0100_0000], thisUpdate: Date(), nextUpdate: Date())
        for length in 0..<der.count {
            #expect(throws: CRLError.self, "a CRL cut to \(length) bytes parsed") {
                try CertificateRevocationList(derEncoded: Array(der.prefix(length)))
            }
            #expect(throws: CRLError.self) {
                try CertificateRevocationList.parseFile(Array(der.prefix(length)))
            }
        }
        let pem = try authority.issueCRLPEM(revoking: [1], thisUpdate: Date(), nextUpdate: nil)
        let pemBytes = Array(pem.utf8)
        for length in 0..<pemBytes.count {
            #expect(throws: CRLError.self, "a PEM CRL cut to \(length) bytes parsed") {
                try CertificateRevocationList.parseFile(Array(pemBytes.prefix(length)))
            }
        }
    }

    @Test("trailing bytes after the CRL are refused")
    func trailingBytes() throws {
        let der = try DevCertificateAuthority().issueCRL(revoking: [1], thisUpdate: Date(), nextUpdate: nil)
        for trailer in [[0x00], [0x30, 0x00], Array(der)] {
            #expect(throws: CRLError(.malformed, "")) {
                try CertificateRevocationList(derEncoded: der + trailer)
            }
            #expect(throws: CRLError(.malformed, "")) {
                try CertificateRevocationList.parseFile(der + trailer)
            }
        }
    }

    @Test("random bytes are refused without crashing")
    func randomBytes() {
        var generator = CRLTestSupport.SeededGenerator(seed: 0x5EED_C41)
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...300, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator), !bytes.isEmpty { bytes[0] = 0x30 }
            #expect(throws: CRLError.self) { try CertificateRevocationList.parseFile(bytes) }
        }
    }

    @Test("a file over 64 MiB is refused before it is parsed")
    func oversizeFile() {
        let bytes = [UInt8](repeating: 0x30, count: CertificateRevocationList.maximumFileSize + 1)
        #expect(throws: CRLError(.fileTooLarge, "")) { try CertificateRevocationList.parseFile(bytes) }
        #expect(throws: CRLError(.fileTooLarge, "")) { try CertificateRevocationList(derEncoded: bytes) }
    }

    @Test("a CRL with more than 1,000,000 entries is refused")
    func tooManyEntries() throws {
        let limit = CertificateRevocationList.maximumEntryCount
        #expect(limit == 1_000_000)
        let over = CRLTestSupport.Builder.withRepeatedEntries(count: limit + 1)
        let error = #expect(throws: CRLError.self) { try CertificateRevocationList(derEncoded: over) }
        #expect(error?.code == .tooManyEntries)
        #expect(error?.message.contains("1000000") == true)
    }

    @Test("the entry limit is inclusive")
    func entryLimitBoundary() throws {
        let atLimit = try CertificateRevocationList(
            derEncoded: CRLTestSupport.Builder.withRepeatedEntries(count: 10),
            entryLimit: 10
        )
        #expect(atLimit.lists(0x2A))
        #expect(throws: CRLError(.tooManyEntries, "")) {
            try CertificateRevocationList(derEncoded: CRLTestSupport.Builder.withRepeatedEntries(count: 11), entryLimit: 10)
        }
    }

    @Test("an unknown critical CRL extension is refused; known critical and unknown non-critical ones are accepted")
    func crlExtensions() throws {
        var builder = CRLTestSupport.Builder()
        builder.crlExtensions = [.init(oid: [1, 2, 3, 4], critical: true, value: [0x05, 0x00])]
        let error = #expect(throws: CRLError.self) { try CertificateRevocationList(derEncoded: builder.build()) }
        #expect(error?.code == .unsupportedCriticalExtension)
        #expect(error?.message.contains("1.2.3.4") == true)

        for refused: ASN1ObjectIdentifier in [[2, 5, 29, 27], [2, 5, 29, 28]] {  // delta CRL, issuing distribution point
            builder.crlExtensions = [.init(oid: refused, critical: true, value: [0x30, 0x00])]
            #expect(throws: CRLError(.unsupportedCriticalExtension, "")) {
                try CertificateRevocationList(derEncoded: builder.build())
            }
        }

        builder.crlExtensions = [
            .init(oid: [2, 5, 29, 20], critical: true, value: [0x02, 0x01, 0x09]),  // CRL number
            .init(oid: [1, 2, 3, 4], critical: false, value: [0x05, 0x00]),
            .init(oid: [2, 5, 29, 28], critical: false, value: [0x30, 0x00]),
        ]
        let list = try CertificateRevocationList(derEncoded: builder.build())
        #expect(list.crlNumber == [0x09])
        #expect(list.authorityKeyIdentifier == nil)
    }

    @Test("an unknown critical entry extension is refused; reason code and invalidity date are accepted")
    func entryExtensions() throws {
        var builder = CRLTestSupport.Builder()
        builder.entries = [
            .init(serial: [0x01], extensions: [.init(oid: [2, 5, 29, 21], critical: true, value: [0x0A, 0x01, 0x01])]),
            .init(serial: [0x02], extensions: [
                .init(oid: [2, 5, 29, 24], critical: false, value: Array("\u{18}\u{0F}20240101000000Z".utf8)),
                .init(oid: [1, 2, 3, 5], critical: false, value: [0x05, 0x00]),
            ]),
        ]
        let list = try CertificateRevocationList(derEncoded: builder.build())
        #expect(list.lists(1) && list.lists(2))

        builder.entries.append(.init(serial: [0x03], extensions: [.init(oid: [2, 5, 29, 29], critical: true, value: [0x30, 0x00])]))
        let error = #expect(throws: CRLError.self) { try CertificateRevocationList(derEncoded: builder.build()) }
        #expect(error?.code == .unsupportedCriticalExtension)
        #expect(error?.message.contains("entry 3") == true)
        #expect(error?.message.contains("certificateIssuer") == true)
    }

    @Test("an extension that appears twice is refused")
    func duplicateExtension() {
        var builder = CRLTestSupport.Builder()
        builder.crlExtensions = [
            .init(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0x01]),
            .init(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0x02]),
        ]
        #expect(throws: CRLError(.malformed, "")) { try CertificateRevocationList(derEncoded: builder.build()) }
    }

    @Test("inner and outer signature algorithms must be identical")
    func algorithmMismatch() {
        var builder = CRLTestSupport.Builder()
        builder.innerAlgorithm = CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 3, 3])
        let error = #expect(throws: CRLError.self) { try CertificateRevocationList(derEncoded: builder.build()) }
        #expect(error?.code == .unsupportedSignatureAlgorithm)
        #expect(error?.message.contains("differs") == true)
    }

    @Test(
        "unknown, SHA-1 and RSA-PSS signature algorithms are refused",
        arguments: [
            CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 840, 113_549, 1, 1, 5], nullParameters: true),
            CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 1]),
            CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 840, 113_549, 1, 1, 10]),
            CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 3, 4, 5]),
        ]
    )
    func unsupportedAlgorithms(algorithm: CRLTestSupport.AlgorithmIdentifier) {
        var builder = CRLTestSupport.Builder()
        builder.algorithm = algorithm
        #expect(throws: CRLError(.unsupportedSignatureAlgorithm, "")) {
            try CertificateRevocationList(derEncoded: builder.build())
        }
    }

    @Test("RSA algorithm identifiers may omit the NULL parameters; ECDSA ones must not have any")
    func algorithmParameters() throws {
        var builder = CRLTestSupport.Builder()
        builder.algorithm = CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 840, 113_549, 1, 1, 11])
        #expect(try CertificateRevocationList(derEncoded: builder.build()).signatureAlgorithm == .sha256WithRSAEncryption)
        builder.algorithm = CRLTestSupport.AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 3, 2], nullParameters: true)
        #expect(throws: CRLError(.malformed, "")) { try CertificateRevocationList(derEncoded: builder.build()) }
    }

    @Test("versions other than v2 are refused, and a v1 CRL may not carry extensions")
    func versions() throws {
        var builder = CRLTestSupport.Builder()
        builder.version = nil
        builder.entries = [.init(serial: [0x01])]
        let version1 = try CertificateRevocationList(derEncoded: builder.build())
        #expect(version1.lists(1))
        builder.crlExtensions = [.init(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0x01])]
        #expect(throws: CRLError(.malformed, "")) { try CertificateRevocationList(derEncoded: builder.build()) }
        builder.crlExtensions = nil
        builder.entries = [.init(serial: [0x01], extensions: [.init(oid: [2, 5, 29, 21], critical: false, value: [0x0A, 0x01, 0x01])])]
        #expect(throws: CRLError(.malformed, "")) { try CertificateRevocationList(derEncoded: builder.build()) }
        for version in [0, 2] {
            builder.version = version
            #expect(throws: CRLError(.malformed, "")) { try CertificateRevocationList(derEncoded: builder.build()) }
        }
    }

    @Test("an entry with a negative serial number is skipped, not refused")
    func negativeSerial() throws {
        var builder = CRLTestSupport.Builder()
        builder.entries = [.init(serial: [0xFF]), .init(serial: [0x00, 0xFF])]
        let list = try CertificateRevocationList(derEncoded: builder.build())
        #expect(list.revokedCount == 1)
        #expect(list.lists(Certificate.SerialNumber(bytes: [0xFF])))
    }

    @Test("a signature BIT STRING with unused bits is refused")
    func signatureWithUnusedBits() {
        var builder = CRLTestSupport.Builder()
        builder.signaturePaddingBits = 4
        #expect(throws: CRLError(.malformed, "")) { try CertificateRevocationList(derEncoded: builder.build()) }
    }

    @Test("equal DER means equal lists")
    func hashable() throws {
        let authority = try DevCertificateAuthority()
        let der = try authority.issueCRL(revoking: [1], thisUpdate: Date(), nextUpdate: nil)
        let other = try authority.issueCRL(revoking: [2], thisUpdate: Date(), nextUpdate: nil)
        let set: Set = [try CertificateRevocationList(derEncoded: der), try CertificateRevocationList(derEncoded: der)]
        #expect(set.count == 1)
        #expect(try CertificateRevocationList(derEncoded: der) != CertificateRevocationList(derEncoded: other))
    }
}

// MARK: - Support

/// Builders and tools for the CRL tests: hand-made CRLs for the shapes the dev CA never
/// issues, keys of every supported type, and the openssl command line.
enum CRLTestSupport {
    static let openssl = "/usr/bin/openssl"

    /// An AlgorithmIdentifier to write: an OID with no parameters or a NULL.
    struct AlgorithmIdentifier: Sendable, CustomTestStringConvertible {
        var oid: ASN1ObjectIdentifier
        var nullParameters = false

        var testDescription: String { "\(oid)\(nullParameters ? " NULL" : "")" }

        func serialize(into coder: inout DER.Serializer) throws {
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(oid)
                if nullParameters {
                    try coder.serialize(ASN1Null())
                }
            }
        }
    }

    /// An extension to write, with its value as raw DER.
    struct TestExtension {
        var oid: ASN1ObjectIdentifier
        var critical: Bool
        var value: [UInt8]

        func serialize(into coder: inout DER.Serializer) throws {
            try coder.serialize(Certificate.Extension(oid: oid, critical: critical, value: value[...]))
        }
    }

    /// A revoked entry to write; `serial` is the raw content of the INTEGER, so it may be negative.
    struct Entry {
        var serial: [UInt8]
        var extensions: [TestExtension] = []
    }

    /// Writes a CertificateList field by field.
    struct Builder {
        var issuer: DistinguishedName = try! DistinguishedName { CommonName("hand-made CRL issuer") }
        var algorithm = AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 3, 2])
        /// The algorithm inside tbsCertList, when it should differ from `algorithm`.
        var innerAlgorithm: AlgorithmIdentifier?
        /// The version INTEGER, or nil to leave it out (a v1 CRL).
        var version: Int? = 1
        var entries: [Entry] = []
        /// Raw DER of the whole revokedCertificates SEQUENCE, instead of `entries`.
        var rawRevokedCertificates: [UInt8]?
        var crlExtensions: [TestExtension]?
        var signaturePaddingBits = 0

        init(issuer: DistinguishedName? = nil, algorithm: AlgorithmIdentifier? = nil) {
            if let issuer { self.issuer = issuer }
            if let algorithm { self.algorithm = algorithm }
        }

        /// The tbsCertList DER.
        func tbsCertList() throws -> [UInt8] {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                if let version {
                    try coder.serialize(version)
                }
                try (innerAlgorithm ?? algorithm).serialize(into: &coder)
                try coder.serialize(issuer)
                try coder.serialize(UTCTime(year: 2024, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0))
                try coder.serialize(UTCTime(year: 2049, month: 12, day: 31, hours: 23, minutes: 59, seconds: 59))
                if let rawRevokedCertificates {
                    coder.serializeRawBytes(rawRevokedCertificates)
                } else if !entries.isEmpty {
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        for entry in entries {
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                coder.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: entry.serial) }
                                try coder.serialize(UTCTime(year: 2024, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0))
                                if !entry.extensions.isEmpty {
                                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                                        for entryExtension in entry.extensions {
                                            try entryExtension.serialize(into: &coder)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                if let crlExtensions {
                    try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            for crlExtension in crlExtensions {
                                try crlExtension.serialize(into: &coder)
                            }
                        }
                    }
                }
            }
            return coder.serializedBytes
        }

        /// The CRL with a meaningless signature: enough for the parser, which does not verify.
        func build() throws -> [UInt8] {
            try assemble(tbsCertList(), signature: [UInt8](repeating: 0xA0, count: 64))
        }

        /// The CRL signed by `key`.
        func build(signingWith key: Certificate.PrivateKey, algorithm: Certificate.SignatureAlgorithm) throws -> [UInt8] {
            let tbs = try tbsCertList()
            return try assemble(tbs, signature: key.sign(bytes: tbs, signatureAlgorithm: algorithm).rawRepresentation)
        }

        private func assemble(_ tbs: [UInt8], signature: [UInt8]) throws -> [UInt8] {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                coder.serializeRawBytes(tbs)
                try algorithm.serialize(into: &coder)
                try coder.serialize(ASN1BitString(bytes: signature[...], paddingBits: signaturePaddingBits))
            }
            return coder.serializedBytes
        }

        /// An unsigned CRL listing serial 42 `count` times, written without per-entry work.
        static func withRepeatedEntries(count: Int) -> [UInt8] {
            let entry: [UInt8] = [0x30, 0x12, 0x02, 0x01, 0x2A, 0x17, 0x0D] + Array("240101000000Z".utf8)
            // Doubling: a few large copies instead of a million small appends.
            var contents = entry
            contents.reserveCapacity(entry.count * count)
            while contents.count * 2 <= entry.count * count {
                contents.append(contentsOf: contents)
            }
            contents.append(contentsOf: contents[..<(entry.count * count - contents.count)])
            var builder = Builder()
            builder.rawRevokedCertificates = [0x30] + derLength(contents.count) + contents
            return try! builder.build()
        }
    }

    /// A DER length header.
    static func derLength(_ length: Int) -> [UInt8] {
        guard length >= 0x80 else { return [UInt8(length)] }
        let bytes = bigEndian(UInt64(length))
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// The minimal big-endian bytes of `value` (at least one byte).
    static func bigEndian(_ value: UInt64) -> [UInt8] {
        var bytes = withUnsafeBytes(of: value.bigEndian) { Array($0) }
        while bytes.count > 1, bytes[0] == 0 {
            bytes.removeFirst()
        }
        return bytes
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start..<start + needle.count
        }
        return nil
    }

    /// The key types swift-certificates signs with, apart from RSA (which openssl covers).
    enum KeyKind: CaseIterable, Sendable {
        case p256, p384, p521, ed25519

        func make() -> (Certificate.PrivateKey, Certificate.SignatureAlgorithm) {
            switch self {
            case .p256: (Certificate.PrivateKey(P256.Signing.PrivateKey()), .ecdsaWithSHA256)
            case .p384: (Certificate.PrivateKey(P384.Signing.PrivateKey()), .ecdsaWithSHA384)
            case .p521: (Certificate.PrivateKey(P521.Signing.PrivateKey()), .ecdsaWithSHA512)
            case .ed25519: (Certificate.PrivateKey(Curve25519.Signing.PrivateKey()), .ed25519)
            }
        }

        var algorithmIdentifier: AlgorithmIdentifier {
            switch self {
            case .p256: AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 3, 2])
            case .p384: AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 3, 3])
            case .p521: AlgorithmIdentifier(oid: [1, 2, 840, 10_045, 4, 3, 4])
            case .ed25519: AlgorithmIdentifier(oid: [1, 3, 101, 112])
            }
        }
    }

    static func selfSignedCertificate(
        key: Certificate.PrivateKey,
        algorithm: Certificate.SignatureAlgorithm,
        commonName: String
    ) throws -> Certificate {
        let name = try DistinguishedName { CommonName(commonName) }
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3_600),
            issuer: name,
            subject: name,
            signatureAlgorithm: algorithm,
            extensions: Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: key
        )
    }

    /// The CAs made with `openssl req -x509` for the interop tests.
    enum OpenSSLCA: CaseIterable, Sendable {
        case rsa, ecP384, ed25519

        var keyArguments: [String] {
            switch self {
            case .rsa: ["rsa:2048"]
            case .ecP384: ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"]
            case .ed25519: ["ed25519"]
            }
        }

        var digest: String {
            switch self {
            case .rsa: "sha256"
            case .ecP384: "sha384"
            case .ed25519: "default"
            }
        }

        var algorithm: Certificate.SignatureAlgorithm {
            switch self {
            case .rsa: .sha256WithRSAEncryption
            case .ecP384: .ecdsaWithSHA384
            case .ed25519: .ed25519
            }
        }
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-crl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs openssl in `directory`; returns its output (stdout and stderr).
    @discardableResult
    static func runOpenSSL(_ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailed(description: "openssl \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    /// SplitMix64: a small seeded generator, so that a failing input can be reproduced.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
