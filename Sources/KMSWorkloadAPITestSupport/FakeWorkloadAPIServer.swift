import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import KMSDevPKI
import SPIFFEWorkloadAPI
import Synchronization
import X509

/// A SPIFFE Workload API for tests: `FetchX509SVID` and `FetchX509Bundles` on a unix
/// socket, in plaintext, as SPIRE's agent serves them, with SVIDs issued by a
/// `DevCertificateAuthority`.
///
/// Like SPIRE, it answers `InvalidArgument` to a request without the `workload.spiffe.io: true`
/// header, sends the current material as soon as a stream opens and again whenever it
/// changes (`rotate()`, `setBundles(_:)`, `publishFaultySVID(_:)`), and keys bundles by
/// `spiffe://<trust domain>`. The JWT methods answer `Unimplemented`.
///
/// `start()` and `stop()` may alternate, on the same socket, to play an agent restart; the
/// material survives a restart.
public final class FakeWorkloadAPIServer: Sendable {
    /// The socket the server listens on.
    public let socketPath: String
    /// The CA that issues the SVIDs; its certificate is the SVID trust domain's bundle.
    public let authority: DevCertificateAuthority
    /// The SPIFFE ID of every SVID issued.
    public let spiffeID: String
    /// The trust domain of `spiffeID`.
    public let trustDomain: String

    private let dnsNames: [String]
    private let ipAddresses: [String]
    private let state: Mutex<State>

    /// A change of SVID the server can make besides a good rotation: each is refused by a
    /// correct client.
    public enum FaultySVID: Sendable, CaseIterable, CustomStringConvertible {
        /// A fresh certificate sent with the private key of another one.
        case keyDoesNotMatchCertificate
        /// A response whose SVID list is empty.
        case noSVIDs
        /// A fresh certificate cut short, so that it does not parse.
        case truncatedCertificate
        /// A fresh SVID without its trust domain's bundle.
        case emptyBundle

        public var description: String {
            switch self {
            case .keyDoesNotMatchCertificate: "key does not match the certificate"
            case .noSVIDs: "no SVIDs"
            case .truncatedCertificate: "truncated certificate"
            case .emptyBundle: "empty bundle"
            }
        }
    }

    /// Everything that changes, under one lock.
    private struct State {
        var svid: IssuedCredential
        /// The SVID response streams get: the current SVID's, or a faulty one.
        var svidResponse: X509SVIDResponse
        /// What FetchX509Bundles sends.
        var bundlesResponse: X509BundlesResponse
        var svidStreams: [Int: AsyncStream<X509SVIDResponse>.Continuation] = [:]
        var bundleStreams: [Int: AsyncStream<X509BundlesResponse>.Continuation] = [:]
        var nextStreamID = 0
        /// Between `start()` and `stop()`: streams that open outside it end at once.
        var running = false
        var server: GRPCServer<HTTP2ServerTransport.Posix>?
        var serving: Task<Void, Never>?
        var rotating: Task<Void, Never>?
        var refusedForMissingHeader = 0
    }

    /// Creates a server with a first SVID; it listens once `start()` is called.
    ///
    /// - Parameters:
    ///   - socketPath: where to listen; an existing socket file there is replaced.
    ///   - authority: the CA; a fresh one by default.
    ///   - spiffeID: the SVIDs' SPIFFE ID.
    ///   - dnsNames: DNS SANs for the SVIDs.
    ///   - ipAddresses: IP SANs for the SVIDs, so they serve TLS for `127.0.0.1` by default.
    /// - Throws: `DevPKIError` when the SVID cannot be issued (a bad SPIFFE ID or address).
    public init(
        socketPath: String,
        authority: DevCertificateAuthority? = nil,
        spiffeID: String = "spiffe://kms.test/kmsd",
        dnsNames: [String] = ["localhost"],
        ipAddresses: [String] = ["127.0.0.1"]
    ) throws {
        let authority = try authority ?? DevCertificateAuthority(commonName: "fake Workload API CA")
        let svid = try authority.issueSVID(spiffeID: spiffeID, dnsNames: dnsNames, ipAddresses: ipAddresses)
        let trustDomain = String(spiffeID.dropFirst("spiffe://".count).prefix { $0 != "/" })
        self.socketPath = socketPath
        self.authority = authority
        self.spiffeID = spiffeID
        self.trustDomain = trustDomain
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        let response = try Self.response(for: svid, spiffeID: spiffeID, bundle: [authority.certificate])
        let bundles = try Self.response(for: [trustDomain: [authority.certificate]])
        state = Mutex(State(svid: svid, svidResponse: response, bundlesResponse: bundles))
    }

