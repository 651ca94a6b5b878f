/// An authenticated caller, as policies name it: a SPIFFE ID
/// (`spiffe://prod.example/ns/payments/sa/api`), an RFC 4514 subject DN
/// (`CN=legacy-app,O=Example`) or a name that an identity rule mapped a certificate to.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    /// The principal's name.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public var description: String { name }
}
