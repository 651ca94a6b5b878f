import Foundation
import KMSTLS
import Logging
import NIOCore
import NIOSSL
import Synchronization
import X509

/// One connection's client-certificate verification: the callback BoringSSL calls during
/// the handshake, which asks the `ClientCertificateVerifier` in force, and the verified
/// chain it leaves for `TLSConnectionHandler`.
final class ClientVerificationResult: Sendable {
    private let verified = Mutex<[Certificate]?>(nil)

    /// The verified chain, leaf to anchor, once the callback accepted it.
    var chain: [Certificate]? {
        verified.withLock { $0 }
    }

    /// The verification callback for this connection's TLS handler: verifies the presented
    /// chain with `verifier()`'s verifier at the current time, and logs a refusal with the
    /// reason and the certificate's subject and serial (never more).
    func callback(
        verifier: @escaping @Sendable () -> ClientCertificateVerifier?,
        peer: @escaping @Sendable () -> String,
        logger: Logger
    ) -> @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void {
        { [self] presented, promise in
            let chain: [Certificate]
            do {
                chain = try presented.map { try Certificate(derEncoded: $0.toDERBytes()) }
            } catch {
                logger.warning("refused a client certificate that does not parse", metadata: ["peer": "\(peer())"])
                promise.succeed(.failed)
                return
            }
            guard let verifier = verifier() else {
                promise.succeed(.failed)
                return
            }
            promise.completeWithTask {
                switch await verifier.verify(chain, at: Date()) {
                case .trusted(let validated):
                    self.verified.withLock { $0 = validated }
                    return .certificateVerified(VerificationMetadata(nil))
                case .refused(let reason):
                    logger.warning("refused a client certificate", metadata: [
                        "peer": "\(peer())", "reason": "\(reason)",
                        "subject": "\(chain.first.map { "\($0.subject)" } ?? "")",
                        "serial": "\(chain.first.map { "\($0.serialNumber)" } ?? "")",
                    ])
                    return .failed
                }
            }
        }
    }
}