    // MARK: - Running

    /// Starts listening on `socketPath`; returns once the socket is bound.
    ///
    /// - Throws: when the socket cannot be bound.
    /// - Precondition: the server is not running.
    public func start() async throws {
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [Service(server: self)])
        let serving = Task {
            do {
                try await server.serve()
            } catch {
                // A failure to bind surfaces through `listeningAddress` below.
            }
        }
        state.withLock { state in
            precondition(state.server == nil, "the fake Workload API server is already running")
            state.running = true
            state.server = server
            state.serving = serving
        }
        do {
            _ = try await transport.listeningAddress
        } catch {
            await stop()
            throw error
        }
    }

    /// Stops like an agent that goes away: every open stream fails with `Unavailable`, the
    /// server closes its socket, and periodic rotation stops. Returns once all is closed.
    public func stop() async {
        let (server, serving, rotating, svidStreams, bundleStreams) = state.withLock { state in
            defer {
                state.running = false
                state.server = nil
                state.serving = nil
                state.rotating = nil
                state.svidStreams = [:]
                state.bundleStreams = [:]
            }
            return (state.server, state.serving, state.rotating, state.svidStreams, state.bundleStreams)
        }
        rotating?.cancel()
        svidStreams.values.forEach { $0.finish() }
        bundleStreams.values.forEach { $0.finish() }
        server?.beginGracefulShutdown()
        await serving?.value
        await rotating?.value
    }

    /// Runs `body` with a started server on `socketPath`, and stops it afterwards, also when
    /// `body` throws.
    public static func withServer<Result>(
        socketPath: String,
        authority: DevCertificateAuthority? = nil,
        spiffeID: String = "spiffe://kms.test/kmsd",
        _ body: (FakeWorkloadAPIServer) async throws -> Result
    ) async throws -> Result {
        let server = try FakeWorkloadAPIServer(socketPath: socketPath, authority: authority, spiffeID: spiffeID)
        try await server.start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    // MARK: - Material

    /// The SVID the server issued last (a faulty publication does not change it).
    public var currentSVID: IssuedSVID {
        state.withLock { IssuedSVID(credential: $0.svid) }
    }

    /// How many requests were refused for want of the security header.
    public var refusedForMissingHeader: Int {
        state.withLock { $0.refusedForMissingHeader }
    }

    /// Issues a fresh SVID (new key, new serial) and sends it on every open FetchX509SVID stream.
    ///
    /// - Throws: `DevPKIError` when the SVID cannot be issued.
    @discardableResult
    public func rotate() throws -> IssuedSVID {
        let svid = try authority.issueSVID(spiffeID: spiffeID, dnsNames: dnsNames, ipAddresses: ipAddresses)
        let response = try Self.response(for: svid, spiffeID: spiffeID, bundle: [authority.certificate])
        state.withLock { state in
            state.svid = svid
            state.svidResponse = response
            state.svidStreams.values.forEach { $0.yield(response) }
        }
        return IssuedSVID(credential: svid)
    }

    /// Rotates every `interval` until `stop()`, as an agent renews SVIDs.
    public func startRotating(every interval: Duration) {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try self?.rotate()
                } catch {
                    return
                }
            }
        }
        let previous = state.withLock { state in
            defer { state.rotating = task }
            return state.rotating
        }
        previous?.cancel()
    }

    /// Replaces the bundles FetchX509Bundles sends and sends them on every open stream.
    ///
    /// - Parameter bundles: trust domain name (`kms.test`, without `spiffe://`) → CA
    ///   certificates; sent keyed by `spiffe://<name>`, as SPIRE does. An empty list is sent
    ///   as an empty bundle (which a correct client refuses).
    /// - Throws: when a certificate cannot be encoded.
    public func setBundles(_ bundles: [String: [Certificate]]) throws {
        let response = try Self.response(for: bundles)
        state.withLock { state in
            state.bundlesResponse = response
            state.bundleStreams.values.forEach { $0.yield(response) }
        }
    }

    /// Sends a faulty SVID response on every open FetchX509SVID stream, and to streams that
    /// open later, until the next `rotate()`. `currentSVID` does not change.
    ///
    /// - Returns: the serial number of the faulty certificate, if there is one.
    /// - Throws: `DevPKIError` when a certificate cannot be issued or encoded.
    @discardableResult
    public func publishFaultySVID(_ fault: FaultySVID) throws -> Certificate.SerialNumber? {
        let fresh = try authority.issueSVID(spiffeID: spiffeID, dnsNames: dnsNames, ipAddresses: ipAddresses)
        var response = try Self.response(for: fresh, spiffeID: spiffeID, bundle: [authority.certificate])
        switch fault {
        case .keyDoesNotMatchCertificate:
            let other = try authority.issueSVID(spiffeID: spiffeID, dnsNames: dnsNames, ipAddresses: ipAddresses)
            response.svids[0].x509SvidKey = try Data(Self.pkcs8DER(of: other.privateKey))
        case .noSVIDs:
            response.svids = []
        case .truncatedCertificate:
            response.svids[0].x509Svid = response.svids[0].x509Svid.dropLast(16)
        case .emptyBundle:
            response.svids[0].bundle = Data()
        }
        state.withLock { state in
            state.svidResponse = response
            state.svidStreams.values.forEach { $0.yield(response) }
        }
        return fault == .noSVIDs ? nil : fresh.certificate.serialNumber
    }

    // MARK: - Streams

    /// Registers a FetchX509SVID stream and queues the current response on it.
    fileprivate func openSVIDStream() -> AsyncStream<X509SVIDResponse> {
        let (stream, continuation) = AsyncStream<X509SVIDResponse>.makeStream()
        let id = state.withLock { state in
            let id = state.nextStreamID
            state.nextStreamID += 1
            guard state.running else {
                continuation.finish()
                return id
            }
            state.svidStreams[id] = continuation
            continuation.yield(state.svidResponse)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.svidStreams.removeValue(forKey: id) }
        }
        return stream
    }

    /// Registers a FetchX509Bundles stream and queues the current response on it.
    fileprivate func openBundleStream() -> AsyncStream<X509BundlesResponse> {
        let (stream, continuation) = AsyncStream<X509BundlesResponse>.makeStream()
        let id = state.withLock { state in
            let id = state.nextStreamID
            state.nextStreamID += 1
            guard state.running else {
                continuation.finish()
                return id
            }
            state.bundleStreams[id] = continuation
            continuation.yield(state.bundlesResponse)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.bundleStreams.removeValue(forKey: id) }
        }
        return stream
    }

    /// Whether `metadata` carries the header, counting the refusals.
    fileprivate func checkSecurityHeader(_ metadata: Metadata) throws(RPCError) {
        guard Array(metadata[stringValues: "workload.spiffe.io"]) == ["true"] else {
            state.withLock { $0.refusedForMissingHeader += 1 }
            // SPIRE's words.
            throw RPCError(code: .invalidArgument, message: "security header missing from request")
        }
    }

    // MARK: - Encoding

    private static func response(
        for svid: IssuedCredential,
        spiffeID: String,
        bundle: [Certificate]
    ) throws(DevPKIError) -> X509SVIDResponse {
        var message = X509SVID()
        message.spiffeID = spiffeID
        message.x509Svid = try Data(der(of: svid.certificate))
        message.x509SvidKey = try Data(pkcs8DER(of: svid.privateKey))
        message.bundle = try der(of: bundle)
        var response = X509SVIDResponse()
        response.svids = [message]
        return response
    }

    private static func response(for bundles: [String: [Certificate]]) throws(DevPKIError) -> X509BundlesResponse {
        var response = X509BundlesResponse()
        for (trustDomain, certificates) in bundles {
            response.bundles["spiffe://\(trustDomain)"] = try der(of: certificates)
        }
        return response
    }

    private static func der(of certificate: Certificate) throws(DevPKIError) -> [UInt8] {
        do {
            return try certificate.serializeAsPEM().derBytes
        } catch {
            throw DevPKIError("cannot encode the certificate \(certificate.serialNumber): \(error)")
        }
    }

    /// The certificates' DER, one after another, as the Workload API sends bundles.
    private static func der(of certificates: [Certificate]) throws(DevPKIError) -> Data {
        var bytes = Data()
        for certificate in certificates {
            bytes.append(contentsOf: try der(of: certificate))
        }
        return bytes
    }

    private static func pkcs8DER(of key: Certificate.PrivateKey) throws(DevPKIError) -> [UInt8] {
        do {
            return try key.serializeAsPEM().derBytes
        } catch {
            throw DevPKIError("cannot encode a private key")
        }
    }
}

