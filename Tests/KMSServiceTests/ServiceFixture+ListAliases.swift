import KMSPolicy
import KMSService

extension ServiceFixture {
    /// The fixture's server policy, plus `kms:ListAliases` for the admin.
    static let aliasListingServerPolicy = """
    {"Version": "2012-10-17", "Statement": [
      {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin",
       "Action": ["kms:CreateKey", "kms:ListKeys", "kms:ListAliases"], "Resource": "*"}
    ]}
    """

    /// A second service over the same store and root key whose server policy lets the
    /// admin list aliases (the fixture's own policy does not).
    func aliasListingService() throws -> KeyManagementService {
        KeyManagementService(store: store, rootKey: rootKey, serverPolicy: try CompiledPolicy.compile(Self.aliasListingServerPolicy))
    }
}
