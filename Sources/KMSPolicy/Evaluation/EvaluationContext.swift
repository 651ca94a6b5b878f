import KMSCore

/// Everything one evaluation reads, prepared once per request: the action's position and
/// the caller's name as UTF-8, and the key id's text on first use. The pointers are valid
/// only inside `with`; the request is referenced, not copied.
struct EvaluationContext {
    private let requestPointer: UnsafePointer<AccessRequest>
    let actionOrdinal: Int
    let isKeyAction: Bool
    /// The caller's name as UTF-8.
    let principal: UnsafeBufferPointer<UInt8>
    /// `request.currentTime` as seconds since 1970.
    let currentTime: Double
    private let keyIDValue: KeyID?
    /// Stack scratch space: byte 0 says whether bytes 1...36 hold the key id's text yet.
    private let keyIDScratch: UnsafeMutablePointer<UInt8>

    /// The key id as its 36 lower-case UTF-8 characters, when the request names a key;
    /// written on first use, since most statements never look at it.
    var keyID: UnsafeBufferPointer<UInt8>? {
        guard let keyIDValue else { return nil }
        let text = UnsafeMutableBufferPointer(start: keyIDScratch + 1, count: 36)
        if keyIDScratch.pointee == 0 {
            Self.writeLowercaseText(of: keyIDValue, into: text)
            keyIDScratch.pointee = 1
        }
        return UnsafeBufferPointer(text)
    }

    /// Prepares the context for `request` and runs `body` with it, allocating nothing on the
    /// heap for native strings.
    static func with<Result>(_ request: AccessRequest, _ body: (EvaluationContext) -> Result) -> Result {
        withUnsafePointer(to: request) { requestPointer in
            withUTF8Bytes(request.principal.name) { principal in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 37) { scratch in
                    guard let scratch = scratch.baseAddress else { preconditionFailure("no scratch space") }
                    scratch.initialize(to: 0)
                    return body(EvaluationContext(
                        requestPointer: requestPointer,
                        actionOrdinal: ActionSet.ordinal(of: request.action),
                        isKeyAction: request.action.isKeyAction,
                        principal: principal,
                        currentTime: request.currentTime.timeIntervalSince1970,
                        keyIDValue: request.keyID,
                        keyIDScratch: scratch
                    ))
                }
            }
        }
    }

    /// The request being evaluated.
    var request: AccessRequest {
        _read { yield requestPointer.pointee }
    }

    /// Writes the canonical `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` form of `keyID`.
    private static func writeLowercaseText(of keyID: KeyID, into buffer: UnsafeMutableBufferPointer<UInt8>) {
        @inline(__always) func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
        withUnsafeBytes(of: keyID.uuid.uuid) { bytes in
            guard bytes.count == 16, buffer.count == 36, let output = buffer.baseAddress else { return }
            var out = 0
            for position in 0..<16 {
                if position == 4 || position == 6 || position == 8 || position == 10 {
                    output[out] = UInt8(ascii: "-")
                    out += 1
                }
                let byte = bytes[position]
                output[out] = hexDigit(byte >> 4)
                output[out + 1] = hexDigit(byte & 0x0F)
                out += 2
            }
        }
    }

    // MARK: - Condition values

    /// Calls `body` with the UTF-8 value of a single-valued key, or `nil` when absent.
    func withValue<Result>(of key: ConditionKey.StringKey, _ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result {
        switch key {
        case .callerPrincipal: body(principal)
        case .keyID: body(keyID)
        default:
            if let text = text(of: key) { withUTF8Bytes(text, body) } else { body(nil) }
        }
    }

    /// Applies `test` to every value of a multi-valued key and combines the answers with
    /// "all" or "any"; `nil` when the key is absent or has no values.
    func test(values key: ConditionKey.StringSetKey, all: Bool, _ test: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool? {
        switch key {
        case .encryptionContextKeys:
            let names = request.encryptionContext.pairs.keys
            guard !names.isEmpty else { return nil }
            return all ? names.allSatisfy { withUTF8Bytes($0, test) } : names.contains { withUTF8Bytes($0, test) }
        case .grantOperations:
            guard let operations = request.grantOperations, !operations.isEmpty else { return nil }
            return all
                ? operations.allSatisfy { withUTF8Bytes($0, test) } : operations.contains { withUTF8Bytes($0, test) }
        }
    }

    /// Whether `key` is absent (for the `Null` operator). A multi-valued key with no values
    /// counts as absent.
    func isAbsent(_ key: ConditionKey) -> Bool {
        switch key {
        case .string(let key): withValue(of: key) { $0 == nil }
        case .stringSet(let key): test(values: key, all: true) { _ in true } == nil
        case .currentTime: false
        case .sourceIP: request.sourceIP == nil
        }
    }

    /// The key's value as a trace shows it, or `nil` when absent.
    func describe(_ key: ConditionKey) -> String? {
        switch key {
        case .string(.callerPrincipal): quoted(request.principal.name)
        case .string(.keyID): request.keyID.map { quoted($0.description) }
        case .string(let key): text(of: key).map(quoted)
        case .stringSet(.encryptionContextKeys): "[" + request.encryptionContext.sortedKeys.map(quoted).joined(separator: ", ") + "]"
        case .stringSet(.grantOperations): request.grantOperations.map { "[" + $0.map(quoted).joined(separator: ", ") + "]" }
        case .currentTime: PolicyDate.format(currentTime)
        case .sourceIP: request.sourceIP.map(quoted)
        }
    }

    private func text(of key: ConditionKey.StringKey) -> String? {
        switch key {
        case .encryptionContext(let name): request.encryptionContext.pairs[name]
        case .callerPrincipal: request.principal.name
        case .keyID: request.keyID?.description
        case .keySpec: request.keySpec?.rawValue
        case .keyUsage: request.keyUsage?.rawValue
        case .requestAlias: request.requestAlias
        case .granteePrincipal: request.granteePrincipal?.name
        }
    }
}
