import ArgumentParser
import KMSProto

/// What `kms-bench --op` measures: one kind of call, or the `mix` of three.
enum BenchOperation: String, CaseIterable, Sendable, Encodable, ExpressibleByArgument {
    case encrypt
    case decrypt
    case generateDataKey = "generate-data-key"
    case reEncrypt = "re-encrypt"
    case health
    case batchEncrypt = "batch-encrypt"
    case batchDecrypt = "batch-decrypt"
    /// BatchGenerateDataKey of AES-256 data keys.
    case batchGenerateDataKey = "batch-generate-data-key"
    case mix
    /// ECDSA P-256 (ECDSA_SHA_256) over a RAW `--payload`-byte message.
    case sign
    /// Verify of a signature made by `sign` during preparation.
    case verify
    /// HMAC_SHA_256 of a `--payload`-byte message.
    case generateMac = "generate-mac"
    /// GenerateDataKeyPair of `--key-pair-spec` under a symmetric key.
    case generateDataKeyPair = "generate-data-key-pair"
    /// CreateKey of a symmetric key: the cost of a write to the key store.
    case createKey = "create-key"
    /// Encrypt through the AWS-compatible endpoint (`--aws-target`), one HTTP/1.1
    /// connection per worker.
    case awsEncrypt = "aws-encrypt"

    /// Whether the calls name keys (all but `health`).
    var usesKeys: Bool { self != .health && self != .createKey }

    /// The spec of the keys the run creates.
    var keySpec: Kms_V1_KeySpec {
        switch self {
        case .sign, .verify: .eccNistP256
        case .generateMac: .hmac256
        default: .symmetricDefault
        }
    }

    /// Whether the calls carry `--payload` bytes (or ciphertexts of them).
    var usesPayload: Bool { usesKeys && self != .generateDataKey && self != .generateDataKeyPair && self != .batchGenerateDataKey }

    /// Whether the calls go to the AWS-compatible endpoint.
    var usesAWSEndpoint: Bool { self == .awsEncrypt }

    /// Whether a call carries `--batch` items rather than one.
    var isBatch: Bool { self == .batchEncrypt || self == .batchDecrypt || self == .batchGenerateDataKey }

    /// Every kind of call the operation issues.
    var callKinds: Set<CallKind> { Set(cycle) }

    /// The calls the operation repeats, in order: one kind but for `mix`.
    var cycle: [CallKind] {
        switch self {
        case .encrypt: [.encrypt]
        case .decrypt: [.decrypt]
        case .generateDataKey: [.generateDataKey]
        case .reEncrypt: [.reEncrypt]
        case .health: [.health]
        case .batchEncrypt: [.batchEncrypt]
        case .batchDecrypt: [.batchDecrypt]
        case .batchGenerateDataKey: [.batchGenerateDataKey]
        case .mix: Self.mixCycle
        case .sign: [.sign]
        case .verify: [.verify]
        case .generateMac: [.generateMac]
        case .generateDataKeyPair: [.generateDataKeyPair]
        case .createKey: [.createKey]
        case .awsEncrypt: [.awsEncrypt]
        }
    }

    /// `mix`: 50 % Decrypt, 30 % Encrypt, 20 % GenerateDataKey, interleaved.
    private static let mixCycle: [CallKind] = [
        .decrypt, .encrypt, .decrypt, .generateDataKey, .decrypt,
        .encrypt, .decrypt, .generateDataKey, .decrypt, .encrypt,
    ]
}

/// One RPC that a worker can issue.
enum CallKind: Hashable, Sendable {
    case health
    case encrypt
    case decrypt
    case generateDataKey
    case reEncrypt
    case batchEncrypt
    case batchDecrypt
    case batchGenerateDataKey
    case sign
    case verify
    case generateMac
    case generateDataKeyPair
    case createKey
    case awsEncrypt

    /// Whether preparing the call needs ciphertext blobs made beforehand.
    var needsCiphertexts: Bool {
        switch self {
        case .decrypt, .reEncrypt, .batchDecrypt: true
        case .health, .encrypt, .generateDataKey, .batchEncrypt, .batchGenerateDataKey, .sign, .verify, .generateMac, .generateDataKeyPair,
             .createKey, .awsEncrypt: false
        }
    }
}
