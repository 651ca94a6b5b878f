import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import KMSClient
import KMSCore
import KMSDevPKI
import KMSProto
import KMSServer
import Synchronization

/// Certificates for end-to-end tests, minted in code and written as PEM files into a
/// temporary directory: a CA with server and client certificates, and a second CA.
struct TestPKI {
    static let adminID = "spiffe://test.example/admin"
    static let appID = "spiffe://test.example/ns/payments/sa/api"

    let directory: URL
    let authority: DevCertificateAuthority
    let serverCertificate: URL
    let serverKey: URL
    let caCertificate: URL

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try DevCertificateAuthority(commonName: "test CA")
        let server = try authority.issueServer(hostnames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
        caCertificate = directory.appendingPathComponent("ca.pem")
        serverCertificate = directory.appendingPathComponent("server.pem")
        serverKey = directory.appendingPathComponent("server-key.pem")
        try authority.certificatePEM.write(to: caCertificate, atomically: true, encoding: .utf8)
        try server.certificatePEM.write(to: serverCertificate, atomically: true, encoding: .utf8)
        try server.privateKeyPEM.write(to: serverKey, atomically: true, encoding: .utf8)
    }

    /// Issues a client certificate (by `issuer`, default this CA) and writes its files.
    func client(
        _ name: String,
        spiffeIDs: [String] = [],
        organization: String? = nil,
        notValidAfter: Date = Date().addingTimeInterval(86_400),
        notValidBefore: Date = Date().addingTimeInterval(-3600),
        issuer: DevCertificateAuthority? = nil
    ) throws -> ClientCredentials {
        let credential = try (issuer ?? authority).issueClient(ClientCertificateRequest(
            commonName: name,
            organization: organization,
            spiffeIDs: spiffeIDs,
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter
        ))
        let certificate = directory.appendingPathComponent("\(name).pem")
        let key = directory.appendingPathComponent("\(name)-key.pem")
        try credential.certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        try credential.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        return ClientCredentials(caCertificatePath: caCertificate.path, certificatePath: certificate.path, privateKeyPath: key.path)
    }
}

/// A real `KMSServer` on 127.0.0.1 with a SQLite data directory, for one test.
final class TestServer: Sendable {
    /// The admin may do anything; services under `ns/` may create keys.
    static let serverPolicy = """
    {"Version": "2012-10-17", "Statement": [
      {"Sid": "Admin", "Effect": "Allow", "Principal": "\(TestPKI.adminID)", "Action": "kms:*", "Resource": "*"},
      {"Sid": "ServicesCreateKeys", "Effect": "Allow", "Principal": "spiffe://test.example/ns/*", "Action": "kms:CreateKey", "Resource": "*"}
    ]}
    """

    let configuration: ServerConfiguration
    let clock: TestClock
    let server: KMSServer
    let serving: Task<Void, any Error>
    let port: Int

    private init(configuration: ServerConfiguration, clock: TestClock, server: KMSServer, serving: Task<Void, any Error>, port: Int) {
        self.configuration = configuration
        self.clock = clock
        self.server = server
        self.serving = serving
        self.port = port
    }

    /// A configuration for `pki` and `dataDirectory`. The background jobs run once a day
    /// unless told otherwise, so tests run them with `runBackgroundJobsNow()` when they choose.
    static func configuration(
        pki: TestPKI,
        dataDirectory: URL,
        rootKeyFile: String? = nil,
        jobIntervalSeconds: Int = 86_400
    ) -> ServerConfiguration {
        ServerConfiguration(
            listen: HostPort(host: "127.0.0.1", port: 0),
            dataDirectory: dataDirectory.path,
            rootKeyFile: rootKeyFile,
            tls: .init(certificate: pki.serverCertificate.path, privateKey: pki.serverKey.path, clientCA: pki.caCertificate.path),
            serverPolicy: serverPolicy,
            jobs: .init(intervalSeconds: jobIntervalSeconds)
        )
    }

    /// Starts a server whose requests and jobs take the time from `clock`.
    static func start(_ configuration: ServerConfiguration, clock: TestClock = TestClock()) async throws -> TestServer {
        let server = try await KMSServer(configuration: configuration, clock: { clock.now })
        let serving = Task { try await server.run() }
        let port = try await server.listeningPort()
        return TestServer(configuration: configuration, clock: clock, server: server, serving: serving, port: port)
    }

