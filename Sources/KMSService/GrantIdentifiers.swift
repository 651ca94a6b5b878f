import Foundation
import KMSCrypto

/// Fresh random grant ids and grant tokens.
enum GrantIdentifiers {
    /// Random bytes in a grant id (shown as 64 hexadecimal characters).
    static let idBytes = 32
    /// Random bytes in a grant token (shown as 43 base64url characters).
    static let tokenBytes = 32

    /// A new grant id: 64 lower-case hexadecimal characters.
    static func newID() -> String {
        randomBytes(idBytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A new grant token: unpadded base64url.
    static func newToken() -> String {
        Data(randomBytes(tokenBytes)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func randomBytes(_ count: Int) -> [UInt8] {
        SecretBytes.random(count: count).withUnsafeBytes { Array($0) }
    }
}
