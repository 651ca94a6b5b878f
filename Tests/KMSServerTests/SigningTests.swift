import Crypto
import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSCrypto
import KMSProto
import Testing

/// Sign, Verify and GetPublicKey over mutual TLS, for every asymmetric key spec and each of
/// its algorithms.
@Suite struct SigningTests {
    /// The key specs that sign, each with its domain spec.
    static let signingSpecs: [(Kms_V1_KeySpec, KeySpec)] = [
        (.eccNistP256, .eccNistP256), (.eccNistP384, .eccNistP384), (.eccNistP521, .eccNistP521),
        (.ed25519, .ed25519), (.rsa2048, .rsa2048), (.rsa3072, .rsa3072), (.rsa4096, .rsa4096),
    ]

    @Test(arguments: signingSpecs.indices)
    func signThenVerifyWithEveryAlgorithmOfTheSpec(index: Int) async throws {
        let (protoSpec, spec) = Self.signingSpecs[index]
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                try await SigningCheck(client: client, protoSpec: protoSpec, spec: spec).run()
            }
        }
    }

    @Test func usageAndAlgorithmMismatchesAreInvalidKeyUsage() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let symmetric = try await client.createKey(.symmetricDefault)
                let p256 = try await client.createKey(.eccNistP256)
                let hmac = try await client.createKey(.hmac256)
                let rsaEncryption = try await client.createKey(.rsa2048, usage: .encryptDecrypt)
                let message = Data("hello".utf8)
                let usage = RPCFailure(code: .invalidArgument, reason: "INVALID_KEY_USAGE")
                #expect(await failure { try await client.sign(symmetric, message, .ecdsaSha256) } == usage)
                #expect(await failure { try await client.sign(hmac, message, .ecdsaSha256) } == usage)
                #expect(await failure { try await client.sign(rsaEncryption, message, .rsassaPssSha256) } == usage)
                #expect(await failure { try await client.sign(p256, message, .ecdsaSha384) } == usage)
                #expect(await failure { try await client.sign(p256, message, .rsassaPssSha256) } == usage)
                #expect(await failure { try await client.verify(hmac, message, Data([1]), .ecdsaSha256) } == usage)
                #expect(await failure { try await client.encrypt(.with { $0.keyID = p256; $0.plaintext = message }) } == usage)
                #expect(await failure { try await client.generateDataKey(.with { $0.keyID = p256; $0.keySpec = .aes256 }) } == usage)
                #expect(await failure { try await client.generateMac(.with { $0.keyID = p256; $0.message = message; $0.macAlgorithm = .hmacSha256 }) } == usage)
            }
        }
    }

    @Test func createKeyRefusesPairsOfSpecAndUsageThatDoNotExist() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let invalid = RPCFailure(code: .invalidArgument, reason: "VALIDATION")
                #expect(await failure { try await client.createKey(.eccNistP256, usage: .encryptDecrypt) } == invalid)
                #expect(await failure { try await client.createKey(.ed25519, usage: .generateVerifyMac) } == invalid)
                #expect(await failure { try await client.createKey(.hmac256, usage: .signVerify) } == invalid)
                #expect(await failure { try await client.createKey(.symmetricDefault, usage: .signVerify) } == invalid)
                #expect(await failure { try await client.createKey(.rsa2048, usage: .generateVerifyMac) } == invalid)
                #expect(await failure { try await client.createKey(Kms_V1_KeySpec(rawValue: 99)!) } == invalid)

                let p384 = try await client.createKey(.eccNistP384)
                let described = try await client.describeKey(.with { $0.keyID = p384 }).keyMetadata
                #expect(described.keyUsage == .signVerify)
                #expect(described.signingAlgorithms == [.ecdsaSha384])
                #expect(described.encryptionAlgorithms.isEmpty && described.macAlgorithms.isEmpty)
                let rsaKeyID = try await client.createKey(.rsa2048)
                let rsa = try await client.describeKey(.with { $0.keyID = rsaKeyID }).keyMetadata
                #expect(rsa.keyUsage == .encryptDecrypt, "RSA keys default to ENCRYPT_DECRYPT, as in AWS KMS")
                #expect(rsa.encryptionAlgorithms == [.rsaesOaepSha256, .rsaesOaepSha1])
            }
        }
    }

    @Test func signingInputsAreChecked() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let p256 = try await client.createKey(.eccNistP256)
                let ed25519 = try await client.createKey(.ed25519)
                let invalid = RPCFailure(code: .invalidArgument, reason: "VALIDATION")
                let tooLarge = RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED")
                #expect(await failure { try await client.sign(p256, Data(), .ecdsaSha256) } == invalid)
                #expect(await failure { try await client.sign(p256, Data(count: Limits.maxMessageBytes + 1), .ecdsaSha256) } == tooLarge)
                #expect(try await client.sign(p256, Data(count: Limits.maxMessageBytes), .ecdsaSha256).count > 0)
                #expect(await failure { try await client.sign(p256, Data(count: 31), .ecdsaSha256, type: .digest) } == invalid)
                #expect(await failure { try await client.sign(p256, Data(count: 33), .ecdsaSha256, type: .digest) } == invalid)
                #expect(await failure { try await client.sign(ed25519, Data(count: 32), .ed25519, type: .digest) } == invalid)
                #expect(await failure { try await client.sign(p256, Data([1]), .unspecified) } == invalid)
                #expect(await failure { try await client.verify(p256, Data([1]), Data(), .ecdsaSha256) } == invalid)
                #expect(await failure { try await client.verify(p256, Data([1]), Data(count: Limits.maxSignatureBytes + 1), .ecdsaSha256) } == tooLarge)
                #expect(try await client.verify(p256, Data([1]), Data(count: 70), .ecdsaSha256) == false, "garbage is a normal false")
            }
        }
    }

    @Test func signAndVerifyAreSeparatePolicyActionsAndAudited() async throws {
        try await withWorld { world in
            let keyID = try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(.eccNistP256)
                _ = try await client.putKeyPolicy(.with {
                    $0.keyID = keyID
                    $0.policy = """
                    {"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Principal": "\(TestPKI.appID)", "Action": "kms:*", "Resource": "*"},
                      {"Effect": "Allow", "Principal": "CN=legacy-app,O=Example", "Action": ["kms:Verify", "kms:GetPublicKey"], "Resource": "*"}
                    ]}
                    """
                })
                return keyID
            }
            let signature = try await world.server.withClient(world.app) { client in
                try await client.sign(keyID, Data("release 1.2".utf8), .ecdsaSha256)
            }
            try await world.server.withClient(world.legacy) { client in
                let valid = try await client.verify(keyID, Data("release 1.2".utf8), signature, .ecdsaSha256)
                let publicKey = try await client.getPublicKey(.with { $0.keyID = keyID }).publicKey
                #expect(valid && publicKey.count > 0)
                #expect(await failure { try await client.sign(keyID, Data("forged".utf8), .ecdsaSha256) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
            }
            try await world.server.withClient(world.admin) { client in
                let events = try await client.listAuditEvents(.with { $0.keyID = keyID }).events
                let signs = events.filter { $0.action == "kms:Sign" }
                #expect(signs.map(\.outcome) == ["allowed", "denied"])
                #expect(signs.first?.keyVersion == 1)
                #expect(events.contains { $0.action == "kms:Verify" && $0.outcome == "allowed" && $0.principal == "CN=legacy-app,O=Example" })
                #expect(events.contains { $0.action == "kms:GetPublicKey" && $0.outcome == "allowed" })
            }
        }
    }

    @Test func asymmetricAndHMACKeysDoNotRotateAndOnlyAsymmetricKeysHavePublicKeys() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let unsupported = RPCFailure(code: .failedPrecondition, reason: "UNSUPPORTED_OPERATION")
                for spec in [Kms_V1_KeySpec.eccNistP256, .ed25519, .hmac256] {
                    let keyID = try await client.createKey(spec)
                    #expect(await failure { try await client.rotateKeyOnDemand(.with { $0.keyID = keyID }) } == unsupported)
                    #expect(await failure { try await client.enableKeyRotation(.with { $0.keyID = keyID }) } == unsupported)
                }
                let rsa = try await client.createKey(.rsa2048, usage: .encryptDecrypt)
                #expect(await failure { try await client.rotateKeyOnDemand(.with { $0.keyID = rsa }) } == unsupported)
                let symmetric = try await client.createKey(.symmetricDefault)
                let hmac = try await client.createKey(.hmac384)
                #expect(await failure { try await client.getPublicKey(.with { $0.keyID = symmetric }) } == unsupported)
                #expect(await failure { try await client.getPublicKey(.with { $0.keyID = hmac }) } == unsupported)
                #expect(try await client.rotateKeyOnDemand(.with { $0.keyID = symmetric }).currentKeyVersion == 2)
            }
        }
    }

    @Test func aDisabledSigningKeyNeitherSignsNorVerifies() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(.ed25519)
                let signature = try await client.sign(keyID, Data("m".utf8), .ed25519)
                _ = try await client.disableKey(.with { $0.keyID = keyID })
                let disabled = RPCFailure(code: .failedPrecondition, reason: "KEY_DISABLED")
                #expect(await failure { try await client.sign(keyID, Data("m".utf8), .ed25519) } == disabled)
                #expect(await failure { try await client.verify(keyID, Data("m".utf8), signature, .ed25519) } == disabled)
                _ = try await client.enableKey(.with { $0.keyID = keyID })
                #expect(try await client.verify(keyID, Data("m".utf8), signature, .ed25519))
            }
        }
    }
}