    var target: HostPort { HostPort(host: "127.0.0.1", port: port) }

    func stop() async {
        server.beginGracefulShutdown()
        _ = await serving.result
    }

    /// The health status the server reports for `kms.v1.KeyManagementService`.
    func healthStatus(_ credentials: ClientCredentials) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        try await withGRPCClient(transport: KMSConnection.transport(target: target, credentials: credentials)) { client in
            try await HealthClient(wrapping: client).check(.with { $0.service = "kms.v1.KeyManagementService" }).status
        }
    }

    /// Runs `body` with a client connected as `credentials`.
    func withClient<R: Sendable>(_ credentials: ClientCredentials, _ body: (KMSServiceClient) async throws -> R) async throws -> R {
        try await KMSConnection.withClient(target: target, credentials: credentials, body)
    }
}

/// One test's world: PKI, a running server and the usual identities.
struct TestWorld {
    let directory: URL
    let pki: TestPKI
    let admin: ClientCredentials
    let app: ClientCredentials
    let legacy: ClientCredentials
    var server: TestServer

    var dataDirectory: URL { directory.appendingPathComponent("data") }

    /// A world whose server takes the time from `clock`; see `TestServer.configuration` for
    /// `jobIntervalSeconds`.
    static func make(clock: TestClock = TestClock(), jobIntervalSeconds: Int = 86_400) async throws -> TestWorld {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kms-e2e-\(UUID())")
        let pki = try TestPKI(directory: directory.appendingPathComponent("pki"))
        let dataDirectory = directory.appendingPathComponent("data")
        return TestWorld(
            directory: directory,
            pki: pki,
            admin: try pki.client("admin", spiffeIDs: [TestPKI.adminID]),
            app: try pki.client("app", spiffeIDs: [TestPKI.appID]),
            legacy: try pki.client("legacy-app", organization: "Example"),
            server: try await TestServer.start(
                TestServer.configuration(pki: pki, dataDirectory: dataDirectory, jobIntervalSeconds: jobIntervalSeconds),
                clock: clock
            )
        )
    }

    /// Stops the server and starts a new one on the same data directory, root key and clock.
    mutating func restart() async throws {
        await server.stop()
        server = try await TestServer.start(server.configuration, clock: server.clock)
    }

    func tearDown() async {
        await server.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` in a fresh world (see `TestWorld.make`) and always tears it down.
func withWorld(
    clock: TestClock = TestClock(),
    jobIntervalSeconds: Int = 86_400,
    _ body: (inout TestWorld) async throws -> Void
) async throws {
    var world = try await TestWorld.make(clock: clock, jobIntervalSeconds: jobIntervalSeconds)
    do {
        try await body(&world)
    } catch {
        await world.tearDown()
        throw error
    }
    await world.tearDown()
}

/// The time of a test server: starts at the real time and moves only when the test says.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    /// The clock's current time.
    var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `days` days.
    func advance(days: Double) {
        current.withLock { $0 += days * 86_400 }
    }
}

/// What an RPC failed with: its gRPC code and the `ErrorInfo` reason, if any.
struct RPCFailure: Equatable, CustomStringConvertible {
    let code: RPCError.Code
    let reason: String?

    var description: String { "\(code) \(reason ?? "-")" }

    init(code: RPCError.Code, reason: String?) {
        self.code = code
        self.reason = reason
    }

    /// The code and `ErrorInfo` reason of `error`.
    init(_ error: RPCError) {
        let status = try? error.unpackGoogleRPCStatus()
        let info = status?.details.compactMap(\.errorInfo).first
        if let info { precondition(info.domain == "kms", "unexpected ErrorInfo domain \(info.domain)") }
        self.init(code: error.code, reason: info?.reason)
    }
}

/// The failure of `body`, or `nil` when it succeeds.
func failure(_ body: () async throws -> some Any) async -> RPCFailure? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return RPCFailure(error)
    } catch {
        return RPCFailure(code: .unknown, reason: "\(error)")
    }
}
