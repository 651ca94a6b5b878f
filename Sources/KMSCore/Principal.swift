/// An authenticated caller, as policies name it: a SPIFFE ID
/// (`spiffe://prod.example/ns/payments/sa/api`), an RFC 4514 subject DN
/// (`CN=legacy-app,O=Example`) or a name that an identity rule mapped a certificate to.
///
/// Two principals are equal only when their names are the same UTF-8 bytes. Swift's
/// `String` equality would also equate canonically equivalent names (`café` written with
/// `é` and with `e` plus a combining accent), which policies, grants and the store (SQLite
/// compares bytes) do not; so a grant for one spelling never applies to the other.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// The principal's name.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public var description: String { name }

    /// Whether both names are the same UTF-8 bytes (not merely canonically equivalent).
    public static func == (lhs: Principal, rhs: Principal) -> Bool {
        lhs.name.utf8.count == rhs.name.utf8.count && lhs.name.utf8.elementsEqual(rhs.name.utf8)
    }

    /// Hashes the name's UTF-8 bytes, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        var name = self.name
        name.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(name.utf8.count)
    }
}
