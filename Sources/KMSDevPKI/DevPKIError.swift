/// A failure of the dev certificate authority or of its credential files. The message
/// says what went wrong and, for files, which one; it never contains key material.
public struct DevPKIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, safe to print.
    public let message: String

    /// Creates an error with a message that must not contain key material.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Runs `body`, turning any error it throws into a `DevPKIError` that starts with `what`.
///
/// Use `includeCause: false` where the cause could quote secret input (private keys).
func wrappingErrors<T>(
    _ what: String,
    includeCause: Bool = true,
    _ body: () throws -> T
) throws(DevPKIError) -> T {
    do {
        return try body()
    } catch let error as DevPKIError {
        throw error
    } catch {
        throw DevPKIError(includeCause ? "\(what): \(error)" : what)
    }
}
