import Foundation
import KMSClient
import KMSDevPKI
import Testing
import X509

/// `tls.crl_files`: a certificate listed by its CA's revocation list is refused at the
/// handshake (and the refusal is logged), lists are reloaded while the server runs, a stale
/// list refuses what it covers unless `tls.stale_crl: accept`, and a list that its issuer
/// did not sign is ignored.
@Suite struct RevocationTests {
    /// How a CRL file is written.
    enum Encoding: String, CaseIterable, Sendable {
        case pem
        case der

        func crl(by authority: DevCertificateAuthority, revoking serials: [Certificate.SerialNumber], thisUpdate: Date, nextUpdate: Date?) throws -> Data {
            switch self {
            case .pem: Data(try authority.issueCRLPEM(revoking: serials, thisUpdate: thisUpdate, nextUpdate: nextUpdate).utf8)
            case .der: Data(try authority.issueCRL(revoking: serials, thisUpdate: thisUpdate, nextUpdate: nextUpdate))
            }
        }
    }

    /// A list issued a minute ago, due again in an hour.
    private static func freshCRL(
        by authority: DevCertificateAuthority,
        revoking serials: [Certificate.SerialNumber],
        encoding: Encoding = .pem
    ) throws -> Data {
        try encoding.crl(by: authority, revoking: serials, thisUpdate: Date().addingTimeInterval(-60), nextUpdate: Date().addingTimeInterval(3600))
    }

    /// A list whose next update was due a day ago.
    private static func staleCRL(by authority: DevCertificateAuthority, revoking serials: [Certificate.SerialNumber]) throws -> Data {
        try Encoding.pem.crl(by: authority, revoking: serials, thisUpdate: Date().addingTimeInterval(-2 * 86_400), nextUpdate: Date().addingTimeInterval(-86_400))
    }

    @Test(arguments: Encoding.allCases)
    func aListedClientIsRefusedAndAnotherClientOfTheSameCAIsAccepted(encoding: Encoding) async throws {
        try await withListenerTestWorld { world in
            let revoked = try world.pki.client("revoked", spiffeIDs: ["spiffe://test.example/ns/revoked"])
            let other = try world.pki.client("other", spiffeIDs: ["spiffe://test.example/ns/other"])
            let revokedSerial = try serialNumber(of: revoked)
            let crl = try world.write("ca.crl", Self.freshCRL(by: world.pki.authority, revoking: [revokedSerial], encoding: encoding))
            let server = try await world.start { $0.tls.crlFiles = [crl.path] }

            #expect(await server.admission(of: revoked) == .refused(.unavailable))
            #expect(await server.admission(of: other) == .accepted(principal: "spiffe://test.example/ns/other"))
            // The refusal is a warning for operators, naming the serial and the revocation.
            #expect(await listenerPoll(within: .seconds(2)) {
                server.log.contains(level: .warning, "refused a client certificate", "revoked", "\(revokedSerial)")
            }, "\(server.log.lines)")
        }
    }

    @Test func aSerialAddedToTheCRLWhileTheServerRunsIsRefusedOnNewConnections() async throws {
        try await withListenerTestWorld { world in
            let client = try world.pki.client("soon-revoked", spiffeIDs: ["spiffe://test.example/ns/soon-revoked"])
            let other = try world.pki.client("other", spiffeIDs: ["spiffe://test.example/ns/other"])
            let crl = try world.write("ca.crl", Self.freshCRL(by: world.pki.authority, revoking: []))
            let server = try await world.start { configuration in
                configuration.tls.crlFiles = [crl.path]
                configuration.tls.reloadIntervalSeconds = 1
            }
            #expect(await server.admission(of: client) == .accepted(principal: "spiffe://test.example/ns/soon-revoked"))

            try world.replace(crl, with: Self.freshCRL(by: world.pki.authority, revoking: [try serialNumber(of: client)]))
            let refused = await listenerPoll(within: .seconds(8)) {
                await server.admission(of: client) == .refused(.unavailable)
            }
            #expect(refused, "the new list was not in force within 8 s")
            #expect(await server.admission(of: other) == .accepted(principal: "spiffe://test.example/ns/other"))
            #expect(server.log.contains(level: .info, "TLS material reloaded", "revocation_lists=1"))
        }
    }

    @Test func aStaleCRLRefusesEveryCertificateItCoversByDefault() async throws {
        try await withListenerTestWorld { world in
            let outsideCA = try DevCertificateAuthority(commonName: "CA without a list")
            try world.replace(world.clientCAFile, with: world.pki.authority.certificatePEM + outsideCA.certificatePEM)
            let revoked = try world.pki.client("revoked", spiffeIDs: ["spiffe://test.example/ns/revoked"])
            let notListed = try world.pki.client("not-listed", spiffeIDs: ["spiffe://test.example/ns/not-listed"])
            let outsider = try world.pki.client("outsider", spiffeIDs: ["spiffe://test.example/ns/outsider"], issuer: outsideCA)
            let crl = try world.write("ca.crl", Self.staleCRL(by: world.pki.authority, revoking: [try serialNumber(of: revoked)]))
            let server = try await world.start { $0.tls.crlFiles = [crl.path] }

            #expect(await server.admission(of: revoked) == .refused(.unavailable))
            #expect(await server.admission(of: notListed) == .refused(.unavailable))
            #expect(server.log.contains(level: .warning, "refused a client certificate", "stale_crl"))
            // A CA the stale list does not cover is not affected.
            #expect(await server.admission(of: outsider) == .accepted(principal: "spiffe://test.example/ns/outsider"))
        }
    }

    @Test func withStaleCRLAcceptTheListStillRevokesWhatItListsAndNothingElse() async throws {
        try await withListenerTestWorld { world in
            let revoked = try world.pki.client("revoked", spiffeIDs: ["spiffe://test.example/ns/revoked"])
            let notListed = try world.pki.client("not-listed", spiffeIDs: ["spiffe://test.example/ns/not-listed"])
            let crl = try world.write("ca.crl", Self.staleCRL(by: world.pki.authority, revoking: [try serialNumber(of: revoked)]))
            let server = try await world.start { configuration in
                configuration.tls.crlFiles = [crl.path]
                configuration.tls.staleCRL = .accept
            }

            #expect(await server.admission(of: revoked) == .refused(.unavailable))
            #expect(await server.admission(of: notListed) == .accepted(principal: "spiffe://test.example/ns/not-listed"))
        }
    }

    /// A list naming the client's CA as its issuer but signed by another key (a forgery, or a
    /// list of another CA with the same name) revokes nothing and is not stale for anyone.
    @Test func aCRLSignedByAnotherKeyUnderTheSameIssuerNameIsIgnored() async throws {
        try await withListenerTestWorld { world in
            let forger = try DevCertificateAuthority(commonName: "test CA")
            #expect(forger.certificate.subject == world.pki.authority.certificate.subject)
            let client = try world.pki.client("listed-by-forger", spiffeIDs: ["spiffe://test.example/ns/listed"])
            let serial = try serialNumber(of: client)
            let forgedList = try world.write("forged.crl", Self.freshCRL(by: forger, revoking: [serial]))
            let forgedStale = try world.write("forged-stale.crl", Self.staleCRL(by: forger, revoking: []))
            let server = try await world.start { $0.tls.crlFiles = [forgedList.path, forgedStale.path] }

            #expect(await server.admission(of: client) == .accepted(principal: "spiffe://test.example/ns/listed"))
        }
    }
}
