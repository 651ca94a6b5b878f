import Foundation
import KMSCore
import KMSPolicy

/// The policy engine deciding a request against a 20-statement key policy plus a server
/// policy, against the floor of an empty call that takes the same request.
enum PolicyBenchmark {
    static func run(seconds: Double) throws -> [Measurement] {
        let keyID = KeyID.random()
        let keyPolicy = try CompiledPolicy.compile(twentyStatementPolicy(keyID: keyID))
        let serverPolicy = try CompiledPolicy.compile("""
        {"Statement": [{"Sid": "Operators", "Effect": "Allow", "Principal": "spiffe://prod.example/ns/kms-admin/*", "Action": "kms:*", "Resource": "*"}]}
        """)
        let request = AccessRequest(
            principal: Principal("spiffe://prod.example/ns/payments/sa/api"),
            action: .decrypt,
            keyID: keyID,
            keySpec: .symmetricDefault,
            keyUsage: .encryptDecrypt,
            encryptionContext: try EncryptionContext(["tenant": "acme", "purpose": "orders"]),
            sourceIP: "10.1.2.3",
            currentTime: Date()
        )
        precondition(PolicyEngine.decide(request, keyPolicy: keyPolicy, serverPolicy: serverPolicy).isAllowed)
        return Measurement.interleaved([
            ("policy floor: empty call", { Sink.consume(emptyDecision(request) ? 1 : 0) }),
            ("policy: decide, 20-statement key policy + server policy", {
                Sink.consume(PolicyEngine.decide(request, keyPolicy: keyPolicy, serverPolicy: serverPolicy).isAllowed ? 1 : 0)
            }),
        ], seconds: seconds)
    }

    @inline(never)
    static func emptyDecision(_ request: AccessRequest) -> Bool {
        request.action == .decrypt
    }

    /// Twenty statements of the kinds real key policies have; the request above is
    /// allowed by the 18th and checked against the Deny statements too.
    static func twentyStatementPolicy(keyID: KeyID) -> String {
        var statements: [String] = [
            #"{"Sid": "Admins", "Effect": "Allow", "Principal": "spiffe://prod.example/ns/kms-admin/*", "Action": "kms:*", "Resource": "*"}"#,
            #"{"Sid": "DenyOutsideCluster", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"NotIpAddress": {"kms:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}}"#,
            #"{"Sid": "DenyDevTenants", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:tenant": "dev-*"}}}"#,
        ]
        for index in 0..<14 {
            statements.append("""
            {"Sid": "Service\(index)", "Effect": "Allow", "Principal": "spiffe://prod.example/ns/service-\(index)/*", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": ["t\(index)", "shared"]}}}
            """)
        }
        statements.append(#"{"Sid": "Payments", "Effect": "Allow", "Principal": "spiffe://prod.example/ns/payments/*", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "key/\#(keyID)", "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}, "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant", "purpose"]}}}"#)
        statements.append(#"{"Sid": "Auditors", "Effect": "Allow", "Principal": "spiffe://prod.example/ns/audit/*", "Action": ["kms:DescribeKey", "kms:GetKeyPolicy"], "Resource": "*"}"#)
        statements.append(#"{"Sid": "BusinessHours", "Effect": "Allow", "Principal": "CN=batch,O=Example", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"DateGreaterThan": {"kms:CurrentTime": "2020-01-01T00:00:00Z"}}}"#)
        precondition(statements.count == 20)
        return #"{"Version": "2012-10-17", "Statement": ["# + statements.joined(separator: ",\n") + "]}"
    }
}
