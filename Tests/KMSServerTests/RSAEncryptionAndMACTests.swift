import Foundation
import KMSClient
import KMSCore
import KMSCrypto
import KMSProto
import Testing

/// RSA-OAEP Encrypt and Decrypt, HMAC keys, and data key pairs, over mutual TLS.
@Suite struct RSAEncryptionAndMACTests {
    @Test func rsaOAEPCiphertextMadeOfflineDecryptsThroughTheServer() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(.rsa2048, usage: .encryptDecrypt)
                let publicKey = try await client.publicKey(keyID, spec: .rsa2048)
                for (algorithm, proto) in [(EncryptionAlgorithm.rsaesOAEPSHA256, Kms_V1_EncryptionAlgorithm.rsaesOaepSha256), (.rsaesOAEPSHA1, .rsaesOaepSha1)] {
                    let plaintext = Data.random(count: 100)
                    let offline = try publicKey.encrypt(SecretBytes(copying: plaintext), algorithm: algorithm)
                    let opened = try await client.decrypt(.with {
                        $0.ciphertextBlob = Data(offline)
                        $0.keyID = keyID
                        $0.encryptionAlgorithm = proto
                    })
                    #expect(opened.plaintext == plaintext && opened.keyID == keyID && opened.encryptionAlgorithm == proto)

                    let online = try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = plaintext; $0.encryptionAlgorithm = proto })
                    #expect(online.ciphertextBlob.count == 256 && online.encryptionAlgorithm == proto)
                    let reopened = try await client.decrypt(.with { $0.ciphertextBlob = online.ciphertextBlob; $0.keyID = keyID; $0.encryptionAlgorithm = proto })
                    #expect(reopened.plaintext == plaintext)
                }
            }
        }
    }

    @Test func rsaOAEPLimitsAndMistakes() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(.rsa2048, usage: .encryptDecrypt)
                let invalid = RPCFailure(code: .invalidArgument, reason: "VALIDATION")
                let encrypt = { (count: Int, algorithm: Kms_V1_EncryptionAlgorithm) in
                    try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Data(count: count); $0.encryptionAlgorithm = algorithm })
                }
                #expect(try await encrypt(190, .rsaesOaepSha256).ciphertextBlob.count == 256)
                #expect(await failure { try await encrypt(191, .rsaesOaepSha256) } == invalid)
                #expect(try await encrypt(214, .rsaesOaepSha1).ciphertextBlob.count == 256)
                #expect(await failure { try await encrypt(215, .rsaesOaepSha1) } == invalid)
                #expect(await failure {
                    try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = Data([1]); $0.encryptionAlgorithm = .rsaesOaepSha256; $0.encryptionContext = ["a": "b"] })
                } == invalid)

                let sealed = try await encrypt(32, .rsaesOaepSha256).ciphertextBlob
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = sealed; $0.encryptionAlgorithm = .rsaesOaepSha256 }) } == invalid)
                let wrongHash = try await failure {
                    try await client.decrypt(.with { $0.ciphertextBlob = sealed; $0.keyID = keyID; $0.encryptionAlgorithm = .rsaesOaepSha1 })
                }
                #expect(wrongHash == RPCFailure(code: .invalidArgument, reason: "INVALID_CIPHERTEXT"))
                for mangled in [sealed.flippingByte(), Data(), sealed.dropLast(), sealed + Data([0]), Data(count: Limits.maxCiphertextBytes + 1)] {
                    #expect(await failure {
                        try await client.decrypt(.with { $0.ciphertextBlob = mangled; $0.keyID = keyID; $0.encryptionAlgorithm = .rsaesOaepSha256 })
                    } == RPCFailure(code: .invalidArgument, reason: "INVALID_CIPHERTEXT"), "\(mangled.count) bytes")
                }

                let usage = RPCFailure(code: .invalidArgument, reason: "INVALID_KEY_USAGE")
                let symmetric = try await client.createKey(.symmetricDefault)
                #expect(await failure { try await encrypt(16, .symmetricDefault) } == usage)
                #expect(await failure { try await client.generateDataKey(.with { $0.keyID = keyID; $0.keySpec = .aes256 }) } == usage)
                #expect(await failure {
                    try await client.encrypt(.with { $0.keyID = symmetric; $0.plaintext = Data([1]); $0.encryptionAlgorithm = .rsaesOaepSha256 })
                } == usage)
                let signing = try await client.createKey(.rsa2048, usage: .signVerify)
                #expect(await failure {
                    try await client.encrypt(.with { $0.keyID = signing; $0.plaintext = Data([1]); $0.encryptionAlgorithm = .rsaesOaepSha256 })
                } == usage)
            }
        }
    }

    @Test func reEncryptMovesDataBetweenRSAAndSymmetricKeys() async throws {
        try await withWorld { world in
            let (server, admin) = (world.server, world.admin)
            try await world.server.withClient(world.app) { client in
                let rsa = try await client.createKey(.rsa3072, usage: .encryptDecrypt)
                let symmetric = try await client.createKey(.symmetricDefault)
                let plaintext = Data.random(count: 64)
                let offline = try await client.publicKey(rsa, spec: .rsa3072).encrypt(SecretBytes(copying: plaintext), algorithm: .rsaesOAEPSHA256)

                let toSymmetric = try await client.reEncrypt(.with {
                    $0.ciphertextBlob = Data(offline)
                    $0.sourceKeyID = rsa
                    $0.sourceEncryptionAlgorithm = .rsaesOaepSha256
                    $0.destinationKeyID = symmetric
                    $0.destinationEncryptionContext = ["moved": "yes"]
                })
                #expect(toSymmetric.sourceKeyID == rsa && toSymmetric.keyID == symmetric)
                #expect(toSymmetric.sourceEncryptionAlgorithm == .rsaesOaepSha256 && toSymmetric.destinationEncryptionAlgorithm == .symmetricDefault)
                let opened = try await client.decrypt(.with { $0.ciphertextBlob = toSymmetric.ciphertextBlob; $0.encryptionContext = ["moved": "yes"] })
                #expect(opened.plaintext == plaintext)

                let toRSA = try await client.reEncrypt(.with {
                    $0.ciphertextBlob = toSymmetric.ciphertextBlob
                    $0.sourceEncryptionContext = ["moved": "yes"]
                    $0.destinationKeyID = rsa
                    $0.destinationEncryptionAlgorithm = .rsaesOaepSha1
                })
                #expect(toRSA.ciphertextBlob.count == 384 && toRSA.destinationEncryptionAlgorithm == .rsaesOaepSha1)
                let reopened = try await client.decrypt(.with { $0.ciphertextBlob = toRSA.ciphertextBlob; $0.keyID = rsa; $0.encryptionAlgorithm = .rsaesOaepSha1 })
                #expect(reopened.plaintext == plaintext)

                let records = try await server.withClient(admin) { admin in
                    try await admin.listAuditEvents(.with { $0.action = "kms:ReEncrypt" }).events
                }
                #expect(records.map(\.keyID) == [rsa, symmetric], "key_id is the source")
                #expect(records.map(\.destinationKeyID) == [symmetric, rsa])
                #expect(records.map(\.keyVersion) == [1, 1] && records.map(\.destinationKeyVersion) == [1, 1])

                #expect(await failure {
                    try await client.reEncrypt(.with { $0.ciphertextBlob = Data(offline); $0.sourceEncryptionAlgorithm = .rsaesOaepSha256; $0.destinationKeyID = symmetric })
                } == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                #expect(await failure {
                    try await client.reEncrypt(.with { $0.ciphertextBlob = toSymmetric.ciphertextBlob; $0.sourceEncryptionContext = ["moved": "yes"]; $0.destinationKeyID = rsa })
                } == RPCFailure(code: .invalidArgument, reason: "INVALID_KEY_USAGE"))
            }
        }
    }

    @Test(arguments: [(Kms_V1_KeySpec.hmac256, Kms_V1_MacAlgorithm.hmacSha256, 32), (.hmac384, .hmacSha384, 48), (.hmac512, .hmacSha512, 64)])
    func macsVerifyOnlyForTheSameMessageAndFullTag(spec: Kms_V1_KeySpec, algorithm: Kms_V1_MacAlgorithm, length: Int) async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(spec)
                #expect(try await client.describeKey(.with { $0.keyID = keyID }).keyMetadata.macAlgorithms == [algorithm])
                let message = Data("webhook body".utf8)
                let generated = try await client.generateMac(.with { $0.keyID = keyID; $0.message = message; $0.macAlgorithm = algorithm })
                #expect(generated.mac.count == length && generated.keyVersion == 1 && generated.macAlgorithm == algorithm)
                let verify = { (message: Data, mac: Data) in
                    try await client.verifyMac(.with { $0.keyID = keyID; $0.message = message; $0.mac = mac; $0.macAlgorithm = algorithm }).macValid
                }
                #expect(try await verify(message, generated.mac))
                #expect(try await verify(message.flippingByte(at: 0), generated.mac) == false)
                #expect(try await verify(message, generated.mac.flippingByte()) == false)
                #expect(await failure { try await verify(message, generated.mac.prefix(16)) } == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                let other: Kms_V1_MacAlgorithm = algorithm == .hmacSha256 ? .hmacSha512 : .hmacSha256
                #expect(await failure { try await client.generateMac(.with { $0.keyID = keyID; $0.message = message; $0.macAlgorithm = other }) }
                    == RPCFailure(code: .invalidArgument, reason: "INVALID_KEY_USAGE"))
                #expect(await failure { try await client.generateMac(.with { $0.keyID = keyID; $0.message = Data(count: Limits.maxMessageBytes + 1); $0.macAlgorithm = algorithm }) }
                    == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                #expect(await failure { try await client.encrypt(.with { $0.keyID = keyID; $0.plaintext = message }) }
                    == RPCFailure(code: .invalidArgument, reason: "INVALID_KEY_USAGE"))
            }
        }
    }

    static let pairSpecs: [(Kms_V1_DataKeyPairSpec, KeySpec)] = [
        (.eccNistP256, .eccNistP256), (.eccNistP384, .eccNistP384), (.eccNistP521, .eccNistP521),
        (.ed25519, .ed25519), (.rsa2048, .rsa2048), (.rsa3072, .rsa3072), (.rsa4096, .rsa4096),
    ]

    @Test func dataKeyPairsOfEverySpecMatchTheirPublicKeyAndDecrypt() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let keyID = try await client.createKey(.symmetricDefault)
                for (protoSpec, spec) in Self.pairSpecs {
                    let pair = try await client.generateDataKeyPair(.with {
                        $0.keyID = keyID
                        $0.keyPairSpec = protoSpec
                        $0.encryptionContext = ["purpose": "tls"]
                    })
                    #expect(pair.keyID == keyID && pair.keyPairSpec == protoSpec && pair.keyVersion == 1)
                    let privateKey = try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: pair.privateKeyPlaintext), spec: spec)
                    #expect(Data(privateKey.publicKey.subjectPublicKeyInfo) == pair.publicKey, "\(spec)")
                    let opened = try await client.decrypt(.with { $0.ciphertextBlob = pair.privateKeyCiphertextBlob; $0.encryptionContext = ["purpose": "tls"] })
                    #expect(opened.plaintext == pair.privateKeyPlaintext, "\(spec)")

                    let sealedOnly = try await client.generateDataKeyPairWithoutPlaintext(.with { $0.keyID = keyID; $0.keyPairSpec = protoSpec })
                    let reopened = try await client.decrypt(.with { $0.ciphertextBlob = sealedOnly.privateKeyCiphertextBlob }).plaintext
                    let restored = try AsymmetricPrivateKey(pkcs8: SecretBytes(copying: reopened), spec: spec)
                    #expect(Data(restored.publicKey.subjectPublicKeyInfo) == sealedOnly.publicKey, "\(spec)")
                }
                let signing = try await client.createKey(.eccNistP256)
                #expect(await failure { try await client.generateDataKeyPair(.with { $0.keyID = signing; $0.keyPairSpec = .eccNistP256 }) }
                    == RPCFailure(code: .invalidArgument, reason: "INVALID_KEY_USAGE"))
                #expect(await failure { try await client.generateDataKeyPair(.with { $0.keyID = keyID }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
            }
        }
    }
}
