/// The client could not set up the mutual-TLS connection: a credential file it cannot read
/// or use. Retrying does not help; the configuration must change.
public struct ConnectionSetupError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the file or option; never contains key material.
    public let message: String
    /// The error underneath, if any (the transport's, for a file it could not load).
    public let cause: (any Error)?

    public init(_ message: String, cause: (any Error)? = nil) {
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message) (cause: \(cause))"
    }
}
