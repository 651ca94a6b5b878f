import Foundation

/// The `manifest.json` of a `kmsd backup` directory: what the backup holds and how to check
/// it before anything is restored.
///
/// ```json
/// {
///   "format": "swift-kms-backup",
///   "format_version": 1,
///   "created": "2026-05-04T09:30:00Z",
///   "kmsd_version": null,
///   "store": "sqlite",
///   "schema_version": 4,
///   "key_count": 12,
///   "root_key_check_value": "AZ3v…",
///   "files": [{"name": "kms.sqlite", "bytes": 53248, "sha256": "9f2c…"}]
/// }
/// ```
///
/// The root key check value is the one the database records (a fixed text sealed under the
/// root key): only the root key the keys are wrapped under opens it, and it reveals nothing
/// of that key. The manifest is a checksum list, not a signature: whoever can change the
/// database can write a matching manifest. It catches damage and mix-ups; keep backups where
/// only operators can write.
public struct BackupManifest: Sendable, Equatable {
    /// One file of the backup, beside the manifest.
    public struct File: Sendable, Equatable {
        /// The file's name inside the backup directory (no directory part).
        public var name: String
        /// The file's size in bytes.
        public var byteCount: Int
        /// The SHA-256 of the file's contents: 64 lower-case hexadecimal digits.
        public var sha256: String

        public init(name: String, byteCount: Int, sha256: String) {
            self.name = name
            self.byteCount = byteCount
            self.sha256 = sha256
        }
    }

    /// The manifest's file name inside the backup directory.
    public static let fileName = "manifest.json"
    /// The name of the database file inside the backup directory.
    public static let databaseFileName = "kms.sqlite"
    /// The value of `format`.
    public static let formatName = "swift-kms-backup"
    /// The `format_version` this code writes and reads.
    public static let formatVersion = 1
    /// The only `store` this code writes: the embedded SQLite store.
    public static let sqliteStore = "sqlite"
    /// The largest manifest read; a larger file is refused unread.
    public static let maximumByteCount = 64 * 1024
    /// The most files a manifest may list.
    static let maximumFileCount = 16
    /// The longest root key check value accepted (the real one is 53 bytes).
    static let maximumCheckValueByteCount = 1024
    /// The longest `kmsd_version` accepted.
    static let maximumVersionLength = 128

    /// When the snapshot was taken.
    public var created: Date
    /// The version of the `kmsd` that wrote the backup; `nil` when the build carries none.
    public var kmsdVersion: String?
    /// The database's schema version (`PRAGMA user_version`).
    public var schemaVersion: Int
    /// How many keys the database holds, whatever their state.
    public var keyCount: Int
    /// The root key check value stored in the database.
    public var rootKeyCheckValue: [UInt8]
    /// The files of the backup, the database among them.
    public var files: [File]

    public init(created: Date, kmsdVersion: String?, schemaVersion: Int, keyCount: Int, rootKeyCheckValue: [UInt8], files: [File]) {
        self.created = created
        self.kmsdVersion = kmsdVersion
        self.schemaVersion = schemaVersion
        self.keyCount = keyCount
        self.rootKeyCheckValue = rootKeyCheckValue
        self.files = files
    }

    /// The entry of the database file.
    public var database: File? { files.first { $0.name == Self.databaseFileName } }

