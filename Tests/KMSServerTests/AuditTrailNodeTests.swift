import Foundation
import KMSAudit
import KMSClient
import KMSProto
import KMSServer
import Testing

/// Every audit record names the node that wrote it: `cluster.node_id`, by default the host
/// name (the only choice with the SQLite store, whose configuration has no `cluster:`).
@Suite struct AuditTrailNodeTests {
    @Test func callsAndJobsRecordTheNodeIDTheHostNameByDefault() async throws {
        let clock = TestClock()
        try await withWorld(clock: clock) { world in
            let hostName = ServerConfiguration.ClusterConfiguration.defaultNodeID
            #expect(world.server.configuration.cluster.nodeID == hostName)
            let keyID = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                _ = try await client.enableKeyRotation(.with { $0.keyID = keyID; $0.rotationPeriodInDays = 90 })
                return keyID
            }
            let before = try world.auditRecords()
            #expect(before.count == 4, "CreateKey and EnableKeyRotation, an intent and an outcome record each")
            #expect(before.allSatisfy { $0.record.node == hostName })

            // The same directory served as another node: the chain goes on, and the new
            // records, calls and background jobs alike, name the configured node id.
            await world.server.stop()
            var configuration = world.server.configuration
            configuration.cluster.nodeID = "kms-node-7"
            world.server = try await TestServer.start(configuration, clock: clock)
            let encrypt = try await world.server.withClient(world.app) { client in
                await traced(Kms_V1_EncryptResponse.self) { try await client.encrypt(AuditTrailTests.encryptRequest(keyID), onResponse: $0) }
            }
            #expect(try world.onlyAuditRecord(requestID: encrypt.requestID).node == "kms-node-7")
            clock.advance(days: 91)
            #expect(try await world.server.server.runBackgroundJobsNow().rotated.map(\.description) == [keyID])

            let after = try world.auditRecords().dropFirst(before.count)
            #expect(after.map(\.record.principal) == [TestPKI.appID, "kmsd:job/rotation", "kmsd:job/rotation"])
            #expect(after.allSatisfy { $0.record.node == "kms-node-7" })
            let lastFile = try #require(try AuditFileSet.files(in: world.auditDirectory.path).last)
            let line = try #require(try String(contentsOfFile: lastFile.path, encoding: .utf8).split(separator: "\n").last)
            #expect(line.contains(#","node":"kms-node-7","principal":"kmsd:job/rotation","#), "written after request_id: \(line)")
            let head = try #require(after.last)
            #expect(try world.verifyAudit() == .intact(records: before.count + 3, head: AuditChainHead(sequence: head.sequence, hash: head.hash)))
        }
    }
}
