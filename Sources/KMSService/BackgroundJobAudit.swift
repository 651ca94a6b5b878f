import KMSCore

/// A background job of the server, as its audit records name it.
public enum BackgroundJob: String, Sendable, CaseIterable {
    /// Automatic rotation of keys whose rotation period has passed.
    case rotation
    /// Destruction of the material of keys whose pending-deletion window has ended.
    case destruction

    /// The action of the job's audit records, as AWS KMS's CloudTrail names these events.
    public var action: String {
        switch self {
        case .rotation: "kms:RotateKey"
        case .destruction: "kms:DeleteKey"
        }
    }

    /// The principal of the job's audit records: `kmsd:job/rotation`, `kmsd:job/destruction`.
    /// No certificate maps to it by default (SPIFFE IDs start with `spiffe://`, subject DNs
    /// hold `=`).
    public var principal: Principal { Principal("kmsd:job/\(rawValue)") }
}

/// Where the background jobs leave audit records of their changes: an intent record before
/// each change is committed and an outcome record after.
public struct BackgroundJobAudit: Sendable {
    /// The audit of one job action on one key.
    public struct Action: Sendable {
        /// The action's facts; their intent recorder writes the intent record.
        public let facts: AuditFacts
        /// Writes the outcome record: `nil` when the change was made, otherwise why not
        /// (`.invalidState` when another node was first).
        public let finish: @Sendable (KMSError?) async -> Void

        /// Creates the audit of one action.
        public init(facts: AuditFacts, finish: @escaping @Sendable (KMSError?) async -> Void) {
            self.facts = facts
            self.finish = finish
        }
    }

    /// Starts the audit of one job action.
    public let begin: @Sendable (BackgroundJob) -> Action

    /// - Parameter begin: Starts the audit of one job action.
    public init(begin: @escaping @Sendable (BackgroundJob) -> Action) {
        self.begin = begin
    }

    /// Records nothing; for tests of the service alone.
    public static let none = BackgroundJobAudit { _ in Action(facts: AuditFacts(), finish: { _ in }) }

    /// Runs one job action on `key`, recording its outcome once it has written an intent
    /// record (nothing is recorded for a key that turned out not to be due).
    ///
    /// - Returns: What `action` returned: whether the change was made.
    func recording(
        _ job: BackgroundJob, on key: KeyID, _ action: (AuditFacts) async throws(KMSError) -> Bool
    ) async throws(KMSError) -> Bool {
        let audit = begin(job)
        audit.facts.noteKey(key, alias: nil)
        do {
            let changed = try await action(audit.facts)
            if audit.facts.intentRecorded {
                await audit.finish(changed ? nil : KMSError(.invalidState, "key \(key) was no longer due; another node was first"))
            }
            return changed
        } catch {
            if audit.facts.intentRecorded { await audit.finish(error) }
            throw error
        }
    }
}
