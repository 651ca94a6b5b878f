"""Signing, MAC, RSA-OAEP and data key pairs, checked by independent parties: the Python
`cryptography` package (and the `openssl` CLI) verify offline what kmsd signs, kmsd decrypts
what they encrypt with its exported public keys, and data key pairs load in them.

Keys are created once per module and reused (RSA-4096 generation is slow in a debug build)."""
import base64
import contextlib
import os
import shutil
import subprocess
import textwrap

import grpc
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from test_python_client import _error_reason

# Generous, so a slow debug build generating RSA-4096 keys fails clearly instead of hanging.
KEYGEN_TIMEOUT_SECONDS = 300

RSA_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
RSA_SIGNING_ALGORITHMS = [
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
]
# Every SIGN_VERIFY spec and its signing algorithms (names without the enum prefix).
SIGNING_ALGORITHMS = {
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ED25519": ["ED25519"],
    **{spec: RSA_SIGNING_ALGORITHMS for spec in RSA_SPECS},
}
OAEP_ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"]
MAC_ALGORITHMS = {"HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384", "HMAC_512": "HMAC_SHA_512"}

CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1}
RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}

SIGNING_CASES = [
    pytest.param(spec, algorithm, id=f"{spec}-{algorithm}")
    for spec, algorithms in SIGNING_ALGORITHMS.items()
    for algorithm in algorithms
]


def _hash(algorithm):
    """The hash an algorithm name ends with (`..._SHA_384` -> SHA384())."""
    for suffix, hash_type in HASHES.items():
        if algorithm.endswith(suffix):
            return hash_type()
    raise ValueError(f"{algorithm} names no hash")


def _digest(algorithm, message):
    hasher = hashes.Hash(_hash(algorithm))
    hasher.update(message)
    return hasher.finalize()


def _flip(data, index=-1):
    """`data` with one bit of one byte changed."""
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _check_key_type(public_key, spec):
    """Asserts that a loaded public key is of `spec` (a KeySpec or DataKeyPairSpec name)."""
    if spec in CURVES:
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        assert isinstance(public_key.curve, CURVES[spec])
    elif spec == "ED25519":
        assert isinstance(public_key, ed25519.Ed25519PublicKey)
    else:
        assert isinstance(public_key, rsa.RSAPublicKey)
        assert public_key.key_size == RSA_BITS[spec]


def _is_pkcs8(der):
    """Whether DER private key bytes are PKCS#8 (PrivateKeyInfo / OneAsymmetricKey: version,
    then an AlgorithmIdentifier SEQUENCE) rather than SEC1 or PKCS#1, whose version is
    followed by an OCTET STRING or an INTEGER."""

    def skip_header(offset):
        length = der[offset + 1]
        if length < 0x80:
            return offset + 2, length
        count = length & 0x7F
        return offset + 2 + count, int.from_bytes(der[offset + 2 : offset + 2 + count], "big")

    if der[0] != 0x30:
        return False
    version_at, _ = skip_header(0)
    if der[version_at] != 0x02:
        return False
    content_at, length = skip_header(version_at)
    return der[content_at + length] == 0x30


def _verify_offline(public_key, algorithm, signature, data, *, prehashed=False):
    """Verifies with `cryptography` alone; raises InvalidSignature on a mismatch. `data` is the
    message, or with `prehashed` its digest. PSS: MGF1 of the same hash, salt = digest length
    (checked exactly, not auto-detected)."""
    if algorithm == "ED25519":
        assert not prehashed, "Ed25519 signs messages only"
        public_key.verify(signature, data)
        return
    hash_ = _hash(algorithm)
    chosen = utils.Prehashed(hash_) if prehashed else hash_
    if algorithm.startswith("ECDSA"):
        public_key.verify(signature, data, ec.ECDSA(chosen))
    elif algorithm.startswith("RSASSA_PSS"):
        pss = padding.PSS(mgf=padding.MGF1(hash_), salt_length=hash_.digest_size)
        public_key.verify(signature, data, pss, chosen)
    else:
        public_key.verify(signature, data, padding.PKCS1v15(), chosen)


def _pem(der):
    """A PEM PUBLIC KEY block from SPKI DER, by hand (no crypto library involved)."""
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


