import KMSCore

extension Grant {
    /// Whether the grant allows `request`: it is for the request's key and exactly for the
    /// caller, lists the action, and, for an action that takes an encryption context, the
    /// request's context is within its constraints. Cheapest tests first; allocates nothing.
    func allows(_ request: AccessRequest) -> Bool {
        keyID == request.keyID
            && operations.contains(request.action)
            && granteePrincipal == request.principal
            && (!Grant.contextOperations.contains(request.action) || constraints.allow(request.encryptionContext))
    }

    /// The grant's outcome against `request`, a grant of the request's key, with a one-line
    /// reason; for `PolicyEngine.explain`.
    func evaluation(for request: AccessRequest) -> GrantEvaluation {
        let mismatch = mismatch(for: request)
        let reason = switch mismatch {
        case nil:
            "grants \(request.action.rawValue) to the caller"
                + (constraints.isEmpty || !Grant.contextOperations.contains(request.action)
                    ? "" : "; the encryption context is within its constraints")
        case .otherGrantee(let grantee):
            "the grantee is \(quoted(grantee.name)), not the caller"
        case .operationNotGranted:
            "\(request.action.rawValue) is not granted (the grant allows "
                + operations.map(\.rawValue).joined(separator: ", ") + ")"
        case .contextOutsideConstraints(let violation):
            violation.description
        }
        return GrantEvaluation(grantID: grantID, name: name, mismatch: mismatch, reason: reason)
    }

    /// The first reason the grant does not allow `request`: grantee, then operation, then
    /// constraints. `nil` exactly when `allows(request)` for a request on the grant's key.
    private func mismatch(for request: AccessRequest) -> GrantMismatch? {
        guard granteePrincipal == request.principal else { return .otherGrantee(granteePrincipal) }
        guard operations.contains(request.action) else { return .operationNotGranted }
        guard Grant.contextOperations.contains(request.action) else { return nil }
        return constraints.violation(by: request.encryptionContext).map(GrantMismatch.contextOutsideConstraints)
    }
}

extension GrantConstraints {
    /// Whether neither constraint lists any pair.
    var isEmpty: Bool { encryptionContextEquals.isEmpty && encryptionContextSubset.isEmpty }

    /// The first pair, in key order, that puts `context` outside the constraints
    /// (`encryption_context_equals` first); `nil` exactly when `allow(context)`.
    func violation(by context: EncryptionContext) -> ConstraintViolation? {
        let pairs = context.pairs
        if !encryptionContextEquals.isEmpty {
            let keys = Set(encryptionContextEquals.keys).union(pairs.keys).sorted()
            if let key = keys.first(where: { pairs[$0] != encryptionContextEquals[$0] }) {
                return ConstraintViolation(
                    constraint: .equals, key: key, required: encryptionContextEquals[key], actual: pairs[key])
            }
        }
        let key = encryptionContextSubset.keys.sorted().first { pairs[$0] != encryptionContextSubset[$0] }
        return key.map {
            ConstraintViolation(constraint: .subset, key: $0, required: encryptionContextSubset[$0], actual: pairs[$0])
        }
    }
}
