import Synchronization

/// What the service learned about one request that its audit record needs: the keys and
/// versions it touched, the alias it was named by, the grant that allowed it, the
/// encryption context, and the error it ended with.
///
/// One instance is made per request by the server and filled in by the service as the
/// request runs; the audit record is written from it when the request ends. It holds no
/// secret bytes (the encryption context is reduced to a keyed hash before it is written).
///
/// A request that changes stored state first calls `recordIntent()`, which writes a durable
/// *intent* record from the facts so far before the change is committed: a crash between
/// the commit and the outcome record then still leaves a record of the change.
public final class AuditFacts: Sendable {
    /// Durably writes the intent record of a change from the facts gathered so far.
    public typealias IntentRecorder = @Sendable (Values) async throws -> Void

    /// A snapshot of the facts.
    public struct Values: Sendable, Equatable {
        /// The first key the request was authorized on.
        public var keyID: KeyID?
        public var keyVersion: KeyVersion?
        /// The alias the request named its first key by.
        public var alias: String?
        /// A second, different key (ReEncrypt's destination).
        public var destinationKeyID: KeyID?
        public var destinationKeyVersion: KeyVersion?
        /// The grant that allowed the request, when a grant did.
        public var grantID: String?
        /// The encryption context the request carried (the first one, for ReEncrypt).
        public var encryptionContext: EncryptionContext?
        /// The error the request ended with, when it failed.
        public var error: KMSError.Code?

        public init() {}
    }

    private let state = Mutex(Values())
    private let batchItems = Mutex<[AuditFacts]>([])
    private let intentRecorder: IntentRecorder?
    private let intentWritten = Mutex(false)

    /// - Parameter intentRecorder: Writes the intent record of a change; `nil` (tests of the
    ///   service alone) records nothing.
    public init(intentRecorder: IntentRecorder? = nil) {
        self.intentRecorder = intentRecorder
    }

    /// Writes the intent record of the change the request is about to commit, and returns
    /// once it is durable.
    ///
    /// - Throws: `.auditUnavailable` when it cannot be written; the change must then not be made.
    public func recordIntent() async throws(KMSError) {
        guard let intentRecorder else { return }
        do {
            try await intentRecorder(values)
        } catch {
            throw KMSError(.auditUnavailable, "the audit log cannot be written: the change was not made; retry later")
        }
        intentWritten.withLock { $0 = true }
    }

    /// Whether an intent record was written for this request.
    public var intentRecorded: Bool { intentWritten.withLock { $0 } }

    /// The facts gathered so far.
    public var values: Values { state.withLock { $0 } }

    /// The facts of each item of a batch call, in request order; empty for other calls.
    public var items: [AuditFacts] { batchItems.withLock { $0 } }

    /// Starts the facts of the next item of a batch call; each item gets its own record.
    public func newItem() -> AuditFacts {
        let item = AuditFacts()
        batchItems.withLock { $0.append(item) }
        return item
    }

    /// Notes that the request was authorized on `key` (the source, for ReEncrypt), named
    /// by `alias`; a second different key becomes the destination key.
    public func noteKey(_ key: KeyID, alias: String?) {
        state.withLock { facts in
            if facts.keyID == nil || facts.keyID == key {
                facts.keyID = key
                if facts.alias == nil { facts.alias = alias }
            } else {
                facts.destinationKeyID = key
            }
        }
    }

    /// Notes that the request was authorized on `key` as its destination (ReEncrypt's
    /// `kms:ReEncryptTo`), whatever order the keys are checked in.
    public func noteDestinationKey(_ key: KeyID) {
        state.withLock { $0.destinationKeyID = key }
    }

    /// Notes a version of `key` the request used: the key's first (the source's, for
    /// ReEncrypt); then the destination's, even on the same key.
    public func noteVersion(_ version: KeyVersion, of key: KeyID) {
        state.withLock { facts in
            if facts.keyID == key && facts.keyVersion == nil {
                facts.keyVersion = version
            } else if facts.destinationKeyID == key || facts.keyID != nil {
                facts.destinationKeyID = key
                facts.destinationKeyVersion = version
            } else {
                facts.keyID = key
                facts.keyVersion = version
            }
        }
    }

    /// Notes the alias a request is about (CreateAlias, UpdateAlias, DeleteAlias), when it
    /// did not name its key by an alias.
    public func noteAlias(_ alias: String) {
        state.withLock { $0.alias = $0.alias ?? alias }
    }

    /// Notes the grant that allowed the request.
    public func noteGrant(_ grantID: String) {
        state.withLock { $0.grantID = $0.grantID ?? grantID }
    }

    /// Notes the request's encryption context (the first non-empty one).
    public func noteEncryptionContext(_ context: EncryptionContext) {
        guard !context.pairs.isEmpty else { return }
        state.withLock { $0.encryptionContext = $0.encryptionContext ?? context }
    }

    /// Notes the error the request ended with.
    public func noteError(_ code: KMSError.Code) {
        state.withLock { $0.error = code }
    }
}