@contextlib.contextmanager
def _refused(reason, code=grpc.StatusCode.INVALID_ARGUMENT):
    """Expects the block to fail with a gRPC `code` carrying ErrorInfo `reason`."""
    with pytest.raises(grpc.RpcError) as raised:
        yield
    assert raised.value.code() == code, raised.value.details()
    assert _error_reason(raised.value) == reason, raised.value.details()


class Kms:
    """The client, the generated module, and one key per (spec, usage) for the whole module."""

    def __init__(self, client, pb):
        self.client = client
        self.pb = pb
        self._keys = {}
        self._public_keys = {}

    def enum(self, prefix, name):
        return getattr(self.pb, f"{prefix}_{name}")

    def key(self, spec, usage):
        """The metadata of the module's key of `spec` and `usage`, created on first use."""
        if (spec, usage) not in self._keys:
            request = self.pb.CreateKeyRequest(
                description=f"interop {spec} {usage}",
                key_spec=self.enum("KEY_SPEC", spec),
                key_usage=self.enum("KEY_USAGE", usage),
            )
            metadata = self.client.CreateKey(request, timeout=KEYGEN_TIMEOUT_SECONDS).key_metadata
            assert metadata.key_state == self.pb.KEY_STATE_ENABLED
            self._keys[spec, usage] = metadata
        return self._keys[spec, usage]

    def key_id(self, spec, usage):
        return self.key(spec, usage).key_id

    def public_key(self, spec, usage):
        """GetPublicKey of the module's key: (response, the SPKI loaded by `cryptography`)."""
        if (spec, usage) not in self._public_keys:
            reply = self.client.GetPublicKey(self.pb.GetPublicKeyRequest(key_id=self.key_id(spec, usage)))
            loaded = serialization.load_der_public_key(reply.public_key)
            _check_key_type(loaded, spec)
            self._public_keys[spec, usage] = (reply, loaded)
        return self._public_keys[spec, usage]

    def sign(self, key_id, algorithm, message, message_type="RAW"):
        return self.client.Sign(
            self.pb.SignRequest(
                key_id=key_id,
                message=message,
                message_type=self.enum("MESSAGE_TYPE", message_type),
                signing_algorithm=self.enum("SIGNING_ALGORITHM", algorithm),
            )
        )

    def verify(self, key_id, algorithm, message, signature, message_type="RAW"):
        """Server-side Verify; returns signature_valid after checking the echoed fields."""
        reply = self.client.Verify(
            self.pb.VerifyRequest(
                key_id=key_id,
                message=message,
                message_type=self.enum("MESSAGE_TYPE", message_type),
                signature=signature,
                signing_algorithm=self.enum("SIGNING_ALGORITHM", algorithm),
            )
        )
        assert reply.key_id == key_id
        assert reply.signing_algorithm == self.enum("SIGNING_ALGORITHM", algorithm)
        return reply.signature_valid

    def decrypt_oaep(self, key_id, algorithm, ciphertext):
        reply = self.client.Decrypt(
            self.pb.DecryptRequest(
                ciphertext_blob=ciphertext, key_id=key_id, encryption_algorithm=self.enum("ENCRYPTION_ALGORITHM", algorithm)
            )
        )
        assert reply.key_id == key_id
        assert reply.encryption_algorithm == self.enum("ENCRYPTION_ALGORITHM", algorithm)
        return reply.plaintext


@pytest.fixture(scope="module")
def kms(dev_server, stubs):
    with dev_server.channel() as channel:
        yield Kms(stubs["kms_grpc"].KeyManagementServiceStub(channel), stubs["kms"])


# --- Key metadata ---


# (spec, usage, signing algorithms, encryption algorithms, MAC algorithms) of a new key.
METADATA_CASES = [
    *[pytest.param(spec, "SIGN_VERIFY", names, [], [], id=spec) for spec, names in SIGNING_ALGORITHMS.items()],
    pytest.param("RSA_2048", "ENCRYPT_DECRYPT", [], OAEP_ALGORITHMS, [], id="RSA_2048-ENCRYPT_DECRYPT"),
    *[pytest.param(spec, "GENERATE_VERIFY_MAC", [], [], [mac], id=spec) for spec, mac in MAC_ALGORITHMS.items()],
]
DEFAULT_USAGES = [
    ("ECC_NIST_P256", "SIGN_VERIFY"),
    ("ED25519", "SIGN_VERIFY"),
    ("RSA_2048", "ENCRYPT_DECRYPT"),
    ("HMAC_256", "GENERATE_VERIFY_MAC"),
]


