import Foundation
@testable import KMSServer
import Testing

/// The `manifest.json` of `kmsd backup`: it round-trips, its JSON has the documented shape,
/// and whatever a hostile or damaged file holds is refused with a message, never a crash, a
/// path outside the backup directory or an unbounded read.
@Suite("backup manifest")
struct BackupManifestTests {
    static let digest = String(repeating: "0123456789abcdef", count: 4)

    static let manifest = BackupManifest(
        created: Date(timeIntervalSince1970: 1_800_000_000), kmsdVersion: nil, schemaVersion: 4, keyCount: 12,
        rootKeyCheckValue: Array(0..<53), files: [BackupManifest.File(name: "kms.sqlite", byteCount: 53248, sha256: digest)]
    )

    /// The manifest's JSON as an object, to edit one field.
    static func object(_ manifest: BackupManifest = manifest) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: manifest.encoded()) as? [String: Any])
    }

    static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    /// Decodes and expects the refusal to mention `problem`.
    static func expectRefused(_ data: Data, mentioning problem: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do throws(BackupError) {
            let decoded = try BackupManifest.decode(data)
            Issue.record("decoded \(decoded)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .invalidManifest, sourceLocation: sourceLocation)
            #expect(error.message.contains(problem), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.count < 400, "the message stays short: \(error.message.count)", sourceLocation: sourceLocation)
        }
    }

    @Test func roundTripsWithAndWithoutAVersion() throws {
        #expect(try BackupManifest.decode(Self.manifest.encoded()) == Self.manifest)
        var versioned = Self.manifest
        versioned.kmsdVersion = "1.4.0"
        versioned.files.append(BackupManifest.File(name: "audit-0001.jsonl", byteCount: 0, sha256: Self.digest))
        #expect(try BackupManifest.decode(versioned.encoded()) == versioned)
        #expect(versioned.database == versioned.files[0])
    }

    @Test func theJSONHasTheDocumentedShape() throws {
        let object = try Self.object()
        #expect(Set(object.keys) == [
            "format", "format_version", "created", "kmsd_version", "store", "schema_version", "key_count",
            "root_key_check_value", "files",
        ])
        #expect(object["format"] as? String == "swift-kms-backup")
        #expect(object["format_version"] as? Int == 1)
        #expect(object["created"] as? String == "2027-01-15T08:00:00Z")
        #expect(object["kmsd_version"] is NSNull, "an unknown version is written as null")
        #expect(object["store"] as? String == "sqlite")
        #expect(object["schema_version"] as? Int == 4)
        #expect(object["key_count"] as? Int == 12)
        #expect(object["root_key_check_value"] as? String == Data(0..<53).base64EncodedString())
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.count == 1)
        #expect(files[0]["name"] as? String == "kms.sqlite")
        #expect(files[0]["bytes"] as? Int == 53248)
        #expect(files[0]["sha256"] as? String == Self.digest)
        let text = try #require(String(data: Self.manifest.encoded(), encoding: .utf8))
        #expect(text.hasSuffix("}\n"))
        #expect(!text.contains("\\/"), "slashes are written plainly")
    }

    @Test func aMissingKmsdVersionReadsAsNil() throws {
        var object = try Self.object()
        object.removeValue(forKey: "kmsd_version")
        #expect(try BackupManifest.decode(Self.data(object)).kmsdVersion == nil)
    }

    @Test func unknownFieldsAreIgnored() throws {
        var object = try Self.object()
        object["comment"] = "written by a later minor version"
        #expect(try BackupManifest.decode(Self.data(object)) == Self.manifest)
    }

    @Test(arguments: [
        ("", "it is not JSON"),
        ("[]", "wrong type"),
        ("null", "wrong type"),
        ("\"manifest\"", "wrong type"),
        ("{", "it is not JSON"),
        ("{}", "format is missing"),
        ("\u{FEFF}{\"format\": 1}", "format"),
    ])
    func notAManifestIsRefused(text: String, problem: String) {
        Self.expectRefused(Data(text.utf8), mentioning: problem)
    }

    @Test func invalidUTF8IsRefused() {
        Self.expectRefused(Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]), mentioning: "the backup manifest is not valid")
    }

    /// A field set to a JSON value (given as JSON text), and what the refusal must mention.
    @Test(arguments: [
        ("format", #""tar""#, "format is not"),
        ("format_version", "2", "format_version 2 is not 1"),
        ("format_version", #""1""#, "format_version has the wrong type"),
        ("store", #""postgres""#, "store is not"),
        ("schema_version", "0", "schema_version must be 1 or more"),
        ("schema_version", "1.5", "schema_version is not valid"),
        ("key_count", "-1", "key_count must not be negative"),
        ("key_count", "1e300", "key_count is not valid"),
        ("key_count", "null", "key_count"),
        ("created", #""yesterday""#, "created is not valid"),
        ("created", "1800000000", "created"),
        ("kmsd_version", "\"" + String(repeating: "v", count: 129) + "\"", "kmsd_version is longer"),
        ("kmsd_version", "7", "kmsd_version"),
        ("root_key_check_value", #""not base64!""#, "root_key_check_value is not the base64"),
        ("root_key_check_value", #""""#, "root_key_check_value is not the base64"),
        ("root_key_check_value", "\"" + Data(count: 1025).base64EncodedString() + "\"", "root_key_check_value is not the base64"),
        ("files", "[]", "files must list"),
        ("files", #""kms.sqlite""#, "files has the wrong type"),
        ("files", #"[{"name": "kms.sqlite", "bytes": "1", "sha256": ""}]"#, "files[0].bytes has the wrong type"),
    ])
    func aWrongFieldIsRefused(field: String, json: String, problem: String) throws {
        var object = try Self.object()
        object[field] = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        Self.expectRefused(try Self.data(object), mentioning: problem)
    }

    @Test(arguments: ["format", "format_version", "created", "store", "schema_version", "key_count", "root_key_check_value", "files"])
    func aMissingFieldIsRefused(field: String) throws {
        var object = try Self.object()
        object.removeValue(forKey: field)
        Self.expectRefused(try Self.data(object), mentioning: "\(field) is missing")
    }

    @Test(arguments: [
        "../kms.sqlite", "/etc/passwd", "dir/kms.sqlite", "..", ".", ".hidden", "", "kms.sqlite\0", "kms\nsqlite",
        "manifest.json", "kms.sqlite?mode=rw", "käse.sqlite", String(repeating: "a", count: 256),
    ])
    func aFileNameThatIsNotPlainIsRefused(name: String) throws {
        var object = try Self.object()
        object["files"] = [["name": "kms.sqlite", "bytes": 1, "sha256": Self.digest], ["name": name, "bytes": 1, "sha256": Self.digest]]
        Self.expectRefused(try Self.data(object), mentioning: "is not a plain file name")
    }

    @Test func fileEntriesAreChecked() throws {
        func files(_ entries: [[String: Any]]) throws -> Data {
            var object = try Self.object()
            object["files"] = entries
            return try Self.data(object)
        }
        let database: [String: Any] = ["name": "kms.sqlite", "bytes": 1, "sha256": Self.digest]
        Self.expectRefused(try files([database, database]), mentioning: "is listed twice")
        Self.expectRefused(try files([["name": "other", "bytes": 1, "sha256": Self.digest]]), mentioning: "does not list the database kms.sqlite")
        Self.expectRefused(try files([["name": "kms.sqlite", "bytes": -1, "sha256": Self.digest]]), mentioning: "negative size")
        for digest in [Self.digest.uppercased(), String(Self.digest.dropLast()), Self.digest + "0", String(repeating: "g", count: 64), ""] {
            Self.expectRefused(try files([["name": "kms.sqlite", "bytes": 1, "sha256": digest]]), mentioning: "is not 64 lower-case hexadecimal digits")
        }
        Self.expectRefused(try files([["name": "kms.sqlite", "bytes": 1]]), mentioning: "files[0].sha256 is missing")
        let many = (0..<17).map { ["name": "f\($0)", "bytes": 1, "sha256": Self.digest] as [String: Any] } + [database]
        Self.expectRefused(try files(many), mentioning: "files must list 1–16 files")
    }

    @Test func anOversizedManifestIsRefusedUnparsed() throws {
        var object = try Self.object()
        object["padding"] = String(repeating: " ", count: BackupManifest.maximumByteCount)
        Self.expectRefused(try Self.data(object), mentioning: "more than the 65536 a manifest may have")
    }

    @Test func deepNestingIsRefusedWithoutACrash() {
        let depth = 10_000
        let text = "{\"files\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        Self.expectRefused(Data(text.utf8), mentioning: "the backup manifest is not valid")
    }

    @Test func aFileNameInAMessageIsShortAndEscaped() throws {
        var object = try Self.object()
        let name = "\u{1B}[31m" + String(repeating: "x", count: 200)
        object["files"] = [["name": name, "bytes": 1, "sha256": Self.digest]]
        let data = try Self.data(object)
        do throws(BackupError) {
            _ = try BackupManifest.decode(data)
            Issue.record("decoded")
        } catch {
            #expect(!error.message.contains("\u{1B}"), "control characters are escaped")
            #expect(error.message.contains("…"), "long names are cut")
        }
    }
}
