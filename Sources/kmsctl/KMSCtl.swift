import ArgumentParser
import Foundation
import KMSBuildInfo
import KMSClient

/// `kmsctl`: the command-line client of swift-kms, one subcommand per RPC.
@main
struct KMSCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmsctl",
        abstract: "Command-line client of the swift-kms key management server.",
        discussion: """
            Every server subcommand connects over mutual TLS to --target (default $KMS_TARGET, \
            else 127.0.0.1:8443) with the credentials of --ca/--cert/--cert-key (default \
            $KMS_CA/$KMS_CERT/$KMS_CERT_KEY, else the admin credentials `kmsd dev` writes into \
            --dev-dir). Keys are always named with --key-id, which takes a key id or an \
            alias (alias/NAME). A failed call prints \
            `kmsctl: <REASON> (<gRPC code>): <message>` on stderr, or with --json one object \
            {"code","reason","message","request_id"}. Exit status: 0 ok; 1 refused or failed; \
            2 a negative answer (verify, verify-mac, failed batch items); 3 worth retrying \
            (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED); 4 the TLS connection could \
            not be set up; 64 usage error.
            """,
        version: "kmsctl \(BuildInfo.description)",
        subcommands: [
            CreateKey.self, DescribeKey.self, ListKeys.self,
            Encrypt.self, Decrypt.self, ReEncrypt.self,
            GenerateDataKey.self, GenerateDataKeyWithoutPlaintext.self, GenerateRandom.self,
            Sign.self, Verify.self, GetPublicKey.self, GenerateMac.self, VerifyMac.self,
            GenerateDataKeyPair.self, GenerateDataKeyPairWithoutPlaintext.self,
            EnableKey.self, DisableKey.self, UpdateKeyDescription.self,
            TagResource.self, UntagResource.self, ListResourceTags.self,
            ScheduleKeyDeletion.self, CancelKeyDeletion.self,
            EnableKeyRotation.self, DisableKeyRotation.self, GetKeyRotationStatus.self,
            RotateKeyOnDemand.self, ListKeyRotations.self,
            DisableKeyVersion.self, EnableKeyVersion.self,
            CreateAlias.self, UpdateAlias.self, DeleteAlias.self, ListAliases.self,
            GetKeyPolicy.self, PutKeyPolicy.self,
            CreateGrant.self, ListGrants.self, ListRetirableGrants.self, RetireGrant.self, RevokeGrant.self,
            PolicyGroup.self, AuditGroup.self,
            GetCallerIdentity.self, Health.self,
            Envelope.self,
            BatchEncrypt.self, BatchDecrypt.self, BatchGenerateDataKey.self,
        ]
    )

    /// ArgumentParser's `main()`, except that with `--json` a usage error is reported as a
    /// JSON object (code `USAGE`) on stderr; its exit status stays ArgumentParser's.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard FailureReport.json, !(error is ExitCode), code != .success else { exit(withError: error) }
            let failure = FailureSummary(code: FailureSummary.usageCode, message: message(for: error), exitStatus: .usage)
            _ = FailureReport.write(failure)
            Foundation.exit(code.rawValue)
        }
    }
}