@pytest.mark.parametrize("spec, usage, signing, encryption, mac", METADATA_CASES)
def test_created_key_lists_the_algorithms_of_its_usage(kms, spec, usage, signing, encryption, mac):
    """CreateKey returns the spec and usage asked for and, in the metadata, exactly the
    algorithms the key works with for its usage (the other lists empty)."""
    metadata = kms.key(spec, usage)
    assert metadata.key_spec == kms.enum("KEY_SPEC", spec)
    assert metadata.key_usage == kms.enum("KEY_USAGE", usage)
    # The proto gives no order: compared sorted.
    assert sorted(metadata.signing_algorithms) == sorted(kms.enum("SIGNING_ALGORITHM", name) for name in signing)
    assert sorted(metadata.encryption_algorithms) == sorted(kms.enum("ENCRYPTION_ALGORITHM", name) for name in encryption)
    assert sorted(metadata.mac_algorithms) == sorted(kms.enum("MAC_ALGORITHM", name) for name in mac)


@pytest.mark.parametrize("spec, usage", DEFAULT_USAGES)
def test_key_usage_defaults_to_the_usage_of_the_spec(kms, spec, usage):
    """A CreateKey that names a spec but no usage gets the spec's usage: SIGN_VERIFY for ECC
    and Ed25519, ENCRYPT_DECRYPT for RSA, GENERATE_VERIFY_MAC for HMAC."""
    request = kms.pb.CreateKeyRequest(description="interop default usage", key_spec=kms.enum("KEY_SPEC", spec))
    metadata = kms.client.CreateKey(request, timeout=KEYGEN_TIMEOUT_SECONDS).key_metadata
    assert metadata.key_spec == kms.enum("KEY_SPEC", spec)
    assert metadata.key_usage == kms.enum("KEY_USAGE", usage)


# --- Signatures ---


@pytest.mark.parametrize("spec, algorithm", SIGNING_CASES)
def test_signature_verifies_offline_and_on_the_server(kms, spec, algorithm):
    """A RAW-message signature made by the server verifies with `cryptography` under the
    public key GetPublicKey exports (DER SPKI of the right type and size; ECDSA signatures
    DER, PSS with MGF1 of the same hash and a digest-long salt), and the server's own Verify
    accepts it."""
    key_id = kms.key_id(spec, "SIGN_VERIFY")
    message = b"signed by kmsd, verified by cryptography " + os.urandom(16)

    signed = kms.sign(key_id, algorithm, message)
    assert signed.key_id == key_id
    assert signed.key_version == 1
    assert signed.signing_algorithm == kms.enum("SIGNING_ALGORITHM", algorithm)
    if spec in RSA_BITS:
        assert len(signed.signature) == RSA_BITS[spec] // 8
    elif spec == "ED25519":
        assert len(signed.signature) == 64

    exported, public_key = kms.public_key(spec, "SIGN_VERIFY")
    assert exported.key_id == key_id
    assert exported.key_spec == kms.enum("KEY_SPEC", spec)
    assert exported.key_usage == kms.pb.KEY_USAGE_SIGN_VERIFY
    assert exported.key_version == 1
    assert kms.enum("SIGNING_ALGORITHM", algorithm) in exported.signing_algorithms
    assert list(exported.encryption_algorithms) == []

    _verify_offline(public_key, algorithm, signed.signature, message)
    assert kms.verify(key_id, algorithm, message, signed.signature) is True


