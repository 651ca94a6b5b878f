import Foundation
import KMSServer
import Testing

/// The `audit:` key of the configuration file.
@Suite struct AuditConfigurationTests {
    static let base = "listen: 127.0.0.1:0\ndata_dir: d\ntls: {certificate: a, private_key: b, client_ca: c}\n"

    @Test func defaultsAreDurableUnderTheDataDirectoryWithHashedContexts() throws {
        let audit = try ServerConfiguration.parse(yaml: Self.base, relativeTo: "/srv").audit
        #expect(audit == ServerConfiguration.Audit(directory: nil, fsync: true, maxFileBytes: 64 << 20, logContextValues: false))
    }

    @Test func everyKeyIsRead() throws {
        let yaml = Self.base + "audit: {directory: logs/audit, fsync: false, max_file_bytes: 1048576, log_context_values: true}"
        let audit = try ServerConfiguration.parse(yaml: yaml, relativeTo: "/srv").audit
        #expect(audit == ServerConfiguration.Audit(directory: "/srv/logs/audit", fsync: false, maxFileBytes: 1 << 20, logContextValues: true))
    }

    @Test(arguments: [
        ("max_file_bytes: 1000", "audit.max_file_bytes"),
        ("max_file_bytes: 17179869185", "audit.max_file_bytes"),
        ("max_file_bytes: big", "audit.max_file_bytes"),
        ("fsync: sometimes", "audit.fsync"),
        ("log_context_values: 1", "audit.log_context_values"),
        ("rotate: daily", "rotate"),
    ])
    func badValuesAreRefusedByName(setting: String, name: String) {
        #expect {
            try ServerConfiguration.parse(yaml: Self.base + "audit: {\(setting)}", relativeTo: "/")
        } throws: { error in
            "\(error)".contains(name)
        }
    }
}
