import Logging
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// Sits after the TLS handler of each accepted connection: closes the connection when its
/// handshake does not complete within the handshake timeout, records the verified client
/// chain in `VerifiedPeers` when it completes, logs failed handshakes, and forgets the
/// chain when the connection closes.
final class TLSConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let handshakeTimeout: TimeAmount
    private let verification: ClientVerificationResult
    private let peers: VerifiedPeers
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    private var handshakeCompleted = false
    private var registration: VerifiedPeers.Registration?

    init(
        handshakeTimeout: TimeAmount,
        verification: ClientVerificationResult,
        peers: VerifiedPeers,
        logger: Logger
    ) {
        self.handshakeTimeout = handshakeTimeout
        self.verification = verification
        self.peers = peers
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: handshakeTimeout) { [logger] in
            logger.info("closed a connection whose TLS handshake did not complete in time", metadata: [
                "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "unknown")",
            ])
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshakeCompleted = true
            deadline?.cancel()
            deadline = nil
            if let chain = verification.chain {
                registration = peers.record(chain, for: context.channel)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeCompleted {
            logger.info("a TLS handshake failed", metadata: [
                "peer": "\(context.remoteAddress.map { "\($0)" } ?? "unknown")", "error": "\(error)",
            ])
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let registration { peers.forget(registration) }
        registration = nil
        context.fireChannelInactive()
    }
}