@pytest.mark.parametrize("spec, algorithm", SIGNING_CASES)
def test_altered_message_or_signature_does_not_verify(kms, spec, algorithm):
    """Changing one byte of the message makes the server's Verify answer false (not an error)
    and offline verification fail; changing one byte of the signature makes Verify false."""
    key_id = kms.key_id(spec, "SIGN_VERIFY")
    _, public_key = kms.public_key(spec, "SIGN_VERIFY")
    message = b"one byte of this will change " + os.urandom(16)
    signature = kms.sign(key_id, algorithm, message).signature

    altered_message = _flip(message, 0)
    assert kms.verify(key_id, algorithm, altered_message, signature) is False
    with pytest.raises(InvalidSignature):
        _verify_offline(public_key, algorithm, signature, altered_message)

    # The last byte lies in the value (ECDSA: of s), so the DER stays well-formed.
    altered_signature = _flip(signature)
    assert kms.verify(key_id, algorithm, message, altered_signature) is False
    with pytest.raises(InvalidSignature):
        _verify_offline(public_key, algorithm, altered_signature, message)


@pytest.mark.parametrize(
    "spec, algorithm",
    [
        ("ECC_NIST_P384", "ECDSA_SHA_384"),
        ("RSA_2048", "RSASSA_PSS_SHA_256"),
        ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_512"),
    ],
)
def test_digest_signature_is_a_signature_of_the_message(kms, spec, algorithm):
    """Signing a caller-made digest (MESSAGE_TYPE_DIGEST) gives a signature that verifies
    offline both as a prehashed digest and as a signature of the original message, and that
    the server's Verify accepts in DIGEST and in RAW mode."""
    key_id = kms.key_id(spec, "SIGN_VERIFY")
    _, public_key = kms.public_key(spec, "SIGN_VERIFY")
    message = b"hashed by the caller " + os.urandom(16)
    digest = _digest(algorithm, message)

    signature = kms.sign(key_id, algorithm, digest, message_type="DIGEST").signature

    _verify_offline(public_key, algorithm, signature, digest, prehashed=True)
    _verify_offline(public_key, algorithm, signature, message)
    assert kms.verify(key_id, algorithm, digest, signature, message_type="DIGEST") is True
    assert kms.verify(key_id, algorithm, message, signature) is True


@pytest.mark.parametrize(
    "spec, algorithm, digest_length",
    [
        pytest.param("ED25519", "ED25519", 32, id="ed25519-digest"),
        pytest.param("ECC_NIST_P256", "ECDSA_SHA_256", 20, id="digest-of-wrong-length"),
    ],
)
def test_unusable_digest_is_a_validation_error(kms, spec, algorithm, digest_length):
    """Sign refuses MESSAGE_TYPE_DIGEST for Ed25519 (pure Ed25519 signs messages only) and a
    digest that is not exactly the algorithm's hash length, as INVALID_ARGUMENT / VALIDATION."""
    key_id = kms.key_id(spec, "SIGN_VERIFY")
    with _refused("VALIDATION"):
        kms.sign(key_id, algorithm, os.urandom(digest_length), message_type="DIGEST")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not on PATH")
@pytest.mark.parametrize(
    "spec, algorithm, digest_option",
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", "-sha256"),
        ("ECC_NIST_P384", "ECDSA_SHA_384", "-sha384"),
        ("ECC_NIST_P521", "ECDSA_SHA_512", "-sha512"),
    ],
)
def test_openssl_cli_verifies_an_ecdsa_signature(kms, tmp_path, spec, algorithm, digest_option):
    """`openssl dgst -verify` accepts an ECDSA signature from Sign as it is (DER) under the
    exported public key written as PEM, and rejects it for an altered message."""
    key_id = kms.key_id(spec, "SIGN_VERIFY")
    exported, _ = kms.public_key(spec, "SIGN_VERIFY")
    message = b"verified by the openssl command line " + os.urandom(16)
    (tmp_path / "pub.pem").write_text(_pem(exported.public_key))
    (tmp_path / "sig.der").write_bytes(kms.sign(key_id, algorithm, message).signature)

    def openssl_verify(data):
        (tmp_path / "msg").write_bytes(data)
        command = ["openssl", "dgst", digest_option, "-verify", "pub.pem", "-signature", "sig.der", "msg"]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)

    verified = openssl_verify(message)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verified OK" in verified.stdout
    refused = openssl_verify(_flip(message, 0))
    assert refused.returncode != 0
    assert "Verification failure" in refused.stdout


