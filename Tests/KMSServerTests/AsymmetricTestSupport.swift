import Foundation
import KMSClient
import KMSCore
import KMSCrypto
import KMSProto

/// Calls the asymmetric and MAC tests share.
extension KMSServiceClient {
    /// Creates a key of `spec` (and `usage`, default the spec's) and returns its id.
    func createKey(_ spec: Kms_V1_KeySpec, usage: Kms_V1_KeyUsage = .unspecified) async throws -> String {
        try await createKey(.with { $0.keySpec = spec; $0.keyUsage = usage }).keyMetadata.keyID
    }

    /// Signs `message` (RAW unless told) with `algorithm`.
    func sign(_ keyID: String, _ message: Data, _ algorithm: Kms_V1_SigningAlgorithm, type: Kms_V1_MessageType = .raw) async throws -> Data {
        try await sign(.with {
            $0.keyID = keyID
            $0.message = message
            $0.messageType = type
            $0.signingAlgorithm = algorithm
        }).signature
    }

    /// Whether the server says `signature` is valid for `message` (RAW unless told).
    func verify(
        _ keyID: String, _ message: Data, _ signature: Data, _ algorithm: Kms_V1_SigningAlgorithm, type: Kms_V1_MessageType = .raw
    ) async throws -> Bool {
        try await verify(.with {
            $0.keyID = keyID
            $0.message = message
            $0.messageType = type
            $0.signature = signature
            $0.signingAlgorithm = algorithm
        }).signatureValid
    }

    /// The key's public key as the crypto wrapper reads it, the way a client would offline.
    func publicKey(_ keyID: String, spec: KeySpec) async throws -> AsymmetricPublicKey {
        let response = try await getPublicKey(.with { $0.keyID = keyID })
        return try AsymmetricPublicKey(subjectPublicKeyInfo: Array(response.publicKey), spec: spec)
    }
}

extension Data {
    /// A copy with byte `index` (default the last) flipped.
    func flippingByte(at index: Int? = nil) -> Data {
        var copy = self
        let position = index ?? (copy.count - 1)
        copy[copy.startIndex + position] ^= 0x01
        return copy
    }

    /// `count` random bytes.
    static func random(count: Int) -> Data {
        Data((0..<count).map { _ in UInt8.random(in: 0...255) })
    }
}
