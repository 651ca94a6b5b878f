/// A condition key a policy can test, parsed from its name and grouped by the kind of value
/// it has, which decides the operators it accepts.
///
/// Key names are case-insensitive (`kms:keyid` is `kms:KeyId`) except the part after
/// `kms:EncryptionContext:`, which names an encryption-context key exactly.
enum ConditionKey: Sendable, Equatable {
    /// A key with one string value, or absent.
    case string(StringKey)
    /// A key with a set of strings, possibly empty or absent.
    case stringSet(StringSetKey)
    /// `kms:CurrentTime`, always present.
    case currentTime
    /// `kms:SourceIp`, an IP address or absent.
    case sourceIP

    /// The single-valued string keys.
    enum StringKey: Sendable, Equatable {
        case encryptionContext(name: String)
        case callerPrincipal
        case keyID
        case keySpec
        case keyUsage
        case requestAlias
        case granteePrincipal
    }

    /// The multi-valued string keys.
    enum StringSetKey: Sendable, Equatable {
        case encryptionContextKeys
        case grantOperations
    }

    private static let contextPrefix = "kms:encryptioncontext:"
    private static let fixedKeys: [String: ConditionKey] = [
        "kms:encryptioncontextkeys": .stringSet(.encryptionContextKeys),
        "kms:callerprincipal": .string(.callerPrincipal),
        "kms:keyid": .string(.keyID),
        "kms:keyspec": .string(.keySpec),
        "kms:keyusage": .string(.keyUsage),
        "kms:currenttime": .currentTime,
        "kms:sourceip": .sourceIP,
        "kms:requestalias": .string(.requestAlias),
        "kms:grantoperations": .stringSet(.grantOperations),
        "kms:granteeprincipal": .string(.granteePrincipal),
    ]

    /// Parses a key name; `nil` for a key this server does not know.
    init?(name: String) {
        let folded = name.asciiLowercased
        if folded.hasPrefix(Self.contextPrefix) {
            let contextKey = String(decoding: name.utf8.dropFirst(Self.contextPrefix.utf8.count), as: UTF8.self)
            guard !contextKey.isEmpty else { return nil }
            self = .string(.encryptionContext(name: contextKey))
        } else if let key = Self.fixedKeys[folded] {
            self = key
        } else {
            return nil
        }
    }
}
