import NIOSSL
import SwiftASN1
import X509

/// The server's own TLS credential: its certificate chain (leaf first) and private key.
struct ServerCredential: Sendable, CustomStringConvertible {
    let chain: [NIOSSLCertificate]
    let privateKey: NIOSSLPrivateKey
    /// The leaf, for logs and expiry.
    let leaf: Certificate

    /// Checks that the chain is not empty and that `privateKey` belongs to its leaf.
    ///
    /// - Throws: `TLSMaterialError` naming `source` when it does not.
    init(chain: [Certificate], privateKey encoded: EncodedPrivateKey, source: String) throws(TLSMaterialError) {
        guard let leaf = chain.first else { throw TLSMaterialError("\(source): the certificate chain is empty") }
        let key: Certificate.PrivateKey
        do {
            switch encoded {
            case .pem(let text): key = try Certificate.PrivateKey(pemEncoded: text)
            case .der(let bytes): key = try Certificate.PrivateKey(derBytes: bytes)
            }
        } catch {
            throw TLSMaterialError("\(source): the private key does not parse")
        }
        guard key.publicKey == leaf.publicKey else {
            throw TLSMaterialError("\(source): the private key does not belong to the certificate \(leaf.serialNumber)")
        }
        do {
            self.chain = try chain.map { try NIOSSLCertificate(bytes: $0.derBytes(), format: .der) }
            switch encoded {
            case .pem(let text): self.privateKey = try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem)
            case .der(let bytes): self.privateKey = try NIOSSLPrivateKey(bytes: bytes, format: .der)
            }
        } catch {
            throw TLSMaterialError("\(source): BoringSSL refuses the certificate or key: \(error)")
        }
        self.leaf = leaf
    }

    /// Names the certificate, never the key.
    var description: String {
        "ServerCredential(serial: \(leaf.serialNumber), subject: \(leaf.subject), notValidAfter: \(leaf.notValidAfter))"
    }
}

/// A private key as read: PEM text from a file, or PKCS#8 DER from the Workload API.
enum EncodedPrivateKey: Sendable {
    case pem(String)
    case der([UInt8])
}

/// TLS material that cannot be used; the message names the file or source and the problem.
struct TLSMaterialError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension Certificate {
    /// The DER encoding.
    func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}
