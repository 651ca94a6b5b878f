import Dispatch
import Foundation
import FuzzSupport
import KMSCore
import KMSCrypto
import KMSPolicy
import KMSProto
@testable import KMSServer
import KMSService
import KMSStorageSQLite
import Logging
import SwiftProtobuf

// Fuzz target: kms.v1 request messages, as the server decodes them from a caller.
//
// Every input is decoded as every kms.v1 request type with `SizeLimitedDeserializer`, the
// server's own deserializer (the size check, then SwiftProtobuf), at that method's limit.
// Properties, for any bytes:
// - decoding never crashes; an input over the limit is refused before it is decoded;
// - a message that decodes serializes and decodes again to an equal message;
// - an `EncryptRequest` that decodes goes through the same conversion as the gRPC handler into
//   `KeyManagementService.encrypt`, over a SQLite store in a scratch directory with one key
//   (alias `alias/fuzz`), and then `DecryptRequest`s likewise into `decrypt`: neither crashes
//   nor fails with INTERNAL, and an Encrypt that succeeds gives a blob 81 bytes longer than the
//   plaintext, for the aliased key, that decrypts under the same context to the same plaintext.
//
// This is compiled with `-enable-testing` (debug builds, and `tools/fuzz.sh --release` passes
// it) for the internal `SizeLimitedDeserializer` and enum mapping.

private let singleLimit = Limits.maxRequestBytes
private let batchLimit = Limits.maxBatchRequestBytes

/// Decodes `bytes` as `M` at `limit`; checks the size refusal and the round trip.
private func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: [UInt8], limit: Int) -> M? {
    let message: M
    do {
        message = try SizeLimitedDeserializer<M>(limit: limit).deserialize(bytes)
    } catch {
        return nil
    }
    Fuzz.require(bytes.count <= limit, "\(M.self) of \(bytes.count) bytes decoded past the limit \(limit)")
    do {
        let again = try M(serializedBytes: try message.serializedBytes() as [UInt8])
        Fuzz.require(again.isEqualTo(message: message), "\(M.self) changed in a serialize/decode round trip")
    } catch {
        Fuzz.fail("a decoded \(M.self) does not serialize and decode again: \(error)")
    }
    return message
}

