import Foundation
import KMSTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import X509

/// One connection's client-certificate verification: the callback BoringSSL calls during a
/// full handshake, and the check of a resumed session (which skips the certificate
/// exchange), both asking the `ClientCertificateVerifier` in force; and the verified chain
/// they leave for `TLSConnectionHandler`.
final class ClientVerificationResult: Sendable {
    private let verifier: @Sendable () -> ClientCertificateVerifier?
    private let presentedChains: PresentedChains
    private let peer: @Sendable () -> String
    private let logger: Logger
    private let verified = Mutex<[Certificate]?>(nil)
    private let refused = Mutex(false)

    /// - Parameters:
    ///   - verifier: the verifier in force when a check runs.
    ///   - presentedChains: the chains of earlier full handshakes, for resumed sessions.
    ///   - peer: the connection's remote address, for log lines.
    init(
        verifier: @escaping @Sendable () -> ClientCertificateVerifier?,
        presentedChains: PresentedChains,
        peer: @escaping @Sendable () -> String,
        logger: Logger
    ) {
        self.verifier = verifier
        self.presentedChains = presentedChains
        self.peer = peer
        self.logger = logger
    }

    /// The verified chain, leaf to anchor, once a check accepted it.
    var chain: [Certificate]? {
        verified.withLock { $0 }
    }

    /// Whether a check refused the client's certificate.
    var wasRefused: Bool {
        refused.withLock { $0 }
    }

    /// The verification callback for this connection's TLS handler: verifies the presented
    /// chain at the current time.
    var callback: @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void {
        { [self] presented, promise in
            let chain: [Certificate]
            do {
                chain = try presented.map { try Certificate(derEncoded: $0.toDERBytes()) }
            } catch {
                logger.warning("refused a client certificate that does not parse", metadata: ["peer": "\(peer())"])
                refused.withLock { $0 = true }
                promise.succeed(.failed)
                return
            }
            promise.completeWithTask {
                guard await self.check(chain) else { return .failed }
                self.presentedChains.remember(chain)
                return .certificateVerified(VerificationMetadata(nil))
            }
        }
    }

    /// Checks the client of a resumed session again, as of now: its certificate with the
    /// intermediates it presented in the full handshake the session came from, against the
    /// trust and revocation lists in force (they may have changed since).
    ///
    /// - Returns: whether the client is trusted.
    func checkResumedSession(leaf: NIOSSLCertificate) async -> Bool {
        guard let certificate = try? Certificate(derEncoded: leaf.toDERBytes()) else {
            refused.withLock { $0 = true }
            return false
        }
        return await check(presentedChains.chain(startingWith: certificate))
    }

    /// Verifies `chain`; logs a refusal with the reason and the certificate's subject and
    /// serial (never more).
    private func check(_ chain: [Certificate]) async -> Bool {
        guard let verifier = verifier() else { return false }
        switch await verifier.verify(chain, at: Date()) {
        case .trusted(let validated):
            verified.withLock { $0 = validated }
            return true
        case .refused(let reason):
            refused.withLock { $0 = true }
            logger.warning("refused a client certificate", metadata: [
                "peer": "\(peer())", "reason": "\(reason)",
                "subject": "\(chain.first.map { "\($0.subject)" } ?? "")",
                "serial": "\(chain.first.map { "\($0.serialNumber)" } ?? "")",
            ])
            return false
        }
    }
}

/// The chains clients presented in full handshakes, by their leaf, so that a resumed
/// session (which carries only the leaf) is verified again with its intermediates. Holds
/// at most `capacity` chains; when full it starts over (a client whose chain was dropped
/// is checked with its leaf alone, which suffices when its CA is an anchor).
final class PresentedChains: Sendable {
    static let capacity = 10_000
    private let chains = Mutex<[Certificate: [Certificate]]>([:])

    /// Remembers `chain` (leaf first).
    func remember(_ chain: [Certificate]) {
        guard let leaf = chain.first else { return }
        chains.withLock { chains in
            if chains.count >= Self.capacity, chains[leaf] == nil { chains.removeAll(keepingCapacity: true) }
            chains[leaf] = chain
        }
    }

    /// The chain `leaf` was presented with, or the leaf alone.
    func chain(startingWith leaf: Certificate) -> [Certificate] {
        chains.withLock { $0[leaf] } ?? [leaf]
    }
}
