import ArgumentParser
import KMSCore

/// One `key=value` argument, as `--context` and `--tag` take it.
struct KeyValuePair: Sendable, Equatable {
    let key: String
    let value: String

    /// Splits `text` at its first `=`, so the value may itself contain `=`.
    ///
    /// - Throws: `ValidationError` when there is no `=` or nothing before it.
    init(parsing text: String) throws(ValidationError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ValidationError("expected key=value")
        }
        guard equals != text.startIndex else {
            throw ValidationError("the key before '=' is empty")
        }
        key = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
    }

    /// Collects `pairs` into a dictionary.
    ///
    /// - Throws: `ValidationError` naming `option` when a key is given twice.
    static func dictionary(_ pairs: [KeyValuePair], option: String) throws(ValidationError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            guard result.updateValue(pair.value, forKey: pair.key) == nil else {
                throw ValidationError("\(option) gives the key '\(pair.key)' twice")
            }
        }
        return result
    }

    /// Collects `pairs` into an encryption context, checked against the API's limits.
    ///
    /// - Throws: `ValidationError` naming `option` for a repeated key, an empty value, or
    ///   more pairs or bytes than an encryption context may hold.
    static func encryptionContext(_ pairs: [KeyValuePair], option: String) throws(ValidationError) -> EncryptionContext {
        let dictionary = try dictionary(pairs, option: option)
        do {
            return try EncryptionContext(dictionary, field: option)
        } catch {
            throw ValidationError(error.message)
        }
    }
}

/// `--context k=v …`: the encryption context of one request.
struct ContextOptions: ParsableArguments {
    @Option(
        name: .customLong("context"),
        help: ArgumentHelp("An encryption context pair; repeat for more. Split at the first '='.", valueName: "key=value"),
        transform: { try KeyValuePair(parsing: $0) }
    )
    var pairs: [KeyValuePair] = []

    func validate() throws {
        _ = try encryptionContext()
    }

    /// The pairs as a checked encryption context.
    ///
    /// - Throws: `ValidationError` as `KeyValuePair.encryptionContext`.
    func encryptionContext() throws(ValidationError) -> EncryptionContext {
        try KeyValuePair.encryptionContext(pairs, option: "--context")
    }
}
