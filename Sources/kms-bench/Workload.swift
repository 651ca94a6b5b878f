import Foundation
import GRPCCore
import KMSProto
import NIOCore

/// The requests of a run, built before it starts so that a measured call only sends one
/// and waits for the answer.
///
/// Call `i` (worker number + the worker's call count) uses key `i mod K` — a batch's items
/// take the following keys in turn — and, for `mix`, the kind at `i / K` in the mix's
/// cycle, so that every key sees the same mix. Decrypt, ReEncrypt and BatchDecrypt send
/// ciphertexts made by Encrypt during preparation, one per key; ReEncrypt re-encrypts from
/// key `i` to key `i + 1`. Verify sends signatures made by Sign during preparation.
struct Workload: Sendable {
    /// The kinds of call the operation repeats (`BenchOperation.cycle`).
    private let cycle: [CallKind]
    private let keyCount: Int
    private let options: CallOptions
    private var encrypt: [Kms_V1_EncryptRequest] = []
    private var decrypt: [Kms_V1_DecryptRequest] = []
    private var generateDataKey: [Kms_V1_GenerateDataKeyRequest] = []
    private var reEncrypt: [Kms_V1_ReEncryptRequest] = []
    private var batchEncrypt: [Kms_V1_BatchEncryptRequest] = []
    private var batchDecrypt: [Kms_V1_BatchDecryptRequest] = []
    private var batchGenerateDataKey: [Kms_V1_BatchGenerateDataKeyRequest] = []
    private var sign: [Kms_V1_SignRequest] = []
    private var verify: [Kms_V1_VerifyRequest] = []
    private var generateMac: [Kms_V1_GenerateMacRequest] = []
    private var generateDataKeyPair: [Kms_V1_GenerateDataKeyPairRequest] = []
    /// AWS JSON bodies of Encrypt, one per key.
    private var awsEncrypt: [ByteBuffer] = []
    private let health = Grpc_Health_V1_HealthCheckRequest()

    /// Builds the requests of `plan` over `keys`, making the ciphertexts it needs on `connection`.
    ///
    /// - Throws: `BenchFailure` when a preparatory Encrypt fails.
    static func prepare(_ plan: BenchPlan, keys: [String], on connection: BenchConnection, options: CallOptions) async throws -> Workload {
        var workload = Workload(operation: plan.operation, keyCount: max(1, keys.count), options: options)
        let kinds = plan.operation.callKinds
        let plaintext = Data((0..<plan.payload).map { _ in UInt8.random(in: .min ... .max) })
        let encrypts = keys.map { key in
            Kms_V1_EncryptRequest.with {
                $0.keyID = key
                $0.plaintext = plaintext
            }
        }
        let blobs = kinds.contains(where: \.needsCiphertexts)
            ? try await ciphertexts(of: encrypts, on: connection, options: options)
            : []
        let decrypts = blobs.map { blob in Kms_V1_DecryptRequest.with { $0.ciphertextBlob = blob } }

        if kinds.contains(.encrypt) { workload.encrypt = encrypts }
        if kinds.contains(.awsEncrypt) {
            workload.awsEncrypt = keys.map { key in
                ByteBuffer(bytes: (try? JSONEncoder().encode(["KeyId": key, "Plaintext": plaintext.base64EncodedString()])) ?? Data())
            }
        }
        if kinds.contains(.decrypt) { workload.decrypt = decrypts }
        let generateDataKeys = keys.map { key in
            Kms_V1_GenerateDataKeyRequest.with {
                $0.keyID = key
                $0.keySpec = .aes256
            }
        }
        if kinds.contains(.generateDataKey) { workload.generateDataKey = generateDataKeys }
        if kinds.contains(.generateDataKeyPair) {
            workload.generateDataKeyPair = keys.map { key in
                Kms_V1_GenerateDataKeyPairRequest.with {
                    $0.keyID = key
                    $0.keyPairSpec = plan.keyPairSpec
                }
            }
        }
        if kinds.contains(.reEncrypt) {
            workload.reEncrypt = blobs.indices.map { index in
                Kms_V1_ReEncryptRequest.with {
                    $0.ciphertextBlob = blobs[index]
                    $0.destinationKeyID = keys[(index + 1) % keys.count]
                }
            }
        }
        if kinds.contains(.batchEncrypt) {
            workload.batchEncrypt = keys.indices.map { start in
                Kms_V1_BatchEncryptRequest.with { $0.requests = batchKeys(from: start, count: plan.batch, keys: keys.count).map { encrypts[$0] } }
            }
        }
        if kinds.contains(.batchDecrypt) {
            workload.batchDecrypt = keys.indices.map { start in
                Kms_V1_BatchDecryptRequest.with { $0.requests = batchKeys(from: start, count: plan.batch, keys: keys.count).map { decrypts[$0] } }
            }
        }
        if kinds.contains(.batchGenerateDataKey) {
            workload.batchGenerateDataKey = keys.indices.map { start in
                Kms_V1_BatchGenerateDataKeyRequest.with {
                    $0.requests = batchKeys(from: start, count: plan.batch, keys: keys.count).map { generateDataKeys[$0] }
                }
            }
        }
        try await workload.prepareSigningAndMACs(kinds, keys: keys, message: plaintext, on: connection)
        return workload
    }

