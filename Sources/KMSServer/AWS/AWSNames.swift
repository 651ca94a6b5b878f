import KMSProto

/// The names AWS KMS's API gives the values of the `kms.v1` enums, one table per enum; the
/// same table reads requests and writes responses.
struct AWSNames<Value: Hashable & Sendable>: Sendable {
    /// What the names are of, for error messages ("a key spec").
    let what: String
    private let byName: [String: Value]
    private let byValue: [Value: String]

    init(_ what: String, _ pairs: KeyValuePairs<String, Value>) {
        self.what = what
        byName = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        byValue = Dictionary(uniqueKeysWithValues: pairs.map { ($0.value, $0.key) })
    }

    /// The value AWS calls `name`.
    func value(named name: String) -> Value? { byName[name] }

    /// AWS's name of `value`; `nil` for a value AWS has no name for (unspecified).
    func name(of value: Value) -> String? { byValue[value] }

    /// Every name, sorted, for error messages.
    var names: [String] { byName.keys.sorted() }
}

extension AWSNames<Kms_V1_KeySpec> {
    static let keySpecs = AWSNames("key spec", [
        "SYMMETRIC_DEFAULT": .symmetricDefault,
        "ECC_NIST_P256": .eccNistP256, "ECC_NIST_P384": .eccNistP384, "ECC_NIST_P521": .eccNistP521,
        "ECC_NIST_EDWARDS25519": .ed25519,
        "RSA_2048": .rsa2048, "RSA_3072": .rsa3072, "RSA_4096": .rsa4096,
        "HMAC_256": .hmac256, "HMAC_384": .hmac384, "HMAC_512": .hmac512,
    ])
}

extension AWSNames<Kms_V1_KeyUsage> {
    static let keyUsages = AWSNames("key usage", [
        "ENCRYPT_DECRYPT": .encryptDecrypt, "SIGN_VERIFY": .signVerify, "GENERATE_VERIFY_MAC": .generateVerifyMac,
    ])
}

extension AWSNames<Kms_V1_KeyState> {
    /// AWS has no name for a destroyed key (AWS forgets it); `Destroyed` is this server's.
    static let keyStates = AWSNames("key state", [
        "Enabled": .enabled, "Disabled": .disabled, "PendingDeletion": .pendingDeletion, "Destroyed": .destroyed,
    ])
}

extension AWSNames<Kms_V1_DataKeySpec> {
    static let dataKeySpecs = AWSNames("data key spec", ["AES_256": .aes256, "AES_128": .aes128])
}

extension AWSNames<Kms_V1_MessageType> {
    static let messageTypes = AWSNames("message type", ["RAW": .raw, "DIGEST": .digest])
}

extension AWSNames<Kms_V1_SigningAlgorithm> {
    static let signingAlgorithms = AWSNames("signing algorithm", [
        "ECDSA_SHA_256": .ecdsaSha256, "ECDSA_SHA_384": .ecdsaSha384, "ECDSA_SHA_512": .ecdsaSha512,
        "ED25519_SHA_512": .ed25519,
        "RSASSA_PSS_SHA_256": .rsassaPssSha256, "RSASSA_PSS_SHA_384": .rsassaPssSha384, "RSASSA_PSS_SHA_512": .rsassaPssSha512,
        "RSASSA_PKCS1_V1_5_SHA_256": .rsassaPkcs1V15Sha256, "RSASSA_PKCS1_V1_5_SHA_384": .rsassaPkcs1V15Sha384,
        "RSASSA_PKCS1_V1_5_SHA_512": .rsassaPkcs1V15Sha512,
    ])
}

extension AWSNames<Kms_V1_EncryptionAlgorithm> {
    static let encryptionAlgorithms = AWSNames("encryption algorithm", [
        "SYMMETRIC_DEFAULT": .symmetricDefault, "RSAES_OAEP_SHA_256": .rsaesOaepSha256, "RSAES_OAEP_SHA_1": .rsaesOaepSha1,
    ])
}

extension AWSNames<Kms_V1_MacAlgorithm> {
    static let macAlgorithms = AWSNames("MAC algorithm", [
        "HMAC_SHA_256": .hmacSha256, "HMAC_SHA_384": .hmacSha384, "HMAC_SHA_512": .hmacSha512,
    ])
}

extension AWSNames<Kms_V1_DataKeyPairSpec> {
    static let dataKeyPairSpecs = AWSNames("data key pair spec", [
        "ECC_NIST_P256": .eccNistP256, "ECC_NIST_P384": .eccNistP384, "ECC_NIST_P521": .eccNistP521,
        "ECC_NIST_EDWARDS25519": .ed25519,
        "RSA_2048": .rsa2048, "RSA_3072": .rsa3072, "RSA_4096": .rsa4096,
    ])
}

extension AWSNames<Kms_V1_RotationType> {
    static let rotationTypes = AWSNames("rotation type", ["AUTOMATIC": .automatic, "ON_DEMAND": .onDemand])
}
