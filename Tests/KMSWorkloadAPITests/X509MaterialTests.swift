import Foundation
import KMSDevPKI
@testable import KMSWorkloadAPI
import SPIFFEWorkloadAPI
import Testing
import X509

/// The checks on each response, without a server.
@Suite("X.509 material checks")
struct X509MaterialTests {
    let authority: DevCertificateAuthority
    let svid: IssuedCredential

    init() throws {
        authority = try DevCertificateAuthority(commonName: "material test CA")
        svid = try authority.issueSVID(spiffeID: "spiffe://kms.test/kmsd", ipAddresses: ["127.0.0.1"])
    }

    private func der(_ certificates: [Certificate]) throws -> Data {
        var bytes = Data()
        for certificate in certificates {
            bytes.append(contentsOf: try certificate.serializeAsPEM().derBytes)
        }
        return bytes
    }

    private func response(_ change: (inout X509SVID) throws -> Void = { _ in }) throws -> X509SVIDResponse {
        var message = X509SVID()
        message.spiffeID = "spiffe://kms.test/kmsd"
        message.x509Svid = try der([svid.certificate, authority.certificate])
        message.x509SvidKey = Data(try svid.privateKey.serializeAsPEM().derBytes)
        message.bundle = try der([authority.certificate])
        try change(&message)
        var response = X509SVIDResponse()
        response.svids = [message]
        return response
    }

    @Test("a good response: the chain in order, the key, the own and federated bundles")
    func accepted() throws {
        let partner = try DevCertificateAuthority(commonName: "partner CA")
        var response = try response { $0.hint = "internal" }
        response.federatedBundles = ["spiffe://partner.test": try der([partner.certificate])]
        let validated = try ValidatedSVIDResponse(response)
        #expect(validated.trustDomain == "kms.test")
        #expect(validated.certificateChain == [svid.certificate, authority.certificate])
        #expect(validated.bundles == ["kms.test": [authority.certificate], "partner.test": [partner.certificate]])
        #expect(validated.hint == "internal")
    }

    @Test("the SVID's certificate has both EKUs and serves TLS for its addresses")
    func svidProfile() throws {
        let usages = try #require(try svid.certificate.extensions.extendedKeyUsage)
        #expect(usages.contains(.serverAuth) && usages.contains(.clientAuth))
        let names = try #require(try svid.certificate.extensions.subjectAlternativeNames)
        #expect(names.contains(.uniformResourceIdentifier("spiffe://kms.test/kmsd")))
        #expect(names.contains(.ipAddress(.init(contentBytes: [127, 0, 0, 1]))))
        #expect(try svid.certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(authority.issued(svid.certificate))
        #expect(throws: DevPKIError.self) { try authority.issueSVID(spiffeID: "https://kms.test/kmsd") }
        #expect(throws: DevPKIError.self) { try authority.issueSVID(spiffeID: "spiffe:///kmsd") }
    }

    @Test("refusals", arguments: [
        "no SVID", "not a SPIFFE ID", "another SPIFFE ID", "empty chain", "truncated chain", "trailing byte",
        "key of another certificate", "key not PKCS#8", "empty bundle", "bundle not DER",
    ])
    func refused(_ case: String) throws {
        let other = try authority.issueSVID(spiffeID: "spiffe://kms.test/kmsd")
        let response: X509SVIDResponse
        let expected: WorkloadAPIError.Code
        switch `case` {
        case "no SVID":
            response = X509SVIDResponse()
            expected = .invalidSVID
        case "not a SPIFFE ID":
            response = try self.response { $0.spiffeID = "https://kms.test/kmsd" }
            expected = .invalidSVID
        case "another SPIFFE ID":
            response = try self.response { $0.spiffeID = "spiffe://kms.test/other" }
            expected = .invalidSVID
        case "empty chain":
            response = try self.response { $0.x509Svid = Data() }
            expected = .invalidSVID
        case "truncated chain":
            response = try self.response { $0.x509Svid = $0.x509Svid.dropLast(1) }
            expected = .invalidSVID
        case "trailing byte":
            response = try self.response { $0.x509Svid.append(0) }
            expected = .invalidSVID
        case "key of another certificate":
            response = try self.response { $0.x509SvidKey = Data(try other.privateKey.serializeAsPEM().derBytes) }
            expected = .invalidSVID
        case "key not PKCS#8":
            response = try self.response { $0.x509SvidKey = Data([0x30, 0x03, 0x02, 0x01, 0x00]) }
            expected = .invalidSVID
        case "empty bundle":
            response = try self.response { $0.bundle = Data() }
            expected = .invalidBundle
        default:
            response = try self.response { $0.bundle = Data([0x30, 0x03, 0x02, 0x01, 0x00]) }
            expected = .invalidBundle
        }
        #expect(throws: WorkloadAPIError(expected, "")) { try ValidatedSVIDResponse(response) }
    }

    @Test("bundles responses: empty, empty bundle, a key that is not a trust domain are refused")
    func bundlesRefused() throws {
        #expect(throws: WorkloadAPIError(.invalidBundle, "")) { try ValidatedBundlesResponse(X509BundlesResponse()) }
        for bundles in [["spiffe://kms.test": Data()], ["spiffe://kms.test/path": try der([authority.certificate])], ["KMS.test": try der([authority.certificate])]] {
            var response = X509BundlesResponse()
            response.bundles = bundles
            #expect(throws: WorkloadAPIError(.invalidBundle, "")) { try ValidatedBundlesResponse(response) }
        }
        var good = X509BundlesResponse()
        good.bundles = ["spiffe://kms.test": try der([authority.certificate]), "partner.test": try der([authority.certificate])]
        #expect(try ValidatedBundlesResponse(good).bundles.keys.sorted() == ["kms.test", "partner.test"])
    }

    @Test("bundles that arrive before the SVID wait for it and win over the SVID's own")
    func merging() throws {
        var state = X509UpdateState()
        let newer = try DevCertificateAuthority(commonName: "newer CA")
        var bundles = X509BundlesResponse()
        bundles.bundles = ["spiffe://kms.test": try der([newer.certificate])]
        #expect(state.receive(try ValidatedBundlesResponse(bundles)) == nil)
        let update = state.receive(try ValidatedSVIDResponse(try response()))
        #expect(update.bundles == ["kms.test": [newer.certificate]])
        #expect(update.leaf == svid.certificate)
    }

    @Test("concatenated DER splits exactly or not at all")
    func concatenatedDER() {
        #expect(ConcatenatedDER.elements([])?.count == 0)
        #expect(ConcatenatedDER.elements([0x30, 0x00, 0x30, 0x01, 0x05])?.count == 2)
        #expect(ConcatenatedDER.elements([0x30, 0x81, 0x01, 0x05])?.count == 1)
        #expect(ConcatenatedDER.elements([0x30]) == nil)
        #expect(ConcatenatedDER.elements([0x30, 0x02, 0x05]) == nil)
        #expect(ConcatenatedDER.elements([0x30, 0x80, 0x00, 0x00]) == nil)
        #expect(ConcatenatedDER.elements([0x30, 0x85, 0, 0, 0, 0, 1, 0]) == nil)
        #expect(ConcatenatedDER.elements([0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]) == nil)
    }
}