/// An SVID the fake server issued: its serial number and chain, for assertions.
public struct IssuedSVID: Sendable, CustomStringConvertible {
    /// The certificate and its key.
    public let credential: IssuedCredential

    /// The leaf's serial number.
    public var serialNumber: Certificate.SerialNumber { credential.certificate.serialNumber }
    /// The chain the server sends: the leaf alone (the CA signs SVIDs directly).
    public var chain: [Certificate] { [credential.certificate] }

    public var description: String { "IssuedSVID(serial: \(serialNumber))" }
}

/// The SpiffeWorkloadAPI service over a `FakeWorkloadAPIServer`.
private struct Service: SpiffeWorkloadAPI.ServiceProtocol {
    let server: FakeWorkloadAPIServer

    func fetchX509SVID(
        request: ServerRequest<X509SVIDRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<X509SVIDResponse> {
        try server.checkSecurityHeader(request.metadata)
        let updates = server.openSVIDStream()
        return StreamingServerResponse { writer in
            for await update in updates {
                try await writer.write(update)
            }
            try Self.stopped()
            return [:]
        }
    }

    func fetchX509Bundles(
        request: ServerRequest<X509BundlesRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<X509BundlesResponse> {
        try server.checkSecurityHeader(request.metadata)
        let updates = server.openBundleStream()
        return StreamingServerResponse { writer in
            for await update in updates {
                try await writer.write(update)
            }
            try Self.stopped()
            return [:]
        }
    }

    func fetchJWTSVID(
        request: ServerRequest<JWTSVIDRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<JWTSVIDResponse> {
        throw RPCError(code: .unimplemented, message: "the fake Workload API serves X.509 only")
    }

    func fetchJWTBundles(
        request: ServerRequest<JWTBundlesRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<JWTBundlesResponse> {
        throw RPCError(code: .unimplemented, message: "the fake Workload API serves X.509 only")
    }

    func validateJWTSVID(
        request: ServerRequest<ValidateJWTSVIDRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<ValidateJWTSVIDResponse> {
        throw RPCError(code: .unimplemented, message: "the fake Workload API serves X.509 only")
    }

    /// A stream's updates end when the server stops (or the client goes): fail it as an
    /// agent that goes away does.
    private static func stopped() throws(RPCError) {
        throw RPCError(code: .unavailable, message: "the fake Workload API stopped")
    }
}
