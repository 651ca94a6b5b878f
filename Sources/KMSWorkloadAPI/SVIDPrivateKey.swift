import X509

/// An X.509-SVID's private key: the PKCS#8 DER bytes the agent sent, for NIOSSL, and the
/// same key parsed by swift-certificates.
///
/// Printing or reflecting it shows the algorithm only. The bytes are handed out through
/// `withPKCS8DERBytes(_:)`, not a property, so they are not copied into logs by accident.
public struct SVIDPrivateKey: Sendable {
    /// The key, parsed; it prints as its algorithm (`P256.PrivateKey`), never its value.
    public let key: Certificate.PrivateKey
    private let pkcs8DER: [UInt8]

    /// Parses an unencrypted PKCS#8 DER private key.
    ///
    /// - Throws: `WorkloadAPIError` with code `invalidSVID` when it does not parse; the
    ///   parser's message is left out, since it could quote the key.
    init(pkcs8DER: [UInt8]) throws(WorkloadAPIError) {
        do {
            key = try Certificate.PrivateKey(derBytes: pkcs8DER)
        } catch {
            throw WorkloadAPIError(.invalidSVID, "the SVID's private key is not an unencrypted PKCS#8 DER key this client reads")
        }
        self.pkcs8DER = pkcs8DER
    }

    /// Runs `body` with the key's PKCS#8 DER bytes, e.g. for `NIOSSLPrivateKey(bytes:format: .der)`.
    public func withPKCS8DERBytes<Result>(_ body: ([UInt8]) throws -> Result) rethrows -> Result {
        try body(pkcs8DER)
    }
}

extension SVIDPrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SVIDPrivateKey(\(key), redacted)" }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
