import ArgumentParser

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
            `kmsctl: <REASON> (<gRPC code>): <message>` on stderr and exits with status 1.
            """,
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
        ]
    )
}
