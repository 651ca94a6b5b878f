import Foundation
import KMSCore
import KMSStorage
import KMSStorageConformance
import KMSStoragePostgres
import Logging
import PostgresNIO
import Testing

/// Test support: the PostgreSQL server the tests use: `KMS_TEST_POSTGRES_URL` names a database whose role
/// may create databases (`tools/test.sh` starts a throwaway cluster and sets it). Each test
/// gets a fresh database of its own, dropped afterwards.
package enum PostgresTestServer {
    /// The URL, or `nil` when no server was given.
    package static let url = ProcessInfo.processInfo.environment["KMS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether the run must use PostgreSQL (`tools/test.sh` sets `KMS_REQUIRE_POSTGRES=1`),
    /// so a missing server fails instead of skipping.
    package static let isRequired = ProcessInfo.processInfo.environment["KMS_REQUIRE_POSTGRES"] == "1"

    package static let logger = Logger(label: "KMSStoragePostgresTests")

    /// Runs `body` with the configuration of a fresh, empty database, dropped afterwards.
    package static func withFreshDatabase(_ body: (PostgresStoreConfiguration) async throws -> Void) async throws {
        let url = try #require(url, "KMS_TEST_POSTGRES_URL is not set")
        let admin = try PostgresStoreConfiguration(url: url)
        var fresh = admin
        fresh.database = "kms_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await adminQuery(admin, "CREATE DATABASE \(fresh.database)")
        do {
            try await body(fresh)
        } catch {
            try? await adminQuery(admin, "DROP DATABASE IF EXISTS \(fresh.database) WITH (FORCE)")
            throw error
        }
        try await adminQuery(admin, "DROP DATABASE IF EXISTS \(fresh.database) WITH (FORCE)")
    }

    /// Runs one statement on the database `configuration` names, with a client of its own
    /// (database names cannot be bound parameters; the tests make them from a UUID).
    package static func adminQuery(_ configuration: PostgresStoreConfiguration, _ sql: String) async throws {
        let client = PostgresClient(configuration: try configuration.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}

/// Opens `PostgresKeyStore`s on one database.
package struct PostgresFixture: KeyStoreFixture {
    package let configuration: PostgresStoreConfiguration

    package init(configuration: PostgresStoreConfiguration) {
        self.configuration = configuration
    }

    package func openStore() async throws -> any KeyStore {
        try await PostgresKeyStore.open(configuration: try configuration.clientConfiguration(), logger: PostgresTestServer.logger)
    }
}
