/// The known-answer vectors of ``CryptoSelfTest``, each with its source. They are copied
/// unchanged from published test vectors and were checked against a second implementation
/// (Python's `cryptography` package) when they were added; the Wycheproof files are those of
/// C2SP/wycheproof `testvectors_v1/`: those also in `Tests/KMSCryptoTests/Resources/wycheproof`
/// at snapshot dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166, the others at the commit named.
enum SelfTestVectors {
    /// AES-256-GCM, 96-bit IV, 128-bit tag: Wycheproof `aes_gcm_test.json` tcId 91.
    enum AESGCM256 {
        static let key = hex("92ace3e348cd821092cd921aa3546374299ab46209691bc28b8752d17f123c20")
        static let nonce = hex("00112233445566778899aabb")
        static let aad = hex("00000000ffffffff")
        static let plaintext = hex("00010203040506070809")
        static let ciphertextAndTag = hex("e27abdd2d2a53d2f136b9a4a2579529301bcfb71c78d4060f52c")
    }

    /// HKDF-SHA256: RFC 5869 appendix A.1 (test case 1), also Wycheproof
    /// `hkdf_sha256_test.json` tcId 1.
    enum HKDF {
        static let inputKeyMaterial = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")
        static let salt = hex("000102030405060708090a0b0c")
        static let info = hex("f0f1f2f3f4f5f6f7f8f9")
        static let outputKeyMaterial = hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    /// HMAC-SHA-256/384/512: RFC 4231 section 4.3 (test case 2), key "Jefe".
    enum HMAC {
        static let key = hex("4a656665")
        /// "what do ya want for nothing?"
        static let message = hex("7768617420646f2079612077616e7420666f72206e6f7468696e673f")
        static let sha256 = hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        static let sha384 = hex("af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649")
        static let sha512 = hex(
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd",
            "caeab1a34d4a6b4b636e070a38bce737"
        )
    }

    /// ECDSA P-256 with SHA-256, DER signature: Wycheproof `ecdsa_secp256r1_sha256_test.json` tcId 3.
    enum ECDSAP256 {
        static let subjectPublicKeyInfo = hex(
            "3059301306072a8648ce3d020106082a8648ce3d0301070342000404aaec73635726f213fb8a9e64da3b8632e41495a9",
            "44d0045b522eba7240fad587d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d"
        )
        static let message = hex("313233343030")
        static let signature = hex(
            "3046022100a8ea150cb80125d7381c4c1f1da8e9de2711f9917060406a73d7904519e51388022100f3ab9fa68bd47973",
            "a73b2d40480c2ba50c22c9d76ec217257288293285449b86"
        )
    }

    /// ECDSA P-384 with SHA-384, DER signature: Wycheproof `ecdsa_secp384r1_sha384_test.json` tcId 3.
    enum ECDSAP384 {
        static let subjectPublicKeyInfo = hex(
            "3076301006072a8648ce3d020106052b810400220362000429bdb76d5fa741bfd70233cb3a66cc7d44beb3b0663d92a8",
            "136650478bcefb61ef182e155a54345a5e8e5e88f064e5bc9a525ab7f764dad3dae1468c2b419f3b62b9ba917d5e8c4f",
            "b1ec47404a3fc76474b2713081be9db4c00e043ada9fc4a3"
        )
        static let message = hex("313233343030")
        static let signature = hex(
            "30650230234503fcca578121986d96be07fbc8da5d894ed8588c6dbcdbe974b4b813b21c52d20a8928f2e2fdac14705b",
            "0705498c023100cd7b9b766b97b53d1a80fc0b760af16a11bf4a59c7c367c6c7275dfb6e18a88091eed3734bf5cf41b3",
            "dc6fecd6d3baaf"
        )
    }

    /// ECDSA P-521 with SHA-512, DER signature: Wycheproof `ecdsa_secp521r1_sha512_test.json`
    /// tcId 3 (C2SP/wycheproof commit 78878a561742c35a110f3c459be0913b89d6ffd8).
    enum ECDSAP521 {
        static let subjectPublicKeyInfo = hex(
            "30819b301006072a8648ce3d020106052b810400230381860004012a908bfc5b70e17bdfae74294994808bf2a42dab59",
            "af8b0523a026d640a2a3d6d344520b62177e2cfa339ca42fb0883ec425904fbda2833a3b5b0a9a00811365d8012333d5",
            "32f8f8eb1a623c378a3694651192bbda833e3b8d7b8f90b2bfc9b045f8a55e1b6a5fe1512c400c4bc9c86fd7c699d642",
            "f5cee9bb827c8b0abc0da01cef1e"
        )
        static let message = hex("313233343030")
        static let signature = hex(
            "3081880242014141e4d94a58c1e747cbd9ee6670a41eac3c26fb4db3248e45d583179076e6b19a8e2003657a108f91f9",
            "a103157edff9b37df2b436a77dc112927d907ac9ba258702420108afa91b34bd904c680471e943af336fb90c5fb2b914",
            "01a58c9b1f467bf81af8049965dd8b45f12e152f4f7fd3780e3492f31ed2680d4777fbe655fe779ad897ab"
        )
    }

