import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSProto
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// `limits:` protect the listener: streams per connection, open connections, the largest
/// message, and the time a new connection has to complete its TLS handshake.
@Suite struct ConnectionLimitTests {
    @Test func manyConcurrentCallsOnOneConnectionAreAllAnsweredWithTwoStreamsAllowed() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.limits.maxConcurrentStreams = 2 }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let recorder = ServerCertificateRecorder(trusting: world.pki.authority)
            let client = try world.open(app, on: server, recorder: recorder)
            let kms = client.kms
            let principals = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<40 {
                    // No deadline: a call that waits for a stream and is cancelled there trips
                    // an assertion in grpc-swift-nio-transport's client (debug builds) when the
                    // stream is created and closed at once (docs/UPSTREAM.md).
                    group.addTask {
                        try await kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(principals == Array(repeating: TestPKI.appID, count: 40))
            #expect(recorder.serials.count == 1, "the calls used more than one connection")
        }
    }

    @Test(arguments: [2, 100])
    func theServerAdvertisesMaxConcurrentStreamsInItsHTTP2Settings(limit: Int) async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.limits.maxConcurrentStreams = limit }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let connection = try await RawTLSConnection.connect(port: server.port, as: app)
            _ = try await connection.handshake.get()
            // The client preface and an empty SETTINGS frame.
            try await connection.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 0x4, 0, 0, 0, 0, 0])
            var settings: [UInt16: UInt32]?
            _ = await listenerPoll(within: .seconds(5)) {
                settings = HTTP2Frames.firstSettings(in: connection.received)
                return settings != nil
            }
            await connection.close()
            let received = try #require(settings, "no SETTINGS frame from the server")
            #expect(received[HTTP2Frames.maxConcurrentStreams] == UInt32(limit))
        }
    }

    @Test func aConnectionOverMaxConnectionsIsClosedAndAFreedSlotIsTakenAgain() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.limits.maxConnections = 2 }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let first = try world.open(app, on: server)
            let second = try world.open(app, on: server)
            #expect(try await first.kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal == TestPKI.appID)
            #expect(try await second.kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal == TestPKI.appID)

            #expect(await server.admission(of: app) == .refused(.unavailable))
            #expect(server.log.contains(level: .warning, "max_connections"))

            await first.close()
            let admitted = await listenerPoll(within: .seconds(5)) {
                await server.admission(of: app) == .accepted(principal: TestPKI.appID)
            }
            #expect(admitted, "no new connection got the freed slot")
            #expect(try await second.kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal == TestPKI.appID)
        }
    }

    @Test func aMessageOverTheTransportLimitIsResourceExhaustedWithLimitExceeded() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start()
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let client = try world.open(app, on: server)
            let kms = client.kms
            let size = 2 * 1024 * 1024
            #expect(size > Limits.maxTransportMessageBytes)
            var answer = "succeeded"
            let result = await failure {
                do {
                    return try await kms.encrypt(.with { $0.keyID = "alias/anything"; $0.plaintext = Data(count: size) })
                } catch {
                    answer = "\(error)"
                    throw error
                }
            }
            // Not a reset stream (UNAVAILABLE, INTERNAL, CANCELLED, UNKNOWN): an answer.
            #expect(result?.code == .resourceExhausted, "\(answer)")
            #expect(result?.reason == "LIMIT_EXCEEDED", "\(answer)")
            // The connection still serves.
            #expect(try await kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal == TestPKI.appID)
        }
    }

    @Test func aConnectionThatSendsNothingIsClosedAfterTheHandshakeTimeout() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.limits.handshakeTimeoutSeconds = 1 }
            let started = ContinuousClock.now
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port)
                .get()
            let closed = await listenerPoll(within: .seconds(5)) { !channel.isActive }
            let elapsed = ContinuousClock.now - started
            try? await channel.close().get()
            #expect(closed, "the server kept a silent connection open for 5 s")
            // The deadline falls in the last quarter of the timeout.
            #expect(elapsed >= .milliseconds(700), "closed after \(elapsed), before the last quarter of the timeout")
            #expect(elapsed <= .seconds(3), "closed after \(elapsed)")
            #expect(server.log.contains(level: .debug, "did not complete in time"))
        }
    }
}

/// Reading HTTP/2 frames (RFC 9113 §4.1) from the bytes a server sent.
enum HTTP2Frames {
    static let settingsType: UInt8 = 0x4
    static let maxConcurrentStreams: UInt16 = 0x3

    /// The parameters of the first SETTINGS frame that is not an acknowledgement, once it
    /// has been received whole.
    static func firstSettings(in bytes: [UInt8]) -> [UInt16: UInt32]? {
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let type = bytes[offset + 3]
            let flags = bytes[offset + 4]
            let payload = offset + 9
            guard payload + length <= bytes.count else { return nil }
            if type == settingsType, flags & 0x1 == 0 {
                var parameters: [UInt16: UInt32] = [:]
                var entry = payload
                while entry + 6 <= payload + length {
                    let identifier = UInt16(bytes[entry]) << 8 | UInt16(bytes[entry + 1])
                    let value = bytes[(entry + 2)..<(entry + 6)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    parameters[identifier] = value
                    entry += 6
                }
                return parameters
            }
            offset = payload + length
        }
        return nil
    }
}

/// The listener's TLS versions and TLS 1.2 cipher suites (`tls.min_version`): TLS 1.2 with
/// ECDHE and AEAD suites only, or TLS 1.3 only.
@Suite struct ListenerProtocolTests {
    /// Whether a handshake as `app` with `configure` applied to the client's TLS settings completes.
    private func handshakeCompletes(
        with server: ListenerTestServer,
        as app: ClientCredentials,
        _ configure: (inout TLSConfiguration) -> Void
    ) async throws -> Bool {
        let connection = try await RawTLSConnection.connect(port: server.port, as: app, configure: configure)
        let completed: Bool
        do {
            _ = try await connection.handshake.get()
            completed = true
        } catch {
            completed = false
        }
        await connection.close()
        return completed
    }

    @Test func tls12IsAcceptedWithAnECDHEAEADSuiteOnly() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start()
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            #expect(try await handshakeCompletes(with: server, as: app) { $0.maximumTLSVersion = .tlsv12 })
            #expect(try await handshakeCompletes(with: server, as: app) { tls in
                tls.maximumTLSVersion = .tlsv12
                tls.cipherSuiteValues = [.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]
            })
            #expect(try await handshakeCompletes(with: server, as: app) { tls in
                tls.maximumTLSVersion = .tlsv12
                tls.cipherSuiteValues = [.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA]
            } == false)
            #expect(try await handshakeCompletes(with: server, as: app) { $0.minimumTLSVersion = .tlsv13 })
        }
    }

    @Test func minVersion13RefusesTLS12() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.tls.minimumVersion = .tls13 }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            #expect(try await handshakeCompletes(with: server, as: app) { $0.maximumTLSVersion = .tlsv12 } == false)
            #expect(try await handshakeCompletes(with: server, as: app) { $0.minimumTLSVersion = .tlsv13 })
        }
    }
}
