import KMSCore

extension Grant {
    /// Whether this grant lets its grantee create a grant with `operations` and
    /// `constraints`, when no policy statement lets the grantee create grants (AWS KMS's
    /// rule for grants that allow CreateGrant): the grant lists CreateGrant, the new grant
    /// allows only operations this one allows, and its constraints are at least as strict.
    ///
    /// The caller checks that the grant is for the caller and the key.
    public func permitsChildGrant(operations: [KMSAction], constraints child: GrantConstraints) -> Bool {
        self.operations.contains(.createGrant)
            && operations.allSatisfy(self.operations.contains)
            && child.isAtLeastAsStrict(as: constraints)
    }
}

extension GrantConstraints {
    /// Whether every encryption context these constraints allow is also allowed by
    /// `parent`: the same `encryption_context_equals` pairs when the parent has any, and
    /// every `encryption_context_subset` pair of the parent required here too (by this
    /// grant's subset or equals pairs).
    public func isAtLeastAsStrict(as parent: GrantConstraints) -> Bool {
        if !parent.encryptionContextEquals.isEmpty, encryptionContextEquals != parent.encryptionContextEquals {
            return false
        }
        return parent.encryptionContextSubset.allSatisfy { pair in
            encryptionContextSubset[pair.key] == pair.value || encryptionContextEquals[pair.key] == pair.value
        }
    }
}