/// A result handed from a task to the thread that waits for it (after the semaphore).
private final class Box<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` to completion from libFuzzer's (non-async) thread.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Box<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// The service under test: one symmetric key, created by `caller`, named `alias/fuzz`.
private struct ServiceUnderTest: Sendable {
    let service: KeyManagementService
    let keyID: KeyID
    let caller = RequestContext(principal: Principal("spiffe://fuzz.example/caller"))

    static let shared: ServiceUnderTest = blocking {
        do {
            let directory = Fuzz.scratchDirectory.appendingPathComponent("store")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var logger = Logger(label: "fuzz")
            logger.logLevel = .critical
            let store = try await SQLiteKeyStore.open(path: directory.appendingPathComponent("kms.sqlite").path, logger: logger)
            let rootKey = try RootKey(bytes: Array(repeating: 0x42, count: 32))
            let serverPolicy = try CompiledPolicy.compile("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "spiffe://fuzz.example/caller",
                 "Action": "kms:CreateKey", "Resource": "*"}]}
                """)
            let service = KeyManagementService(store: store, rootKey: rootKey, serverPolicy: serverPolicy, logger: logger)
            let caller = RequestContext(principal: Principal("spiffe://fuzz.example/caller"))
            let key = try await service.createKey(CreateKeyRequest(description: "fuzz"), context: caller)
            try await service.createAlias(name: "alias/fuzz", targetKeyID: key.keyID.description, context: caller)
            return ServiceUnderTest(service: service, keyID: key.keyID)
        } catch {
            Fuzz.fail("cannot set up the service: \(error)")
        }
    }

    /// Encrypt as the gRPC handler converts it, then Decrypt the result.
    func encryptAndDecrypt(_ request: Kms_V1_EncryptRequest) {
        let (encryption, decryption): (Result<EncryptResult, KMSError>, Result<DecryptResult, KMSError>?) = blocking { [self] in
            let encryption: Result<EncryptResult, KMSError>
            do throws(KMSError) {
                encryption = .success(try await service.encrypt(
                    EncryptRequest(
                        keyID: request.keyID,
                        plaintext: SecretBytes(copying: request.plaintext),
                        encryptionContext: request.encryptionContext,
                        encryptionAlgorithm: try request.encryptionAlgorithm.domain(field: "encryption_algorithm", default: .symmetricDefault)
                    ),
                    context: caller
                ))
            } catch {
                encryption = .failure(error)
            }
            guard case .success(let encrypted) = encryption else { return (encryption, nil) }
            do throws(KMSError) {
                return (encryption, .success(try await service.decrypt(
                    DecryptRequest(ciphertextBlob: encrypted.ciphertextBlob, encryptionContext: request.encryptionContext),
                    context: caller
                )))
            } catch {
                return (encryption, .failure(error))
            }
        }
        switch encryption {
        case .failure(let error):
            Fuzz.require(error.code != .internalFailure, "Encrypt failed with INTERNAL: \(error)")
        case .success(let encrypted):
            Fuzz.require(encrypted.keyID == keyID, "Encrypt used key \(encrypted.keyID), not \(keyID)")
            Fuzz.require(encrypted.ciphertextBlob.count == request.plaintext.count + CiphertextBlob.overheadByteCount,
                         "a blob of \(encrypted.ciphertextBlob.count) bytes for \(request.plaintext.count) bytes")
            switch decryption {
            case .success(let decrypted):
                let plaintext = decrypted.plaintext.withUnsafeBytes { Data($0) }
                Fuzz.require(plaintext == request.plaintext, "Decrypt did not give back the plaintext")
            case .failure(let error):
                Fuzz.fail("Decrypt of a blob Encrypt just returned failed: \(error)")
            case nil:
                Fuzz.fail("Decrypt did not run")
            }
        }
    }

    /// Decrypt as the gRPC handler converts it.
    func decrypt(_ request: Kms_V1_DecryptRequest) {
        let failure: KMSError? = blocking { [self] in
            do throws(KMSError) {
                _ = try await service.decrypt(
                    DecryptRequest(
                        ciphertextBlob: Array(request.ciphertextBlob),
                        encryptionContext: request.encryptionContext,
                        keyID: request.keyID,
                        encryptionAlgorithm: try request.encryptionAlgorithm.domain(field: "encryption_algorithm", default: .symmetricDefault)
                    ),
                    context: caller
                )
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            Fuzz.require(failure.code != .internalFailure, "Decrypt failed with INTERNAL: \(failure)")
        }
    }
}

/// Sets the service up, and has it encrypt and decrypt once, before libFuzzer runs any input:
/// what that allocates for good (SwiftNIO's thread pool, the store's connection, the caches)
/// is then not counted against the first input by LeakSanitizer.
@_cdecl("LLVMFuzzerInitialize")
public func initializeRequestMessages(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    ServiceUnderTest.shared.encryptAndDecrypt(Kms_V1_EncryptRequest.with {
        $0.keyID = "alias/fuzz"
        $0.plaintext = Data("warm up".utf8)
        $0.encryptionContext = ["purpose": "warm-up"]
    })
    ServiceUnderTest.shared.decrypt(Kms_V1_DecryptRequest.with { $0.ciphertextBlob = Data(repeating: 1, count: 100) })
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestMessages(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    _ = decode(Kms_V1_CreateKeyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_DescribeKeyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListKeysRequest.self, bytes, limit: singleLimit)
    if let request = decode(Kms_V1_EncryptRequest.self, bytes, limit: singleLimit) { ServiceUnderTest.shared.encryptAndDecrypt(request) }
    if let request = decode(Kms_V1_DecryptRequest.self, bytes, limit: singleLimit) { ServiceUnderTest.shared.decrypt(request) }
    _ = decode(Kms_V1_ReEncryptRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GenerateDataKeyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GenerateDataKeyWithoutPlaintextRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GenerateRandomRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GetKeyPolicyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_PutKeyPolicyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListKeyPoliciesRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GetCallerIdentityRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_EnableKeyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_DisableKeyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_UpdateKeyDescriptionRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_TagResourceRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_UntagResourceRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListResourceTagsRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_CreateAliasRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_UpdateAliasRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_DeleteAliasRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListAliasesRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ScheduleKeyDeletionRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_CancelKeyDeletionRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_EnableKeyRotationRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_DisableKeyRotationRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GetKeyRotationStatusRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_RotateKeyOnDemandRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListKeyRotationsRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_DisableKeyVersionRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_EnableKeyVersionRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_CreateGrantRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListGrantsRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListRetirableGrantsRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_RetireGrantRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_RevokeGrantRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ExplainAccessRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_ListAuditEventsRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_SignRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_VerifyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GetPublicKeyRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GenerateMacRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_VerifyMacRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GenerateDataKeyPairRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_GenerateDataKeyPairWithoutPlaintextRequest.self, bytes, limit: singleLimit)
    _ = decode(Kms_V1_BatchEncryptRequest.self, bytes, limit: batchLimit)
    _ = decode(Kms_V1_BatchDecryptRequest.self, bytes, limit: batchLimit)
    _ = decode(Kms_V1_BatchGenerateDataKeyRequest.self, bytes, limit: batchLimit)
    return 0
}
