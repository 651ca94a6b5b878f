import Foundation

/// The fixed test vector of docs/ENVELOPE_FILE.md, made by an independent implementation of
/// the documented format. Files written today must decrypt forever, so this never changes.
enum EnvelopeFileVector {
    static let envelopeHex =
        "534b4d53454e5631" + "00000400" + "00000003" + "65646b" + "00000011"
        + "00010007707572706f7365000474657374" + "a0a1a2a3a4a5a6"
        + "1f042572d72ac0a56d13bd43a0fede5135659c9bd797973e0b26c496b8a137"
}

extension Data {
    /// Parses lower-case hex; `nil` for anything else.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(bytes)
    }
}
