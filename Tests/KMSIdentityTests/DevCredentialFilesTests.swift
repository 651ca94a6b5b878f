import Foundation
import KMSCore
import KMSDevPKI
import KMSIdentity
import Testing
import X509

@Suite("DevCredentialFiles")
struct DevCredentialFilesTests {
    /// A fresh directory path under the temporary directory, removed after `body`.
    private func withTemporaryDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kms-devpki-\(UUID().uuidString)")
            .appendingPathComponent("credentials")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try await body(directory)
    }

    private func mode(of url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test("a new directory gets all six files; keys are 0600, certificates 0644, the directory 0700")
    func createsFiles() async throws {
        try await withTemporaryDirectory { directory in
            let files = try DevCredentialFiles.loadOrCreate(in: directory)
            #expect(try mode(of: directory) == 0o700)
            for key in [files.caKeyFile, files.serverKeyFile, files.adminKeyFile] {
                #expect(try mode(of: key) == 0o600, "\(key.lastPathComponent)")
            }
            for certificate in [files.caCertificateFile, files.serverCertificateFile, files.adminCertificateFile] {
                #expect(try mode(of: certificate) == 0o644, "\(certificate.lastPathComponent)")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(names == ["admin-key.pem", "admin.pem", "ca-key.pem", "ca.pem", "server-key.pem", "server.pem"])
            #expect(try String(contentsOf: files.adminKeyFile, encoding: .utf8) == files.admin.privateKeyPEM)
        }
    }

    @Test("the server and admin certificates chain to the CA and name what the dev setup promises")
    func contents() async throws {
        try await withTemporaryDirectory { directory in
            let files = try DevCredentialFiles.loadOrCreate(in: directory)
            let ca = try Certificate(pemEncoded: String(contentsOf: files.caCertificateFile, encoding: .utf8))
            let server = try Certificate(pemEncoded: String(contentsOf: files.serverCertificateFile, encoding: .utf8))
            let admin = try Certificate(pemEncoded: String(contentsOf: files.adminCertificateFile, encoding: .utf8))
            #expect(await TestCertificates.verifies(server, against: ca))
            #expect(await TestCertificates.verifies(admin, against: ca))
            let resolver = IdentityResolver()
            #expect(try resolver.resolve(server).certificateSANs == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
            let adminIdentity = try resolver.resolve(admin)
            #expect(adminIdentity.principal == Principal("spiffe://swift-kms.dev/admin"))
            #expect(adminIdentity.certificateSubject == "CN=kms-admin")
        }
    }

    @Test("loading again reuses the files instead of regenerating them")
    func reload() async throws {
        try await withTemporaryDirectory { directory in
            let first = try DevCredentialFiles.loadOrCreate(in: directory)
            let second = try DevCredentialFiles.loadOrCreate(in: directory)
            #expect(second.authority.certificate == first.authority.certificate)
            #expect(second.server.certificate == first.server.certificate)
            #expect(second.admin.certificate == first.admin.certificate)
            #expect(second.admin.privateKey == first.admin.privateKey)
        }
    }

    @Test("a missing leaf is issued anew by the existing CA; the rest stays")
    func reissuesMissingLeaf() async throws {
        try await withTemporaryDirectory { directory in
            let first = try DevCredentialFiles.loadOrCreate(in: directory)
            try FileManager.default.removeItem(at: first.adminCertificateFile)
            let second = try DevCredentialFiles.loadOrCreate(in: directory)
            #expect(second.authority.certificate == first.authority.certificate)
            #expect(second.server.certificate == first.server.certificate)
            #expect(second.admin.certificate != first.admin.certificate)
            #expect(second.authority.issued(second.admin.certificate))
            #expect(try mode(of: second.adminKeyFile) == 0o600)
        }
    }

    @Test("an expired leaf is issued anew, the CA is kept")
    func reissuesExpiredLeaf() async throws {
        try await withTemporaryDirectory { directory in
            let first = try DevCredentialFiles.loadOrCreate(in: directory)
            let later = Date().addingTimeInterval(400 * 86_400)
            let second = try DevCredentialFiles.loadOrCreate(in: directory, now: later)
            #expect(second.authority.certificate == first.authority.certificate)
            #expect(second.server.certificate != first.server.certificate)
            #expect(second.server.certificate.notValidAfter > later)
        }
    }

    @Test("a CA key without its certificate is an error that names the files")
    func halfACA() async throws {
        try await withTemporaryDirectory { directory in
            let first = try DevCredentialFiles.loadOrCreate(in: directory)
            try FileManager.default.removeItem(at: first.caCertificateFile)
            let error = #expect(throws: DevPKIError.self) {
                try DevCredentialFiles.loadOrCreate(in: directory)
            }
            #expect(error?.message.contains("ca.pem") == true)
            #expect(error?.message.contains("ca-key.pem") == true)
        }
    }

    @Test("printing the files shows the directory, not the keys")
    func description() async throws {
        try await withTemporaryDirectory { directory in
            let files = try DevCredentialFiles.loadOrCreate(in: directory)
            var dumped = ""
            dump(files, to: &dumped)
            for text in [String(describing: files), String(reflecting: files), dumped] {
                #expect(!text.contains("PRIVATE KEY"))
            }
            #expect(String(describing: files).contains(directory.path))
        }
    }
}