/// Signs and verifies with every algorithm of one key, through the server and offline.
struct SigningCheck {
    let client: KMSServiceClient
    let protoSpec: Kms_V1_KeySpec
    let spec: KeySpec

    func run() async throws {
        let keyID = try await client.createKey(protoSpec, usage: .signVerify)
        let response = try await client.getPublicKey(.with { $0.keyID = keyID })
        #expect(response.keySpec == protoSpec && response.keyUsage == .signVerify && response.keyVersion == 1)
        #expect(response.signingAlgorithms == spec.signingAlgorithms.map(Kms_V1_SigningAlgorithm.init(domain:)))
        let publicKey = try AsymmetricPublicKey(subjectPublicKeyInfo: Array(response.publicKey), spec: spec)
        for algorithm in spec.signingAlgorithms {
            try await check(keyID: keyID, algorithm: algorithm, publicKey: publicKey)
        }
    }

    private func check(keyID: String, algorithm: SigningAlgorithm, publicKey: AsymmetricPublicKey) async throws {
        let protoAlgorithm = Kms_V1_SigningAlgorithm(domain: algorithm)
        let message = Data("deploy build 4711 to production".utf8)
        let signed = try await client.sign(.with {
            $0.keyID = keyID
            $0.message = message
            $0.signingAlgorithm = protoAlgorithm
        })
        #expect(signed.keyID == keyID && signed.keyVersion == 1 && signed.signingAlgorithm == protoAlgorithm)
        let signature = signed.signature
        #expect(try await client.verify(keyID, message, signature, protoAlgorithm), "\(algorithm)")
        #expect(try await client.verify(keyID, message.flippingByte(at: 0), signature, protoAlgorithm) == false, "\(algorithm)")
        #expect(try await client.verify(keyID, message, signature.flippingByte(), protoAlgorithm) == false, "\(algorithm)")
        let offline = SigningInput(Array(message), type: .raw)
        #expect(try publicKey.isValidSignature(Array(signature), for: offline, algorithm: algorithm), "\(algorithm) offline")
        if let digestAlgorithm = algorithm.digestAlgorithm {
            let digest = Data(Self.digest(of: message, with: digestAlgorithm))
            let digestSignature = try await client.sign(keyID, digest, protoAlgorithm, type: .digest)
            #expect(try publicKey.isValidSignature(Array(digestSignature), for: offline, algorithm: algorithm), "\(algorithm) DIGEST")
            #expect(try await client.verify(keyID, digest, signature, protoAlgorithm, type: .digest), "\(algorithm) DIGEST verify")
        }
    }

    static func digest(of message: Data, with algorithm: DigestAlgorithm) -> [UInt8] {
        switch algorithm {
        case .sha256: Array(SHA256.hash(data: message))
        case .sha384: Array(SHA384.hash(data: message))
        case .sha512: Array(SHA512.hash(data: message))
        }
    }
}

extension Kms_V1_SigningAlgorithm {
    /// The proto value of a domain algorithm, by name, independent of the server's mapping.
    init(domain: SigningAlgorithm) {
        self = Self.allCases.first { "\($0)".lowercased() == domain.rawValue.replacingOccurrences(of: "_", with: "").lowercased() } ?? .unspecified
    }
}
