import KMSCore

/// The state checks of the conditional writes, in one place: each backend reads the key's
/// state inside the write's transaction and asks these, so every backend refuses the same
/// writes with the same errors (the contract in `KeyStore`).
package enum KeyStateRules {
    /// Whether `setKeyEnabled` changes a key in `state`: `false` when it already is so.
    ///
    /// - Throws: `.keyPendingDeletion` or `.keyDestroyed`.
    package static func enabledChange(of id: KeyID, from state: KeyState, enabled: Bool) throws(KMSError) -> Bool {
        switch state {
        case .enabled: return !enabled
        case .disabled: return enabled
        case .pendingDeletion: throw KMSError(.keyPendingDeletion, "key \(id) is pending deletion")
        case .destroyed: throw KMSError(.keyDestroyed, "the material of key \(id) was destroyed")
        }
    }

    /// Checks that a key in `state` may be scheduled for deletion.
    ///
    /// - Throws: `.invalidState` unless it is enabled or disabled.
    package static func checkSchedulable(_ id: KeyID, _ state: KeyState) throws(KMSError) {
        guard state == .enabled || state == .disabled else {
            throw KMSError(.invalidState, "key \(id) is \(state.rawValue); only an enabled or disabled key can be scheduled for deletion")
        }
    }

    /// Checks that a key in `state` may have its deletion cancelled.
    ///
    /// - Throws: `.invalidState` unless it is pending deletion.
    package static func checkCancellable(_ id: KeyID, _ state: KeyState) throws(KMSError) {
        guard state == .pendingDeletion else {
            throw KMSError(.invalidState, "key \(id) is \(state.rawValue); only a key pending deletion can have its deletion cancelled")
        }
    }

    /// Checks that a key in `state` may get a rotation schedule (turning rotation off is
    /// always allowed).
    ///
    /// - Throws: `.invalidState` when a schedule is given and the key is pending deletion or destroyed.
    package static func checkRotationSchedule(_ id: KeyID, _ state: KeyState, _ schedule: RotationSchedule?) throws(KMSError) {
        guard schedule == nil || state == .enabled || state == .disabled else {
            throw KMSError(.invalidState, "key \(id) is \(state.rawValue); its rotation cannot be enabled")
        }
    }

    /// Checks that a key in `state` may get new grants or have a version enabled or disabled.
    ///
    /// - Throws: `.keyPendingDeletion` (grants only) or `.keyDestroyed`.
    package static func checkGrantable(_ id: KeyID, _ state: KeyState) throws(KMSError) {
        switch state {
        case .enabled, .disabled: break
        case .pendingDeletion: throw KMSError(.keyPendingDeletion, "key \(id) is pending deletion")
        case .destroyed: throw KMSError(.keyDestroyed, "the material of key \(id) was destroyed")
        }
    }

    /// Checks that a key in `state` still has versions to enable or disable.
    ///
    /// - Throws: `.keyDestroyed`.
    package static func checkHasVersions(_ id: KeyID, _ state: KeyState) throws(KMSError) {
        guard state != .destroyed else { throw KMSError(.keyDestroyed, "the material of key \(id) was destroyed") }
    }
}
