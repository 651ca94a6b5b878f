import KMSStorage
import SQLiteNIO

extension SQLiteData {
    /// The SQLite form of a column value: booleans as the integers 0 and 1, bytes as a blob.
    init(_ value: ColumnValue) {
        switch value {
        case .text(let text): self = .text(text)
        case .integer(let integer): self = .integer(SQLiteInt64(integer))
        case .bytes(let bytes): self = .blob(ByteBuffer(bytes: bytes))
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        case .null: self = .null
        }
    }
}
