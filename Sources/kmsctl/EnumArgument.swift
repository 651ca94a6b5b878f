import ArgumentParser
import KMSClient

/// Formats `values` as a list for human output: `RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1`.
func displayList<Value: ProtoNamed>(_ values: [Value]) -> String {
    values.map(\.displayName).joined(separator: ", ")
}

/// An option's value that is one of a proto enum's values, named as `ProtoNamed` names it
/// and matched without regard to case (`--signing-algorithm ecdsa_sha_256`). The zero value
/// (`UNSPECIFIED`) is not accepted: leaving the option out asks for it.
struct EnumArgument<Value: ProtoNamed>: ExpressibleByArgument {
    /// The chosen value.
    let value: Value

    init?(argument: String) {
        guard let value = Value(named: argument) else { return nil }
        self.value = value
    }

    var defaultValueDescription: String { value.displayName }

    static var allValueStrings: [String] { Value.names }

    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