    /// The manifest as pretty-printed JSON, ending in a newline.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let wire = Wire(
            format: Self.formatName, formatVersion: Self.formatVersion, created: created, kmsdVersion: kmsdVersion,
            store: Self.sqliteStore, schemaVersion: schemaVersion, keyCount: keyCount,
            rootKeyCheckValue: Data(rootKeyCheckValue).base64EncodedString(),
            files: files.map { WireFile(name: $0.name, bytes: $0.byteCount, sha256: $0.sha256) }
        )
        // Encoding strings, numbers and a date cannot fail.
        return (try? encoder.encode(wire)).map { $0 + Data("\n".utf8) } ?? Data()
    }

    /// Reads and checks a manifest.
    ///
    /// - Throws: `BackupError` `.invalidManifest` naming the first problem: more than
    ///   `maximumByteCount` bytes, not JSON of the manifest's shape, another format or a newer
    ///   format version, another store, a negative count, a check value that is not base64, a
    ///   file name with a directory part or outside `[A-Za-z0-9._-]`, a repeated file, a
    ///   digest that is not 64 lower-case hexadecimal digits, or no database file.
    public static func decode(_ data: Data) throws(BackupError) -> BackupManifest {
        guard data.count <= maximumByteCount else {
            throw invalid("it has \(data.count) bytes, more than the \(maximumByteCount) a manifest may have")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let wire: Wire
        do {
            wire = try decoder.decode(Wire.self, from: data)
        } catch let error as DecodingError {
            throw invalid(Self.describe(error))
        } catch {
            throw invalid("it is not JSON")
        }
        guard wire.format == formatName else { throw invalid("format is not \"\(formatName)\"") }
        guard wire.formatVersion == formatVersion else {
            throw invalid("format_version \(wire.formatVersion) is not \(formatVersion); a newer kmsd wrote it: restore with that version")
        }
        guard wire.store == sqliteStore else { throw invalid("store is not \"\(sqliteStore)\"") }
        guard wire.schemaVersion >= 1 else { throw invalid("schema_version must be 1 or more") }
        guard wire.keyCount >= 0 else { throw invalid("key_count must not be negative") }
        if let version = wire.kmsdVersion, version.count > maximumVersionLength {
            throw invalid("kmsd_version is longer than \(maximumVersionLength) characters")
        }
        guard let checkValue = Data(base64Encoded: wire.rootKeyCheckValue), !checkValue.isEmpty,
              checkValue.count <= maximumCheckValueByteCount
        else {
            throw invalid("root_key_check_value is not the base64 of 1–\(maximumCheckValueByteCount) bytes")
        }
        guard (1...maximumFileCount).contains(wire.files.count) else {
            throw invalid("files must list 1–\(maximumFileCount) files")
        }
        var names: Set<String> = []
        for file in wire.files {
            guard isPlainFileName(file.name), file.name != fileName else {
                throw invalid("files: \(quoted(file.name)) is not a plain file name ([A-Za-z0-9._-], not starting with '.')")
            }
            guard names.insert(file.name).inserted else { throw invalid("files: \(quoted(file.name)) is listed twice") }
            guard file.bytes >= 0 else { throw invalid("files: \(file.name) has a negative size") }
            guard file.sha256.utf8.count == 64, file.sha256.utf8.allSatisfy(isLowerHexDigit) else {
                throw invalid("files: the sha256 of \(file.name) is not 64 lower-case hexadecimal digits")
            }
        }
        guard names.contains(databaseFileName) else { throw invalid("files does not list the database \(databaseFileName)") }
        return BackupManifest(
            created: wire.created, kmsdVersion: wire.kmsdVersion, schemaVersion: wire.schemaVersion, keyCount: wire.keyCount,
            rootKeyCheckValue: Array(checkValue),
            files: wire.files.map { File(name: $0.name, byteCount: $0.bytes, sha256: $0.sha256) }
        )
    }

    /// A name of 1–255 bytes from `[A-Za-z0-9._-]` that does not start with `.`: no directory
    /// part, never `.` or `..`, nothing a shell or SQLite URI would read specially.
    static func isPlainFileName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...255).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private static func isLowerHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// A name for a message: at most 64 characters, control characters escaped.
    private static func quoted(_ name: String) -> String {
        let short = name.count > 64 ? String(name.prefix(64)) + "…" : name
        return "'" + short.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined() + "'"
    }

    private static func invalid(_ problem: String) -> BackupError {
        BackupError(.invalidManifest, "the backup manifest is not valid: \(problem)")
    }

    /// Which field is wrong, without echoing the input.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var path = ""
            for key in keys {
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += (path.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return path
        }
        func path(_ context: DecodingError.Context) -> String {
            let text = path(context.codingPath)
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not JSON" : "\(path(context)) is not valid"
        @unknown default:
            return "it cannot be read"
        }
    }

    /// The JSON shape, field for field.
    private struct Wire: Codable {
        var format: String
        var formatVersion: Int
        var created: Date
        var kmsdVersion: String?
        var store: String
        var schemaVersion: Int
        var keyCount: Int
        var rootKeyCheckValue: String
        var files: [WireFile]

        enum CodingKeys: String, CodingKey {
            case format
            case formatVersion = "format_version"
            case created
            case kmsdVersion = "kmsd_version"
            case store
            case schemaVersion = "schema_version"
            case keyCount = "key_count"
            case rootKeyCheckValue = "root_key_check_value"
            case files
        }

        init(
            format: String, formatVersion: Int, created: Date, kmsdVersion: String?, store: String, schemaVersion: Int,
            keyCount: Int, rootKeyCheckValue: String, files: [WireFile]
        ) {
            self.format = format
            self.formatVersion = formatVersion
            self.created = created
            self.kmsdVersion = kmsdVersion
            self.store = store
            self.schemaVersion = schemaVersion
            self.keyCount = keyCount
            self.rootKeyCheckValue = rootKeyCheckValue
            self.files = files
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            format = try container.decodeNamingKey(String.self, forKey: .format)
            formatVersion = try container.decodeNamingKey(Int.self, forKey: .formatVersion)
            created = try container.decodeNamingKey(Date.self, forKey: .created)
            kmsdVersion = try container.decodeIfPresentNamingKey(String.self, forKey: .kmsdVersion)
            store = try container.decodeNamingKey(String.self, forKey: .store)
            schemaVersion = try container.decodeNamingKey(Int.self, forKey: .schemaVersion)
            keyCount = try container.decodeNamingKey(Int.self, forKey: .keyCount)
            rootKeyCheckValue = try container.decodeNamingKey(String.self, forKey: .rootKeyCheckValue)
            files = try container.decodeNamingKey([WireFile].self, forKey: .files)
        }

        /// Writes `kmsd_version` as `null` when unknown, so the field is always there to read.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(format, forKey: .format)
            try container.encode(formatVersion, forKey: .formatVersion)
            try container.encode(created, forKey: .created)
            try container.encode(kmsdVersion, forKey: .kmsdVersion)
            try container.encode(store, forKey: .store)
            try container.encode(schemaVersion, forKey: .schemaVersion)
            try container.encode(keyCount, forKey: .keyCount)
            try container.encode(rootKeyCheckValue, forKey: .rootKeyCheckValue)
            try container.encode(files, forKey: .files)
        }
    }

    private struct WireFile: Codable {
        var name: String
        var bytes: Int
        var sha256: String

        enum CodingKeys: String, CodingKey {
            case name, bytes, sha256
        }

        init(name: String, bytes: Int, sha256: String) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeNamingKey(String.self, forKey: .name)
            bytes = try container.decodeNamingKey(Int.self, forKey: .bytes)
            sha256 = try container.decodeNamingKey(String.self, forKey: .sha256)
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a field; a value Foundation finds corrupt without saying where (a fraction or
    /// an out-of-range number for an integer, a malformed date) is reported at its key.
    fileprivate func decodeNamingKey<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        do {
            return try decode(type, forKey: key)
        } catch {
            throw located(error, at: key)
        }
    }

    /// Decodes an optional field as `decodeNamingKey` does; absent or `null` is `nil`.
    fileprivate func decodeIfPresentNamingKey<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        do {
            return try decodeIfPresent(type, forKey: key)
        } catch {
            throw located(error, at: key)
        }
    }

    /// `error`, or for an error that names no place (Foundation's own number errors are not
    /// even `DecodingError`s until the top level), a `dataCorrupted` error at `key`.
    private func located(_ error: any Error, at key: Key) -> any Error {
        if let error = error as? DecodingError {
            guard case .dataCorrupted(let context) = error, context.codingPath.isEmpty else { return error }
        }
        return DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a valid value")
    }
}
