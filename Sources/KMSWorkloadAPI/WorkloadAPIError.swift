/// A failure of the Workload API client: an address it cannot use, or material from the
/// agent that it refuses. The message says what is wrong and never contains key material.
///
/// Errors compare equal when their codes are equal, whatever the message.
public struct WorkloadAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; more codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidAddress
            case invalidSVID
            case invalidBundle
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The socket address is not a `unix:` URI or a path.
        public static let invalidAddress = Code(.invalidAddress)
        /// An X.509-SVID response was refused: no SVID, a SPIFFE ID that is not one, a
        /// certificate chain or key that does not parse, or a key that is not the leaf's.
        public static let invalidSVID = Code(.invalidSVID)
        /// A trust bundle was refused: empty, not DER certificates, or under a key that is
        /// not a trust domain.
        public static let invalidBundle = Code(.invalidBundle)

        public var description: String {
            switch wrapped {
            case .invalidAddress: "invalidAddress"
            case .invalidSVID: "invalidSVID"
            case .invalidBundle: "invalidBundle"
            }
        }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, safe to log.
    public let message: String

    /// Creates an error; `message` must not contain key material.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
