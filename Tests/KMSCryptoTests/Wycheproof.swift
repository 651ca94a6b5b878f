import Foundation

/// A vector file that is not in the test bundle.
struct MissingWycheproofFile: Error {
    let name: String
}

/// One Wycheproof vector file (testvectors_v1 layout) from `Resources/wycheproof`.
struct WycheproofFile<Group: Decodable>: Decodable {
    let algorithm: String
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

/// Whether a Wycheproof vector must succeed or fail. The files used here have no
/// "acceptable" vectors, so decoding one is an error that fails the test.
enum WycheproofResult: String, Decodable {
    case valid
    case invalid
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

/// Counts of vectors a harness ran, by expected result.
struct WycheproofTally: Equatable, CustomStringConvertible {
    var valid = 0
    var invalid = 0

    var total: Int { valid + invalid }

    mutating func count(_ result: WycheproofResult) {
        switch result {
        case .valid: valid += 1
        case .invalid: invalid += 1
        }
    }

    var description: String { "\(total) vectors (\(valid) valid, \(invalid) invalid)" }
}
