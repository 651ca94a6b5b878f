import Foundation
import KMSCore
import KMSCrypto
import KMSService
import Testing

@Suite struct DataKeyTests {
    let admin = ServiceFixture.admin

    @Test(arguments: [(DataKeySpec.aes256, 32), (.aes128, 16)])
    func dataKeyDecryptsToTheSamePlaintext(spec: DataKeySpec, length: Int) async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            let dataKey = try await fixture.service.generateDataKey(
                GenerateDataKeyRequest(keyID: keyID.description, keySpec: spec, encryptionContext: ["file": "a.txt"]),
                context: admin
            )
            let plaintext = try #require(dataKey.plaintext)
            #expect(plaintext.count == length)
            #expect(dataKey.keyID == keyID)
            let opened = try await fixture.service.decrypt(
                DecryptRequest(ciphertextBlob: dataKey.ciphertextBlob, encryptionContext: ["file": "a.txt"]),
                context: admin
            )
            #expect(opened.plaintext == plaintext)
        }
    }

    @Test func withoutPlaintextReturnsOnlyTheBlob() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            let dataKey = try await fixture.service.generateDataKeyWithoutPlaintext(
                GenerateDataKeyRequest(keyID: keyID.description, numberOfBytes: 64),
                context: admin
            )
            #expect(dataKey.plaintext == nil)
            let opened = try await fixture.service.decrypt(DecryptRequest(ciphertextBlob: dataKey.ciphertextBlob), context: admin)
            #expect(opened.plaintext.count == 64)
        }
    }

    @Test func exactlyOneOfSpecAndLengthInRange() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey().description
            for request in [
                GenerateDataKeyRequest(keyID: keyID),
                GenerateDataKeyRequest(keyID: keyID, keySpec: .aes256, numberOfBytes: 32),
                GenerateDataKeyRequest(keyID: keyID, numberOfBytes: 0),
                GenerateDataKeyRequest(keyID: keyID, numberOfBytes: 1025),
                GenerateDataKeyRequest(keyID: keyID, numberOfBytes: -1),
            ] {
                #expect(await errorCode { try await fixture.service.generateDataKey(request, context: admin) } == .validation)
            }
            let longest = try await fixture.service.generateDataKey(GenerateDataKeyRequest(keyID: keyID, numberOfBytes: 1024), context: admin)
            #expect(longest.plaintext?.count == 1024)
        }
    }

    @Test func generateRandomRangeAndPolicy() async throws {
        try await withService { fixture in
            let shortest = try await fixture.service.generateRandom(numberOfBytes: 1, context: admin)
            let longest = try await fixture.service.generateRandom(numberOfBytes: 1024, context: admin)
            #expect(shortest.count == 1)
            #expect(longest.count == 1024)
            #expect(await errorCode { try await fixture.service.generateRandom(numberOfBytes: 0, context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.generateRandom(numberOfBytes: 1025, context: admin) } == .validation)
            #expect(await errorCode { try await fixture.service.generateRandom(numberOfBytes: 16, context: ServiceFixture.alice) } == .accessDenied)
        }
    }

    @Test func noSecretReachesTheDatabaseFiles() async throws {
        try await withService { fixture in
            let keyID = try await fixture.createKey()
            let plaintext = SecretBytes.random(count: 48)
            _ = try await fixture.service.encrypt(EncryptRequest(keyID: keyID.description, plaintext: plaintext), context: admin)
            let dataKey = try #require(try await fixture.service.generateDataKey(GenerateDataKeyRequest(keyID: keyID.description, keySpec: .aes256), context: admin).plaintext)
            let files = try fixture.allFileBytes()
            #expect(!files.isEmpty)
            #expect(files.range(of: Data(plaintext.bytes)) == nil)
            #expect(files.range(of: Data(dataKey.bytes)) == nil)
        }
    }
}