    /// Ed25519: Wycheproof `ed25519_test.json` tcId 3.
    enum Ed25519 {
        static let subjectPublicKeyInfo = hex("302a300506032b65700321007d4d0e7f6153a69b6242b522abbee685fda4420f8834b108c3bdae369ef549fa")
        /// "Test"
        static let message = hex("54657374")
        static let signature = hex(
            "7c38e026f29e14aabd059a0f2db8b0cd783040609a8be684db12f82a27774ab07a9155711ecfaf7f99f277bad0c6ae7e",
            "39d4eef676573336a5c51eb6f946b30d"
        )
    }

    /// Ed25519 signing: RFC 8032 section 7.1, TEST 1 (the empty message). Ed25519 signatures
    /// are deterministic, so signing must reproduce the RFC's signature.
    enum Ed25519Sign {
        static let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        static let publicKey = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        static let message: [UInt8] = []
        static let signature = hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b",
            "d25bf5f0595bbe24655141438e7a100b"
        )
    }

    /// The 2048-bit RSA key that Wycheproof's `rsa_pss_2048_sha256_mgf1_32_test.json`,
    /// `rsa_signature_2048_sha256_test.json` and `rsa_oaep_2048_sha256_mgf1sha256_test.json`
    /// share (modulus `00a2b451a0…`): its public half as DER SubjectPublicKeyInfo.
    static let rsa2048SubjectPublicKeyInfo = hex(
        "30820122300d06092a864886f70d01010105000382010f003082010a0282010100a2b451a07d0aa5f96e455671513550",
        "514a8a5b462ebef717094fa1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89d6eac88450",
        "97b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e254a2fe9765313a03eff8f17e1a029",
        "397a1fa26a8dce26f490ed81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08d945a12be82de4d1ece",
        "6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f48698bcbba1b4d9cae79d460",
        "d8f9f85e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf7820283f742b9",
        "d50203010001"
    )

    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt: Wycheproof
    /// `rsa_pss_2048_sha256_mgf1_32_test.json` tcId 3.
    enum RSAPSS {
        /// "Test"
        static let message = hex("54657374")
        static let signature = hex(
            "401eb03cdb47ca88033e3030f6bdecbac8f5c8fc1dd6a13d23d379ed9a2b309891d13d74fea9d21d159b9e6d8f37efa2",
            "489962e24555f56dd434ff1d31ce4f9f5abd3f22cbea8b691d6a11e44efb83e2bca155e6a164325e0fde2a8865afd5c9",
            "f51161a9d615f62af7ec2e31b3e5ab649c164490d31d88cfae35b84aea7925690f929a144b6d2f48e8fb894a52deecd1",
            "b9a6496990c4ecf1588699a42cacd10c53af350514e4291ea9a058e77f101e32c1c0cefa61d945f7bc931f8bd19e7ba3",
            "169358a60e5a8b0123bc3199b9fdcafe8e519c41ba675491a27b85e44ef2d77277c10fe107293c8290186913bc9a99b6",
            "40d8da041b64f31eab1d35920985f4a5"
        )
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256: Wycheproof `rsa_signature_2048_sha256_test.json` tcId 3.
    /// PKCS#1 v1.5 signatures are deterministic, so signing "Test" with ``RSAOAEP``'s private
    /// key (the same key) must reproduce this signature too.
    enum RSAPKCS1 {
        /// "Test"
        static let message = hex("54657374")
        static let signature = hex(
            "264491e844c119f14e425c03282139a558dcdaeb82a4628173cd407fd319f9076eaebc0dd87a1c22e4d17839096886d5",
            "8a9d5b7f7aeb63efec56c45ac7bead4203b6886e1faa90e028ec0ae094d46bf3f97efdd19045cfbc25a1abda2432639f",
            "9876405c0d68f8edbf047c12a454f7681d5d5a2b54bd3723d193dbad4338baad753264006e2d08931c4b8bb79aa1c9ca",
            "d10eb6605f87c5831f6e2b08e002f9c6f21141f5841d92727dd3e1d99c36bc560da3c9067df99fcaf818941f72588be3",
            "3032bad22caf6704223bb114d575b6d02d9d222b580005d930e8f40cce9f672eebb634a20177d84351627964b83f2053",
            "d736a84ab1a005f63bd5ba943de6205c"
        )
    }

