import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import KMSDevPKI
import KMSWorkloadAPI
import KMSWorkloadAPITestSupport
import SPIFFEWorkloadAPI
import Testing
import X509

/// The client against the fake Workload API on a temporary unix socket.
@Suite("WorkloadAPIClient against a fake agent")
struct WorkloadAPIClientTests {
    @Test("the first update carries the SVID, its key and the trust domain's bundle")
    func firstUpdate() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let issued = server.currentSVID
                    let update = try await recorder.first { $0.leaf.serialNumber == issued.serialNumber }
                    #expect(update.spiffeID == server.spiffeID)
                    #expect(update.trustDomain == "kms.test")
                    #expect(update.certificateChain == issued.chain)
                    #expect(update.privateKey.key.publicKey == update.leaf.publicKey)
                    #expect(update.privateKey.withPKCS8DERBytes { $0 } == (try issued.credential.privateKey.serializeAsPEM().derBytes))
                    #expect(update.bundles == ["kms.test": [server.authority.certificate]])
                    #expect(update.hint == nil)
                    #expect(server.refusedForMissingHeader == 0)
                }
            }
        }
    }

    @Test("rotate() reaches the client as an update with the new serial and key")
    func rotation() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let first = server.currentSVID
                    let before = try await recorder.first { $0.leaf.serialNumber == first.serialNumber }
                    let rotated = try server.rotate()
                    #expect(rotated.serialNumber != first.serialNumber)
                    let after = try await recorder.first { $0.leaf.serialNumber == rotated.serialNumber }
                    #expect(after.certificateChain == rotated.chain)
                    #expect(after.privateKey.key.publicKey != before.privateKey.key.publicKey)
                    #expect(after.privateKey.key.publicKey == after.leaf.publicKey)
                }
            }
        }
    }

    @Test("periodic rotation keeps the material current")
    func periodicRotation() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let first = server.currentSVID.serialNumber
                    // Rotation starts once the client has the first SVID, so it cannot miss it.
                    _ = try await recorder.first { $0.leaf.serialNumber == first }
                    server.startRotating(every: .milliseconds(100))
                    // The first SVID and two rotations after it.
                    let serials = try await waitForDistinctSerials(3, in: recorder)
                    #expect(serials.contains(first))
                }
            }
        }
    }

    @Test("a change of bundles is delivered, and FetchX509Bundles wins over the SVID's bundle")
    func bundleChange() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let serial = server.currentSVID.serialNumber
                    _ = try await recorder.first { $0.leaf.serialNumber == serial }
                    let federated = try DevCertificateAuthority(commonName: "federated CA")
                    try server.setBundles([
                        "kms.test": [server.authority.certificate],
                        "partner.test": [federated.certificate],
                    ])
                    let withPartner = try await recorder.first { $0.bundles["partner.test"] != nil }
                    #expect(withPartner.bundles["partner.test"] == [federated.certificate])
                    #expect(withPartner.bundles["kms.test"] == [server.authority.certificate])
                    #expect(withPartner.leaf.serialNumber == serial)

                    // The bundles stream is the agent's newer, full view of the own trust domain too.
                    let next = try DevCertificateAuthority(commonName: "next CA")
                    try server.setBundles(["kms.test": [server.authority.certificate, next.certificate]])
                    let rolled = try await recorder.first { $0.bundles["kms.test"]?.count == 2 }
                    #expect(rolled.bundles["kms.test"] == [server.authority.certificate, next.certificate])
                    // Federated bundles the SVID response does not carry are gone with the new view.
                    #expect(rolled.bundles["partner.test"] == nil)
                }
            }
        }
    }

    @Test("an empty bundle from FetchX509Bundles is refused and the previous bundles stay")
    func emptyBundleRefused() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    _ = try await recorder.first { _ in true }
                    try server.setBundles(["kms.test": [server.authority.certificate], "partner.test": []])
                    let marker = try DevCertificateAuthority(commonName: "marker CA")
                    try server.setBundles(["kms.test": [server.authority.certificate], "marker.test": [marker.certificate]])
                    _ = try await recorder.first { $0.bundles["marker.test"] != nil }
                    let trustDomains = await recorder.updates.map { Set($0.bundles.keys) }
                    let bundleSizes = await recorder.updates.flatMap { $0.bundles.values.map(\.count) }
                    #expect(!trustDomains.contains { $0.contains("partner.test") })
                    #expect(!bundleSizes.contains(0))
                }
            }
        }
    }

    @Test("the client reconnects when the agent stops and starts again on the same socket")
    func reconnectAfterRestart() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            let server = try FakeWorkloadAPIServer(socketPath: socketPath)
            try await server.start()
            do {
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let first = server.currentSVID.serialNumber
                    _ = try await recorder.first { $0.leaf.serialNumber == first }
                    await server.stop()
                    // Issued while the agent is away: only a new stream can bring it.
                    let rotated = try server.rotate().serialNumber
                    try await Task.sleep(for: .milliseconds(150))
                    try await server.start()
                    let update = try await recorder.first { $0.leaf.serialNumber == rotated }
                    #expect(update.spiffeID == server.spiffeID)
                }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }

    @Test("the client waits for an agent that is not there yet")
    func agentStartsLater() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            let server = try FakeWorkloadAPIServer(socketPath: socketPath)
            try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                try await Task.sleep(for: .milliseconds(300))
                try await server.start()
                let serial = server.currentSVID.serialNumber
                _ = try await recorder.first { $0.leaf.serialNumber == serial }
            }
            await server.stop()
        }
    }

    @Test("the agent refuses a request without the workload.spiffe.io header")
    func missingHeaderRefused() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                let transport = try HTTP2ClientTransport.Posix(
                    target: .unixDomainSocket(path: socketPath),
                    transportSecurity: .plaintext
                )
                let codes = try await withGRPCClient(transport: transport) { grpc in
                    let api = SpiffeWorkloadAPI.Client(wrapping: grpc)
                    var codes: [RPCError.Code] = []
                    for metadata: Metadata in [[:], ["workload.spiffe.io": "false"]] {
                        do {
                            try await api.fetchX509SVID(request: ClientRequest(message: X509SVIDRequest(), metadata: metadata)) { response in
                                for try await _ in response.messages {}
                            }
                        } catch let error as RPCError {
                            codes.append(error.code)
                        }
                        do {
                            try await api.fetchX509Bundles(request: ClientRequest(message: X509BundlesRequest(), metadata: metadata)) { response in
                                for try await _ in response.messages {}
                            }
                        } catch let error as RPCError {
                            codes.append(error.code)
                        }
                    }
                    return codes
                }
                #expect(codes == [.invalidArgument, .invalidArgument, .invalidArgument, .invalidArgument])
                #expect(server.refusedForMissingHeader == 4)
            }
        }
    }

    @Test("a faulty SVID is not handed out and the previous material stays", arguments: FakeWorkloadAPIServer.FaultySVID.allCases)
    func faultySVIDRefused(_ fault: FakeWorkloadAPIServer.FaultySVID) async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let first = server.currentSVID.serialNumber
                    _ = try await recorder.first { $0.leaf.serialNumber == first }
                    let faulty = try server.publishFaultySVID(fault)
                    // The stream is ordered: once the next good SVID is in, the faulty one was seen.
                    let rotated = try server.rotate().serialNumber
                    _ = try await recorder.first { $0.leaf.serialNumber == rotated }
                    let serials = Set(await recorder.updates.map(\.leaf.serialNumber))
                    #expect(serials == [first, rotated])
                    if let faulty {
                        #expect(!serials.contains(faulty))
                    }
                }
            }
        }
    }

    @Test("x509Updates() streams the updates and stops the client when dropped")
    func updatesStream() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                let client = WorkloadAPIClient(endpoint: try WorkloadAPIEndpoint(parsing: socketPath))
                let expected = server.currentSVID.serialNumber
                var first: X509Update?
                for await update in client.x509Updates() {
                    first = update
                    break
                }
                #expect(first?.leaf.serialNumber == expected)
            }
        }
    }

    @Test("run returns promptly when cancelled, even while waiting to reconnect")
    func cancellation() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            let client = WorkloadAPIClient(
                endpoint: try WorkloadAPIEndpoint(parsing: socketPath),
                backoff: ReconnectBackoff(initial: .seconds(30), maximum: .seconds(30), multiplier: 1)
            )
            let running = Task { try await client.run { _ in } }
            try await Task.sleep(for: .milliseconds(200))
            let start = ContinuousClock.now
            running.cancel()
            try await running.value
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test("printing an update or its key never shows the key")
    func redaction() async throws {
        try await WorkloadAPITestSupport.withSocketPath { socketPath in
            try await FakeWorkloadAPIServer.withServer(socketPath: socketPath) { server in
                try await WorkloadAPITestSupport.withClient(socketPath: socketPath) { recorder in
                    let update = try await recorder.first { _ in true }
                    let keyDER = update.privateKey.withPKCS8DERBytes { $0 }
                    let base64 = Data(keyDER).base64EncodedString()
                    let hex = keyDER.map { String(format: "%02x", $0) }.joined()
                    var dumped = ""
                    dump(update, to: &dumped)
                    for text in [
                        String(describing: update), String(reflecting: update), dumped,
                        String(describing: update.privateKey), String(reflecting: update.privateKey),
                    ] {
                        #expect(!text.contains(base64.prefix(24)))
                        #expect(!text.contains(hex.prefix(24)))
                        #expect(!text.contains(server.currentSVID.credential.privateKeyPEM.split(separator: "\n")[1].prefix(24)))
                    }
                    #expect(String(describing: update.privateKey) == "SVIDPrivateKey(P256.PrivateKey, redacted)")
                    #expect(String(describing: update).contains("privateKey: redacted"))
                }
            }
        }
    }

    /// Waits until the recorder has seen `count` different serial numbers.
    private func waitForDistinctSerials(_ count: Int, in recorder: UpdateRecorder) async throws -> Set<Certificate.SerialNumber> {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let serials = Set(await recorder.updates.map(\.leaf.serialNumber))
            if serials.count >= count { return serials }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("fewer than \(count) serial numbers within 5 s")
        throw WaitTimedOut()
    }
}
