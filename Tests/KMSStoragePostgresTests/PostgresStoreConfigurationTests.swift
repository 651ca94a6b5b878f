import Foundation
import KMSDevPKI
@testable import KMSStoragePostgres
import PostgresNIO
import Testing

/// One row of the URL parsing table.
struct PostgresURLCase: Sendable, CustomStringConvertible {
    var url: String
    var host: String
    var port = 5432
    var username = "kms"
    var password: String? = nil
    var database = "kms"
    var sslMode = PostgresStoreConfiguration.SSLMode.prefer
    var tls = PostgresStoreConfiguration.TLSFiles()

    var description: String { url }
}

/// Reading `storage.postgres.url` and the settings around it; building PostgresNIO's configuration.
@Suite struct PostgresStoreConfigurationTests {
    /// A throwaway self-signed CA certificate and its key in PEM, made at test time, for
    /// loading only (never used in a handshake).
    static func throwawayCredential() throws -> (certificatePEM: String, privateKeyPEM: String) {
        let authority = try DevCertificateAuthority(commonName: "kms-test-ca")
        return (authority.certificatePEM, authority.privateKeyPEM)
    }
    static let secret = "Sup3rS3cret-pw"

    /// Runs `body` with a new directory holding `files` (name → contents), removed afterwards.
    private func withDirectory<T>(_ files: [String: String], _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-postgres-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return try body(directory.path)
    }

    /// The error's text, or nil when `body` succeeded.
    private func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: Parsing

    @Test(arguments: [
        PostgresURLCase(url: "postgres://kms@db.example/kms", host: "db.example"),
        PostgresURLCase(url: "postgresql://kms@db.example/kms", host: "db.example"),
        PostgresURLCase(url: "POSTGRES://kms@db.example/kms", host: "db.example"),
        PostgresURLCase(url: "postgres://kms@db.example:6432/kms", host: "db.example", port: 6432),
        PostgresURLCase(url: "postgres://kms:s3cret@db.example/kms", host: "db.example", password: "s3cret"),
        PostgresURLCase(url: "postgres://kms:pa:ss@db.example/kms", host: "db.example", password: "pa:ss"),
        PostgresURLCase(url: "postgres://kms:pa?ss@db.example/kms", host: "db.example", password: "pa?ss"),
        PostgresURLCase(url: "postgres://kms:@db.example/kms", host: "db.example"),
        PostgresURLCase(
            url: "postgres://k%40ms:p%40ss%2Fw%3Ard%20%C3%A9@db.example/my%20db%2Fx",
            host: "db.example", username: "k@ms", password: "p@ss/w:rd é", database: "my db/x"
        ),
        PostgresURLCase(url: "postgres://kms@192.0.2.7:5433/kms", host: "192.0.2.7", port: 5433),
        PostgresURLCase(url: "postgres://kms@[::1]/kms", host: "::1"),
        PostgresURLCase(url: "postgres://kms@[::1]:5433/kms", host: "::1", port: 5433),
        PostgresURLCase(url: "postgres://kms@[2001:db8::7]:6432/kms?sslmode=require", host: "2001:db8::7", port: 6432, sslMode: .require),
        PostgresURLCase(url: "postgres://kms@db-1.example_x/kms", host: "db-1.example_x"),
        PostgresURLCase(url: "postgres://kms@h/kms?sslmode=disable", host: "h", sslMode: .disable),
        PostgresURLCase(url: "postgres://kms@h/kms?sslmode=allow", host: "h", sslMode: .prefer),
        PostgresURLCase(url: "postgres://kms@h/kms?sslmode=prefer", host: "h", sslMode: .prefer),
        PostgresURLCase(url: "postgres://kms@h/kms?sslmode=require", host: "h", sslMode: .require),
        PostgresURLCase(
            url: "postgres://kms@h/kms?sslmode=verify-ca&sslrootcert=/etc/ca.pem", host: "h", sslMode: .verifyCA,
            tls: .init(ca: "/etc/ca.pem")
        ),
        PostgresURLCase(url: "postgres://kms@h/kms?sslmode=verify-full", host: "h", sslMode: .verifyFull),
        PostgresURLCase(
            url: "postgres://kms@h/kms?sslrootcert=%2Fetc%2Fca%20x.pem&sslcert=c.pem&sslkey=k.pem&sslmode=verify-full",
            host: "h", sslMode: .verifyFull, tls: .init(ca: "/etc/ca x.pem", certificate: "c.pem", privateKey: "k.pem")
        ),
        PostgresURLCase(url: "postgres://kms@h/kms?", host: "h"),
        PostgresURLCase(url: "postgres://kms@h/kms?&sslmode=require&", host: "h", sslMode: .require),
    ])
    func urlsAreReadAsLibpqReadsThem(_ row: PostgresURLCase) throws {
        let configuration = try PostgresStoreConfiguration(url: row.url)
        #expect(configuration.host == row.host)
        #expect(configuration.port == row.port)
        #expect(configuration.username == row.username)
        #expect(configuration.password == row.password)
        #expect(configuration.database == row.database)
        #expect(configuration.sslMode == row.sslMode)
        #expect(configuration.tls == row.tls)
        #expect(configuration.poolSize == 8)
    }

