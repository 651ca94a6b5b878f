import KMSClient
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import X509

/// Opens a new mutual-TLS connection to a test server, completes the handshake and tells
/// which certificate the server presented: how tests see that new handshakes use rotated
/// material.
enum ServedCertificateProbe {
    /// The serial number of the certificate the server on `port` presents to a client
    /// holding `credentials` (whose CA file must trust the server).
    static func serial(port: Int, credentials: ClientCredentials) async throws -> Certificate.SerialNumber {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(credentials.caCertificatePath)
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(credentials.certificatePath).map { .certificate($0) }
        configuration.privateKey = .file(credentials.privateKeyPath)
        configuration.certificateVerification = .noHostnameVerification
        configuration.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        let served = group.any().makePromise(of: NIOSSLCertificate.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: nil)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(tls: tls, served: served))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        defer { channel.close(promise: nil) }
        let certificate = try await served.futureResult.get()
        return try Certificate(derEncoded: certificate.toDERBytes()).serialNumber
    }

    /// Completes `served` with the server's certificate when the handshake completes, or
    /// fails it with the handshake's error.
    private final class HandshakeWatcher: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = NIOAny
        private let tls: NIOSSLClientHandler
        private let served: EventLoopPromise<NIOSSLCertificate>

        init(tls: NIOSSLClientHandler, served: EventLoopPromise<NIOSSLCertificate>) {
            self.tls = tls
            self.served = served
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted = event as? TLSUserEvent {
                if let certificate = tls.peerCertificate {
                    served.succeed(certificate)
                } else {
                    served.fail(ProbeError.noServerCertificate)
                }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            served.fail(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
            served.fail(ProbeError.closedBeforeHandshake)
        }
    }

    enum ProbeError: Error {
        case noServerCertificate
        case closedBeforeHandshake
    }
}
