/// Why a certificate revocation list cannot be used. The message is for operators: it says
/// which part of which list is wrong (`PEM block 2: the CRL has an unknown critical
/// extension 1.2.3.4`); a CRL holds no secrets, so nothing in it needs hiding.
///
/// Two errors are equal when their codes are.
public struct CRLError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, such as `MALFORMED`.
        public let name: String

        private init(_ name: String) { self.name = name }

        public var description: String { name }

        /// The input is empty.
        public static let empty = Code("EMPTY")
        /// The input is not a well-formed DER CertificateList (RFC 5280 §5.1), or not PEM.
        public static let malformed = Code("MALFORMED")
        /// A PEM file holds no `X509 CRL` block, or a block with another label.
        public static let wrongPEMLabel = Code("WRONG_PEM_LABEL")
        /// The signature algorithm is unknown, too weak (SHA-1) or not supported (RSA-PSS),
        /// or the inner and outer algorithm identifiers differ.
        public static let unsupportedSignatureAlgorithm = Code("UNSUPPORTED_SIGNATURE_ALGORITHM")
        /// The CRL or one of its entries has a critical extension this parser does not
        /// process (delta CRL indicator, issuing distribution point, certificate issuer…).
        public static let unsupportedCriticalExtension = Code("UNSUPPORTED_CRITICAL_EXTENSION")
        /// The file is larger than `CertificateRevocationList.maximumFileSize`.
        public static let fileTooLarge = Code("FILE_TOO_LARGE")
        /// The CRL lists more than `CertificateRevocationList.maximumEntryCount` certificates.
        public static let tooManyEntries = Code("TOO_MANY_ENTRIES")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What is wrong, for an operator.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: CRLError, rhs: CRLError) -> Bool { lhs.code == rhs.code }

    /// The same error with `context` (such as `PEM block 2`) in front of its message.
    func prefixed(_ context: String) -> CRLError {
        CRLError(code, "\(context): \(message)")
    }
}
