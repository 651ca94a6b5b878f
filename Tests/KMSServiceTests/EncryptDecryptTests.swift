import Foundation
import KMSCore
import KMSCrypto
import KMSService
import Testing

@Suite struct EncryptDecryptTests {
    let admin = ServiceFixture.admin

    @Test func roundTripWithEncryptionContext() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            let context = ["tenant": "acme", "purpose": "test"]
            let sealed = try await fixture.service.encrypt(
                EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("attack at dawn"), encryptionContext: context),
                context: admin
            )
            #expect(sealed.keyID == keyID)
            #expect(sealed.keyVersion == 1)
            #expect(sealed.ciphertextBlob.count == 14 + CiphertextBlob.overheadByteCount)
            let opened = try await fixture.service.decrypt(
                DecryptRequest(ciphertextBlob: sealed.ciphertextBlob, encryptionContext: context),
                context: admin
            )
            #expect(opened.plaintext == SecretBytes("attack at dawn"))
            #expect(opened.keyID == keyID)
        }
    }

    @Test func wrongOrMissingContextIsInvalidCiphertext() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            let blob = try await fixture.service.encrypt(
                EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("x"), encryptionContext: ["tenant": "acme"]),
                context: admin
            ).ciphertextBlob
            for context in [[:], ["tenant": "other"], ["tenant": "acme", "extra": "1"]] {
                #expect(await errorCode {
                    try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: blob, encryptionContext: context), context: admin)
                } == .invalidCiphertext)
            }
        }
    }

    @Test func everyFlippedByteIsInvalidCiphertext() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            let blob = try await fixture.service.encrypt(
                EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("sixteen byte msg")),
                context: admin
            ).ciphertextBlob
            for index in blob.indices {
                var tampered = blob
                tampered[index] ^= 0x01
                let code = await errorCode {
                    try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: tampered), context: admin)
                }
                #expect(code == .invalidCiphertext, "byte \(index)")
            }
            #expect(await errorCode { try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: Array(blob.dropLast())), context: admin) } == .invalidCiphertext)
            #expect(await errorCode { try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: blob + [0]), context: admin) } == .invalidCiphertext)
            #expect(await errorCode { try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: []), context: admin) } == .invalidCiphertext)
        }
    }

    @Test func keyIDMustMatchTheBlob() async throws {
        try await withService { fixture in
            let first = try await fixture.createKey()
            let second = try await fixture.createKey()
            let blob = try await fixture.service.encrypt(EncryptRequest(keyID: first.description, plaintext: SecretBytes("x")), context: admin).ciphertextBlob
            #expect(await errorCode {
                try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: blob, keyID: second.description), context: admin)
            } == .incorrectKey)
            let opened = try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: blob, keyID: first.description), context: admin)
            #expect(opened.plaintext == SecretBytes("x"))
        }
    }

    @Test func plaintextLimits() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            _ = try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: .random(count: 4096)), context: admin)
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: .random(count: 4097)), context: admin) } == .limitExceeded)
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes(copying: [])), context: admin) } == .validation)
        }
    }

    @Test func encryptionContextLimits() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            let tooMany = Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") })
            #expect(await errorCode {
                try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x"), encryptionContext: tooMany), context: admin)
            } == .limitExceeded)
            #expect(await errorCode {
                try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x"), encryptionContext: ["k": String(repeating: "v", count: 8192)]), context: admin)
            } == .limitExceeded)
            #expect(await errorCode {
                try await fixture.service.encrypt(EncryptRequest(keyID: keyID, plaintext: SecretBytes("x"), encryptionContext: ["k": ""]), context: admin)
            } == .validation)
        }
    }

    @Test func unknownAndMalformedKeyIDs() async throws {
        try await withService { fixture in
            #expect(await errorCode {
                try await fixture.service.encrypt(EncryptRequest(keyID: KeyID.random().description, plaintext: SecretBytes("x")), context: admin)
            } == .keyNotFound)
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: "not-a-key", plaintext: SecretBytes("x")), context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.encrypt(EncryptRequest(keyID: "", plaintext: SecretBytes("x")), context: admin) } == .validation)
        }
    }

    @Test func reEncryptMovesToTheDestinationKey() async throws {
        try await withService { fixture in
            let source = try await fixture.createKey()
            let destination = try await fixture.createKey()
            let blob = try await fixture.service.encrypt(
                EncryptRequest(keyID: source.description, plaintext: SecretBytes("payload"), encryptionContext: ["a": "1"]),
                context: admin
            ).ciphertextBlob
            let moved = try await fixture.service.reEncrypt(
                ReEncryptRequest(ciphertextBlob: blob, sourceEncryptionContext: ["a": "1"], destinationKeyID: destination.description, destinationEncryptionContext: ["b": "2"]),
                context: admin
            )
            #expect(moved.sourceKeyID == source)
            #expect(moved.keyID == destination)
            let opened = try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: moved.ciphertextBlob, encryptionContext: ["b": "2"]), context: admin)
            #expect(opened.plaintext == SecretBytes("payload"))
            #expect(opened.keyID == destination)
            #expect(await errorCode {
                try await fixture.service.reEncrypt(ReEncryptRequest(ciphertextBlob: blob, destinationKeyID: destination.description), context: admin)
            } == .invalidCiphertext)
        }
    }

    @Test func ciphertextsSurviveARestart() async throws {
        let fixture = try await ServiceFixture()
        let keyID = try await fixture.createKey()
        let blob = try await fixture.service.encrypt(EncryptRequest(keyID: keyID.description, plaintext: SecretBytes("durable")), context: admin).ciphertextBlob
        let restarted = try await fixture.restarted()
        let opened = try await restarted.service.decrypt(DecryptRequest(ciphertextBlob: blob), context: admin)
        #expect(opened.plaintext == SecretBytes("durable"))
        #expect(try await restarted.service.describeKey(keyID: keyID.description, context: admin).keyID == keyID)
        await restarted.close()
    }
}
