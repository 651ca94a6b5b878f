extension KeySpec {
    /// The usages a key of this spec may have: ECC and Ed25519 sign, RSA signs or
    /// encrypts, HMAC makes MACs, SYMMETRIC_DEFAULT encrypts.
    public var allowedUsages: [KeyUsage] {
        switch self {
        case .symmetricDefault: [.encryptDecrypt]
        case .eccNistP256, .eccNistP384, .eccNistP521, .ed25519: [.signVerify]
        case .rsa2048, .rsa3072, .rsa4096: [.encryptDecrypt, .signVerify]
        case .hmac256, .hmac384, .hmac512: [.generateVerifyMAC]
        }
    }

    /// The usage a key gets when CreateKey names none: the first allowed one
    /// (ENCRYPT_DECRYPT for RSA, as in AWS KMS).
    public var defaultUsage: KeyUsage { allowedUsages[0] }

    /// Whether the key holds a private key with a public half (ECC, Ed25519, RSA).
    public var isAsymmetric: Bool {
        switch self {
        case .eccNistP256, .eccNistP384, .eccNistP521, .ed25519, .rsa2048, .rsa3072, .rsa4096: true
        case .symmetricDefault, .hmac256, .hmac384, .hmac512: false
        }
    }

    /// The RSA modulus length in bits, for RSA specs.
    public var rsaBitCount: Int? {
        switch self {
        case .rsa2048: 2048
        case .rsa3072: 3072
        case .rsa4096: 4096
        default: nil
        }
    }

    /// Whether new versions can be made by rotation: only SYMMETRIC_DEFAULT keys rotate,
    /// so a public key or MAC key handed out stays the key's only version (as in AWS KMS).
    public var supportsRotation: Bool { self == .symmetricDefault }

    /// The signature algorithms of a SIGN_VERIFY key of this spec.
    public var signingAlgorithms: [SigningAlgorithm] {
        switch self {
        case .eccNistP256: [.ecdsaSHA256]
        case .eccNistP384: [.ecdsaSHA384]
        case .eccNistP521: [.ecdsaSHA512]
        case .ed25519: [.ed25519]
        case .rsa2048, .rsa3072, .rsa4096:
            [.rsassaPSSSHA256, .rsassaPSSSHA384, .rsassaPSSSHA512,
             .rsassaPKCS1V15SHA256, .rsassaPKCS1V15SHA384, .rsassaPKCS1V15SHA512]
        case .symmetricDefault, .hmac256, .hmac384, .hmac512: []
        }
    }

    /// The encryption algorithms of an ENCRYPT_DECRYPT key of this spec.
    public var encryptionAlgorithms: [EncryptionAlgorithm] {
        switch self {
        case .symmetricDefault: [.symmetricDefault]
        case .rsa2048, .rsa3072, .rsa4096: [.rsaesOAEPSHA256, .rsaesOAEPSHA1]
        default: []
        }
    }

    /// The MAC algorithm of an HMAC spec.
    public var macAlgorithms: [MACAlgorithm] {
        switch self {
        case .hmac256: [.hmacSHA256]
        case .hmac384: [.hmacSHA384]
        case .hmac512: [.hmacSHA512]
        default: []
        }
    }
}

extension KeyMetadata {
    /// The signature algorithms the key works with (empty unless it is SIGN_VERIFY).
    public var signingAlgorithms: [SigningAlgorithm] { keyUsage == .signVerify ? keySpec.signingAlgorithms : [] }
    /// The encryption algorithms the key works with (empty unless it is ENCRYPT_DECRYPT).
    public var encryptionAlgorithms: [EncryptionAlgorithm] { keyUsage == .encryptDecrypt ? keySpec.encryptionAlgorithms : [] }
    /// The MAC algorithms the key works with (empty unless it is GENERATE_VERIFY_MAC).
    public var macAlgorithms: [MACAlgorithm] { keyUsage == .generateVerifyMAC ? keySpec.macAlgorithms : [] }
}
