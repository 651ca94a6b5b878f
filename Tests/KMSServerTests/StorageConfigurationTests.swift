import Foundation
import KMSServer
import Testing

/// The `storage:` and `cluster:` keys of the configuration file.
@Suite struct StorageConfigurationTests {
    static let base = "listen: 127.0.0.1:0\ndata_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}\n"
    static let secret = "Sup3rS3cret-pw"
    static let postgres = "storage: {postgres: {url: \"postgres://kms@db.example/kms\"}}\n"

    /// Runs `body` with a new directory holding `files` (relative path → contents), removed afterwards.
    private func withDirectory<T>(_ files: [String: String] = [:], _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-storage-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, contents) in files {
            let file = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: file, atomically: true, encoding: .utf8)
        }
        return try body(directory.path)
    }

    /// The error text for `base` + `yaml` (relative to a directory holding `files`), or nil
    /// when the configuration is accepted.
    private func error(_ yaml: String, files: [String: String] = [:]) throws -> String? {
        try withDirectory(files) { directory in
            do {
                _ = try ServerConfiguration.parse(yaml: Self.base + yaml, relativeTo: directory)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    // MARK: Defaults

    @Test func withoutStorageTheSQLiteStoreAndDefaultClusterSettingsAreUsed() throws {
        let configuration = try ServerConfiguration.parse(yaml: Self.base, relativeTo: "/srv")
        #expect(configuration.storage == .sqlite)
        #expect(configuration.databasePath == "/srv/d/kms.sqlite")
        #expect(configuration.cluster == ServerConfiguration.ClusterConfiguration())
        #expect(configuration.cluster.nodeID == ProcessInfo.processInfo.hostName)
        #expect(configuration.cluster.maxStaleness == .seconds(1))
        #expect(try ServerConfiguration.parse(yaml: Self.base + "storage: {}", relativeTo: "/").storage == .sqlite)
    }

    @Test func postgresDefaults() throws {
        let configuration = try ServerConfiguration.parse(yaml: Self.base + Self.postgres, relativeTo: "/srv")
        guard case .postgres(let store) = configuration.storage else {
            Issue.record("storage is \(configuration.storage)")
            return
        }
        #expect(store.host == "db.example")
        #expect(store.port == 5432)
        #expect(store.username == "kms")
        #expect(store.password == nil)
        #expect(store.database == "kms")
        #expect(store.sslMode.rawValue == "prefer")
        #expect(store.tls.isEmpty)
        #expect(store.poolSize == 8)
        #expect(configuration.cluster.nodeID == ProcessInfo.processInfo.hostName)
        #expect(configuration.cluster.maxStaleness == .seconds(1))
    }

    // MARK: Every key

    @Test func everyKeyIsReadAndRelativePathsFollowTheConfigurationFile() throws {
        let files = ["secrets/db-password": "\(Self.secret)\n"]
        try withDirectory(files) { directory in
            let configuration = try ServerConfiguration.parse(yaml: Self.base + """
                storage:
                  postgres:
                    url: "postgresql://kms@db.example:6432/kms?sslmode=verify-full"
                    password_file: secrets/db-password
                    tls: {ca: tls/ca.pem, certificate: /etc/kms/client.pem, private_key: tls/client-key.pem}
                    pool_size: 12
                cluster:
                  node_id: kms-a
                  max_staleness_seconds: 2.5
                """, relativeTo: directory)
            guard case .postgres(let store) = configuration.storage else {
                Issue.record("storage is \(configuration.storage)")
                return
            }
            #expect(store.host == "db.example")
            #expect(store.port == 6432)
            #expect(store.username == "kms")
            #expect(store.password == Self.secret)
            #expect(store.database == "kms")
            #expect(store.sslMode.rawValue == "verify-full")
            #expect(store.tls.ca == "\(directory)/tls/ca.pem")
            #expect(store.tls.certificate == "/etc/kms/client.pem")
            #expect(store.tls.privateKey == "\(directory)/tls/client-key.pem")
            #expect(store.poolSize == 12)
            #expect(configuration.cluster.nodeID == "kms-a")
            #expect(configuration.cluster.maxStaleness == .milliseconds(2500))
        }
    }

    @Test func tlsFilesNamedInTheURLAreRelativeToTheConfigurationFileToo() throws {
        let configuration = try ServerConfiguration.parse(yaml: Self.base + """
            storage:
              postgres:
                url: "postgres://kms@db.example/kms?sslmode=verify-ca&sslrootcert=ca.pem&sslcert=%2Fetc%2Fc.pem&sslkey=k.pem"
            """, relativeTo: "/srv/kms")
        guard case .postgres(let store) = configuration.storage else {
            Issue.record("storage is \(configuration.storage)")
            return
        }
        #expect(store.tls.ca == "/srv/kms/ca.pem")
        #expect(store.tls.certificate == "/etc/c.pem")
        #expect(store.tls.privateKey == "/srv/kms/k.pem")
    }

    @Test func thePasswordFileLosesItsTrailingLineBreaks() throws {
        for contents in ["\(Self.secret)", "\(Self.secret)\n", "\(Self.secret)\r\n", "\(Self.secret)\n\n"] {
            try withDirectory(["pw": contents]) { directory in
                let yaml = Self.base + "storage: {postgres: {url: \"postgres://kms@h/kms\", password_file: pw}}"
                let configuration = try ServerConfiguration.parse(yaml: yaml, relativeTo: directory)
                guard case .postgres(let store) = configuration.storage else {
                    Issue.record("storage is \(configuration.storage)")
                    return
                }
                #expect(store.password == Self.secret)
            }
        }
    }

    @Test(arguments: [("1", 1_000), ("0.1", 100), ("60", 60_000), ("0.25", 250), ("2.5", 2_500)])
    func stalenessIsAWholeOrDecimalNumberOfSeconds(seconds: String, milliseconds: Int) throws {
        let yaml = Self.base + Self.postgres + "cluster: {max_staleness_seconds: \(seconds)}"
        let configuration = try ServerConfiguration.parse(yaml: yaml, relativeTo: "/")
        #expect(configuration.cluster.maxStaleness == .milliseconds(milliseconds))
    }

    @Test(arguments: [1, 8, 100])
    func poolSizesFromOneToAHundredAreAccepted(size: Int) throws {
        let yaml = Self.base + "storage: {postgres: {url: \"postgres://kms@h/kms\", pool_size: \(size)}}"
        let configuration = try ServerConfiguration.parse(yaml: yaml, relativeTo: "/")
        guard case .postgres(let store) = configuration.storage else {
            Issue.record("storage is \(configuration.storage)")
            return
        }
        #expect(store.poolSize == size)
    }

    // MARK: Mistakes

    @Test(arguments: [
        // Unknown keys, at every level.
        ("storage: {mysql: {url: x}}", "mysql"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", passwd_file: pw}}", "passwd_file"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", tls: {key: k.pem}}}", "storage.postgres.tls: unknown key 'key'"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {node: a}", "cluster: unknown key 'node'"),
        ("storage: postgres", "storage must be a mapping"),
        ("storage: {postgres: \"postgres://kms@h/kms\"}", "storage.postgres must be a mapping"),
        // The URL.
        ("storage: {postgres: {}}", "missing key 'url'"),
        ("storage: {postgres: {url: \"mysql://kms@h/kms\"}}", "storage.postgres.url"),
        ("storage: {postgres: {url: \"postgres://kms@h\"}}", "no database"),
        ("storage: {postgres: {url: \"postgres://kms@h/\"}}", "no database"),
        ("storage: {postgres: {url: \"postgres://h/kms\"}}", "no user name"),
        ("storage: {postgres: {url: \"postgres://kms@h:99999/kms\"}}", "storage.postgres.url: the port"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms?sslmode=verify-everything\"}}", "sslmode 'verify-everything'"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms?connect_timeout=5\"}}", "connect_timeout"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms?sslmode=verify-ca\"}}", "verify-ca"),
        // Pool size.
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", pool_size: 0}}", "storage.postgres.pool_size"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", pool_size: 101}}", "storage.postgres.pool_size"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", pool_size: 2.5}}", "storage.postgres.pool_size"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", pool_size: eight}}", "storage.postgres.pool_size"),
        // TLS files.
        ("storage: {postgres: {url: \"postgres://kms@h/kms?sslrootcert=a.pem\", tls: {ca: b.pem}}}", "sslrootcert"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", tls: {certificate: c.pem}}}", "private_key"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms?sslmode=disable\", tls: {ca: b.pem}}}", "sslmode=disable"),
        // The password file.
        ("storage: {postgres: {url: \"postgres://kms@h/kms\", password_file: missing}}", "storage.postgres.password_file"),
        // Cluster.
        ("cluster: {node_id: a}", "cluster: applies only with storage.postgres"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {node_id: \"a b\"}", "cluster.node_id"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {node_id: \"\"}", "cluster.node_id"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {max_staleness_seconds: 0.05}", "cluster.max_staleness_seconds"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {max_staleness_seconds: 61}", "cluster.max_staleness_seconds"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {max_staleness_seconds: 0}", "cluster.max_staleness_seconds"),
        ("storage: {postgres: {url: \"postgres://kms@h/kms\"}}\ncluster: {max_staleness_seconds: \"1s\"}", "cluster.max_staleness_seconds"),
    ])
    func mistakesAreNamed(yaml: String, named: String) throws {
        let message = try #require(try error(yaml), "accepted: \(yaml)")
        #expect(message.contains(named), "\(message)")
    }

    @Test func anEmptyPasswordFileIsRefused() throws {
        let message = try error("storage: {postgres: {url: \"postgres://kms@h/kms\", password_file: pw}}", files: ["pw": "\n"])
        #expect(message?.contains("storage.postgres.password_file") == true, "\(message ?? "accepted")")
    }

    // MARK: The password stays secret

    @Test func aPasswordInBothTheURLAndAFileIsRefusedWithoutShowingIt() throws {
        let yaml = "storage: {postgres: {url: \"postgres://kms:\(Self.secret)@h/kms\", password_file: pw}}"
        let message = try #require(try error(yaml, files: ["pw": "other-\(Self.secret)\n"]))
        #expect(message.contains("storage.postgres.url"))
        #expect(message.contains("storage.postgres.password_file"))
        #expect(!message.contains("Sup3r"), "\(message)")
    }

    @Test(arguments: [
        "postgres://kms:Sup3rS3cret-pw@h",
        "postgres://kms:Sup3rS3cret-pw@h:0/kms",
        "postgres://kms:Sup3rS3cret-pw@h/kms?sslmode=bogus",
        "postgres://kms:Sup3rS3cret-pw@h/kms?bogus=1",
        "postgres://kms:Sup3r/S3cret@h/kms",
        "postgres://kms:Sup3r@S3cret@h/kms",
        "postgres://kms:Sup3rS3cret/kms",
        "postgres://kms:Sup3r%zzS3cret@h/kms",
        "mysql://kms:Sup3rS3cret-pw@h/kms",
    ])
    func urlMistakesNeverShowThePassword(url: String) throws {
        let message = try #require(try error("storage: {postgres: {url: \"\(url)\"}}"), "accepted: \(url)")
        #expect(message.contains("storage.postgres.url"), "\(message)")
        #expect(!message.contains("Sup3r") && !message.contains("S3cret"), "\(message)")
    }

    @Test func otherMistakesNeverShowThePassword() throws {
        let url = "postgres://kms:\(Self.secret)@h/kms"
        for yaml in [
            "storage: {postgres: {url: \"\(url)\", pool_size: 0}}",
            "storage: {postgres: {url: \"\(url)?sslmode=verify-ca\"}}",
            "storage: {postgres: {url: \"\(url)\", tls: {certificate: c.pem}}}",
            "storage: {postgres: {url: \"\(url)\"}}\ncluster: {node_id: \"a b\"}",
        ] {
            let message = try #require(try error(yaml), "accepted: \(yaml)")
            #expect(!message.contains("Sup3r"), "\(message)")
        }
    }

    @Test func theConfigurationNeverShowsThePassword() throws {
        let yaml = Self.base + "storage: {postgres: {url: \"postgres://kms:\(Self.secret)@db.example/kms?sslmode=require\"}}"
        let configuration = try ServerConfiguration.parse(yaml: yaml, relativeTo: "/")
        guard case .postgres(let store) = configuration.storage else {
            Issue.record("storage is \(configuration.storage)")
            return
        }
        #expect(store.password == Self.secret)
        #expect(store.redactedURL == "postgres://kms:***@db.example:5432/kms?sslmode=require")
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(configuration)", String(reflecting: configuration), "\(store)", String(reflecting: store), dumped] {
            #expect(!text.contains("Sup3r"), "\(text)")
            #expect(text.contains("db.example"), "\(text)")
        }
    }
}
