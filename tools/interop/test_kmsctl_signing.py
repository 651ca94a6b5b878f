"""`kmsctl` signs, exports a PEM public key that the openssl CLI verifies with, and reports
verification results through its exit status."""
import json
import shutil
import subprocess

import pytest


def _create_key(dev_server, spec, usage=None):
    usage_options = ["--key-usage", usage] if usage else []
    created = dev_server.kmsctl("create-key", "--key-spec", spec, *usage_options, "--json")
    return json.loads(created.stdout)["keyMetadata"]["keyId"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")
@pytest.mark.parametrize(
    "spec, algorithm, openssl_options",
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", ["-sha256"]),
        ("RSA_2048", "RSASSA_PSS_SHA_384", ["-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]),
    ],
)
def test_openssl_verifies_a_kmsctl_signature_with_the_pem_from_get_public_key(dev_server, tmp_path, spec, algorithm, openssl_options):
    """What a release pipeline does: sign a file with kmsctl, publish `get-public-key --pem`,
    verify with stock OpenSSL; a changed file does not verify."""
    key_id = _create_key(dev_server, spec, "SIGN_VERIFY")
    artifact = tmp_path / "artifact.bin"
    artifact.write_bytes(b"release 1.2.3\n" * 100)
    signature = tmp_path / "artifact.sig"
    pem = tmp_path / "key.pem"
    dev_server.kmsctl("sign", "--key-id", key_id, "--signing-algorithm", algorithm, "--message-file", str(artifact), "--out", str(signature))
    pem.write_bytes(dev_server.kmsctl("get-public-key", "--key-id", key_id, "--pem").stdout)
    assert pem.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")

    def openssl_verify(path):
        command = ["openssl", "dgst", *openssl_options, "-verify", str(pem), "-signature", str(signature), str(path)]
        return subprocess.run(command, capture_output=True)

    assert openssl_verify(artifact).returncode == 0
    changed = tmp_path / "changed.bin"
    changed.write_bytes(artifact.read_bytes() + b"!")
    assert openssl_verify(changed).returncode != 0


def test_verify_and_verify_mac_exit_0_when_valid_and_2_when_not(dev_server, tmp_path):
    """Scripts branch on the exit status: 0 valid, 2 invalid (1 is kept for failed calls)."""
    ed25519 = _create_key(dev_server, "ED25519")
    signature = dev_server.kmsctl("sign", "--key-id", ed25519, "--signing-algorithm", "ED25519", "--message", "hello").stdout.strip()
    common = ["--key-id", ed25519, "--signing-algorithm", "ED25519", "--signature", signature.decode()]
    assert dev_server.kmsctl("verify", "--message", "hello", *common).stdout.strip() == b"valid"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        dev_server.kmsctl("verify", "--message", "hellO", *common)
    assert refused.value.returncode == 2

    hmac = _create_key(dev_server, "HMAC_384")
    mac = dev_server.kmsctl("generate-mac", "--key-id", hmac, "--mac-algorithm", "HMAC_SHA_384", "--message", "body").stdout.strip()
    common = ["--key-id", hmac, "--mac-algorithm", "HMAC_SHA_384", "--mac", mac.decode()]
    assert dev_server.kmsctl("verify-mac", "--message", "body", *common).returncode == 0
    with pytest.raises(subprocess.CalledProcessError) as refused:
        dev_server.kmsctl("verify-mac", "--message", "bodY", *common)
    assert refused.value.returncode == 2