    @Test(arguments: [
        ("mysql://kms@h/kms", "postgres://"),
        ("postgres:/kms@h/kms", "postgres://"),
        ("kms@h/kms", "postgres://"),
        ("postgres://h/kms", "no user name"),
        ("postgres://:pw@h/kms", "no user name"),
        ("postgres://kms@h", "no database"),
        ("postgres://kms@h/", "no database"),
        ("postgres://kms@h?sslmode=require", "no database"),
        ("postgres://kms@/kms", "no host"),
        ("postgres://kms@:5432/kms", "no host"),
        ("postgres://kms@h:0/kms", "the port"),
        ("postgres://kms@h:65536/kms", "the port"),
        ("postgres://kms@h:/kms", "the port"),
        ("postgres://kms@h:54x/kms", "the port"),
        ("postgres://kms@h:+543/kms", "the port"),
        ("postgres://kms@::1/kms", "brackets"),
        ("postgres://kms@[::1/kms", "']'"),
        ("postgres://kms@[::1]5432/kms", "PORT"),
        ("postgres://kms@[db.example]/kms", "IPv6"),
        ("postgres://kms@h1,h2/kms", "several hosts"),
        ("postgres://kms@h%2Fx/kms", "host name"),
        ("postgres://kms@h/kms?sslmode=verify-everything", "sslmode 'verify-everything'"),
        ("postgres://kms@h/kms?sslmode=VERIFY-FULL", "sslmode 'VERIFY-FULL'"),
        ("postgres://kms@h/kms?application_name=kmsd", "unknown query parameter 'application_name'"),
        ("postgres://kms@h/kms?password=x", "unknown query parameter 'password'"),
        ("postgres://kms@h/kms?sslmode=require&sslmode=disable", "twice"),
        ("postgres://kms@h/kms?sslmode=", "no value"),
        ("postgres://kms@h/kms?sslmode", "no value"),
        ("postgres://kms@h/kms%zz", "percent-encoding"),
        ("postgres://kms@h/kms%2", "percent-encoding"),
        ("postgres://kms@h/kms%00", "%00"),
        ("postgres://kms@h/kms%FF", "UTF-8"),
        ("postgres://kms@h/kms?sslrootcert=/a@b.pem", "'@'"),
        ("postgres://kms@h/kms?sslmode=verify-full&sslrootcert=system", "sslrootcert=system"),
        ("postgres://kms@h/kms?sslmode=verify-ca", "verify-ca needs the CA certificate"),
        ("postgres://kms@h/kms?sslcert=/c.pem", "private_key"),
        ("postgres://kms@h/kms?sslkey=/k.pem", "private_key"),
        ("postgres://kms@h/kms?sslmode=disable&sslrootcert=/ca.pem", "sslmode=disable"),
    ])
    func badURLsAreRefusedByName(url: String, problem: String) {
        let text = message { _ = try PostgresStoreConfiguration(url: url) }
        #expect(text?.hasPrefix("storage.postgres") == true, "\(text ?? "accepted \(url)")")
        #expect(text?.contains(problem) == true, "\(text ?? "accepted \(url)")")
    }

