"""The AWS Encryption SDK for Python (`aws-encryption-sdk` on PyPI, its plain master key
provider API, no aws-cryptographic-material-providers) against the AWS KMS-compatible
endpoint: a file encrypted by a swift-kms key's ARN decrypts again for a principal whose key
policy allows kms:Decrypt, and not for one whose key policy denies it.

How the SDK reaches swift-kms: `StrictAwsKmsMasterKeyProvider` makes its own boto3 KMS
clients, one per region (the region comes from the key ARN), from the botocore session it is
given, and passes them nothing but a `Config(user_agent_extra=...)`. So everything the
clients need goes into that session; see `swift_kms_botocore_session` below."""
import logging
import os
import textwrap

import aws_encryption_sdk
import botocore.config
import botocore.session
import pytest
from aws_encryption_sdk.exceptions import DecryptKeyError
from aws_encryption_sdk.identifiers import CommitmentPolicy
from botocore.exceptions import ClientError

from aws_compat_support import ACCOUNT, ALICE, BOB, REGION, aws_cluster, key_policy  # noqa: F401 (fixture)

CONTEXT = {"purpose": "interop-test", "file": "payload.bin"}


def swift_kms_botocore_session(directory, endpoint_url, leaf):
    """A botocore session for the Encryption SDK's KMS key provider that talks to swift-kms
    at `endpoint_url` as the principal of `leaf`'s client certificate.

    - Endpoint URL: the AWS shared config file's per-service `endpoint_url` (a `services`
      section, botocore >= 1.31). The session reads its own config file (`config_file`) and
      profile, so two principals in one process can use two sessions. (For a whole process
      the environment does the same: AWS_ENDPOINT_URL_KMS=https://kms.example:8443.)
    - CA bundle: the session variable `ca_bundle` (the config file's `ca_bundle`, or
      AWS_CA_BUNDLE; set on the session here so that it wins over AWS_CA_BUNDLE).
    - Client certificate: the config file has no setting for it, so it goes into the
      session's default client config, `Config(client_cert=(cert, key))`. botocore merges the
      `Config(user_agent_extra=...)` the SDK passes into it, keeping `client_cert`.
    - Credentials: botocore needs some to sign (SigV4); swift-kms identifies the caller by
      the client certificate and does not use them.
    """
    config_file = directory / f"aws-config-{leaf.name}"
    config_file.write_text(textwrap.dedent(f"""\
        [profile swift-kms]
        services = swift-kms

        [services swift-kms]
        kms =
          endpoint_url = {endpoint_url}
        """))
    session = botocore.session.Session(profile="swift-kms")
    session.set_config_variable("config_file", str(config_file))
    session.set_config_variable("ca_bundle", str(leaf.ca.cert_path))
    session.set_default_client_config(botocore.config.Config(client_cert=(str(leaf.cert_path), str(leaf.key_path))))
    session.set_credentials("unused", "unused")
    return session


def key_provider(directory, aws_cluster, leaf, key_arn):
    """The SDK's strict KMS key provider of `key_arn` for the principal of `leaf`."""
    session = swift_kms_botocore_session(directory, aws_cluster.kmsd.endpoint_url, leaf)
    return aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=session)


@pytest.fixture(scope="module", autouse=True)
def no_endpoint_from_environment():
    """The environment's endpoint settings would win over the config file's; these tests
    set their own. (Module-scoped: the module-scoped fixtures below make clients too.)"""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
            monkeypatch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def key_arn(aws_cluster):
    """A symmetric key: alice may encrypt, make data keys and decrypt; bob may encrypt and
    make data keys, and is denied kms:Decrypt."""
    kms = aws_cluster.kmsd.kms(aws_cluster.admin)
    metadata = kms.create_key(Description="aws-encryption-sdk interop", Policy=key_policy(
        {"Sid": "AliceUses", "Effect": "Allow", "Principal": ALICE, "Resource": "*",
         "Action": ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]},
        {"Sid": "BobWraps", "Effect": "Allow", "Principal": BOB, "Resource": "*",
         "Action": ["kms:Encrypt", "kms:GenerateDataKey"]},
        {"Sid": "BobMayNotDecrypt", "Effect": "Deny", "Principal": BOB, "Resource": "*", "Action": "kms:Decrypt"},
    ))["KeyMetadata"]
    assert metadata["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{metadata['KeyId']}"
    assert metadata["KeySpec"] == "SYMMETRIC_DEFAULT"
    return metadata["Arn"]


@pytest.fixture(scope="module")
def sdk():
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)


@pytest.fixture(scope="module")
def encrypted_file(tmp_path_factory, aws_cluster, key_arn, sdk):
    """Alice streams a file of random bytes through the SDK's encryptor: (plaintext path,
    ciphertext path, the encryptor's header)."""
    directory = tmp_path_factory.mktemp("sdk")
    plaintext_path = directory / "payload.bin"
    plaintext_path.write_bytes(os.urandom(300 * 1024 + 17))
    ciphertext_path = directory / "payload.bin.encrypted"
    provider = key_provider(directory, aws_cluster, aws_cluster.alice, key_arn)
    with open(plaintext_path, "rb") as source, open(ciphertext_path, "wb") as target:
        with sdk.stream(mode="e", source=source, key_provider=provider, encryption_context=CONTEXT, frame_length=64 * 1024) as encryptor:
            for chunk in encryptor:
                target.write(chunk)
            header = encryptor.header
    return plaintext_path, ciphertext_path, header


