import Foundation

/// Why an envelope file could not be written or read.
///
/// `description` is a message for the user that names what went wrong (and the chunk, for
/// an authentication failure); it never contains key material or plaintext. Two errors are
/// equal when their codes are.
public struct EnvelopeFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable name for the code.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The code's name.
        public var description: String { name }

        /// The input does not start with the envelope file magic.
        public static let notEnvelopeFile = Code("notEnvelopeFile")
        /// The header holds a value the format does not allow, or the file has more chunks than it allows.
        public static let malformed = Code("malformed")
        /// The file ends before its header or its final chunk does.
        public static let truncated = Code("truncated")
        /// A chunk does not authenticate: the file was altered or the data key is wrong.
        public static let authenticationFailed = Code("authenticationFailed")
        /// An argument is outside what the format allows (key size, chunk size, encrypted key length).
        public static let invalidArgument = Code("invalidArgument")
        /// The input is too large to encrypt with the chosen chunk size.
        public static let inputTooLarge = Code("inputTooLarge")
        /// A file could not be opened, read, written or renamed.
        public static let fileAccess = Code("fileAccess")
    }

    /// What kind of failure this is.
    public let code: Code
    /// A message for the user; never contains key material or plaintext.
    public let message: String

    /// Makes an error from a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// Equal when the codes are; the message is for people.
    public static func == (lhs: EnvelopeFileError, rhs: EnvelopeFileError) -> Bool { lhs.code == rhs.code }

    static let notEnvelopeFile = EnvelopeFileError(.notEnvelopeFile, "not an envelope file")

    static let truncated = EnvelopeFileError(.truncated, "file is truncated")

    static func malformed(_ detail: String) -> EnvelopeFileError {
        EnvelopeFileError(.malformed, "malformed envelope file: \(detail)")
    }

    static func authenticationFailed(chunk: UInt32) -> EnvelopeFileError {
        EnvelopeFileError(.authenticationFailed, "chunk \(chunk) failed authentication (file altered or wrong key)")
    }

    static func invalidArgument(_ message: String) -> EnvelopeFileError {
        EnvelopeFileError(.invalidArgument, message)
    }

    static func fileAccess(_ verb: String, _ url: URL, _ reason: String) -> EnvelopeFileError {
        EnvelopeFileError(.fileAccess, "cannot \(verb) \(url.path): \(reason)")
    }
}
