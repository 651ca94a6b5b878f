import Foundation
import KMSCore

/// One request to authorize: who asks to do what to which key, with the values that
/// condition keys read.
///
/// Optional values that are `nil` are *absent* for conditions (see `docs/POLICY.md`).
/// Build one per call; the engine reads it without copying strings.
public struct AccessRequest: Sendable {
    /// The authenticated caller (`kms:CallerPrincipal`).
    public var principal: Principal
    /// The action requested.
    public var action: KMSAction
    /// The key acted on (`kms:KeyId`, and the resource `key/<id>`); `nil` for actions that
    /// are not about one key.
    public var keyID: KeyID?
    /// The key's spec (`kms:KeySpec`).
    public var keySpec: KeySpec?
    /// The key's usage (`kms:KeyUsage`).
    public var keyUsage: KeyUsage?
    /// The request's encryption context (`kms:EncryptionContext:<name>`,
    /// `kms:EncryptionContextKeys`).
    public var encryptionContext: EncryptionContext
    /// The caller's IP address without port (`kms:SourceIp`), e.g. `192.0.2.7` or
    /// `2001:db8::7`. Text that is not an address matches no `IpAddress` block.
    public var sourceIP: String? {
        didSet { sourceAddress = sourceIP.flatMap(IPAddress.init(requestText:)) }
    }
    /// The alias the caller named the key by, e.g. `alias/payments` (`kms:RequestAlias`).
    public var requestAlias: String?
    /// For grant operations, the operations the grant would allow (`kms:GrantOperations`).
    public var grantOperations: [String]?
    /// For grant operations, the principal the grant is for (`kms:GranteePrincipal`).
    public var granteePrincipal: Principal?
    /// The time of the request (`kms:CurrentTime`); injected so tests control the clock.
    public var currentTime: Date

    /// `sourceIP` parsed once, so evaluation does not parse it per statement.
    private(set) var sourceAddress: IPAddress?

    /// Creates a request; every condition value but the time is optional.
    public init(
        principal: Principal,
        action: KMSAction,
        keyID: KeyID? = nil,
        keySpec: KeySpec? = nil,
        keyUsage: KeyUsage? = nil,
        encryptionContext: EncryptionContext = .empty,
        sourceIP: String? = nil,
        requestAlias: String? = nil,
        grantOperations: [String]? = nil,
        granteePrincipal: Principal? = nil,
        currentTime: Date
    ) {
        self.principal = principal
        self.action = action
        self.keyID = keyID
        self.keySpec = keySpec
        self.keyUsage = keyUsage
        self.encryptionContext = encryptionContext
        self.sourceIP = sourceIP
        self.sourceAddress = sourceIP.flatMap(IPAddress.init(requestText:))
        self.requestAlias = requestAlias
        self.grantOperations = grantOperations
        self.granteePrincipal = granteePrincipal
        self.currentTime = currentTime
    }
}