    /// The requests of `sign`, `verify` and `generate-mac`: one per key, over the
    /// `--payload` message; Verify's signatures come from Sign calls made now.
    private mutating func prepareSigningAndMACs(_ kinds: Set<CallKind>, keys: [String], message: Data, on connection: BenchConnection) async throws {
        let signs = keys.map { key in
            Kms_V1_SignRequest.with {
                $0.keyID = key
                $0.message = message
                $0.signingAlgorithm = .ecdsaSha256
            }
        }
        if kinds.contains(.sign) { sign = signs }
        if kinds.contains(.verify) {
            for request in signs {
                let signature: Data
                do {
                    signature = try await connection.kms.sign(request, options: options).signature
                } catch {
                    throw BenchFailure("preparing signatures (Sign)", because: error)
                }
                verify.append(.with {
                    $0.keyID = request.keyID
                    $0.message = message
                    $0.signature = signature
                    $0.signingAlgorithm = .ecdsaSha256
                })
            }
        }
        if kinds.contains(.generateMac) {
            generateMac = keys.map { key in
                Kms_V1_GenerateMacRequest.with {
                    $0.keyID = key
                    $0.message = message
                    $0.macAlgorithm = .hmacSha256
                }
            }
        }
    }

    /// Issues call number `sequence` of `worker` on `connection` (or `aws`, the worker's
    /// connection to the AWS-compatible endpoint) and waits for the answer.
    ///
    /// - Throws: `RPCError` (`AWSExchange.Failure`) when the call fails as a whole.
    func call(_ sequence: Int, of worker: Int, on connection: BenchConnection, aws: inout AWSExchange?) async throws -> CallOutcome {
        let index = worker + sequence
        // Calls go round the keys; the kind (for `mix`) moves on after each round.
        switch cycle[index / keyCount % cycle.count] {
        case .health:
            _ = try await connection.health.check(health, options: options)
            return .single
        case .encrypt:
            _ = try await connection.kms.encrypt(encrypt[index % encrypt.count], options: options)
            return .single
        case .decrypt:
            _ = try await connection.kms.decrypt(decrypt[index % decrypt.count], options: options)
            return .single
        case .generateDataKey:
            _ = try await connection.kms.generateDataKey(generateDataKey[index % generateDataKey.count], options: options)
            return .single
        case .reEncrypt:
            _ = try await connection.kms.reEncrypt(reEncrypt[index % reEncrypt.count], options: options)
            return .single
        case .batchEncrypt:
            let response = try await connection.kms.batchEncrypt(batchEncrypt[index % batchEncrypt.count], options: options)
            return CallOutcome(batch: response.results)
        case .batchDecrypt:
            let response = try await connection.kms.batchDecrypt(batchDecrypt[index % batchDecrypt.count], options: options)
            return CallOutcome(batch: response.results)
        case .batchGenerateDataKey:
            let response = try await connection.kms.batchGenerateDataKey(
                batchGenerateDataKey[index % batchGenerateDataKey.count], options: options
            )
            return CallOutcome(batch: response.results)
        case .sign:
            _ = try await connection.kms.sign(sign[index % sign.count], options: options)
            return .single
        case .verify:
            let response = try await connection.kms.verify(verify[index % verify.count], options: options)
            guard response.signatureValid else { throw RPCError(code: .dataLoss, message: "a prepared signature did not verify") }
            return .single
        case .generateMac:
            _ = try await connection.kms.generateMac(generateMac[index % generateMac.count], options: options)
            return .single
        case .generateDataKeyPair:
            _ = try await connection.kms.generateDataKeyPair(generateDataKeyPair[index % generateDataKeyPair.count], options: options)
            return .single
        case .createKey:
            _ = try await connection.kms.createKey(Kms_V1_CreateKeyRequest.with { $0.description_p = "kms-bench" }, options: options)
            return .single
        case .awsEncrypt:
            guard aws != nil else { throw BenchFailure("aws-encrypt needs --aws-target") }
            try await aws!.post("Encrypt", body: awsEncrypt[index % awsEncrypt.count])
            return .single
        }
    }

    private init(operation: BenchOperation, keyCount: Int, options: CallOptions) {
        cycle = operation.cycle
        self.keyCount = keyCount
        self.options = options
    }

    /// The key indices of the items of a batch that starts at key `start`.
    private static func batchKeys(from start: Int, count: Int, keys: Int) -> [Int] {
        (0..<count).map { (start + $0) % keys }
    }

    /// One ciphertext blob per request, made by Encrypt.
    private static func ciphertexts(of requests: [Kms_V1_EncryptRequest], on connection: BenchConnection, options: CallOptions) async throws -> [Data] {
        var blobs: [Data] = []
        for request in requests {
            do {
                blobs.append(try await connection.kms.encrypt(request, options: options).ciphertextBlob)
            } catch {
                throw BenchFailure("preparing ciphertexts (Encrypt)", because: error)
            }
        }
        return blobs
    }
}
