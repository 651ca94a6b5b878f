import Foundation

/// The identifier of a customer master key: a random UUID, written in lower case.
public struct KeyID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The UUID behind the id.
    public let uuid: UUID

    /// Wraps an existing UUID.
    public init(uuid: UUID) {
        self.uuid = uuid
    }

    /// A fresh random key id.
    public static func random() -> KeyID {
        KeyID(uuid: UUID())
    }

    /// Parses a key id written as a UUID string (either case); `nil` for anything else.
    public init?(string: String) {
        guard string.utf8.count == 36, let uuid = UUID(uuidString: string) else { return nil }
        self.uuid = uuid
    }

    /// Reads a key id from its 16-byte binary form.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let b = Array(bytes)
        self.uuid = UUID(uuid: (
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        ))
    }

    /// The canonical text form: lower-case UUID.
    public var description: String { uuid.uuidString.lowercased() }

    /// The 16-byte binary form used inside ciphertext blobs.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool {
        lhs.description < rhs.description
    }
}
