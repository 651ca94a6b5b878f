import KMSCore
import Testing

/// Runs `body`, expects it to throw `invalidCiphertext`, and returns the error's message so
/// callers can check that every failure reads the same.
@discardableResult
func expectInvalidCiphertext(
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(KMSError) -> some Any
) -> String? {
    do {
        _ = try body()
        Issue.record("expected INVALID_CIPHERTEXT, but the call succeeded. \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == .invalidCiphertext, comment, sourceLocation: sourceLocation)
        return error.message
    }
}