    @Test(arguments: [
        "postgres://kms:Sup3rS3cret-pw@h",
        "postgres://kms:Sup3rS3cret-pw@h:0/kms",
        "postgres://kms:Sup3rS3cret-pw@/kms",
        "postgres://kms:Sup3rS3cret-pw@h/kms?sslmode=bogus",
        "postgres://kms:Sup3rS3cret-pw@h/kms?bogus=1",
        "postgres://kms:Sup3rS3cret-pw@h/kms?sslmode=verify-ca",
        "postgres://kms:Sup3r/S3cret@h/kms",
        "postgres://kms:Sup3r@S3cret@h/kms",
        "postgres://kms:Sup3r?S3cret/@h/kms",
        "postgres://kms:Sup3rS3cret/kms",
        "postgres://kms:Sup3r%zzS3cret@h/kms",
        "postgres://kms:Sup3r%00S3cret@h/kms",
        "mysql://kms:Sup3rS3cret-pw@h/kms",
    ])
    func errorsNeverShowThePassword(url: String) {
        let text = message { _ = try PostgresStoreConfiguration(url: url) }
        #expect(text != nil, "accepted \(url)")
        #expect(text?.contains("Sup3r") == false && text?.contains("S3cret") == false, "\(text ?? "")")
    }

    // MARK: Pool size

    @Test func thePoolSizeIsFromOneToAHundred() throws {
        #expect(try PostgresStoreConfiguration(url: "postgres://kms@h/kms").poolSize == 8)
        #expect(try PostgresStoreConfiguration(url: "postgres://kms@h/kms", poolSize: 1).poolSize == 1)
        #expect(try PostgresStoreConfiguration(url: "postgres://kms@h/kms", poolSize: 100).poolSize == 100)
        for size in [0, -1, 101] {
            let text = message { _ = try PostgresStoreConfiguration(url: "postgres://kms@h/kms", poolSize: size) }
            #expect(text == "storage.postgres.pool_size: \(size) is outside 1–100")
        }
    }

    // MARK: Password file and TLS files

    @Test func thePasswordFileLosesItsTrailingLineBreaksOnly() throws {
        let files = ["a": "\(Self.secret)\n", "b": "\(Self.secret)\r\n", "c": "\(Self.secret)", "d": " \(Self.secret) \n\n"]
        try withDirectory(files) { directory in
            for name in ["a", "b", "c"] {
                let configuration = try PostgresStoreConfiguration(url: "postgres://kms@h/kms", passwordFile: "\(directory)/\(name)")
                #expect(configuration.password == Self.secret)
            }
            let spaced = try PostgresStoreConfiguration(url: "postgres://kms@h/kms", passwordFile: "\(directory)/d")
            #expect(spaced.password == " \(Self.secret) ")
        }
    }

    @Test func passwordFileMistakes() throws {
        try withDirectory(["empty": "\n", "pw": Self.secret]) { directory in
            let empty = message { _ = try PostgresStoreConfiguration(url: "postgres://kms@h/kms", passwordFile: "\(directory)/empty") }
            #expect(empty == "storage.postgres.password_file: \(directory)/empty is empty")

            let missing = message { _ = try PostgresStoreConfiguration(url: "postgres://kms@h/kms", passwordFile: "\(directory)/missing") }
            #expect(missing?.hasPrefix("storage.postgres.password_file: cannot read \(directory)/missing") == true, "\(missing ?? "accepted")")

            let both = message {
                _ = try PostgresStoreConfiguration(url: "postgres://kms:\(Self.secret)@h/kms", passwordFile: "\(directory)/pw")
            }
            #expect(both?.contains("storage.postgres.url") == true && both?.contains("storage.postgres.password_file") == true)
            #expect(both?.contains("Sup3r") == false, "\(both ?? "accepted")")
        }
    }

