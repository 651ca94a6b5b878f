import Foundation
import KMSCore

/// Page sizes and opaque page tokens of list calls. A token carries the last item of the
/// previous page (a key id, an alias name) as an exclusive cursor.
enum PageToken {
    /// Reads a `page_size` field: 0 means the default.
    ///
    /// - Throws: `.validation` outside 0–1000.
    static func pageSize(_ size: Int) throws(KMSError) -> Int {
        if size == 0 { return Limits.defaultPageSize }
        guard Limits.pageSize.contains(size) else {
            throw KMSError(.validation, "page_size must be between \(Limits.pageSize.lowerBound) and \(Limits.pageSize.upperBound)")
        }
        return size
    }

    /// The token that continues after `last`.
    static func encode(_ last: String) -> String {
        Data(last.utf8).base64EncodedString()
    }

    /// The cursor in a token; `nil` for the empty token (the first page).
    ///
    /// - Parameter cursor: Reads the cursor's text; `nil` when it is not one of this call.
    /// - Throws: `.validation` when the token was not made by `encode(_:)` for this call.
    static func decode<Cursor>(_ token: String, as cursor: (String) -> Cursor?) throws(KMSError) -> Cursor? {
        guard !token.isEmpty else { return nil }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              let value = cursor(text)
        else {
            throw KMSError(.validation, "page_token is not a token returned by this call")
        }
        return value
    }
}
