import ArgumentParser
import KMSProto

/// `kmsctl get-caller-identity` (`whoami`): GetCallerIdentity.
struct GetCallerIdentity: KMSCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-caller-identity",
        abstract: "Print the principal the server sees for these credentials (GetCallerIdentity).",
        aliases: ["whoami"]
    )

    @OptionGroup var global: GlobalOptions

    func execute() async throws {
        let response = try await global.withClient { [global] client in
            try await client.getCallerIdentity(Kms_V1_GetCallerIdentityRequest(), options: global.callOptions)
        }
        try global.emit(response) {
            printLabelled(
                [("Principal", response.principal), ("CertificateSubject", response.certificateSubject)]
                    + response.certificateSans.map { ("CertificateSAN", $0) }
            )
        }
    }
}

/// `kmsctl health`: grpc.health.v1.Health/Check.
struct Health: KMSCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the server is serving (grpc.health.v1.Health/Check).",
        discussion: "Prints the serving status; exits with status 1 unless it is SERVING."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The service to ask about; empty for the server as a whole.")
    var service: String = ""

    func execute() async throws {
        let request = Grpc_Health_V1_HealthCheckRequest.with { $0.service = service }
        let response = try await global.withHealthClient { [global] client in
            try await client.check(request, options: global.callOptions)
        }
        try global.emit(response) { print(response.status.displayName) }
        guard response.status == .serving else { throw ExitCode.failure }
    }
}