    @Test func tlsFilesComeFromTheURLOrTheSettingsNotBoth() throws {
        let merged = try PostgresStoreConfiguration(
            url: "postgres://kms@h/kms?sslmode=verify-full&sslrootcert=/u/ca.pem",
            tls: .init(certificate: "/t/c.pem", privateKey: "/t/k.pem")
        )
        #expect(merged.tls == .init(ca: "/u/ca.pem", certificate: "/t/c.pem", privateKey: "/t/k.pem"))

        let conflicts: [(String, PostgresStoreConfiguration.TLSFiles, String)] = [
            ("postgres://kms@h/kms?sslrootcert=/u/ca.pem", .init(ca: "/t/ca.pem"), "sslrootcert"),
            ("postgres://kms@h/kms?sslcert=/u/c.pem&sslkey=/u/k.pem", .init(certificate: "/t/c.pem", privateKey: "/t/k.pem"), "sslcert"),
            ("postgres://kms@h/kms?sslkey=/u/k.pem", .init(certificate: "/t/c.pem", privateKey: "/t/k.pem"), "sslkey"),
        ]
        for (url, files, parameter) in conflicts {
            let text = message { _ = try PostgresStoreConfiguration(url: url, tls: files) }
            #expect(text?.hasPrefix("storage.postgres.tls.") == true && text?.contains(parameter) == true, "\(text ?? "accepted")")
        }
    }

    // MARK: Redaction

