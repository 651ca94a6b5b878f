import Logging
import Metrics
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Sits after the TLS handler of each accepted connection: closes the connection when its
/// handshake does not complete within the handshake timeout (at a random point of its last
/// quarter), records the verified client chain in `VerifiedPeers` when it completes and then
/// lets the listener add the protocol's handlers (`whenEstablished`), logs failed handshakes,
/// and forgets the chain when the connection closes.
///
/// A resumed session skips the certificate exchange and so the verification callback: its
/// client is checked again here, with the trust in force, before anything read on the
/// connection goes further (reads wait meanwhile); a client no longer trusted is closed.
final class TLSConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let handshakeTimeout: TimeAmount
    private let verification: ClientVerificationResult
    private let tls: NIOSSLServerHandler
    private let peers: VerifiedPeers
    private let whenEstablished: (@Sendable (any Channel) throws -> Void)?
    private let logger: Logger
    private var deadlines: HandshakeDeadlines?
    private var handshakeCompleted = false
    private var failureCounted = false
    private var registration: VerifiedPeers.Registration?
    /// Reads that arrived while a resumed session's client was being checked.
    private var heldReads: [NIOAny]?

    init(
        handshakeTimeout: TimeAmount,
        verification: ClientVerificationResult,
        tls: NIOSSLServerHandler,
        peers: VerifiedPeers,
        whenEstablished: (@Sendable (any Channel) throws -> Void)?,
        logger: Logger
    ) {
        self.handshakeTimeout = handshakeTimeout
        self.verification = verification
        self.tls = tls
        self.peers = peers
        self.whenEstablished = whenEstablished
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        // Somewhere in the last quarter of the timeout, so that connections opened together
        // (a flood of them) are not all torn down in the same instant.
        let nanoseconds = handshakeTimeout.nanoseconds
        let timeout = TimeAmount.nanoseconds(nanoseconds - Int64.random(in: 0...(nanoseconds / 4)))
        let deadlines = HandshakeDeadlines.on(context.eventLoop)
        self.deadlines = deadlines
        deadlines.add(self, deadline: .now() + timeout - HandshakeDeadlines.sweepInterval) { [self, logger] in
            // Debug, not info: a flood of stalled connections must not flood the log too
            // (kms_tls_handshake_failures_total{reason="timeout"} counts them).
            logger.debug("closed a connection whose TLS handshake did not complete in time", metadata: [
                "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "unknown")",
            ])
            countFailure(.timeout)
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    /// Ends the handshake's deadline: the handshake completed or the connection closed.
    private func cancelDeadline() {
        deadlines?.remove(self)
        deadlines = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        handshakeCompleted = true
        if let chain = verification.chain {
            cancelDeadline()
            registration = peers.record(chain, for: context.channel)
            guard establish(context: context) else { return }
            context.fireUserInboundEventTriggered(event)
        } else {
            checkResumedSession(context: context, event: tlsEvent)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if heldReads != nil {
            heldReads?.append(data)
        } else {
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if heldReads == nil { context.fireChannelReadComplete() }
    }

    /// Holds reads while the resumed session's client is checked (the handshake deadline
    /// still runs); then passes on the handshake event and the held reads, or closes.
    private func checkResumedSession(context: ChannelHandlerContext, event: TLSUserEvent) {
        guard let leaf = tls.peerCertificate else {
            countFailure(.noClientCertificate)
            context.close(promise: nil)
            return
        }
        heldReads = []
        let verification = self.verification
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask {
            await verification.checkResumedSession(leaf: leaf)
        }.whenSuccess { trusted in
            let (handler, context) = bound.value
            handler.resume(context: context, event: event, trusted: trusted)
        }
    }

    private func resume(context: ChannelHandlerContext, event: TLSUserEvent, trusted: Bool) {
        cancelDeadline()
        guard trusted, context.channel.isActive, let chain = verification.chain else {
            countFailure(.clientCertificateRefused)
            context.close(promise: nil)
            return
        }
        registration = peers.record(chain, for: context.channel)
        guard establish(context: context) else { return }
        context.fireUserInboundEventTriggered(event as Any)
        let reads = heldReads ?? []
        heldReads = nil
        for read in reads { context.fireChannelRead(read) }
        if !reads.isEmpty { context.fireChannelReadComplete() }
    }

    /// Lets the listener add the protocol's handlers; `false` (and the connection closing)
    /// when it could not.
    private func establish(context: ChannelHandlerContext) -> Bool {
        guard let whenEstablished else { return true }
        do {
            try whenEstablished(context.channel)
            return true
        } catch {
            logger.error("could not set up an established connection", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return false
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeCompleted {
            // Refused client certificates are logged as warnings by the verification; other
            // failures are counted in kms_tls_handshake_failures_total and logged at debug.
            logger.debug("a TLS handshake failed", metadata: [
                "peer": "\(context.remoteAddress.map { "\($0)" } ?? "unknown")", "error": "\(error)",
            ])
            countFailure(verification.wasRefused ? .clientCertificateRefused : HandshakeFailure(classifying: error))
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !handshakeCompleted { countFailure(.closedBeforeHandshake) }
        heldReads = nil
        cancelDeadline()
        if let registration { peers.forget(registration) }
        registration = nil
        context.fireChannelInactive()
    }

    /// `kms_tls_handshake_failures_total{reason}`, once per connection.
    private func countFailure(_ failure: HandshakeFailure) {
        guard !failureCounted else { return }
        failureCounted = true
        failure.count()
    }
}

/// Why a TLS handshake failed, as `kms_tls_handshake_failures_total` labels it: a fixed set,
/// never a value the client chose.
enum HandshakeFailure: String {
    case timeout
    case closedBeforeHandshake = "closed_before_handshake"
    case noClientCertificate = "no_client_certificate"
    case clientCertificateRefused = "client_certificate_refused"
    case protocolOrCipher = "protocol_or_cipher"
    case connectionLimit = "connection_limit"
    case other

    /// The failure a TLS error stands for, from BoringSSL's reason in its message.
    init(classifying error: any Error) {
        let text = String(describing: error)
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || text.contains("CERTIFICATE_REQUIRED") {
            self = .noClientCertificate
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") {
            self = .clientCertificateRefused
        } else if ["NO_SHARED_CIPHER", "UNSUPPORTED_PROTOCOL", "NO_SUPPORTED_VERSIONS", "WRONG_VERSION_NUMBER", "PROTOCOL_VERSION", "HTTP_REQUEST"]
            .contains(where: text.contains) {
            self = .protocolOrCipher
        } else {
            self = .other
        }
    }

    /// Adds one to the failure's counter.
    func count() {
        Counter(label: "kms_tls_handshake_failures_total", dimensions: [("reason", rawValue)]).increment()
    }
}
