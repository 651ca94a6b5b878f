import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KMSClient
import KMSCore
import KMSDevPKI
import KMSProto
import KMSServer
import InMemoryLogging
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Testing
import X509

/// The `tls:` files are reloaded while the server runs: a new server certificate reaches new
/// connections without disturbing open ones, a broken replacement is refused and the
/// material in force stays, and a rotated client CA decides new connections only.
@Suite struct CertificateRotationTests {
    @Test func aReplacedServerCertificateReachesNewConnectionsWhileAnOpenConnectionKeepsCalling() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.tls.reloadIntervalSeconds = 1 }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let oldSerial = try world.servedCertificate().serialNumber
            #expect(try await server.serverSerial(as: app, trusting: world.pki.authority) == oldSerial)

            // One long-lived connection calls in a loop for the whole test.
            let recorder = ServerCertificateRecorder(trusting: world.pki.authority)
            let longLived = try world.open(app, on: server, recorder: recorder)
            _ = try await longLived.kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest())
            let calls = RepeatedCalls()
            let loop = Task { await calls.run(on: longLived.kms) }

            let replacement = try world.pki.authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
            #expect(replacement.certificate.serialNumber != oldSerial)
            try world.replaceServerCredential(with: replacement)

            // A new connection sees the new certificate within a few seconds (checked every second).
            let switched = try await listenerPoll(within: .seconds(8)) {
                try await server.serverSerial(as: app, trusting: world.pki.authority) == replacement.certificate.serialNumber
            }
            #expect(switched, "no new connection saw the replacement certificate")
            // The open connection keeps answering after the switch (a few calls are enough; the
            // whole suite runs in parallel on a loaded machine).
            let atSwitch = calls.succeeded
            let keptCalling = await listenerPoll(within: .seconds(15)) { calls.succeeded >= atSwitch + 5 }
            calls.stop()
            await loop.value
            #expect(keptCalling, "the open connection made \(calls.succeeded - atSwitch) calls after the switch")
            #expect(calls.failures.isEmpty, "calls of the open connection failed: \(calls.failures)")
            #expect(calls.succeeded > atSwitch)
            // One handshake in all: the open connection was never closed and made again.
            #expect(recorder.serials == [oldSerial])
            #expect(server.log.contains(level: .info, "TLS material reloaded"))
        }
    }

    @Test func reloadTLSMaterialPutsTheNewCertificateInForceAtOnce() async throws {
        try await withListenerTestWorld { world in
            // The files are not checked on their own during the test, so only the call can explain a switch.
            let server = try await world.start { $0.tls.reloadIntervalSeconds = 3600 }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let oldSerial = try world.servedCertificate().serialNumber
            let replacement = try world.pki.authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1"])
            try world.replaceServerCredential(with: replacement)
            #expect(try await server.serverSerial(as: app, trusting: world.pki.authority) == oldSerial)

            #expect(server.server.reloadTLSMaterial())
            #expect(try await server.serverSerial(as: app, trusting: world.pki.authority) == replacement.certificate.serialNumber)
            #expect(await server.admission(of: app) == .accepted(principal: TestPKI.appID))
        }
    }

    /// Replacements that cannot be used.
    enum BrokenReplacement: String, CaseIterable, Sendable {
        case unparsableCertificate
        case keyOfAnotherCertificate
        case emptyClientCABundle

        func apply(in world: ListenerTestWorld) throws {
            switch self {
            case .unparsableCertificate:
                try world.replace(world.pki.serverCertificate, with: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
            case .keyOfAnotherCertificate:
                // A new certificate; the key file still holds the old certificate's key.
                let other = try world.pki.authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1"])
                try world.replace(world.pki.serverCertificate, with: other.certificatePEM)
            case .emptyClientCABundle:
                try world.replace(world.clientCAFile, with: "")
            }
        }
    }

    @Test(arguments: BrokenReplacement.allCases)
    func aBrokenReplacementIsRefusedAndTheMaterialInForceStays(_ broken: BrokenReplacement) async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.tls.reloadIntervalSeconds = 3600 }
            let app = try world.pki.client("app", spiffeIDs: [TestPKI.appID])
            let legacy = try world.pki.client("legacy", organization: "Example")
            let oldSerial = try world.servedCertificate().serialNumber

            try broken.apply(in: world)
            #expect(server.server.reloadTLSMaterial() == false)
            #expect(server.log.contains(level: .error, "refused the new TLS material"))
            #expect(try await server.serverSerial(as: app, trusting: world.pki.authority) == oldSerial)
            #expect(await server.admission(of: app) == .accepted(principal: TestPKI.appID))
            #expect(await server.admission(of: legacy) == .accepted(principal: "CN=legacy,O=Example"))

            // Usable files are taken again.
            let repaired = try world.pki.authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1"])
            try world.replaceServerCredential(with: repaired)
            try world.replace(world.clientCAFile, with: world.pki.authority.certificatePEM)
            #expect(server.server.reloadTLSMaterial())
            #expect(try await server.serverSerial(as: app, trusting: world.pki.authority) == repaired.certificate.serialNumber)
        }
    }

    @Test func aRotatedClientCADecidesNewConnectionsAndLeavesOpenOnesAlone() async throws {
        try await withListenerTestWorld { world in
            let server = try await world.start { $0.tls.reloadIntervalSeconds = 3600 }
            let oldClient = try world.pki.client("old-client", spiffeIDs: [TestPKI.appID])
            let newCA = try DevCertificateAuthority(commonName: "rotated client CA")
            let newClient = try world.pki.client("new-client", spiffeIDs: ["spiffe://test.example/ns/new"], issuer: newCA)
            #expect(await server.admission(of: newClient) == .refused(.unavailable))

            let recorder = ServerCertificateRecorder(trusting: world.pki.authority)
            let open = try world.open(oldClient, on: server, recorder: recorder)
            #expect(try await open.kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal == TestPKI.appID)

            try world.replace(world.clientCAFile, with: newCA.certificatePEM)
            #expect(server.server.reloadTLSMaterial())

            #expect(await server.admission(of: newClient) == .accepted(principal: "spiffe://test.example/ns/new"))
            #expect(await server.admission(of: oldClient) == .refused(.unavailable))
            // The connection opened under the old CA is untouched.
            for _ in 0..<5 {
                #expect(try await open.kms.getCallerIdentity(Kms_V1_GetCallerIdentityRequest()).principal == TestPKI.appID)
            }
            #expect(recorder.serials.count == 1, "the open connection was made again")
        }
    }
}

