import ArgumentParser
import Foundation
import KMSCore
import KMSProto

/// The request fields of every call on a message: Sign, Verify, GenerateMac and VerifyMac.
protocol MessageRequestFields {
    var keyID: String { get set }
    var message: Data { get set }
}

/// `--message TEXT | --message-file FILE`: what Sign, Verify, GenerateMac and VerifyMac work on.
struct MessageInput: InlineOrFileInput {
    static let rules = InputRules(
        inlineOption: "--message",
        fileOption: "--message-file",
        encoding: .utf8,
        limit: Limits.maxMessageBytes,
        limitName: "the largest message Sign and GenerateMac take"
    )

    @Option(name: .customLong("message"), help: ArgumentHelp("The message, as UTF-8 text.", valueName: "text"))
    var inline: String?

    @Option(name: .customLong("message-file"), help: ArgumentHelp("File holding the message bytes, or the digest with --message-type DIGEST ('-' for stdin).", valueName: "file"))
    var file: String?
}

/// `--key-id ID (--message TEXT | --message-file FILE)`: the key and the message of a call.
struct KeyMessageOptions: ParsableArguments {
    @Option(name: .customLong("key-id"), help: "The key's id or alias (alias/NAME).")
    var keyID: String

    @OptionGroup var message: MessageInput

    /// `empty` with the key and the message set.
    ///
    /// - Throws: `CommandFailure` when the message file cannot be read or is too large.
    func request<Request: MessageRequestFields>(_ empty: Request) throws -> Request {
        var request = empty
        request.keyID = keyID
        request.message = try message.bytes()
        return request
    }
}
