import KMSCore

/// Checks of the fields of grant requests, in one place.
enum GrantValidation {
    /// Reads the `operations` field: RPC names (`Decrypt`), each one a grant may allow.
    ///
    /// - Returns: The operations as policy actions, without duplicates, sorted by name.
    /// - Throws: `.validation` when the list is empty or names an operation a grant
    ///   cannot allow.
    static func operations(_ names: [String]) throws(KMSError) -> [KMSAction] {
        guard !names.isEmpty else { throw KMSError(.validation, "operations must name at least one operation") }
        var actions: Set<KMSAction> = []
        for name in names {
            guard let action = KMSAction(rawValue: "kms:" + name), Grant.grantableOperations.contains(action) else {
                let allowed = Grant.grantableOperations.map(\.rpcName).joined(separator: ", ")
                throw KMSError(.validation, "operations: '\(name)' is not a grant operation; use one of \(allowed)")
            }
            actions.insert(action)
        }
        return actions.sorted { $0.rawValue < $1.rawValue }
    }

    /// Reads the `constraints` field: each map checked like an encryption context, and
    /// allowed only when some operation takes an encryption context and every other one is
    /// DescribeKey, RetireGrant or CreateGrant (as AWS KMS allows).
    ///
    /// - Throws: `.validation` or `.limitExceeded` naming the map.
    static func constraints(_ constraints: GrantConstraints, operations: [KMSAction]) throws(KMSError) {
        _ = try EncryptionContext(constraints.encryptionContextEquals, field: "constraints.encryption_context_equals")
        _ = try EncryptionContext(constraints.encryptionContextSubset, field: "constraints.encryption_context_subset")
        let constrained = !constraints.encryptionContextEquals.isEmpty || !constraints.encryptionContextSubset.isEmpty
        guard constrained else { return }
        if let other = operations.first(where: { !Grant.contextOperations.contains($0) && !Grant.unconstrainedOperations.contains($0) }) {
            throw KMSError(
                .validation,
                "constraints are allowed only with operations that take an encryption context (and DescribeKey, "
                    + "RetireGrant, CreateGrant); \(other.rpcName) takes no encryption context"
            )
        }
        guard operations.contains(where: Grant.contextOperations.contains) else {
            throw KMSError(.validation, "constraints need at least one operation that takes an encryption context")
        }
    }

    /// Reads a required principal field.
    ///
    /// - Throws: `.validation` naming `field` when it is empty.
    static func principal(_ name: String, field: String) throws(KMSError) -> Principal {
        guard !name.isEmpty else { throw KMSError(.validation, "\(field) is required") }
        return Principal(name)
    }

    /// Reads the optional `name` field: empty, or at most 256 characters of
    /// `[A-Za-z0-9:/_-]`.
    ///
    /// - Returns: `nil` for the empty name.
    /// - Throws: `.validation`.
    static func name(_ name: String) throws(KMSError) -> String? {
        guard !name.isEmpty else { return nil }
        guard name.count <= Limits.maxGrantNameCharacters else {
            throw KMSError(.validation, "name has \(name.count) characters; at most \(Limits.maxGrantNameCharacters) are allowed")
        }
        guard name.unicodeScalars.allSatisfy(isNameCharacter) else {
            throw KMSError(.validation, "name may contain only letters A-Z and a-z, digits, ':', '/', '_' and '-'")
        }
        return name
    }

    /// Reads a grant id field: 64 lower-case hexadecimal characters.
    ///
    /// - Throws: `.validation` naming `field`.
    static func grantID(_ id: String, field: String = "grant_id") throws(KMSError) -> String {
        guard !id.isEmpty else { throw KMSError(.validation, "\(field) is required") }
        guard isGrantID(id) else { throw KMSError(.validation, "\(field) must be 64 lower-case hexadecimal characters") }
        return id
    }

    /// Whether the text has the form of a grant id.
    static func isGrantID(_ text: String) -> Bool {
        text.utf8.count == GrantIdentifiers.idBytes * 2
            && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ":/_-".unicodeScalars.contains(scalar))
    }
}