// MARK: - Test support for the TLS listener suites
// (CertificateRotationTests, TrustDomainBindingTests, RevocationTests,
// ClientCertificateUsageTests, ConnectionLimitTests)

/// One test's TLS world: a `TestPKI` whose CA issues the server certificate and, unless a
/// test says otherwise, the client certificates; a client CA file of its own (so that
/// replacing it does not touch the CA file clients verify the server with); and every
/// server started and client opened, stopped at the end.
final class ListenerTestWorld: Sendable {
    let directory: URL
    let pki: TestPKI
    /// `tls.client_ca` of the servers this world starts; at first the PKI's CA.
    let clientCAFile: URL
    private let servers = Mutex<[ListenerTestServer]>([])
    private let clients = Mutex<[ListenerTestClient]>([])

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-tls-\(UUID())")
        pki = try TestPKI(directory: directory.appendingPathComponent("pki"))
        clientCAFile = directory.appendingPathComponent("client-ca.pem")
        try pki.authority.certificatePEM.write(to: clientCAFile, atomically: true, encoding: .utf8)
    }

    /// `TestServer.configuration` with this world's client CA file and a fresh data
    /// directory, changed by `edit`.
    func configuration(_ edit: (inout ServerConfiguration) throws -> Void = { _ in }) rethrows -> ServerConfiguration {
        var configuration = TestServer.configuration(pki: pki, dataDirectory: directory.appendingPathComponent("data-\(UUID())"))
        configuration.tls.clientCA = clientCAFile.path
        try edit(&configuration)
        return configuration
    }

    /// Starts a server with `configuration(edit)`.
    func start(_ edit: (inout ServerConfiguration) throws -> Void = { _ in }) async throws -> ListenerTestServer {
        let server = try await ListenerTestServer.start(try configuration(edit))
        servers.withLock { $0.append(server) }
        return server
    }

    /// Opens a connection to `server` as `credentials` that stays open until the test ends
    /// or `close()`; `recorder` sees every handshake it makes.
    func open(_ credentials: ClientCredentials, on server: ListenerTestServer, recorder: ServerCertificateRecorder? = nil) throws -> ListenerTestClient {
        let client = ListenerTestClient(transport: try server.transport(credentials, recorder: recorder))
        clients.withLock { $0.append(client) }
        return client
    }

    /// The certificate in the server certificate file now.
    func servedCertificate() throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOf: pki.serverCertificate, encoding: .utf8))
    }

    /// Replaces `url`'s contents atomically (a temporary file in the same directory,
    /// renamed over it), as a deployment tool does.
    func replace(_ url: URL, with text: String) throws {
        try replace(url, with: Data(text.utf8))
    }

    func replace(_ url: URL, with bytes: Data) throws {
        try bytes.write(to: url, options: .atomic)
    }

    /// Writes a new file in the world's directory.
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    func write(_ name: String, _ bytes: Data) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try bytes.write(to: url, options: .atomic)
        return url
    }

    /// Replaces the server's key, then its certificate.
    func replaceServerCredential(with credential: IssuedCredential) throws {
        try replace(pki.serverKey, with: credential.privateKeyPEM)
        try replace(pki.serverCertificate, with: credential.certificatePEM)
    }

    func tearDown() async {
        for client in clients.withLock({ $0 }) {
            await client.close()
        }
        for server in servers.withLock({ $0 }) {
            await server.stop()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` in a new `ListenerTestWorld` and always tears it down.
func withListenerTestWorld(_ body: (ListenerTestWorld) async throws -> Void) async throws {
    let world = try ListenerTestWorld()
    do {
        try await body(world)
    } catch {
        await world.tearDown()
        throw error
    }
    await world.tearDown()
}

/// A real `KMSServer` on 127.0.0.1 whose log is kept, for one test.
final class ListenerTestServer: Sendable {
    let server: KMSServer
    let port: Int
    let log: ListenerTestLog
    private let serving: Task<Void, any Error>

    private init(server: KMSServer, port: Int, log: ListenerTestLog, serving: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.log = log
        self.serving = serving
    }

    static func start(_ configuration: ServerConfiguration) async throws -> ListenerTestServer {
        let log = ListenerTestLog()
        let server = try await KMSServer(configuration: configuration, logger: log.logger)
        let serving = Task { try await server.run() }
        do {
            let port = try await server.listeningPort()
            return ListenerTestServer(server: server, port: port, log: log, serving: serving)
        } catch {
            server.beginGracefulShutdown()
            _ = await serving.result
            throw error
        }
    }

    func stop() async {
        server.beginGracefulShutdown()
        _ = await serving.result
    }

    /// A client transport as `credentials`, verifying the server against their CA file, or
    /// with `recorder` when given.
    func transport(_ credentials: ClientCredentials, recorder: ServerCertificateRecorder? = nil) throws -> HTTP2ClientTransport.Posix {
        try .http2NIOPosix(
            target: .ipv4(address: "127.0.0.1", port: port),
            transportSecurity: .mTLS(
                certificateChain: [.file(path: credentials.certificatePath, format: .pem)],
                privateKey: .file(path: credentials.privateKeyPath, format: .pem)
            ) { tls in
                tls.trustRoots = .certificates([.file(path: credentials.caCertificatePath, format: .pem)])
                if let recorder {
                    tls.customVerificationCallback = recorder.callback
                }
            }
        )
    }

    /// What GetCallerIdentity over a new connection as `credentials` gets.
    func admission(of credentials: ClientCredentials, recorder: ServerCertificateRecorder? = nil) async -> Admission {
        let transport: HTTP2ClientTransport.Posix
        do {
            transport = try self.transport(credentials, recorder: recorder)
        } catch {
            return .refused(RPCFailure(code: .unknown, reason: "no transport: \(error)"))
        }
        do {
            let principal = try await withGRPCClient(transport: transport) { client in
                var options = CallOptions.defaults
                options.timeout = .seconds(10)
                return try await KMSServiceClient(wrapping: client)
                    .getCallerIdentity(Kms_V1_GetCallerIdentityRequest(), options: options).principal
            }
            return .accepted(principal: principal)
        } catch {
            // `failure` reads the code and the ErrorInfo reason as every suite does.
            let refusal = await failure { () async throws -> Int in throw error }
            return .refused(refusal ?? RPCFailure(code: .unknown, reason: "\(error)"))
        }
    }

    /// The serial number of the certificate the server presents to a new connection as
    /// `credentials` (whose call must succeed); the certificate must be issued by `authority`.
    func serverSerial(as credentials: ClientCredentials, trusting authority: DevCertificateAuthority) async throws -> Certificate.SerialNumber {
        let recorder = ServerCertificateRecorder(trusting: authority)
        let admission = await admission(of: credentials, recorder: recorder)
        guard case .accepted = admission, let serial = recorder.serials.last else {
            throw ListenerTestFailure("the probe connection failed: \(admission), server certificates seen: \(recorder.serials)")
        }
        return serial
    }
}

/// What GetCallerIdentity over a new connection got.
enum Admission: Equatable, CustomStringConvertible {
    case accepted(principal: String)
    case refused(RPCFailure)

    var description: String {
        switch self {
        case .accepted(let principal): "accepted as \(principal)"
        case .refused(let failure): "refused: \(failure)"
        }
    }
}

extension RPCFailure {
    /// How the client of a connection the server refuses sees it.
    static let unavailable = RPCFailure(code: .unavailable, reason: nil)
}

/// A failure of the test's own machinery (not of an assertion).
struct ListenerTestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A gRPC client whose one connection stays open until `close()`.
final class ListenerTestClient: Sendable {
    private let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    private let running: Task<Void, any Error>

    init(transport: HTTP2ClientTransport.Posix) {
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        running = Task { try await grpc.runConnections() }
    }

    var kms: KMSServiceClient { KMSServiceClient(wrapping: grpc) }

    func close() async {
        grpc.beginGracefulShutdown()
        _ = await running.result
    }
}

/// Verifies a server certificate by its issuer only and records the serial number of every
/// server certificate it sees: one entry per TLS handshake of the transport that uses it.
final class ServerCertificateRecorder: Sendable {
    private let authority: DevCertificateAuthority
    private let seen = Mutex<[Certificate.SerialNumber]>([])

    init(trusting authority: DevCertificateAuthority) {
        self.authority = authority
    }

    /// The serial numbers seen, in handshake order.
    var serials: [Certificate.SerialNumber] {
        seen.withLock { $0 }
    }

    var callback: @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void {
        { [self] presented, promise in
            guard let der = try? presented.first?.toDERBytes(), let leaf = try? Certificate(derEncoded: der) else {
                promise.succeed(.failed)
                return
            }
            seen.withLock { $0.append(leaf.serialNumber) }
            promise.succeed(authority.issued(leaf) ? .certificateVerified(VerificationMetadata(nil)) : .failed)
        }
    }
}

/// GetCallerIdentity in a loop on one client until `stop()`, counting what succeeded and
/// keeping what failed.
final class RepeatedCalls: Sendable {
    private struct State {
        var succeeded = 0
        var failures: [String] = []
        var stopped = false
    }

    private let state = Mutex(State())

    var succeeded: Int { state.withLock { $0.succeeded } }
    var failures: [String] { state.withLock { $0.failures } }

    func stop() {
        state.withLock { $0.stopped = true }
    }

    func run(on client: KMSServiceClient) async {
        while !state.withLock({ $0.stopped }) {
            do {
                var options = CallOptions.defaults
                options.timeout = .seconds(5)
                _ = try await client.getCallerIdentity(Kms_V1_GetCallerIdentityRequest(), options: options)
                state.withLock { $0.succeeded += 1 }
            } catch {
                state.withLock { $0.failures.append("\(error)") }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Keeps what a server logs at every level (swift-log's `InMemoryLogHandler`), for tests that
/// check what operators are told.
final class ListenerTestLog: Sendable {
    private let handler: InMemoryLogHandler

    init() {
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        self.handler = handler
    }

    var logger: Logger {
        Logger(label: "kmsd-test") { [handler] _ in handler }
    }

    var all: [InMemoryLogHandler.Entry] {
        handler.entries
    }

    /// Every entry as one line (level, message, metadata), for failure messages.
    var lines: [String] {
        all.map(Self.line)
    }

    /// Whether an entry at `level` has every one of `fragments` in its message or metadata.
    func contains(level: Logger.Level, _ fragments: String...) -> Bool {
        all.contains { entry in entry.level == level && fragments.allSatisfy { Self.line(entry).contains($0) } }
    }

    private static func line(_ entry: InMemoryLogHandler.Entry) -> String {
        let pairs = entry.metadata.keys.sorted().map { "\($0)=\(entry.metadata[$0].map { "\($0)" } ?? "")" }
        return "[\(entry.level)] \(entry.message) \(pairs.joined(separator: " "))"
    }
}

/// Checks `condition` every 50 ms until it holds or `timeout` has passed.
///
/// - Returns: whether it held.
func listenerPoll(within timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(50))
    }
}

/// The serial number of the certificate in `credentials`' certificate file.
func serialNumber(of credentials: ClientCredentials) throws -> Certificate.SerialNumber {
    try Certificate(pemEncoded: String(contentsOfFile: credentials.certificatePath, encoding: .utf8)).serialNumber
}

/// Writes `credential` as a client's certificate and key files in `pki`'s directory; the
/// client verifies the server with `pki`'s CA.
func clientCredentials(_ credential: IssuedCredential, named name: String, in pki: TestPKI) throws -> ClientCredentials {
    let certificate = pki.directory.appendingPathComponent("\(name).pem")
    let key = pki.directory.appendingPathComponent("\(name)-key.pem")
    try credential.certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
    try credential.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
    return ClientCredentials(caCertificatePath: pki.caCertificate.path, certificatePath: certificate.path, privateKeyPath: key.path)
}

/// A TLS connection made with NIOSSL directly, for what a gRPC client does not show: the
/// server's HTTP/2 settings, the TLS versions it accepts.
final class RawTLSConnection: Sendable {
    struct Closed: Error {}

    private let channel: any Channel
    private let shared: RawTLSShared

    private init(channel: any Channel, shared: RawTLSShared) {
        self.channel = channel
        self.shared = shared
    }

    /// The server's leaf certificate, once the handshake completed; fails when it does not.
    var handshake: EventLoopFuture<NIOSSLCertificate?> { shared.handshake.futureResult }

    /// Connects to 127.0.0.1:`port` as `credentials` (ALPN `h2`), with `configure` applied
    /// to the TLS configuration; the handshake goes on in the background.
    static func connect(
        port: Int,
        as credentials: ClientCredentials,
        configure: (inout TLSConfiguration) -> Void = { _ in }
    ) async throws -> RawTLSConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(credentials.certificatePath).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: credentials.privateKeyPath, format: .pem))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(credentials.caCertificatePath))
        tls.certificateVerification = .noHostnameVerification
        tls.applicationProtocols = ["h2"]
        configure(&tls)
        let context = try NIOSSLContext(configuration: tls)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = loop.makePromise(of: NIOSSLCertificate?.self)
        let shared = RawTLSShared(handshake: handshake)
        loop.scheduleTask(in: .seconds(10)) { handshake.fail(Closed()) }
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(RawTLSRecorder(shared: shared))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawTLSConnection(channel: channel, shared: shared)
    }

    /// The bytes received so far.
    var received: [UInt8] {
        shared.inbound.withLock { $0 }
    }

    var isActive: Bool { channel.isActive }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func close() async {
        try? await channel.close().get()
    }
}

/// What a `RawTLSConnection` and its handler share: the handshake's promise and the bytes read.
private final class RawTLSShared: Sendable {
    let handshake: EventLoopPromise<NIOSSLCertificate?>
    let inbound = Mutex<[UInt8]>([])

    init(handshake: EventLoopPromise<NIOSSLCertificate?>) {
        self.handshake = handshake
    }
}

/// Completes a `RawTLSConnection`'s handshake promise and keeps the bytes it reads.
private final class RawTLSRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let shared: RawTLSShared

    init(shared: RawTLSShared) {
        self.shared = shared
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            shared.handshake.succeed((try? context.pipeline.syncOperations.nioSSL_peerCertificate()) ?? nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        shared.inbound.withLock { $0 += bytes }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.handshake.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        shared.handshake.fail(RawTLSConnection.Closed())
        context.fireChannelInactive()
    }
}
