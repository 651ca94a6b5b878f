import Crypto
import Foundation
import KMSAudit
import KMSClient
import KMSCore
import KMSCrypto
import KMSDevPKI
import KMSPolicy
import KMSProto
import KMSServer
import SwiftASN1
import SwiftProtobuf
import X509

/// Writes the seed corpora of the fuzz targets to `Fuzz/corpus/<target>/` (run from the
/// package root: `tools/fuzz.sh --seeds`), from the test vectors, the documentation's
/// examples and certificates, CRLs, blobs and files made by the project's own code.
///
/// Certificates, CRLs and blobs carry fresh keys and random bytes, so a new run writes
/// different files: run it only to change the corpora, and commit what it wrote. It leaves
/// other files alone, such as the `regression-*` inputs that once broke a property.
///
/// It is built like the fuzz targets (with `-sanitize=fuzzer`, whose `main` is libFuzzer's),
/// so it does its work in `LLVMFuzzerInitialize`, which libFuzzer calls first, and exits.
@_cdecl("LLVMFuzzerInitialize")
public func writeSeeds(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    do {
        try FuzzSeeds.main()
    } catch {
        FileHandle.standardError.write(Data("FuzzSeeds: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func noInput(_ data: UnsafeRawPointer, _ size: Int) -> CInt { 0 }

enum FuzzSeeds {
    static let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Fuzz/corpus")

    static func main() throws {
        try ciphertextBlobs()
        try envelopeFiles()
        try policies()
        try configurations()
        let certificates = try certificateSeeds()
        try forwardedHeaders(certificates)
        try revocationLists()
        try auditLines()
        try requestMessages()
    }

    // MARK: Writing

    static func write(_ target: String, _ name: String, _ bytes: some Sequence<UInt8>) throws {
        let directory = root.appendingPathComponent(target)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: directory.appendingPathComponent(name))
        print("\(target)/\(name)")
    }

    static func write(_ target: String, _ name: String, text: String) throws {
        try write(target, name, Array(text.utf8))
    }

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)!
        }
    }

    /// The fenced blocks of `language` in a file of docs/.
    static func blocks(_ language: String, in document: String) throws -> [String] {
        let text = try String(contentsOfFile: "docs/\(document)", encoding: .utf8)
        return text.components(separatedBy: "```\(language)\n").dropFirst().compactMap { $0.components(separatedBy: "\n```").first }
    }

    // MARK: Targets

    /// The test vectors of docs/CIPHERTEXT.md (formats 1 and 2), blobs sealed under their key,
    /// and near misses.
    static func ciphertextBlobs() throws {
        let target = "ciphertext-blob"
        let vector = hex("011b4e28ba2fa141d2883f0016d3cca42700000102"
            + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" + "c0c1c2c3c4c5c6c7c8c9cacb"
            + "ea4d297823ed5c5f390177ab3fe6b4a8392034277404a84aa6cdd210cd841f" + "da91527640a336130d206b669ff3d34f")
        try write(target, "vector", vector)
        try write(target, "vector-format-2", hex("021b4e28ba2fa141d2883f0016d3cca42700000102"
            + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" + "c0c1c2c3c4c5c6c7c8c9cacb"
            + "5a2e87b9ca6b599339dcd1390937067a75e6c98cb89c0f38a1b4674c2361b3" + "c9425dda92f6913789f5a508a6b2f9bf"))
        let material = try KeyMaterial(bytes: Array(0...31))
        let keyID = KeyID(string: "1b4e28ba-2fa1-41d2-883f-0016d3cca427")!
        let context = try EncryptionContext(["tenant": "acme", "purpose": "test-vector"])
        try write(target, "empty-plaintext", EnvelopeCipher.seal(
            SecretBytes(copying: []), keyID: keyID, version: 258, material: material, context: context))
        try write(target, "data-key", EnvelopeCipher.seal(
            SecretBytes(copying: Array(repeating: 0x5A, count: 32)), keyID: keyID, version: 258, material: material, context: context))
        try write(target, "other-key-version-1", EnvelopeCipher.seal(
            SecretBytes(copying: Array("x".utf8)), keyID: KeyID.random(), version: 1, material: material, context: .empty))
        try write(target, "header-only", vector.prefix(CiphertextBlob.keyHeaderByteCount))
        try write(target, "format-1-body-labelled-2", [0x02] + vector.dropFirst())
        try write(target, "format-3", [0x03] + vector.dropFirst())
    }

    /// The vector of docs/ENVELOPE_FILE.md and files written by `EnvelopeFile.encrypt` under its key.
    static func envelopeFiles() throws {
        let target = "envelope-file"
        try write(target, "vector", hex("534b4d53454e5631" + "00000400" + "00000003" + "65646b" + "00000011"
            + "00010007707572706f7365000474657374" + "a0a1a2a3a4a5a6"
            + "1f042572d72ac0a56d13bd43a0fede5135659c9bd797973e0b26c496b8a137"))
        let key = SymmetricKey(data: (0..<32).map { UInt8($0) })
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kms-fuzz-seeds-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cases: [(String, Int, [String: String])] = [
            ("three-chunks", 2500, ["tenant": "acme", "purpose": "backup"]),
            ("two-full-chunks", 2048, [:]),
            ("empty", 0, ["a": "b"]),
        ]
        for (name, length, pairs) in cases {
            let plain = scratch.appendingPathComponent("\(name).txt")
            let sealed = scratch.appendingPathComponent("\(name).kmsenv")
            try Data((0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }).write(to: plain)
            try EnvelopeFile.encrypt(
                input: plain, output: sealed, dataKey: key, encryptedDataKey: Array("edk-\(name)".utf8),
                context: try EncryptionContext(pairs), chunkSize: 1024
            )
            try write(target, name, try Data(contentsOf: sealed))
        }
    }

    /// Every JSON example of docs/POLICY.md (a lone statement wrapped in a document), the
    /// default key policy, and the service tests' server policy.
    static func policies() throws {
        let target = "policy"
        for (index, json) in try blocks("json", in: "POLICY.md").enumerated() {
            let document = json.contains("\"Statement\"") ? json : #"{"Statement": \#(json)}"#
            try write(target, "docs-\(index + 1).json", text: document)
        }
        try write(target, "default-key-policy.json", text: DefaultKeyPolicy.json(creator: Principal("spiffe://prod.example/ns/payments/sa/api")))
        try write(target, "server-policy.json", text: """
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "Admin", "Effect": "Allow", "Principal": "spiffe://test.example/admin",
               "Action": ["kms:CreateKey", "kms:ListKeys", "kms:GenerateRandom", "kms:ListRetirableGrants", "kms:ExplainAccess"],
               "Resource": "*"},
              {"Sid": "AppsCreate", "Effect": "Allow", "Principal": "spiffe://test.example/ns/*",
               "Action": "kms:CreateKey", "Resource": "*"}
            ]}
            """)
    }

    /// examples/kmsd.yaml, a minimal configuration, and each YAML example of the docs on top of it.
    static func configurations() throws {
        let target = "server-configuration"
        let minimal = """
            listen: 127.0.0.1:8443
            data_dir: data
            tls:
              certificate: tls/server.pem
              private_key: tls/server-key.pem
              client_ca: tls/ca.pem

            """
        try write(target, "minimal.yaml", text: minimal)
        try write(target, "example.yaml", Array(try Data(contentsOf: URL(fileURLWithPath: "examples/kmsd.yaml"))))
        for document in ["CONFIGURATION.md", "IDENTITY.md", "DEPLOYMENT.md", "AUDIT.md", "OPERATIONS.md"] {
            for (index, yaml) in try blocks("yaml", in: document).enumerated() {
                // Keys the example gives replace the minimal configuration's.
                let given = Set(yaml.split(separator: "\n").compactMap { line -> String? in
                    guard let first = line.first, first != " ", first != "#", let colon = line.firstIndex(of: ":") else { return nil }
                    return String(line[..<colon])
                })
                var base = ""
                var skipping = false
                for line in minimal.split(separator: "\n", omittingEmptySubsequences: false) {
                    if let first = line.first, first != " " {
                        skipping = given.contains(String(line.prefix { $0 != ":" }))
                    }
                    if !skipping { base += line + "\n" }
                }
                let text = base + yaml + "\n"
                // Only the examples that make a whole configuration (others are fragments of
                // other files, such as Kubernetes manifests).
                guard (try? ServerConfiguration.parse(yaml: text, relativeTo: "/seed", environment: [:])) != nil else { continue }
                try write(target, "\(document.dropLast(3).lowercased())-\(index + 1).yaml", text: text)
            }
        }
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// Certificates from KMSDevPKI, as DER, of every shape the identity mapping tells apart,
    /// and two built by hand with an empty subject.
    static func certificateSeeds() throws -> [IssuedCredential] {
        let target = "certificate-identity"
        let authority = try DevCertificateAuthority()
        let clients = [
            ("spiffe-client", ClientCertificateRequest(commonName: "payments", spiffeIDs: ["spiffe://prod.example/ns/payments/sa/api"])),
            ("dn-only-client", ClientCertificateRequest(commonName: "legacy-app", organization: "Example")),
            ("dns-client", ClientCertificateRequest(commonName: "batch", dnsNames: ["batch.prod.example", "batch.example"])),
            ("two-spiffe-ids", ClientCertificateRequest(commonName: "twice", spiffeIDs: ["spiffe://a.example/x", "spiffe://b.example/y"])),
            ("invalid-spiffe-id", ClientCertificateRequest(commonName: "bad", spiffeIDs: ["spiffe://Prod.Example/x"])),
        ]
        var issued: [IssuedCredential] = []
        for (name, request) in clients {
            let credential = try authority.issueClient(request)
            issued.append(credential)
            try write(target, "\(name).der", try der(credential.certificate))
        }
        try write(target, "ca.der", try der(authority.certificate))
        try write(target, "server.der", try der(try authority.issueServer(hostnames: ["kms.example"], ipAddresses: ["127.0.0.1"]).certificate))
        try write(target, "svid.der", try der(try authority.issueSVID(spiffeID: "spiffe://prod.example/ns/kms/sa/kmsd", dnsNames: ["kms.example"]).certificate))

        // A certificate may have an empty subject when its names are in the SAN extension
        // (RFC 5280 §4.1.2.6), and a CA may issue one with none at all.
        let key = P256.Signing.PrivateKey()
        for (name, sans) in [("empty-subject-dns-san", [GeneralName.dnsName("app.example")]), ("empty-subject-no-san", [])] {
            let extensions = try Certificate.Extensions {
                if !sans.isEmpty { Critical(SubjectAlternativeNames(sans)) }
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 1_790_000_000), notValidAfter: Date(timeIntervalSince1970: 1_830_000_000),
                issuer: authority.certificate.subject, subject: DistinguishedName(),
                signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            try write(target, "\(name).der", try der(certificate))
        }
        return issued
    }

    /// Envoy's documented examples (as in ForwardedClientCertificateTests) and elements with a
    /// URL-encoded PEM certificate and chain from KMSDevPKI.
    static func forwardedHeaders(_ credentials: [IssuedCredential]) throws {
        let target = "forwarded-client-certificate"
        let hash = "468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688"
        let otherHash = "9ba61d6425303443c0748a02dd8de688468ed33be74eee6556d90c0149c1309e"
        try write(target, "envoy-uri", text: #"By=http://frontend.lyft.com;Hash=\#(hash);Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=http://testclient.lyft.com"#)
        try write(target, "envoy-two-hops", text: "By=http://frontend.lyft.com;Hash=\(hash);URI=http://testclient.lyft.com,"
            + "By=http://backend.lyft.com;Hash=\(otherHash);URI=http://frontend.lyft.com")
        try write(target, "envoy-rfc2253", text: #"By=spiffe://lyft.com/backend-team;Hash=\#(hash);Subject="emailAddress=frontend-team@lyft.com,CN=Test Frontend Team,OU=Lyft Engineering,O=Lyft,L=San Francisco,ST=California,C=US";URI=spiffe://lyft.com/frontend-team;URI=spiffe://lyft.com/other;URI=;DNS=lyft.com"#)
        try write(target, "quoted", text: #"Subject="CN=a \"quoted\" name,O=x;y=z";By="spiffe://a,b";URI="spiffe://td/p=q;r",DNS="second.example""#)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~+/="))
        let leaf = credentials[0].certificatePEM.addingPercentEncoding(withAllowedCharacters: allowed)!
        let chain = (credentials[0].certificatePEM + credentials[1].certificatePEM).addingPercentEncoding(withAllowedCharacters: allowed)!
        try write(target, "cert", text: "By=spiffe://prod.example/ns/mesh/sa/envoy;Hash=\(hash);Cert=\"\(leaf)\";URI=spiffe://prod.example/ns/payments/sa/api")
        try write(target, "cert-and-chain", text: "By=spiffe://prod.example/ns/mesh/sa/envoy;Cert=\(leaf);Chain=\(chain);DNS=batch.example")
    }

    /// CRLs from KMSDevPKI, as DER and PEM (one and two blocks).
    static func revocationLists() throws {
        let target = "certificate-revocation-list"
        let authority = try DevCertificateAuthority()
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let empty = try authority.issueCRL(revoking: [], thisUpdate: now, nextUpdate: now.addingTimeInterval(86_400))
        let revoking = try authority.issueCRL(
            revoking: [Certificate.SerialNumber(bytes: [0x01]), Certificate.SerialNumber(bytes: [0x00, 0xFF, 0x10])],
            thisUpdate: now, nextUpdate: nil
        )
        try write(target, "empty.der", empty)
        try write(target, "revoking.der", revoking)
        let pem = try authority.issueCRLPEM(revoking: [Certificate.SerialNumber(bytes: [0x2A])], thisUpdate: now, nextUpdate: now.addingTimeInterval(3600))
        try write(target, "one.pem", text: pem)
        try write(target, "two.pem", text: "Certificate Revocation List (CRL):\n        Version 2 (0x1)\n" + pem
            + PEMDocument(type: "X509 CRL", derBytes: revoking).pemString + "\n")
    }

    /// Lines written by `AuditLine.encode` (the records of AuditLineTests) and the line of
    /// docs/AUDIT.md from before records named their node.
    static func auditLines() throws {
        let target = "audit-line"
        let previous = String(repeating: "3c", count: 32)
        let full = AuditRecord(
            time: Date(timeIntervalSince1970: 1_795_000_000.25), requestID: "req-1", batchIndex: 2, node: "kms-a.example",
            principal: "CN=alice,O=Acme", proxy: "spiffe://prod.example/ns/mesh/sa/envoy", source: "192.0.2.7",
            action: "kms:ReEncrypt", keyID: "key-a", keyVersion: 3, alias: "alias/billing",
            destinationKeyID: "key-b", destinationKeyVersion: 7, outcome: .denied, reason: "ACCESS_DENIED",
            encryptionContextKeys: ["Tenant", "tenant_id"], encryptionContextHMAC: String(repeating: "ab", count: 32),
            encryptionContext: ["tenant_id": "acme", "Tenant": "Acme Corp \"quoted\"\n"], grantID: "grant-9"
        )
        let minimal = AuditRecord(
            time: Date(timeIntervalSince1970: 1_795_000_000), requestID: "req-2", principal: "bob", action: "kms:ListKeys",
            outcome: .allowed
        )
        try write(target, "full", AuditLine.encode(full, sequence: 42, previousHash: previous).line)
        try write(target, "minimal", AuditLine.encode(minimal, sequence: 1, previousHash: AuditLine.genesisHash).line)
        try write(target, "without-node", text: #"{"seq":2,"time":"2026-11-29T14:58:31.267610Z","request_id":"2afb1009-8136-4b26-b209-d71ec1095a36","#
            + #""principal":"spiffe://swift-kms.dev/admin","source":"127.0.0.1","action":"kms:Encrypt","#
            + #""key_id":"924ff602-7435-45d6-962c-1fde89875c1f","key_version":1,"outcome":"allowed","#
            + #""encryption_context_keys":["app","tenant"],"#
            + #""encryption_context_hmac":"f5a9b37a2d8ae478a1806cfcd8a64588abfd077ee5eb6fd390244328510b3435","#
            + #""prev_hash":"d13fb652d5c41be3eaf68dda0fd24e446383f310c0aabe1122045c07a5e3ab95","#
            + #""hash":"89751460dd8045c094ae40e9fe20988616105e1bf61370e57b56d6ff456e5dea"}"#)
    }

    /// kms.v1 requests as clients send them; Encrypt names the alias the fuzz target creates.
    static func requestMessages() throws {
        let target = "request-messages"
        func write<M: SwiftProtobuf.Message>(_ name: String, _ message: M) throws {
            try Self.write(target, name, try message.serializedBytes() as [UInt8])
        }
        try write("encrypt", Kms_V1_EncryptRequest.with {
            $0.keyID = "alias/fuzz"
            $0.plaintext = Data("hello, fuzz".utf8)
            $0.encryptionContext = ["tenant": "acme", "purpose": "fuzz"]
        })
        try write("encrypt-no-context", Kms_V1_EncryptRequest.with {
            $0.keyID = "alias/fuzz"
            $0.plaintext = Data(repeating: 0xAB, count: 64)
            $0.encryptionAlgorithm = .symmetricDefault
        })
        try write("decrypt", Kms_V1_DecryptRequest.with {
            $0.ciphertextBlob = Data(hex("011b4e28ba2fa141d2883f0016d3cca42700000102"
                + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" + "c0c1c2c3c4c5c6c7c8c9cacb"
                + "ea4d297823ed5c5f390177ab3fe6b4a8392034277404a84aa6cdd210cd841f" + "da91527640a336130d206b669ff3d34f"))
            $0.encryptionContext = ["tenant": "acme", "purpose": "test-vector"]
        })
        try write("create-key", Kms_V1_CreateKeyRequest.with {
            $0.description_p = "payments"
            $0.keySpec = .eccNistP256
            $0.keyUsage = .signVerify
            $0.tags = ["team": "payments"]
        })
        try write("batch-encrypt", Kms_V1_BatchEncryptRequest.with {
            $0.requests = [
                Kms_V1_EncryptRequest.with { $0.keyID = "alias/fuzz"; $0.plaintext = Data("a".utf8); $0.encryptionContext = ["i": "1"] },
                Kms_V1_EncryptRequest.with { $0.keyID = "alias/fuzz"; $0.plaintext = Data("b".utf8) },
            ]
        })
        try write("create-grant", Kms_V1_CreateGrantRequest.with {
            $0.keyID = "alias/fuzz"
            $0.granteePrincipal = "spiffe://prod.example/ns/payments/sa/worker"
            $0.operations = ["Encrypt", "Decrypt"]
        })
        try write("explain-access", Kms_V1_ExplainAccessRequest.with {
            $0.keyID = "alias/fuzz"
            $0.principal = "spiffe://prod.example/ns/payments/sa/worker"
            $0.action = "kms:Decrypt"
        })
    }
}