# --- RSA-OAEP ---

# The largest plaintext OAEP allows: modulus bytes - 2 * hash length - 2.
OAEP_CASES = [
    pytest.param("RSA_2048", "RSAES_OAEP_SHA_256", 190, id="RSA_2048-OAEP_SHA_256"),
    pytest.param("RSA_2048", "RSAES_OAEP_SHA_1", 214, id="RSA_2048-OAEP_SHA_1"),
    pytest.param("RSA_3072", "RSAES_OAEP_SHA_1", 342, id="RSA_3072-OAEP_SHA_1"),
]


@pytest.mark.parametrize("spec, algorithm, max_plaintext", OAEP_CASES)
def test_offline_oaep_ciphertext_decrypts_on_the_server(kms, spec, algorithm, max_plaintext):
    """A client holding only the exported public key encrypts with `cryptography`'s OAEP
    (MGF1 and label-less, same hash), the longest plaintext the key allows and a short one,
    and the server's Decrypt, given key_id and the algorithm, returns the plaintext."""
    key_id = kms.key_id(spec, "ENCRYPT_DECRYPT")
    exported, public_key = kms.public_key(spec, "ENCRYPT_DECRYPT")
    assert exported.key_usage == kms.pb.KEY_USAGE_ENCRYPT_DECRYPT
    assert kms.enum("ENCRYPTION_ALGORITHM", algorithm) in exported.encryption_algorithms
    assert list(exported.signing_algorithms) == []

    hash_ = _hash(algorithm)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hash_), algorithm=hash_, label=None)
    for plaintext in (os.urandom(max_plaintext), b"x"):
        ciphertext = public_key.encrypt(plaintext, oaep)
        assert kms.decrypt_oaep(key_id, algorithm, ciphertext) == plaintext


@pytest.mark.parametrize("spec, algorithm, max_plaintext", OAEP_CASES)
def test_server_oaep_encryption_round_trips(kms, spec, algorithm, max_plaintext):
    """Encrypt with an RSAES_OAEP algorithm returns the raw OAEP output (one modulus long,
    different each time), which Decrypt turns back into the plaintext."""
    key_id = kms.key_id(spec, "ENCRYPT_DECRYPT")
    plaintext = os.urandom(max_plaintext)
    request = kms.pb.EncryptRequest(
        key_id=key_id, plaintext=plaintext, encryption_algorithm=kms.enum("ENCRYPTION_ALGORITHM", algorithm)
    )
    first, second = kms.client.Encrypt(request), kms.client.Encrypt(request)
    assert first.key_id == key_id
    assert first.encryption_algorithm == kms.enum("ENCRYPTION_ALGORITHM", algorithm)
    assert len(first.ciphertext_blob) == RSA_BITS[spec] // 8
    assert first.ciphertext_blob != second.ciphertext_blob
    assert kms.decrypt_oaep(key_id, algorithm, first.ciphertext_blob) == plaintext
    assert kms.decrypt_oaep(key_id, algorithm, second.ciphertext_blob) == plaintext


def test_oaep_ciphertext_does_not_decrypt_with_the_other_hash(kms):
    """An OAEP-SHA-256 ciphertext given to Decrypt as OAEP-SHA-1 is INVALID_CIPHERTEXT."""
    key_id = kms.key_id("RSA_2048", "ENCRYPT_DECRYPT")
    _, public_key = kms.public_key("RSA_2048", "ENCRYPT_DECRYPT")
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ciphertext = public_key.encrypt(b"sealed with SHA-256", oaep)
    with _refused("INVALID_CIPHERTEXT"):
        kms.decrypt_oaep(key_id, "RSAES_OAEP_SHA_1", ciphertext)


# --- HMAC ---