def test_the_session_makes_kms_clients_of_swift_kms(tmp_path, aws_cluster):
    """What the provider gets when it makes a client from the session, as it does
    (`boto3.session.Session(botocore_session=...).client("kms", region_name=..., config=...)`)."""
    session = swift_kms_botocore_session(tmp_path, aws_cluster.kmsd.endpoint_url, aws_cluster.alice)
    client = session.create_client("kms", region_name=REGION, config=botocore.config.Config(user_agent_extra="sdk"))
    assert client.meta.endpoint_url == aws_cluster.kmsd.endpoint_url
    assert client.meta.config.client_cert == (str(aws_cluster.alice.cert_path), str(aws_cluster.alice.key_path))
    assert client.meta.config.user_agent_extra == "sdk"


def test_the_header_names_the_key_by_its_arn(encrypted_file, key_arn):
    _, ciphertext_path, header = encrypted_file
    assert ciphertext_path.stat().st_size > 300 * 1024
    assert [(edk.key_provider.provider_id, edk.key_provider.key_info) for edk in header.encrypted_data_keys] == [
        ("aws-kms", key_arn.encode())]
    assert CONTEXT.items() <= header.encryption_context.items()


def test_alice_decrypts_the_file(tmp_path, aws_cluster, key_arn, sdk, encrypted_file):
    plaintext_path, ciphertext_path, _ = encrypted_file
    provider = key_provider(tmp_path, aws_cluster, aws_cluster.alice, key_arn)
    decrypted_path = tmp_path / "payload.bin.decrypted"
    with open(ciphertext_path, "rb") as source, open(decrypted_path, "wb") as target:
        with sdk.stream(mode="d", source=source, key_provider=provider) as decryptor:
            for chunk in decryptor:
                target.write(chunk)
            header = decryptor.header
    assert decrypted_path.read_bytes() == plaintext_path.read_bytes()
    assert {edk.key_provider.key_info for edk in header.encrypted_data_keys} == {key_arn.encode()}
    assert CONTEXT.items() <= header.encryption_context.items()

    # decrypt() on the bytes gives the same, with the header.
    plaintext, header = sdk.decrypt(source=ciphertext_path.read_bytes(), key_provider=provider)
    assert plaintext == plaintext_path.read_bytes()
    assert CONTEXT.items() <= header.encryption_context.items()


def test_bob_may_encrypt_but_not_decrypt(tmp_path, aws_cluster, key_arn, sdk, encrypted_file, caplog):
    _, ciphertext_path, _ = encrypted_file
    provider = key_provider(tmp_path, aws_cluster, aws_cluster.bob, key_arn)

    # bob's session reaches the server and his certificate is his: he may wrap data keys.
    ciphertext, header = sdk.encrypt(source=b"from bob", key_provider=provider, encryption_context=CONTEXT)
    assert {edk.key_provider.key_info for edk in header.encrypted_data_keys} == {key_arn.encode()}

    before = len(aws_cluster.kmsd.audit_records())
    for message in (ciphertext_path.read_bytes(), ciphertext):
        with caplog.at_level(logging.ERROR, logger="aws_encryption_sdk"):
            caplog.clear()
            with pytest.raises(DecryptKeyError, match="Unable to decrypt any data key"):
                sdk.decrypt(source=message, key_provider=provider)
        # The SDK swallows KMS's error into its own; it logs the boto3 error it caught.
        errors = [record.exc_info[1] for record in caplog.records if record.exc_info and isinstance(record.exc_info[1], ClientError)]
        assert [error.response["Error"]["Code"] for error in errors] == ["AccessDeniedException"], caplog.text
        assert errors[0].operation_name == "Decrypt"

    denied = [record for record in aws_cluster.kmsd.audit_records()[before:] if record["action"] == "kms:Decrypt"]
    key_id = key_arn.rsplit("/", 1)[1]
    assert [(record["principal"], record["outcome"], record.get("key_id"), record.get("reason")) for record in denied] == [
        (BOB, "denied", key_id, "ACCESS_DENIED")] * 2
    assert all(set(CONTEXT) <= set(record["encryption_context_keys"]) for record in denied)


def test_the_encrypted_data_key_is_a_kms_ciphertext(aws_cluster, key_arn, encrypted_file):
    """The SDK's encrypted data key is a plain KMS ciphertext: boto3's Decrypt with the
    message's encryption context gives alice the 32-byte data key, and bob AccessDenied."""
    _, _, header = encrypted_file
    (edk,) = header.encrypted_data_keys
    response = aws_cluster.kmsd.kms(aws_cluster.alice).decrypt(
        CiphertextBlob=edk.encrypted_data_key, EncryptionContext=header.encryption_context, KeyId=key_arn)
    assert response["KeyId"] == key_arn
    assert len(response["Plaintext"]) == header.algorithm.data_key_len == 32

    with pytest.raises(ClientError) as denied:
        aws_cluster.kmsd.kms(aws_cluster.bob).decrypt(CiphertextBlob=edk.encrypted_data_key, EncryptionContext=header.encryption_context)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
