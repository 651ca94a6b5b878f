import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSDevPKI
import KMSProto
import KMSServer
import KMSWorkloadAPITestSupport
import Synchronization
import Testing
import X509

/// `kmsd` with `tls.spiffe_workload_api`: it serves with the X.509-SVID a SPIFFE agent gives
/// it, verifies clients against the agent's bundles, and follows rotation without errors.
@Suite struct WorkloadAPIServingTests {
    /// A SPIRE-like world: one CA issues the server's SVIDs (through the fake agent) and the
    /// clients' certificates; nothing about TLS is configured from files.
    private struct World {
        let directory: URL
        let agent: FakeWorkloadAPIServer
        let admin: ClientCredentials
        let stranger: ClientCredentials
        let server: TestServer

        static func make() async throws -> World {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-wl-\(UUID())")
            let pki = try TestPKI(directory: directory.appendingPathComponent("pki"))
            // Unix socket paths are short (108 bytes): keep it under /tmp.
            let socket = "/tmp/kms-wl-\(UUID().uuidString.prefix(8)).sock"
            let agent = try FakeWorkloadAPIServer(
                socketPath: socket, authority: pki.authority, spiffeID: "spiffe://test.example/kmsd"
            )
            try await agent.start()
            let otherCA = try DevCertificateAuthority(commonName: "not the agent's CA")
            var configuration = TestServer.configuration(pki: pki, dataDirectory: directory.appendingPathComponent("data"))
            configuration.tls = .init(workloadAPISocket: socket)
            return World(
                directory: directory,
                agent: agent,
                admin: try pki.client("admin", spiffeIDs: [TestPKI.adminID]),
                stranger: try pki.client("stranger", spiffeIDs: [TestPKI.adminID], issuer: otherCA),
                server: try await TestServer.start(configuration)
            )
        }

        func tearDown() async {
            await server.stop()
            await agent.stop()
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(atPath: agent.socketPath)
        }
    }

    private func withWorkloadWorld(_ body: (World) async throws -> Void) async throws {
        let world = try await World.make()
        do {
            try await body(world)
        } catch {
            await world.tearDown()
            throw error
        }
        await world.tearDown()
    }

    @Test func servesTheAgentsSVIDAndTrustsItsBundle() async throws {
        try await withWorkloadWorld { world in
            let served = try await ServedCertificateProbe.serial(port: world.server.port, credentials: world.admin)
            #expect(served == world.agent.currentSVID.serialNumber)
            let identity = try await world.server.withClient(world.admin) { try await $0.getCallerIdentity(.init()) }
            #expect(identity.principal == TestPKI.adminID)
            await #expect(throws: (any Error).self) {
                try await world.server.withClient(world.stranger) { try await $0.getCallerIdentity(.init()) }
            }
        }
    }

    @Test func rotationEverySecondIsSeenByNewConnectionsAndNobodySeesAnError() async throws {
        try await withWorkloadWorld { world in
            let first = world.agent.currentSVID.serialNumber
            world.agent.startRotating(every: .seconds(1))
            // One long-lived connection keeps calling while new connections come and go.
            let longLived = Task {
                try await world.server.withClient(world.admin) { client in
                    var calls = 0
                    let deadline = ContinuousClock.now + .seconds(4)
                    while ContinuousClock.now < deadline || calls == 0 {
                        _ = try await client.generateRandom(.with { $0.numberOfBytes = 16 })
                        calls += 1
                    }
                    return calls
                }
            }
            var serials: Set<Certificate.SerialNumber> = [first]
            var newConnections = 0
            // At least four seconds, and until new connections have seen two rotated SVIDs
            // (on a loaded machine a round of new connections can take long), at most 30 s.
            let started = ContinuousClock.now
            while ContinuousClock.now < started + .seconds(4) || (serials.count < 3 && ContinuousClock.now < started + .seconds(30)) {
                let identity = try await world.server.withClient(world.admin) { try await $0.getCallerIdentity(.init()) }
                #expect(identity.principal == TestPKI.adminID)
                serials.insert(try await ServedCertificateProbe.serial(port: world.server.port, credentials: world.admin))
                newConnections += 1
            }
            let calls = try await longLived.value
            #expect(calls > 0)
            #expect(newConnections > 0)
            // Rotating every second: new connections saw at least two new SVIDs, and nobody
            // saw an error (every call above succeeded).
            #expect(serials.count >= 3, "serials seen: \(serials.count)")
        }
    }

    @Test func aFaultySVIDIsRefusedAndTheSVIDInForceStays() async throws {
        try await withWorkloadWorld { world in
            let before = world.agent.currentSVID.serialNumber
            for fault in FakeWorkloadAPIServer.FaultySVID.allCases {
                _ = try world.agent.publishFaultySVID(fault)
            }
            // Give the client time to receive (and drop) the faulty material.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await ServedCertificateProbe.serial(port: world.server.port, credentials: world.admin) == before)
            let identity = try await world.server.withClient(world.admin) { try await $0.getCallerIdentity(.init()) }
            #expect(identity.principal == TestPKI.adminID)
        }
    }
}