    /// RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label: Wycheproof
    /// `rsa_oaep_2048_sha256_mgf1sha256_test.json` tcId 4 (C2SP/wycheproof commit
    /// 061657f12eed26eeab9b6548ce03f45219d0e7fe). The private key is public test data.
    enum RSAOAEP {
        static let privateKeyPKCS8 = hex(
            "308204bd020100300d06092a864886f70d0101010500048204a7308204a30201000282010100a2b451a07d0aa5f96e45",
            "5671513550514a8a5b462ebef717094fa1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89",
            "d6eac8845097b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e254a2fe9765313a03eff",
            "8f17e1a029397a1fa26a8dce26f490ed81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08d945a12be",
            "82de4d1ece6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f48698bcbba1b4d",
            "9cae79d460d8f9f85e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf782",
            "0283f742b9d502030100010282010024cdc62317f5d72a6f6ba6cc9632899b01d1ff28867d72f61688995bc855a4e420",
            "a8405250089bdb13cf8e09543827b748b9d27fbb2b4d9e20af8c5a6a862796d1a4cc18ad16ea678bc1bd4a83bbbe9c5e",
            "57453b5ce7388e41a3ba4ce2b77b4438a229e954f720dae0353dc088ac8a76b26dc276f8e1b7851ddd6398ad16ff2e78",
            "195123b9b036e945c38c9d12434f6df76fe22359eb3e1ac9c011678fc926fad3ae475a4fffff55feb2d147e9c894f4c0",
            "e29a599e762462482d968bf42780945fc0d2c31c573c4431b8f4fe8b8c67bec815abd44f7a86edca1c2308737358d2c2",
            "ae5e2e0e2dadf730980262377e58b13b7d9992060a0bc870ccfdb4a9319ee102818100dc431050f782e894fb5248247d",
            "98cb7d58b8d1e24f3b55d041c56e4de086b0d5bb028bda42eeb5d234d5681e5809d415e6a289ad4cfbf78f978f6c3581",
            "4f50eebff1c5b80a69f788e81e6bab5ddaa78369d659d143ec6f17e79813a575cfad9c569156b90113e2e9110ad9e7b4",
            "8a1c9348a6e653321191290ea36cfb3a5b18f102818100bd1a81e7977f9898122273ae3222b598ea5fb19eb4eabc3830",
            "8a5e32196603b2e500ffb79f5b886816611debc472fac45544070beb057c941378a6868af3b7a03d3f9880ec47d5e089",
            "b94fbde542aba9ae8d72c57088d7abf5b131f39098f7bc160f90536abc9492fd4e06f3ed7299d4b97bb03677207d9566",
            "9f140cfbc20f2502818100a94b528b28f291599121d91952ffd1c7f21d7c1479d99d478885fb161870ee1218bf084726",
            "12dbe5497e8d9c650688e09c786961ae3e2c354dc48ae34514759c4c23c4588488961dc06b414e61c0e1e7fbbd2923d3",
            "1532fe289f96da220711e58c14019808e00414276933bb07e4efb9b4a9b37656917205209f33f09515d7c10281803af0",
            "e72a933aef09ff2503df78bafed531c02ff1a2bc437c540cdcbd4ad35435cf511763596543480629b114ca7f780ff7ef",
            "a32ea0cb6e000d6d9ea1f2ef71fd9cf9948422a165557e37e755edfe70d90b920502eb478bc98a63f788ce3a0f856d6e",
            "de7251a383bfa8fa480a81a925af7b3cc538c4bab8c9f7597ffb68011d8d0281802640fbfbcfefb163ee7a87b6483a66",
            "ee41f956d90fa8a7939bfc042ee0924b1b7993d0445f758d51933e85179c0320b0c968b48a91c38b5be923e1097c0c56",
            "2f88d42294b6a2759bafa5428a74f1270874e45f6fcc60f21602de5eccd143cf31241f5921b5ad3983fb54ef17be3b28",
            "5367e50c999c67247b552fe4bfce945f7b"
        )
        static let ciphertext = hex(
            "0da290b0bf71a1141b2adc62b5b42b07fc52520cb05d1f39ccca7b7c22d379a6c2f2d93143d057050140527a1e563824",
            "3938b531ec3de7014b0151301e49b9fa433482a02abdfd94193dc9c70157e557776a69ded01ecbeac405133595c61165",
            "a428b6284729a4746b47d2bbaca9d7432c3b5693591cfee488eb3c68ddb6cde0dd61cfc6952423f994abecee34f56837",
            "32b29934a2c498ad48cdd30c149177189f48eefd9cc7232df18be11ff5f7e3af7319e3115997c599e2d8f7f4f663dcc4",
            "0032d403436d3058a5ea66473660f0e195281ec6eba997d2a951ca6ca5f3c112715c89da1d3dfb20a21940594ed10ade",
            "90ed7452b753757d7241cb8a803c373a"
        )
        /// "123400"
        static let plaintext = hex("313233343030")
    }
}

/// The bytes of hex strings written in this file, concatenated.
///
/// - Precondition: every part is lower-case hex of even length: the vectors are constants,
///   and `CryptoSelfTestTests` decodes each of them.
private func hex(_ parts: String...) -> [UInt8] {
    let digits = Array(parts.joined().utf8)
    precondition(digits.count.isMultiple(of: 2), "a self-test vector has an odd number of hex digits")
    func nibble(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: preconditionFailure("a self-test vector holds a character that is not lower-case hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}
