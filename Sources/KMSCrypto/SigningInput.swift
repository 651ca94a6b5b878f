import KMSCore

/// What Sign and Verify sign: a message the server hashes, or a digest the caller made.
public struct SigningInput: Sendable {
    /// The message or digest bytes.
    public let bytes: [UInt8]
    /// How to read `bytes`.
    public let type: MessageType

    public init(_ bytes: [UInt8], type: MessageType) {
        self.bytes = bytes
        self.type = type
    }

    /// The digest to sign for an algorithm with hash `hash`.
    ///
    /// - Throws: `.validation` when a DIGEST input is not exactly the digest length.
    func digest(with hash: DigestAlgorithm) throws(KMSError) -> AnyMessageDigest {
        switch type {
        case .raw: AnyMessageDigest(hashing: bytes, with: hash)
        case .digest: try ProvidedDigest.digest(bytes, hash: hash)
        }
    }

    /// The message for Ed25519, which signs messages, not digests.
    ///
    /// - Throws: `.validation` for a DIGEST input.
    func rawMessage() throws(KMSError) -> [UInt8] {
        guard type == .raw else {
            throw KMSError(.validation, "message_type DIGEST is not supported by ED25519; send the message with MESSAGE_TYPE_RAW")
        }
        return bytes
    }
}