    @Test func thePasswordIsNeverShown() throws {
        let configuration = try PostgresStoreConfiguration(
            url: "postgres://kms:\(Self.secret)@db.example/kms?sslmode=verify-full&sslrootcert=/etc/kms/ca.pem"
        )
        #expect(configuration.password == Self.secret)
        #expect(configuration.redactedURL == "postgres://kms:***@db.example:5432/kms?sslmode=verify-full&sslrootcert=/etc/kms/ca.pem")
        #expect(configuration.description == "PostgresStoreConfiguration(\(configuration.redactedURL), pool_size: 8)")
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(configuration)", String(reflecting: configuration), configuration.debugDescription, dumped, "\([configuration])"] {
            #expect(!text.contains("Sup3r"), "\(text)")
            #expect(text.contains("db.example"), "\(text)")
        }
        #expect(dumped.contains("***"))
    }

    @Test(arguments: [
        ("postgres://kms@db.example/kms", "postgres://kms@db.example:5432/kms?sslmode=prefer"),
        ("postgresql://k%40ms:x@[::1]:5433/my%20db?sslmode=allow", "postgres://k%40ms:***@[::1]:5433/my%20db?sslmode=prefer"),
        (
            "postgres://kms@h/kms?sslmode=verify-ca&sslrootcert=%2Fetc%2Fca%20x.pem&sslcert=/c.pem&sslkey=/k.pem",
            "postgres://kms@h:5432/kms?sslmode=verify-ca&sslrootcert=/etc/ca%20x.pem&sslcert=/c.pem&sslkey=/k.pem"
        ),
    ])
    func theRedactedURLIsAUsableURLWithoutThePassword(url: String, redacted: String) throws {
        let configuration = try PostgresStoreConfiguration(url: url)
        #expect(configuration.redactedURL == redacted)
        // It reads back to the same settings, but for the password.
        var again = try PostgresStoreConfiguration(url: redacted.replacingOccurrences(of: ":***@", with: "@"))
        again.password = configuration.password
        #expect(again == configuration)
    }

    // MARK: PostgresNIO's configuration

    @Test func theClientConfigurationCarriesEverySetting() throws {
        let configuration = try PostgresStoreConfiguration(
            url: "postgres://kms:\(Self.secret)@db.example:6432/kms_prod?sslmode=disable",
            poolSize: 16
        )
        let client = try configuration.clientConfiguration()
        #expect(client.host == "db.example")
        #expect(client.port == 6432)
        #expect(client.username == "kms")
        #expect(client.password == Self.secret)
        #expect(client.database == "kms_prod")
        #expect(client.options.maximumConnections == 16)
    }

    @Test func tlsFollowsLibpqsModesWithoutACAFile() throws {
        let disabled = try PostgresStoreConfiguration(url: "postgres://kms@h/kms?sslmode=disable")
        let disabledTLS = try disabled.nioTLS()
        #expect(disabledTLS == nil)

        let modes: [(String, Bool, CertificateVerification)] = [
            ("allow", false, CertificateVerification.none),
            ("prefer", false, CertificateVerification.none),
            ("require", true, CertificateVerification.none),
            ("verify-full", true, .fullVerification),
        ]
        for (mode, required, verification) in modes {
            let configuration = try PostgresStoreConfiguration(url: "postgres://kms@h/kms?sslmode=\(mode)")
            let tls = try #require(try configuration.nioTLS())
            #expect(tls.required == required, "\(mode)")
            #expect(tls.configuration.certificateVerification == verification, "\(mode)")
            #expect(tls.configuration.trustRoots == NIOSSLTrustRoots.default, "\(mode)")
            #expect(tls.configuration.certificateChain.isEmpty, "\(mode)")
            #expect(tls.configuration.privateKey == nil, "\(mode)")
            #expect(tls.configuration.minimumTLSVersion == .tlsv12, "\(mode)")
            _ = try configuration.clientConfiguration()
        }
    }

    @Test func aCAFileIsTrustedAndAClientCertificateIsPresented() throws {
        let credential = try Self.throwawayCredential()
        let files = ["ca.pem": credential.certificatePEM, "client.pem": credential.certificatePEM, "client-key.pem": credential.privateKeyPEM]
        try withDirectory(files) { directory in
            let roots = try NIOSSLCertificate.fromPEMFile("\(directory)/ca.pem")
            let tlsFiles = PostgresStoreConfiguration.TLSFiles(
                ca: "\(directory)/ca.pem",
                certificate: "\(directory)/client.pem",
                privateKey: "\(directory)/client-key.pem"
            )
            let modes: [(String, Bool, CertificateVerification)] = [
                ("prefer", false, .noHostnameVerification),
                ("require", true, .noHostnameVerification),
                ("verify-ca", true, .noHostnameVerification),
                ("verify-full", true, .fullVerification),
            ]
            for (mode, required, verification) in modes {
                let configuration = try PostgresStoreConfiguration(url: "postgres://kms@h/kms?sslmode=\(mode)", tls: tlsFiles)
                let tls = try #require(try configuration.nioTLS())
                #expect(tls.required == required, "\(mode)")
                #expect(tls.configuration.certificateVerification == verification, "\(mode)")
                #expect(tls.configuration.trustRoots == NIOSSLTrustRoots.certificates(roots), "\(mode)")
                #expect(tls.configuration.certificateChain == roots.map { NIOSSLCertificateSource.certificate($0) }, "\(mode)")
                #expect(tls.configuration.privateKey != nil, "\(mode)")
                _ = try configuration.clientConfiguration()
            }
        }
    }

    @Test func unreadableTLSFilesAreNamed() throws {
        let credential = try Self.throwawayCredential()
        let files = ["ca.pem": credential.certificatePEM, "not-pem": "hello\n", "key.pem": credential.privateKeyPEM]
        try withDirectory(files) { directory in
            let cases: [(PostgresStoreConfiguration.TLSFiles, String)] = [
                (.init(ca: "\(directory)/missing.pem"), "storage.postgres.tls.ca"),
                (.init(ca: "\(directory)/not-pem"), "storage.postgres.tls.ca"),
                (.init(ca: "\(directory)/ca.pem", certificate: "\(directory)/not-pem", privateKey: "\(directory)/key.pem"), "storage.postgres.tls.certificate"),
                (.init(ca: "\(directory)/ca.pem", certificate: "\(directory)/ca.pem", privateKey: "\(directory)/not-pem"), "storage.postgres.tls.private_key"),
                (.init(ca: "\(directory)/ca.pem", certificate: "\(directory)/ca.pem", privateKey: "\(directory)/ca.pem"), "storage.postgres.tls.private_key"),
            ]
            for (tls, field) in cases {
                let configuration = try PostgresStoreConfiguration(url: "postgres://kms@h/kms?sslmode=verify-full", tls: tls)
                let text = message { _ = try configuration.clientConfiguration() }
                #expect(text?.hasPrefix(field) == true, "\(text ?? "accepted")")
            }
        }
    }
}