@pytest.mark.parametrize("spec, algorithm", list(MAC_ALGORITHMS.items()))
def test_mac_verifies_and_alterations_do_not(kms, spec, algorithm):
    """GenerateMac gives the full-length tag (the hash's length), the same for the same
    message; VerifyMac accepts it, and answers false for an altered message or tag."""
    key_id = kms.key_id(spec, "GENERATE_VERIFY_MAC")
    mac_algorithm = kms.enum("MAC_ALGORITHM", algorithm)
    message = b"authenticated by kmsd " + os.urandom(16)

    def generate(data):
        reply = kms.client.GenerateMac(kms.pb.GenerateMacRequest(key_id=key_id, message=data, mac_algorithm=mac_algorithm))
        assert reply.key_id == key_id
        assert reply.key_version == 1
        assert reply.mac_algorithm == mac_algorithm
        return reply.mac

    def verify(data, mac):
        reply = kms.client.VerifyMac(kms.pb.VerifyMacRequest(key_id=key_id, message=data, mac=mac, mac_algorithm=mac_algorithm))
        assert reply.key_id == key_id
        assert reply.mac_algorithm == mac_algorithm
        return reply.mac_valid

    mac = generate(message)
    assert len(mac) == _hash(algorithm).digest_size
    assert generate(message) == mac
    assert verify(message, mac) is True
    assert verify(_flip(message, 0), mac) is False
    assert verify(message, _flip(mac)) is False


# --- Data key pairs ---

DATA_KEY_PAIR_SPECS = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ED25519", *RSA_SPECS]
PAIR_CONTEXT = {"purpose": "interop key pair"}


def _check_pair(spec, pkcs8, public_key_der):
    """Asserts that PKCS#8 DER and SPKI DER are the two halves of one key pair of `spec`."""
    assert _is_pkcs8(pkcs8), "the private key is not PKCS#8"
    private_key = serialization.load_der_private_key(pkcs8, password=None)
    public_key = serialization.load_der_public_key(public_key_der)
    _check_key_type(public_key, spec)
    assert _spki(private_key.public_key()) == public_key_der


@pytest.mark.parametrize("spec", DATA_KEY_PAIR_SPECS)
def test_data_key_pair_loads_matches_and_decrypts(kms, spec):
    """GenerateDataKeyPair returns a PKCS#8 private key `cryptography` loads, whose public
    half is exactly the returned SPKI, and a blob that Decrypt (with the same encryption
    context) turns back into exactly that private key."""
    key_id = kms.key_id("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    request = kms.pb.GenerateDataKeyPairRequest(
        key_id=key_id, key_pair_spec=kms.enum("DATA_KEY_PAIR_SPEC", spec), encryption_context=PAIR_CONTEXT
    )
    pair = kms.client.GenerateDataKeyPair(request, timeout=KEYGEN_TIMEOUT_SECONDS)
    assert pair.key_id == key_id
    assert pair.key_version == 1
    assert pair.key_pair_spec == kms.enum("DATA_KEY_PAIR_SPEC", spec)
    _check_pair(spec, pair.private_key_plaintext, pair.public_key)

    decrypted = kms.client.Decrypt(
        kms.pb.DecryptRequest(ciphertext_blob=pair.private_key_ciphertext_blob, encryption_context=PAIR_CONTEXT)
    )
    assert decrypted.key_id == key_id
    assert decrypted.plaintext == pair.private_key_plaintext


@pytest.mark.parametrize("spec", ["ECC_NIST_P256", "ED25519", "RSA_2048"])
def test_data_key_pair_without_plaintext_decrypts_to_its_private_key(kms, spec):
    """GenerateDataKeyPairWithoutPlaintext returns a blob that Decrypt, with the same
    encryption context only, turns into a PKCS#8 private key matching the returned public key."""
    key_id = kms.key_id("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    request = kms.pb.GenerateDataKeyPairWithoutPlaintextRequest(
        key_id=key_id, key_pair_spec=kms.enum("DATA_KEY_PAIR_SPEC", spec), encryption_context=PAIR_CONTEXT
    )
    pair = kms.client.GenerateDataKeyPairWithoutPlaintext(request, timeout=KEYGEN_TIMEOUT_SECONDS)
    assert pair.key_id == key_id
    assert pair.key_pair_spec == kms.enum("DATA_KEY_PAIR_SPEC", spec)

    decrypted = kms.client.Decrypt(
        kms.pb.DecryptRequest(ciphertext_blob=pair.private_key_ciphertext_blob, encryption_context=PAIR_CONTEXT)
    )
    _check_pair(spec, decrypted.plaintext, pair.public_key)
    with _refused("INVALID_CIPHERTEXT"):
        kms.client.Decrypt(kms.pb.DecryptRequest(ciphertext_blob=pair.private_key_ciphertext_blob))


