import KMSCore

extension ServerConfiguration {
    /// The AWS KMS-compatible endpoint (`aws_compat:`): AWS's JSON 1.1 protocol over HTTPS
    /// with the same mutual TLS, identities, policies, quotas and audit as the gRPC listener
    /// (docs/AWS_COMPAT.md).
    public struct AWSCompat: Sendable, Equatable {
        /// The region in the key ARNs this server returns and accepts, unless configured.
        public static let defaultRegion = "local"
        /// The account id in the key ARNs this server returns and accepts, unless configured.
        public static let defaultAccountID = "000000000000"

        /// Where the endpoint listens.
        public var listen: HostPort
        /// The region of this server's ARNs (`arn:aws:kms:<region>:<account>:key/<id>`).
        public var region: String
        /// The twelve-digit account id of this server's ARNs.
        public var accountID: String

        public init(listen: HostPort, region: String = defaultRegion, accountID: String = defaultAccountID) {
            self.listen = listen
            self.region = region
            self.accountID = accountID
        }
    }

    /// Reads `aws_compat:`.
    ///
    /// - Throws: `ConfigurationError` naming an unknown key, a missing `listen`, a region
    ///   that is not lowercase letters, digits and dashes, or an account id that is not
    ///   twelve digits.
    static func awsCompat(_ value: ConfigValue) throws -> AWSCompat {
        let fields = try value.mapping(at: "aws_compat", allowed: ["listen", "region", "account_id"])
        var settings = AWSCompat(
            listen: try listenAddress(fields.required("listen", in: "aws_compat").string(at: "aws_compat.listen"), key: "aws_compat.listen")
        )
        if let region = try fields["region"]?.string(at: "aws_compat.region") {
            guard (1...32).contains(region.count), region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                throw ConfigurationError("aws_compat.region: '\(region)' is not a region name (lowercase letters, digits and dashes)")
            }
            settings.region = region
        }
        if let account = try fields["account_id"]?.string(at: "aws_compat.account_id") {
            guard account.count == 12, account.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ConfigurationError("aws_compat.account_id: '\(account)' is not a twelve-digit account id")
            }
            settings.accountID = account
        }
        return settings
    }
}
