import ArgumentParser
import Foundation
import GRPCCore
import KMSClient
import KMSCommandLine
import KMSCore
import KMSProto
import SwiftProtobuf

/// The options every server subcommand takes: the connection options shared with
/// kms-bench (`ConnectionArguments`: server, mutual-TLS credentials, timeout) and the
/// output format.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionArguments

    @Flag(help: "Print the response as one JSON object (bytes fields in base64), and any failure as one JSON object on stderr.")
    var json = false

    func validate() throws {
        _ = try hostPort()
    }

    /// The server address from --target, $KMS_TARGET or the default: exactly one.
    ///
    /// - Throws: `ValidationError` when the address is not one `host:port`.
    func hostPort() throws(ValidationError) -> HostPort {
        do {
            return try connection.options.singleTarget()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The options of every call: the --timeout deadline.
    var callOptions: CallOptions { connection.options.callOptions }

    /// Connects to the server, runs `body` with the KMS client and closes the connection.
    ///
    /// - Throws: `ConnectionSetupError` when a credential file is unreadable or unusable;
    ///   `RPCError` from the transport or the call; whatever `body` throws.
    func withClient<Result: Sendable>(_ body: (KMSServiceClient) async throws -> Result) async throws -> Result {
        let credentials = try connection.options.readableCredentials()
        return try await KMSConnection.withClient(target: try hostPort(), credentials: credentials, body)
    }

    /// Connects to the server, runs `body` with the gRPC health client and closes the connection.
    ///
    /// - Throws: as `withClient`.
    func withHealthClient<Result: Sendable>(_ body: (HealthClient) async throws -> Result) async throws -> Result {
        let transport = try KMSConnection.transport(target: try hostPort(), credentials: try connection.options.readableCredentials())
        return try await withGRPCClient(transport: transport) { client in
            try await body(HealthClient(wrapping: client))
        }
    }

    /// Prints `response` as JSON with --json; otherwise runs `human`, which prints it for people.
    ///
    /// - Throws: what JSON encoding or `human` throws.
    func emit<Response: SwiftProtobuf.Message>(_ response: Response, human: () throws -> Void) throws {
        if json {
            print(try response.jsonString())
        } else {
            try human()
        }
    }
}
