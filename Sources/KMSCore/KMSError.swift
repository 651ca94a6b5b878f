/// The one error type of the KMS. Its `message` is safe to show to the caller: it names
/// what was wrong and never contains secret bytes. Two errors are equal when their codes are.
public struct KMSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; maps one-to-one to an API error reason.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The reason string sent to callers in `google.rpc.ErrorInfo.reason`.
        public let reason: String

        private init(_ reason: String) { self.reason = reason }

        public var description: String { reason }

        /// No key has that id or alias.
        public static let keyNotFound = Code("KEY_NOT_FOUND")
        /// The key is disabled.
        public static let keyDisabled = Code("KEY_DISABLED")
        /// The key is scheduled for deletion.
        public static let keyPendingDeletion = Code("KEY_PENDING_DELETION")
        /// The blob is malformed, was tampered with, or the encryption context differs.
        public static let invalidCiphertext = Code("INVALID_CIPHERTEXT")
        /// The key id given does not match the one the blob was made with.
        public static let incorrectKey = Code("INCORRECT_KEY")
        /// The key's usage does not allow this operation.
        public static let invalidKeyUsage = Code("INVALID_KEY_USAGE")
        /// No policy allows the caller this action, or one denies it.
        public static let accessDenied = Code("ACCESS_DENIED")
        /// A request field is invalid; the message names the field.
        public static let validation = Code("VALIDATION")
        /// A policy document is invalid; the message names the statement and field.
        public static let malformedPolicy = Code("MALFORMED_POLICY")
        /// A size or count limit was exceeded.
        public static let limitExceeded = Code("LIMIT_EXCEEDED")
        /// The key's material was destroyed after a scheduled deletion.
        public static let keyDestroyed = Code("KEY_DESTROYED")
        /// The version of the key that made the ciphertext is disabled.
        public static let keyVersionDisabled = Code("KEY_VERSION_DISABLED")
        /// The key has no such version.
        public static let keyVersionNotFound = Code("KEY_VERSION_NOT_FOUND")
        /// The operation does not fit the key's current state (for example cancelling a
        /// deletion that is not scheduled, or disabling the current version).
        public static let invalidState = Code("INVALID_STATE")
        /// The key's kind does not support the operation at all (rotating an asymmetric or
        /// HMAC key).
        public static let unsupportedOperation = Code("UNSUPPORTED_OPERATION")
        /// No grant has that id or token (or it was retired or revoked).
        public static let grantNotFound = Code("GRANT_NOT_FOUND")
        /// No alias has that name.
        public static let aliasNotFound = Code("ALIAS_NOT_FOUND")
        /// The name is already in use (aliases).
        public static let alreadyExists = Code("ALREADY_EXISTS")
        /// The audit log cannot be written, so the request was refused rather than run
        /// unrecorded; retry later.
        public static let auditUnavailable = Code("AUDIT_UNAVAILABLE")
        /// The key store cannot be reached, or this node could not confirm within the
        /// staleness bound that its caches are current, so it refuses rather than serve
        /// what may be stale; retry (another node may answer).
        public static let storeUnavailable = Code("STORE_UNAVAILABLE")
        /// The caller's client certificate names no valid identity (several SPIFFE IDs, a
        /// malformed SPIFFE ID or subjectAltName extension), so it has no principal.
        public static let invalidIdentity = Code("INVALID_IDENTITY")
        /// The caller made more requests than its quota (`quotas:` in the server
        /// configuration) allows; retry after the `RetryInfo` delay.
        public static let throttled = Code("THROTTLED")
        /// The server failed; details are logged, not returned.
        public static let internalFailure = Code("INTERNAL")

        /// Every code, for exhaustive tests of the mapping to transport statuses.
        public static let all: [Code] = [
            .keyNotFound, .keyDisabled, .keyPendingDeletion, .invalidCiphertext, .incorrectKey,
            .invalidKeyUsage, .accessDenied, .validation, .malformedPolicy, .limitExceeded,
            .aliasNotFound, .alreadyExists, .keyDestroyed, .keyVersionDisabled, .keyVersionNotFound,
            .invalidState, .unsupportedOperation, .grantNotFound, .auditUnavailable, .storeUnavailable, .invalidIdentity,
            .throttled, .internalFailure,
        ]
    }

    public let code: Code
    /// A message for the caller. Never contains key material, plaintext or data keys.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.reason): \(message)" }

    public static func == (lhs: KMSError, rhs: KMSError) -> Bool { lhs.code == rhs.code }
}
