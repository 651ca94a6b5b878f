import Foundation
import KMSCore
import KMSStorage
import KMSStorageConformance
import KMSPostgresTestSupport
@testable import KMSStoragePostgres
import Testing

@Suite("PostgresKeyStore", .enabled(if: PostgresTestServer.url != nil || PostgresTestServer.isRequired))
struct PostgresKeyStoreTests {
    @Test("passes the key store conformance suite", arguments: KeyStoreConformance.Check.allCases)
    func conformance(_ check: KeyStoreConformance.Check) async throws {
        try await PostgresTestServer.withFreshDatabase { configuration in
            try await KeyStoreConformance.run(check, fixture: PostgresFixture(configuration: configuration))
        }
    }

    @Test("nodes that start together migrate the schema once, and a newer schema is refused")
    func migrationsRunOnceAndNewerSchemasAreRefused() async throws {
        try await PostgresTestServer.withFreshDatabase { configuration in
            let fixture = PostgresFixture(configuration: configuration)
            let stores = try await withThrowingTaskGroup(of: (any KeyStore).self) { group in
                for _ in 0..<4 { group.addTask { try await fixture.openStore() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let (key, version) = TestKeys.make()
            try await stores[0].createKey(key, firstVersion: version)
            for store in stores {
                #expect(try await store.key(key.metadata.keyID) == key)
                try await store.close()
            }
            try await PostgresTestServer.adminQuery(configuration, "UPDATE kms_schema SET version = version + 1")
            let error = await #expect(throws: KMSError.self) { try await fixture.openStore() }
            #expect(error?.message.contains("newer than the supported \(PostgresSchema.currentVersion)") == true)
        }
    }
}

@Test("a run that requires PostgreSQL has a server to use")
func postgresIsAvailableWhenRequired() {
    #expect(!PostgresTestServer.isRequired || PostgresTestServer.url != nil, "KMS_REQUIRE_POSTGRES=1 but KMS_TEST_POSTGRES_URL is not set")
}
