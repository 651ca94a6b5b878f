import Foundation
import GRPCCore
import KMSClient
import KMSCore
import KMSProto
@testable import KMSServer
import Testing

@Suite struct ErrorReasonTests {
    @Test(arguments: KMSError.Code.all)
    func everyCodeMapsToAStatusWithErrorInfo(code: KMSError.Code) {
        let status = ErrorMapping.status(for: KMSError(code, "message"))
        let expected: [KMSError.Code: RPCError.Code] = [
            .keyNotFound: .notFound, .keyDisabled: .failedPrecondition, .keyPendingDeletion: .failedPrecondition,
            .invalidCiphertext: .invalidArgument, .incorrectKey: .invalidArgument, .invalidKeyUsage: .invalidArgument,
            .accessDenied: .permissionDenied, .validation: .invalidArgument, .malformedPolicy: .invalidArgument,
            .limitExceeded: .resourceExhausted, .aliasNotFound: .notFound, .alreadyExists: .alreadyExists,
            .keyDestroyed: .failedPrecondition, .keyVersionDisabled: .failedPrecondition,
            .keyVersionNotFound: .notFound, .invalidState: .failedPrecondition, .unsupportedOperation: .failedPrecondition, .grantNotFound: .notFound,
            .auditUnavailable: .unavailable, .storeUnavailable: .unavailable, .invalidIdentity: .unauthenticated, .throttled: .resourceExhausted, .internalFailure: .internalError,
        ]
        #expect(status.code == expected[code])
        #expect(status.message == "message")
        #expect(status.details.compactMap(\.errorInfo).map(\.reason) == [code.reason])
        #expect(status.details.compactMap(\.errorInfo).map(\.domain) == ["kms"])
    }

    @Test func reasonsArriveOverTheWire() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let other = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let blob = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("x".utf8); $0.encryptionContext = ["a": "1"] }).ciphertextBlob

                #expect(await failure { try await client.describeKey(.with { $0.keyID = KeyID.random().description }) }
                    == RPCFailure(code: .notFound, reason: "KEY_NOT_FOUND"))
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["a": "2"] }) }
                    == RPCFailure(code: .invalidArgument, reason: "INVALID_CIPHERTEXT"))
                #expect(await failure { try await client.decrypt(.with { $0.ciphertextBlob = blob; $0.encryptionContext = ["a": "1"]; $0.keyID = other }) }
                    == RPCFailure(code: .invalidArgument, reason: "INCORRECT_KEY"))
                #expect(await failure { try await client.encrypt(.with { $0.keyID = "nope"; $0.plaintext = Data("x".utf8) }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                #expect(await failure { try await client.createKey(.with { $0.keyUsage = .signVerify }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
                #expect(await failure { try await client.putKeyPolicy(.with { $0.keyID = key; $0.policy = #"{"Statement": [{"Effect": "Allow"}]}"# }) }
                    == RPCFailure(code: .invalidArgument, reason: "MALFORMED_POLICY"))
                #expect(await failure { try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data(count: 4097) }) }
                    == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                #expect(await failure { try await client.generateRandom(.with { $0.numberOfBytes = 8 }) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
                #expect(await failure { try await client.createKey(.with { $0.keyUsage = .UNRECOGNIZED(99) }) }
                    == RPCFailure(code: .invalidArgument, reason: "VALIDATION"))
            }
            try await world.server.withClient(world.legacy) { client in
                #expect(await failure { try await client.createKey(Kms_V1_CreateKeyRequest()) }
                    == RPCFailure(code: .permissionDenied, reason: "ACCESS_DENIED"))
            }
        }
    }

    @Test func everyFlippedByteOfABlobIsInvalidCiphertext() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                let blob = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("tamper me".utf8) }).ciphertextBlob
                for index in blob.indices {
                    var tampered = blob
                    tampered[index] ^= 0x80
                    let result = await failure { try await client.decrypt(.with { $0.ciphertextBlob = tampered }) }
                    #expect(result == RPCFailure(code: .invalidArgument, reason: "INVALID_CIPHERTEXT"), "byte \(index)")
                }
            }
        }
    }

    @Test func requestsOver64KiBAreRefusedWithLimitExceeded() async throws {
        try await withWorld { world in
            try await world.server.withClient(world.app) { client in
                let key = try await client.createKey(Kms_V1_CreateKeyRequest()).keyMetadata.keyID
                // Over 64 KiB in all: refused before the message is decoded.
                let big = await failure { try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data(count: 65 * 1024) }) }
                #expect(big == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                let policy = await failure { try await client.putKeyPolicy(.with { $0.keyID = key; $0.policy = String(repeating: " ", count: 70_000) }) }
                #expect(policy == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                // Past what the transport buffers at all, the stream is refused before it is read whole.
                let huge = await failure { try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data(count: 2 * 1024 * 1024) }) }
                #expect(huge == RPCFailure(code: .resourceExhausted, reason: "LIMIT_EXCEEDED"))
                // The connection still serves normal requests afterwards.
                _ = try await client.encrypt(.with { $0.keyID = key; $0.plaintext = Data("ok".utf8) })
            }
        }
    }
}
