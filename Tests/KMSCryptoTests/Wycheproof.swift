import Foundation

/// A vector file that is not in the test bundle.
struct MissingWycheproofFile: Error {
    let name: String
}

/// One Wycheproof vector file (testvectors_v1 layout) from `Resources/wycheproof`.
struct WycheproofFile<Group: Decodable>: Decodable {
    let algorithm: String
    /// The schema the file follows, e.g. `ecdsa_p1363_verify_schema_v1.json`.
    let schema: String
    let numberOfTests: Int
    let testGroups: [Group]

    /// Loads `Resources/wycheproof/<name>.json` from the test bundle.
    static func load(_ name: String) throws -> WycheproofFile {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources/wycheproof") else {
            throw MissingWycheproofFile(name: name)
        }
        return try JSONDecoder().decode(WycheproofFile.self, from: Data(contentsOf: url))
    }
}

/// Whether a Wycheproof vector must succeed or fail.
enum WycheproofResult: String, Decodable {
    /// Must succeed with the exact output.
    case valid
    /// Must fail: no output, no crash.
    case invalid
    /// A legacy or borderline input that may go either way, but the same way every time.
    case acceptable
}

/// A hex string from a vector file, decoded.
struct HexBytes: Decodable {
    let bytes: [UInt8]

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = [UInt8](hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not hex: \(text)"))
        }
        self.bytes = bytes
    }
}

/// Counts of vectors a harness ran, by expected result, and of the vectors it did not run
/// because their group's parameters are ones the code under test does not offer.
struct WycheproofTally: Equatable, CustomStringConvertible {
    var valid = 0
    var invalid = 0
    var acceptable = 0
    var skipped = 0

    /// The vectors run.
    var total: Int { valid + invalid + acceptable }

    /// The vectors of the file: run or skipped. Harnesses compare it with `numberOfTests`.
    var seen: Int { total + skipped }

    mutating func count(_ result: WycheproofResult) {
        switch result {
        case .valid: valid += 1
        case .invalid: invalid += 1
        case .acceptable: acceptable += 1
        }
    }

    mutating func skip(_ count: Int) {
        skipped += count
    }

    var description: String {
        "\(total) vectors (\(valid) valid, \(invalid) invalid, \(acceptable) acceptable), \(skipped) skipped"
    }
}