# --- Usage mismatches ---


def _sign_with_symmetric_key(kms):
    kms.sign(kms.key_id("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), "ECDSA_SHA_256", b"message")


def _sign_with_rsa_encryption_key(kms):
    kms.sign(kms.key_id("RSA_2048", "ENCRYPT_DECRYPT"), "RSASSA_PSS_SHA_256", b"message")


def _sign_p256_with_ecdsa_sha_384(kms):
    kms.sign(kms.key_id("ECC_NIST_P256", "SIGN_VERIFY"), "ECDSA_SHA_384", b"message")


def _verify_with_hmac_key(kms):
    kms.verify(kms.key_id("HMAC_256", "GENERATE_VERIFY_MAC"), "ECDSA_SHA_256", b"message", b"\x30" * 70)


def _encrypt_with_ecc_key(kms):
    kms.client.Encrypt(kms.pb.EncryptRequest(key_id=kms.key_id("ECC_NIST_P256", "SIGN_VERIFY"), plaintext=b"secret"))


def _encrypt_oaep_with_rsa_signing_key(kms):
    request = kms.pb.EncryptRequest(
        key_id=kms.key_id("RSA_2048", "SIGN_VERIFY"),
        plaintext=b"secret",
        encryption_algorithm=kms.pb.ENCRYPTION_ALGORITHM_RSAES_OAEP_SHA_256,
    )
    kms.client.Encrypt(request)


def _generate_mac_with_ecc_key(kms):
    request = kms.pb.GenerateMacRequest(
        key_id=kms.key_id("ECC_NIST_P256", "SIGN_VERIFY"), message=b"message", mac_algorithm=kms.pb.MAC_ALGORITHM_HMAC_SHA_256
    )
    kms.client.GenerateMac(request)


def _generate_mac_with_the_wrong_hmac_length(kms):
    request = kms.pb.GenerateMacRequest(
        key_id=kms.key_id("HMAC_256", "GENERATE_VERIFY_MAC"), message=b"message", mac_algorithm=kms.pb.MAC_ALGORITHM_HMAC_SHA_512
    )
    kms.client.GenerateMac(request)


def _get_public_key_of_symmetric_key(kms):
    kms.client.GetPublicKey(kms.pb.GetPublicKeyRequest(key_id=kms.key_id("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")))


def _data_key_pair_under_ecc_key(kms):
    request = kms.pb.GenerateDataKeyPairRequest(
        key_id=kms.key_id("ECC_NIST_P256", "SIGN_VERIFY"), key_pair_spec=kms.pb.DATA_KEY_PAIR_SPEC_ECC_NIST_P256
    )
    kms.client.GenerateDataKeyPair(request)


@pytest.mark.parametrize(
    "call",
    [
        _sign_with_symmetric_key,
        _sign_with_rsa_encryption_key,
        _sign_p256_with_ecdsa_sha_384,
        _verify_with_hmac_key,
        _encrypt_with_ecc_key,
        _encrypt_oaep_with_rsa_signing_key,
        _generate_mac_with_ecc_key,
        _generate_mac_with_the_wrong_hmac_length,
        _data_key_pair_under_ecc_key,
    ],
    ids=lambda call: call.__name__.lstrip("_"),
)
def test_usage_mismatch_is_invalid_key_usage(kms, call):
    """An operation the key's usage or spec does not allow (signing with an encryption key,
    encrypting or MACing with a signing key, an algorithm of another spec, a data key pair
    under a signing key) is INVALID_ARGUMENT with ErrorInfo reason INVALID_KEY_USAGE."""
    with _refused("INVALID_KEY_USAGE"):
        call(kms)


def test_a_symmetric_key_has_no_public_key(kms):
    """GetPublicKey of a symmetric key is refused as AWS KMS does: FAILED_PRECONDITION with
    reason UNSUPPORTED_OPERATION."""
    with _refused("UNSUPPORTED_OPERATION", code=grpc.StatusCode.FAILED_PRECONDITION):
        _get_public_key_of_symmetric_key(kms)
