import Crypto
import KMSAudit
import KMSCore
import Testing

@Suite struct AuditContextDescriptionTests {
    @Test func hmacModeGivesSortedKeysAndAKeyedHashButNoValues() async throws {
        try await withAuditDirectory { directory in
            let key = SymmetricKey(size: .bits256)
            let log = try openAuditLog(directory, contextKey: key)
            defer { log.close() }
            let context = try EncryptionContext(["tenant_id": "acme", "Tenant": "Acme", "app": "billing"])
            let description = log.describe(context)
            #expect(description.keys == ["Tenant", "app", "tenant_id"])
            #expect(description.values == nil)
            let hmac = try #require(description.hmac)
            #expect(hmac.count == 64 && hmac.allSatisfy { "0123456789abcdef".contains($0) })
            let expected = HMAC<SHA256>.authenticationCode(for: context.canonicalEncoding, using: key)
            #expect(hmac == expected.map { String(format: "%02x", $0) }.joined())
            #expect(!hmac.contains("acme") && !hmac.contains("billing"))

            let same = try EncryptionContext(["app": "billing", "Tenant": "Acme", "tenant_id": "acme"])
            #expect(log.describe(same).hmac == hmac)
            let otherValue = try EncryptionContext(["tenant_id": "acme", "Tenant": "Acme", "app": "payroll"])
            #expect(log.describe(otherValue).hmac != hmac)
            #expect(log.describe(otherValue).keys == description.keys)
        }
    }

    @Test func theHMACDependsOnTheContextKey() async throws {
        try await withAuditDirectory { first in
            try await withAuditDirectory { second in
                let context = try EncryptionContext(["k": "v"])
                let a = try openAuditLog(first)
                defer { a.close() }
                let b = try openAuditLog(second)
                defer { b.close() }
                #expect(a.describe(context).hmac != b.describe(context).hmac)
            }
        }
    }

    @Test func valuesModeGivesTheValuesAndNoHMAC() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory, logContextValues: true)
            defer { log.close() }
            let pairs = ["tenant_id": "acme", "Tenant": "Acme"]
            let description = log.describe(try EncryptionContext(pairs))
            #expect(description.keys == ["Tenant", "tenant_id"])
            #expect(description.values == pairs)
            #expect(description.hmac == nil)
        }
    }

    @Test func noContextDescribesAsNothing() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory)
            defer { log.close() }
            for context in [nil, EncryptionContext.empty] {
                let description = log.describe(context)
                #expect(description.keys.isEmpty)
                #expect(description.hmac == nil)
                #expect(description.values == nil)
            }
        }
    }

    @Test func aDescribedContextIsStoredAndQueriedAsGiven() async throws {
        try await withAuditDirectory { directory in
            let log = try openAuditLog(directory, logContextValues: true)
            defer { log.close() }
            let described = log.describe(try EncryptionContext(["tenant_id": "acme", "Tenant": "Acme"]))
            var record = Sample.record(1)
            record.encryptionContextKeys = described.keys
            record.encryptionContextHMAC = described.hmac
            record.encryptionContext = described.values
            try await log.append(record)
            let page = try log.query(AuditQuery())
            #expect(page.records.map(\.record) == [record])
        }
    }
}
