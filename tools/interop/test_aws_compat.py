"""The AWS KMS-compatible endpoint (`aws_compat.listen`) from an AWS client: boto3 with
`endpoint_url` pointing at the listener, verifying the server against the test CA and
presenting the caller's client certificate.

- every operation the endpoint has, with the response fields AWS clients rely on;
- every AWS exception the endpoint answers, one row each, with its HTTP status and the
  `x-amzn-RequestId` that names the call's audit record;
- pagination (`Limit`, `Marker`/`NextMarker`, `Truncated`);
- key policies and grants that allow one principal and deny another;
- ciphertexts that cross listeners (AWS endpoint and gRPC) both ways, and one audit record per
  call whichever listener served it;
- raw HTTP edge cases (no target, wrong content type, bodies that are not JSON or too large, a
  connection without a client certificate).

The clients never retry (`retries=0`: in botocore's legacy mode `max_attempts` counts retries,
not attempts), so that one boto3 call is one request and one audit record.

    cd tools/interop && KMS_BIN_DIR=../../.build/debug python3 -m pytest -q test_aws_compat.py
"""
import dataclasses
import datetime
import hashlib
import http.client
import json
import os
import pathlib
import socket
import sqlite3
import ssl
import uuid
from typing import Callable, Optional

import botocore.exceptions
import grpc
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from aws_compat_support import ACCOUNT, ALICE, BOB, REGION, AWSCluster, aws_cluster, key_policy  # noqa: F401 (a fixture)
from tls_edge_support import ADMIN, request_id

JSON_1_1 = "application/x-amz-json-1.1"
MAX_BODY_BYTES = 128 * 1024  # AWSCompatEndpoint.maxBodyBytes
PRINCIPALS = {"admin": ADMIN, "alice": ALICE, "bob": BOB}


# --- Fixtures and helpers ------------------------------------------------------------------

@dataclasses.dataclass
class Callers:
    """Clients of one server (boto3 clients, or gRPC stubs), one per principal."""
    admin: object
    alice: object
    bob: object


@pytest.fixture(scope="module")
def kmsd(aws_cluster):
    return aws_cluster.kmsd


@pytest.fixture(scope="module")
def callers(aws_cluster):
    return Callers(*(aws_cluster.kmsd.kms(getattr(aws_cluster, name), retries=0) for name in ("admin", "alice", "bob")))


@pytest.fixture(scope="module")
def admin(callers):
    return callers.admin


@pytest.fixture(scope="module")
def grpc_callers(aws_cluster):
    """gRPC clients of the same server, one per principal."""
    channels = [aws_cluster.kmsd.channel(getattr(aws_cluster, name)) for name in ("admin", "alice", "bob")]
    yield Callers(*(aws_cluster.kmsd.client(channel) for channel in channels))
    for channel in channels:
        channel.close()


@pytest.fixture(scope="module")
def grpc_admin(grpc_callers):
    return grpc_callers.admin


def arn(key_id):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"


def alias_arn(alias_name):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias_name}"


def unique_alias(label="test"):
    return f"alias/{label}-{uuid.uuid4().hex[:12]}"


def new_key(kms, **fields):
    """CreateKey; returns the KeyMetadata."""
    return kms.create_key(**fields)["KeyMetadata"]


def body(response):
    """A boto3 response without its ResponseMetadata."""
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def aws_error(call):
    """Runs `call`, which must fail with an AWS error; returns the ClientError."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value


def outcome_records(kmsd, request_id):
    """The audit records of a call other than its `intent` records."""
    return [record for record in kmsd.audit_records() if record["request_id"] == request_id and record["outcome"] != "intent"]


def recorded(kmsd, request_id):
    """The one outcome record of the call with `request_id`."""
    records = outcome_records(kmsd, request_id)
    assert len(records) == 1, f"request {request_id} has {len(records)} outcome records: {records}"
    return records[0]


def check_error(kmsd, error, exception, *, principal=ADMIN, reason="any"):
    """Checks that `error` (a ClientError) is AWS's `exception` with HTTP status 400, and that its
    `x-amzn-RequestId` names exactly one outcome record of the call, made by `principal` for the
    operation's action. `reason` is the record's reason (`None`: the call itself completed, and
    the endpoint answered an error); "any" skips that check. Returns the record."""
    assert error.response["Error"]["Code"] == exception, error.response["Error"]
    metadata = error.response["ResponseMetadata"]
    assert metadata["HTTPStatusCode"] == 400
    assert metadata["RetryAttempts"] == 0
    record = recorded(kmsd, metadata["RequestId"])
    assert record["principal"] == principal
    assert record["action"] == f"kms:{error.operation_name}"
    if reason != "any":
        outcome = "allowed" if reason is None else "denied" if reason == "ACCESS_DENIED" else "failed"
        assert (record["outcome"], record.get("reason")) == (outcome, reason), record
    return record


def check_recorded(kmsd, response, action, principal=ADMIN):
    """Checks that a successful boto3 response names exactly one `allowed` record of `action`."""
    record = recorded(kmsd, response["ResponseMetadata"]["RequestId"])
    assert (record["action"], record["outcome"], record["principal"]) == (f"kms:{action}", "allowed", principal)
    return record


def assert_recent(moment, seconds=120):
    """`moment` (a timezone-aware datetime boto3 parsed) is within `seconds` of now."""
    assert moment.tzinfo is not None
    assert abs((moment - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < seconds, moment


def assert_days_ahead(moment, days):
    assert_recent(moment - datetime.timedelta(days=days))


# --- Keys: CreateKey, DescribeKey, ListKeys, Enable/Disable, descriptions, deletion -----------

CREATE_KEY_CASES = [
    pytest.param({}, {"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "EncryptionAlgorithms": {"SYMMETRIC_DEFAULT"}},
                 id="symmetric"),
    pytest.param({"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
                 {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT", "EncryptionAlgorithms": {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
                 id="rsa-encrypt"),
    pytest.param({"KeySpec": "RSA_3072", "KeyUsage": "SIGN_VERIFY"},
                 {"KeySpec": "RSA_3072", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": {
                     f"RSASSA_{scheme}_SHA_{bits}" for scheme in ("PSS", "PKCS1_V1_5") for bits in (256, 384, 512)}},
                 id="rsa-sign"),
    pytest.param({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
                 {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": {"ECDSA_SHA_256"}}, id="ecc-p256"),
    pytest.param({"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY"},
                 {"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": {"ED25519_SHA_512"}},
                 id="ed25519"),
    pytest.param({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
                 {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "MacAlgorithms": {"HMAC_SHA_256"}}, id="hmac"),
    pytest.param({"CustomerMasterKeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY"},
                 {"KeySpec": "ECC_NIST_P384", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": {"ECDSA_SHA_384"}},
                 id="legacy-customer-master-key-spec"),
]


@pytest.mark.parametrize("fields, expected", CREATE_KEY_CASES)
def test_create_key(kmsd, admin, fields, expected):
    """CreateKey answers AWS's KeyMetadata (both spec fields, the algorithm lists of the key's
    kind only), and DescribeKey answers the same."""
    response = admin.create_key(**fields)
    metadata = response["KeyMetadata"]
    key_id = metadata["KeyId"]
    assert str(uuid.UUID(key_id)) == key_id
    assert metadata["Arn"] == arn(key_id)
    assert metadata["AWSAccountId"] == ACCOUNT
    assert_recent(metadata["CreationDate"])
    assert (metadata["Enabled"], metadata["KeyState"]) == (True, "Enabled")
    assert (metadata["Origin"], metadata["KeyManager"], metadata["MultiRegion"]) == ("AWS_KMS", "CUSTOMER", False)
    assert metadata["Description"] == ""
    assert metadata["CustomerMasterKeySpec"] == metadata["KeySpec"] == expected["KeySpec"]
    assert metadata["KeyUsage"] == expected["KeyUsage"]
    for algorithms in ("EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms"):
        assert set(metadata.get(algorithms, ())) == expected.get(algorithms, set()), algorithms
    record = check_recorded(kmsd, response, "CreateKey")
    assert record["key_id"] == key_id
    assert admin.describe_key(KeyId=key_id)["KeyMetadata"] == metadata


def test_create_key_with_description_tags_and_policy(admin):
    """Description, Tags and Policy given to CreateKey are what DescribeKey, ListResourceTags
    and GetKeyPolicy answer."""
    policy = key_policy({"Sid": "AliceEncrypts", "Effect": "Allow", "Principal": ALICE, "Action": "kms:Encrypt", "Resource": "*"})
    tags = [{"TagKey": "team", "TagValue": "payments"}, {"TagKey": "env", "TagValue": "test"}]
    key_id = new_key(admin, Description="payments key", Tags=tags, Policy=policy)["KeyId"]
    assert admin.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "payments key"
    listed = admin.list_resource_tags(KeyId=key_id)
    assert sorted(listed["Tags"], key=lambda tag: tag["TagKey"]) == sorted(tags, key=lambda tag: tag["TagKey"])
    assert listed["Truncated"] is False
    stored = admin.get_key_policy(KeyId=key_id, PolicyName="default")
    assert json.loads(stored["Policy"]) == json.loads(policy)
    assert stored["PolicyName"] == "default"


def test_describe_key_by_id_arn_alias_and_alias_arn(kmsd, admin):
    """Every key field takes a key id, a key ARN, an alias name and an alias ARN; an ARN of
    another region or account names no key of this server, an ARN of another kind no key at all."""
    key_id = new_key(admin)["KeyId"]
    alias = unique_alias("describe")
    admin.create_alias(AliasName=alias, TargetKeyId=key_id)
    for name in (key_id, arn(key_id), alias, alias_arn(alias)):
        metadata = admin.describe_key(KeyId=name)["KeyMetadata"]
        assert (metadata["KeyId"], metadata["Arn"]) == (key_id, arn(key_id)), name
    foreign = [
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}",
        f"arn:aws:kms:{REGION}:111122223333:key/{key_id}",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:{alias}",
        f"arn:aws:kms:{REGION}:111122223333:{alias}",
    ]
    for name in foreign:
        error = aws_error(lambda: admin.describe_key(KeyId=name))
        check_error(kmsd, error, "NotFoundException", reason="KEY_NOT_FOUND")
    for name in ("arn:aws:s3:::bucket", f"arn:aws:kms:{REGION}:{ACCOUNT}:grant/{key_id}"):
        error = aws_error(lambda: admin.describe_key(KeyId=name))
        check_error(kmsd, error, "ValidationException", reason="VALIDATION")


def test_list_keys_pages(admin):
    """ListKeys with Limit pages through every key exactly once: each page has at most Limit
    keys, every page but the last says Truncated with a NextMarker, the last says neither."""
    created = {new_key(admin)["KeyId"] for _ in range(7)}
    everything = admin.list_keys(Limit=1000)
    assert everything["Truncated"] is False and "NextMarker" not in everything
    seen, pages, marker = [], 0, None
    while True:
        page = admin.list_keys(Limit=3, **({"Marker": marker} if marker else {}))
        pages += 1
        assert 1 <= len(page["Keys"]) <= 3
        for entry in page["Keys"]:
            assert entry["KeyArn"] == arn(entry["KeyId"])
            seen.append(entry["KeyId"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert len(page["Keys"]) == 3
        marker = page["NextMarker"]
    assert len(seen) == len(set(seen)), "a key was listed twice"
    assert set(seen) == {entry["KeyId"] for entry in everything["Keys"]}
    assert created <= set(seen)
    assert pages == -(-len(seen) // 3)


def test_disable_and_enable_key(kmsd, admin):
    """A disabled key shows Enabled false and KeyState Disabled, and refuses Encrypt with
    DisabledException until EnableKey."""
    key_id = new_key(admin)["KeyId"]
    check_recorded(kmsd, admin.disable_key(KeyId=key_id), "DisableKey")
    metadata = admin.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["Enabled"], metadata["KeyState"]) == (False, "Disabled")
    error = aws_error(lambda: admin.encrypt(KeyId=key_id, Plaintext=b"secret"))
    check_error(kmsd, error, "DisabledException", reason="KEY_DISABLED")
    check_recorded(kmsd, admin.enable_key(KeyId=arn(key_id)), "EnableKey")
    assert admin.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert admin.encrypt(KeyId=key_id, Plaintext=b"secret")["KeyId"] == arn(key_id)


def test_update_key_description(kmsd, admin):
    key_id = new_key(admin, Description="before")["KeyId"]
    response = admin.update_key_description(KeyId=key_id, Description="after")
    assert body(response) == {}
    check_recorded(kmsd, response, "UpdateKeyDescription")
    assert admin.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "after"


def test_schedule_and_cancel_key_deletion(kmsd, admin):
    """ScheduleKeyDeletion answers the key ARN, DeletionDate, KeyState and the window; the key
    refuses Encrypt with KMSInvalidStateException while pending; CancelKeyDeletion leaves it
    Disabled, as AWS does."""
    key_id = new_key(admin)["KeyId"]
    scheduled = admin.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyId"] == arn(key_id)
    assert (scheduled["KeyState"], scheduled["PendingWindowInDays"]) == ("PendingDeletion", 7)
    assert_days_ahead(scheduled["DeletionDate"], 7)
    metadata = admin.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"], metadata["DeletionDate"]) == ("PendingDeletion", False, scheduled["DeletionDate"])
    error = aws_error(lambda: admin.encrypt(KeyId=key_id, Plaintext=b"secret"))
    check_error(kmsd, error, "KMSInvalidStateException", reason="KEY_PENDING_DELETION")

    cancelled = admin.cancel_key_deletion(KeyId=key_id)
    assert body(cancelled) == {"KeyId": arn(key_id)}
    metadata = admin.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "Disabled" and "DeletionDate" not in metadata
    admin.enable_key(KeyId=key_id)
    admin.encrypt(KeyId=key_id, Plaintext=b"secret")


def test_schedule_key_deletion_default_window(admin):
    key_id = new_key(admin)["KeyId"]
    scheduled = admin.schedule_key_deletion(KeyId=key_id)
    assert scheduled["PendingWindowInDays"] == 30
    assert_days_ahead(scheduled["DeletionDate"], 30)
    admin.cancel_key_deletion(KeyId=key_id)


@pytest.mark.parametrize("days", [6, 31])
def test_schedule_key_deletion_window_out_of_range(kmsd, admin, days):
    key_id = new_key(admin)["KeyId"]
    error = aws_error(lambda: admin.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days))
    check_error(kmsd, error, "ValidationException", reason="VALIDATION")
    assert admin.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


# --- Encryption: Encrypt, Decrypt, ReEncrypt, data keys, data key pairs, random bytes ------

@pytest.fixture(scope="module")
def symmetric_key(admin):
    return new_key(admin, Description="symmetric test key")["KeyId"]


@pytest.mark.parametrize("context", [{}, {"tenant": "acme", "purpose": "interop"}], ids=["no-context", "context"])
def test_encrypt_and_decrypt(kmsd, admin, symmetric_key, context):
    """Encrypt and Decrypt name the key by ARN; Decrypt needs no KeyId (the blob names its key)
    and takes one by ARN; another context is InvalidCiphertextException."""
    encrypted = admin.encrypt(KeyId=symmetric_key, Plaintext=b"attack at dawn", EncryptionContext=context)
    assert (encrypted["KeyId"], encrypted["EncryptionAlgorithm"]) == (arn(symmetric_key), "SYMMETRIC_DEFAULT")
    assert b"attack at dawn" not in encrypted["CiphertextBlob"]
    record = check_recorded(kmsd, encrypted, "Encrypt")
    assert record["key_id"] == symmetric_key
    assert record.get("encryption_context_keys", []) == sorted(context)

    for key_field in ({}, {"KeyId": arn(symmetric_key)}):
        decrypted = admin.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext=context, **key_field)
        assert body(decrypted) == {"Plaintext": b"attack at dawn", "KeyId": arn(symmetric_key), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        check_recorded(kmsd, decrypted, "Decrypt")

    other_context = {**context, "tenant": "other"}
    error = aws_error(lambda: admin.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext=other_context))
    check_error(kmsd, error, "InvalidCiphertextException", reason="INVALID_CIPHERTEXT")


def test_re_encrypt(kmsd, admin, symmetric_key):
    """ReEncrypt moves a ciphertext to another key and context; the response names both keys by ARN."""
    destination = new_key(admin)["KeyId"]
    blob = admin.encrypt(KeyId=symmetric_key, Plaintext=b"payload", EncryptionContext={"stage": "one"})["CiphertextBlob"]
    moved = admin.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"stage": "one"}, DestinationKeyId=arn(destination),
                             DestinationEncryptionContext={"stage": "two"})
    assert (moved["SourceKeyId"], moved["KeyId"]) == (arn(symmetric_key), arn(destination))
    assert (moved["SourceEncryptionAlgorithm"], moved["DestinationEncryptionAlgorithm"]) == ("SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT")
    record = check_recorded(kmsd, moved, "ReEncrypt")
    assert (record["key_id"], record["destination_key_id"]) == (symmetric_key, destination)
    decrypted = admin.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"stage": "two"})
    assert (decrypted["Plaintext"], decrypted["KeyId"]) == (b"payload", arn(destination))
    error = aws_error(lambda: admin.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"stage": "one"}))
    check_error(kmsd, error, "InvalidCiphertextException")


@pytest.mark.parametrize("size_field, length", [({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 64}, 64)],
                         ids=["AES_256", "AES_128", "NumberOfBytes"])
def test_generate_data_key(kmsd, admin, symmetric_key, size_field, length):
    context = {"file": "report.pdf"}
    generated = admin.generate_data_key(KeyId=symmetric_key, EncryptionContext=context, **size_field)
    assert len(generated["Plaintext"]) == length
    assert generated["KeyId"] == arn(symmetric_key)
    check_recorded(kmsd, generated, "GenerateDataKey")
    decrypted = admin.decrypt(CiphertextBlob=generated["CiphertextBlob"], EncryptionContext=context)
    assert decrypted["Plaintext"] == generated["Plaintext"]


def test_generate_data_key_without_plaintext(kmsd, admin, symmetric_key):
    generated = admin.generate_data_key_without_plaintext(KeyId=symmetric_key, KeySpec="AES_256")
    assert set(body(generated)) == {"CiphertextBlob", "KeyId"}
    assert generated["KeyId"] == arn(symmetric_key)
    check_recorded(kmsd, generated, "GenerateDataKeyWithoutPlaintext")
    assert len(admin.decrypt(CiphertextBlob=generated["CiphertextBlob"])["Plaintext"]) == 32


def public_der(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("spec, key_type", [("ECC_NIST_P256", ec.EllipticCurvePrivateKey), ("RSA_2048", rsa.RSAPrivateKey),
                                            ("ECC_NIST_EDWARDS25519", ed25519.Ed25519PrivateKey)], ids=["P256", "RSA_2048", "Ed25519"])
def test_generate_data_key_pair(kmsd, admin, symmetric_key, spec, key_type):
    """The private key is DER PKCS #8 of the public key (DER SubjectPublicKeyInfo), and its
    encrypted copy decrypts to the same bytes."""
    pair = admin.generate_data_key_pair(KeyId=symmetric_key, KeyPairSpec=spec, EncryptionContext={"use": "pair"})
    assert (pair["KeyPairSpec"], pair["KeyId"]) == (spec, arn(symmetric_key))
    private_key = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
    assert isinstance(private_key, key_type)
    assert public_der(private_key) == pair["PublicKey"]
    check_recorded(kmsd, pair, "GenerateDataKeyPair")
    decrypted = admin.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"use": "pair"})
    assert decrypted["Plaintext"] == pair["PrivateKeyPlaintext"]


def test_generate_data_key_pair_without_plaintext(kmsd, admin, symmetric_key):
    pair = admin.generate_data_key_pair_without_plaintext(KeyId=symmetric_key, KeyPairSpec="ECC_NIST_P384")
    assert set(body(pair)) == {"PrivateKeyCiphertextBlob", "PublicKey", "KeyId", "KeyPairSpec"}
    assert (pair["KeyPairSpec"], pair["KeyId"]) == ("ECC_NIST_P384", arn(symmetric_key))
    check_recorded(kmsd, pair, "GenerateDataKeyPairWithoutPlaintext")
    private_key = serialization.load_der_private_key(admin.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"], None)
    assert isinstance(private_key.curve, ec.SECP384R1)
    assert public_der(private_key) == pair["PublicKey"]


def test_generate_random(kmsd, admin):
    first, second = admin.generate_random(NumberOfBytes=32), admin.generate_random(NumberOfBytes=32)
    assert set(body(first)) == {"Plaintext"}
    assert len(first["Plaintext"]) == len(second["Plaintext"]) == 32
    assert first["Plaintext"] != second["Plaintext"]
    check_recorded(kmsd, first, "GenerateRandom")


def test_rsa_encryption(kmsd, admin):
    """A ciphertext made locally with the public key GetPublicKey answers decrypts with the
    RSA key, and one made by Encrypt decrypts too; RSA-OAEP ciphertexts need the KeyId."""
    key_id = new_key(admin, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyId"]
    public = admin.get_public_key(KeyId=key_id)
    assert (public["KeyUsage"], public["KeySpec"]) == ("ENCRYPT_DECRYPT", "RSA_2048")
    assert set(public["EncryptionAlgorithms"]) == {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
    assert "SigningAlgorithms" not in public
    public_key = serialization.load_der_public_key(public["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    local_blob = public_key.encrypt(b"made locally", oaep)
    decrypted = admin.decrypt(CiphertextBlob=local_blob, KeyId=key_id, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert body(decrypted) == {"Plaintext": b"made locally", "KeyId": arn(key_id), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
    encrypted = admin.encrypt(KeyId=key_id, Plaintext=b"made by kms", EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert (encrypted["EncryptionAlgorithm"], len(encrypted["CiphertextBlob"])) == ("RSAES_OAEP_SHA_1", 256)
    assert admin.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], KeyId=key_id,
                         EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"made by kms"


# --- Signatures and MACs: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac --------------

def verify_locally(public_der_bytes, algorithm, signature, message):
    """Verifies `signature` of `message` with `cryptography` (raises InvalidSignature)."""
    public_key = serialization.load_der_public_key(public_der_bytes)
    if algorithm == "ED25519_SHA_512":
        public_key.verify(signature, message)
    elif algorithm.startswith("ECDSA"):
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    elif algorithm.startswith("RSASSA_PSS"):
        public_key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


SIGNING_CASES = [("ECC_NIST_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
                 ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512")]


@pytest.mark.parametrize("spec, algorithm", SIGNING_CASES)
def test_sign_and_verify(kmsd, admin, spec, algorithm):
    """A signature Sign makes verifies locally with the public key and with Verify; a
    signature of another message is KMSInvalidSignatureException."""
    key_id = new_key(admin, KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyId"]
    message = b"the message to sign"
    signed = admin.sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=algorithm)
    assert (signed["KeyId"], signed["SigningAlgorithm"]) == (arn(key_id), algorithm)
    check_recorded(kmsd, signed, "Sign")
    verify_locally(admin.get_public_key(KeyId=key_id)["PublicKey"], algorithm, signed["Signature"], message)
    verified = admin.verify(KeyId=key_id, Message=message, MessageType="RAW", Signature=signed["Signature"], SigningAlgorithm=algorithm)
    assert body(verified) == {"KeyId": arn(key_id), "SignatureValid": True, "SigningAlgorithm": algorithm}
    error = aws_error(lambda: admin.verify(KeyId=key_id, Message=b"another message", MessageType="RAW",
                                           Signature=signed["Signature"], SigningAlgorithm=algorithm))
    check_error(kmsd, error, "KMSInvalidSignatureException", reason=None)


def test_sign_digest(admin):
    """MessageType DIGEST signs a SHA-256 digest made by the caller."""
    key_id = new_key(admin, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    message = b"a large document, hashed by the caller"
    digest = hashlib.sha256(message).digest()
    signed = admin.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    public_key = serialization.load_der_public_key(admin.get_public_key(KeyId=key_id)["PublicKey"])
    public_key.verify(signed["Signature"], digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    assert admin.verify(KeyId=key_id, Message=digest, MessageType="DIGEST", Signature=signed["Signature"],
                        SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True


def test_get_public_key(kmsd, admin):
    """GetPublicKey answers a DER SubjectPublicKeyInfo and the key's spec, usage and algorithms."""
    key_id = new_key(admin, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    public = admin.get_public_key(KeyId=arn(key_id))
    assert public["KeyId"] == arn(key_id)
    assert public["KeySpec"] == public["CustomerMasterKeySpec"] == "ECC_NIST_P256"
    assert (public["KeyUsage"], public["SigningAlgorithms"]) == ("SIGN_VERIFY", ["ECDSA_SHA_256"])
    assert "EncryptionAlgorithms" not in public
    public_key = serialization.load_der_public_key(public["PublicKey"])
    assert isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1)
    check_recorded(kmsd, public, "GetPublicKey")


def test_generate_and_verify_mac(kmsd, admin):
    """GenerateMac answers a full-length tag that VerifyMac accepts; another tag is
    KMSInvalidMacException."""
    key_id = new_key(admin, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    generated = admin.generate_mac(KeyId=key_id, Message=b"message", MacAlgorithm="HMAC_SHA_256")
    assert (generated["KeyId"], generated["MacAlgorithm"], len(generated["Mac"])) == (arn(key_id), "HMAC_SHA_256", 32)
    check_recorded(kmsd, generated, "GenerateMac")
    assert generated["Mac"] == admin.generate_mac(KeyId=key_id, Message=b"message", MacAlgorithm="HMAC_SHA_256")["Mac"]
    verified = admin.verify_mac(KeyId=key_id, Message=b"message", Mac=generated["Mac"], MacAlgorithm="HMAC_SHA_256")
    assert body(verified) == {"KeyId": arn(key_id), "MacValid": True, "MacAlgorithm": "HMAC_SHA_256"}
    altered = bytes([generated["Mac"][0] ^ 1]) + generated["Mac"][1:]
    error = aws_error(lambda: admin.verify_mac(KeyId=key_id, Message=b"message", Mac=altered, MacAlgorithm="HMAC_SHA_256"))
    check_error(kmsd, error, "KMSInvalidMacException", reason=None)


# --- Aliases and tags ----------------------------------------------------------------------

def test_alias_lifecycle(kmsd, admin):
    """CreateAlias, ListAliases (AliasName, AliasArn, TargetKeyId), UpdateAlias to another key,
    DeleteAlias; the alias resolves to its current key until it is deleted."""
    first, second = new_key(admin)["KeyId"], new_key(admin)["KeyId"]
    alias = unique_alias("lifecycle")
    check_recorded(kmsd, admin.create_alias(AliasName=alias, TargetKeyId=arn(first)), "CreateAlias")
    listed = admin.list_aliases(KeyId=first)
    assert listed["Aliases"] == [{"AliasName": alias, "AliasArn": alias_arn(alias), "TargetKeyId": first}]
    assert listed["Truncated"] is False
    assert admin.encrypt(KeyId=alias, Plaintext=b"x")["KeyId"] == arn(first)

    check_recorded(kmsd, admin.update_alias(AliasName=alias, TargetKeyId=second), "UpdateAlias")
    assert admin.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == second
    assert admin.list_aliases(KeyId=first)["Aliases"] == []

    check_recorded(kmsd, admin.delete_alias(AliasName=alias), "DeleteAlias")
    error = aws_error(lambda: admin.describe_key(KeyId=alias))
    check_error(kmsd, error, "NotFoundException")
    assert admin.describe_key(KeyId=second)["KeyMetadata"]["KeyState"] == "Enabled"


def test_list_aliases_pages(admin):
    """ListAliases pages with Limit and Marker, also through boto3's paginator."""
    key_id = new_key(admin)["KeyId"]
    aliases = {unique_alias("page") for _ in range(5)}
    for alias in aliases:
        admin.create_alias(AliasName=alias, TargetKeyId=key_id)
    first = admin.list_aliases(KeyId=key_id, Limit=2)
    assert len(first["Aliases"]) == 2 and first["Truncated"] is True and first["NextMarker"]
    seen = []
    for page in admin.get_paginator("list_aliases").paginate(KeyId=key_id, PaginationConfig={"PageSize": 2}):
        assert len(page["Aliases"]) <= 2
        seen += [entry["AliasName"] for entry in page["Aliases"]]
    assert sorted(seen) == sorted(aliases)
    everyone = [entry["AliasName"] for page in admin.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 3})
                for entry in page["Aliases"]]
    assert len(everyone) == len(set(everyone)) and aliases <= set(everyone)


def test_tags(kmsd, admin):
    """TagResource adds and overwrites, UntagResource removes, ListResourceTags lists them all."""
    key_id = new_key(admin, Tags=[{"TagKey": "owner", "TagValue": "alice"}])["KeyId"]
    tagged = admin.tag_resource(KeyId=key_id, Tags=[{"TagKey": "owner", "TagValue": "bob"}, {"TagKey": "cost", "TagValue": "42"}])
    assert body(tagged) == {}
    check_recorded(kmsd, tagged, "TagResource")
    assert {tag["TagKey"]: tag["TagValue"] for tag in admin.list_resource_tags(KeyId=key_id)["Tags"]} == {"owner": "bob", "cost": "42"}
    check_recorded(kmsd, admin.untag_resource(KeyId=key_id, TagKeys=["owner"]), "UntagResource")
    listed = admin.list_resource_tags(KeyId=key_id)
    assert (listed["Tags"], listed["Truncated"]) == ([{"TagKey": "cost", "TagValue": "42"}], False)


# --- Key policies --------------------------------------------------------------------------

def test_get_and_put_key_policy(kmsd, admin):
    """A new key's policy names its creator; PutKeyPolicy replaces it; the one policy is "default"."""
    key_id = new_key(admin)["KeyId"]
    default = admin.get_key_policy(KeyId=key_id)
    assert default["PolicyName"] == "default"
    assert [statement["Principal"] for statement in json.loads(default["Policy"])["Statement"]] == [ADMIN]
    check_recorded(kmsd, default, "GetKeyPolicy")
    policy = key_policy({"Sid": "AliceDecrypts", "Effect": "Allow", "Principal": ALICE, "Action": "kms:Decrypt", "Resource": "*"})
    put = admin.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy)
    assert body(put) == {}
    check_recorded(kmsd, put, "PutKeyPolicy")
    assert json.loads(admin.get_key_policy(KeyId=key_id)["Policy"]) == json.loads(policy)


@pytest.mark.parametrize("document, message", [
    ("{", "not valid JSON"),
    (key_policy({"Sid": "Typo", "Effect": "Allow", "Principal": ALICE, "Action": "kms:Encryptt", "Resource": "*"}), "kms:Encryptt"),
], ids=["not-json", "unknown-action"])
def test_put_key_policy_malformed(kmsd, admin, document, message):
    key_id = new_key(admin)["KeyId"]
    error = aws_error(lambda: admin.put_key_policy(KeyId=key_id, Policy=document))
    check_error(kmsd, error, "MalformedPolicyDocumentException", reason="MALFORMED_POLICY")
    assert message in error.response["Error"]["Message"]


def test_list_key_policies(kmsd, admin, callers):
    """ListKeyPolicies names the one policy, "default"; a principal without
    kms:ListKeyPolicies on the key is denied."""
    key_id = new_key(admin)["KeyId"]
    try:
        listed = admin.list_key_policies(KeyId=key_id)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "UnsupportedOperationException":
            pytest.xfail("ListKeyPolicies not yet built")
        raise
    assert (listed["PolicyNames"], listed["Truncated"]) == (["default"], False)
    check_recorded(kmsd, listed, "ListKeyPolicies")
    error = aws_error(lambda: callers.bob.list_key_policies(KeyId=key_id))
    check_error(kmsd, error, "AccessDeniedException", principal=BOB, reason="ACCESS_DENIED")


# --- Grants --------------------------------------------------------------------------------

def test_grant_lifecycle(kmsd, callers):
    """A grant lets its grantee (and only for its operations) use a key its policy does not
    allow them; ListGrants and ListRetirableGrants show it; once the retiring principal retires
    it by token, or the admin revokes it by id, the grantee is denied again."""
    admin, alice, bob = callers.admin, callers.alice, callers.bob
    key_id = new_key(admin)["KeyId"]
    denied = aws_error(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x"))
    check_error(kmsd, denied, "AccessDeniedException", principal=ALICE, reason="ACCESS_DENIED")

    grant = admin.create_grant(KeyId=key_id, GranteePrincipal=ALICE, Operations=["Encrypt", "Decrypt"], RetiringPrincipal=BOB,
                               Name="alice-uses-key")
    assert set(body(grant)) == {"GrantId", "GrantToken"}
    check_recorded(kmsd, grant, "CreateGrant")
    encrypted = alice.encrypt(KeyId=key_id, Plaintext=b"granted", GrantTokens=[grant["GrantToken"]])
    assert check_recorded(kmsd, encrypted, "Encrypt", principal=ALICE)["grant_id"] == grant["GrantId"]
    assert alice.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])["Plaintext"] == b"granted"
    error = aws_error(lambda: alice.describe_key(KeyId=key_id))
    check_error(kmsd, error, "AccessDeniedException", principal=ALICE, reason="ACCESS_DENIED")

    [entry] = admin.list_grants(KeyId=key_id)["Grants"]
    assert entry["KeyId"] == arn(key_id) and entry["GrantId"] == grant["GrantId"]
    assert (entry["GranteePrincipal"], entry["RetiringPrincipal"], entry["IssuingAccount"]) == (ALICE, BOB, ADMIN)
    assert (sorted(entry["Operations"]), entry["Name"]) == (["Decrypt", "Encrypt"], "alice-uses-key")
    assert_recent(entry["CreationDate"])
    assert [g["GrantId"] for g in admin.list_grants(KeyId=key_id, GranteePrincipal=ALICE)["Grants"]] == [grant["GrantId"]]
    assert [g["GrantId"] for g in admin.list_grants(KeyId=key_id, GrantId=grant["GrantId"])["Grants"]] == [grant["GrantId"]]
    retirable = [g["GrantId"] for page in admin.get_paginator("list_retirable_grants").paginate(RetiringPrincipal=BOB)
                 for g in page["Grants"]]
    assert grant["GrantId"] in retirable

    retired = bob.retire_grant(GrantToken=grant["GrantToken"])
    check_recorded(kmsd, retired, "RetireGrant", principal=BOB)
    assert admin.list_grants(KeyId=key_id)["Grants"] == []
    error = aws_error(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x"))
    check_error(kmsd, error, "AccessDeniedException", principal=ALICE)

    second = admin.create_grant(KeyId=key_id, GranteePrincipal=ALICE, Operations=["Encrypt"])
    alice.encrypt(KeyId=key_id, Plaintext=b"x")
    check_recorded(kmsd, admin.revoke_grant(KeyId=arn(key_id), GrantId=second["GrantId"]), "RevokeGrant")
    error = aws_error(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x"))
    check_error(kmsd, error, "AccessDeniedException", principal=ALICE)


def test_grant_constraints(kmsd, callers):
    """A grant with Constraints applies only to requests whose encryption context meets them,
    and ListGrants shows the constraints."""
    admin, alice = callers.admin, callers.alice
    key_id = new_key(admin)["KeyId"]
    admin.create_grant(KeyId=key_id, GranteePrincipal=ALICE, Operations=["Encrypt"],
                       Constraints={"EncryptionContextSubset": {"tenant": "acme"}})
    [entry] = admin.list_grants(KeyId=key_id)["Grants"]
    assert entry["Constraints"] == {"EncryptionContextSubset": {"tenant": "acme"}}
    alice.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": "acme", "file": "a"})
    error = aws_error(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": "other"}))
    check_error(kmsd, error, "AccessDeniedException", principal=ALICE, reason="ACCESS_DENIED")


def test_list_grants_pages(admin):
    key_id = new_key(admin)["KeyId"]
    created = {admin.create_grant(KeyId=key_id, GranteePrincipal=f"{ALICE}-{n}", Operations=["Decrypt"])["GrantId"] for n in range(5)}
    first = admin.list_grants(KeyId=key_id, Limit=2)
    assert len(first["Grants"]) == 2 and first["Truncated"] is True and first["NextMarker"]
    listed = [g["GrantId"] for page in admin.get_paginator("list_grants").paginate(KeyId=key_id, PaginationConfig={"PageSize": 2})
              for g in page["Grants"]]
    assert sorted(listed) == sorted(created)


# --- Rotation ------------------------------------------------------------------------------

def test_key_rotation(kmsd, admin):
    """EnableKeyRotation with a period, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations,
    DisableKeyRotation; a ciphertext made before the rotation still decrypts."""
    key_id = new_key(admin)["KeyId"]
    assert body(admin.get_key_rotation_status(KeyId=key_id)) == {"KeyId": arn(key_id), "KeyRotationEnabled": False}
    before = admin.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]

    check_recorded(kmsd, admin.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90), "EnableKeyRotation")
    status = admin.get_key_rotation_status(KeyId=arn(key_id))
    assert (status["KeyId"], status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (arn(key_id), True, 90)
    assert_days_ahead(status["NextRotationDate"], 90)

    rotated = admin.rotate_key_on_demand(KeyId=key_id)
    assert body(rotated) == {"KeyId": arn(key_id)}
    check_recorded(kmsd, rotated, "RotateKeyOnDemand")
    rotations = admin.list_key_rotations(KeyId=key_id)
    [rotation] = rotations["Rotations"]
    assert (rotation["KeyId"], rotation["RotationType"], rotations["Truncated"]) == (arn(key_id), "ON_DEMAND", False)
    assert_recent(rotation["RotationDate"])
    assert admin.decrypt(CiphertextBlob=before)["Plaintext"] == b"old"
    after = admin.encrypt(KeyId=key_id, Plaintext=b"new")
    assert check_recorded(kmsd, after, "Encrypt")["key_version"] == 2

    check_recorded(kmsd, admin.disable_key_rotation(KeyId=key_id), "DisableKeyRotation")
    assert admin.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


# --- Key policies that allow one principal and deny another ---------------------------------

ALICE_ONLY = {"Sid": "AliceUses", "Effect": "Allow", "Principal": ALICE, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}
EVERY_APP_BUT_BOB = [
    {"Sid": "AppsUse", "Effect": "Allow", "Principal": "spiffe://test.example/ns/app/sa/*", "Action": ["kms:Encrypt", "kms:Decrypt"],
     "Resource": "*"},
    {"Sid": "NotBob", "Effect": "Deny", "Principal": BOB, "Action": "kms:*", "Resource": "*"},
]


@pytest.mark.parametrize("statements", [[ALICE_ONLY], EVERY_APP_BUT_BOB], ids=["allow-alice", "allow-pattern-deny-bob"])
def test_key_policy_allows_alice_and_denies_bob(kmsd, callers, statements):
    """Alice encrypts and decrypts; Bob is refused both, and each refusal is an audit record
    with outcome "denied" and Bob's SPIFFE ID. Alice may do nothing else with the key."""
    key_id = new_key(callers.admin, Policy=key_policy(*statements))["KeyId"]
    encrypted = callers.alice.encrypt(KeyId=key_id, Plaintext=b"alice's secret")
    assert check_recorded(kmsd, encrypted, "Encrypt", principal=ALICE)["key_id"] == key_id
    decrypted = callers.alice.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    assert decrypted["Plaintext"] == b"alice's secret"
    check_recorded(kmsd, decrypted, "Decrypt", principal=ALICE)

    for refused in (lambda: callers.bob.encrypt(KeyId=key_id, Plaintext=b"bob's secret"),
                    lambda: callers.bob.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])):
        error = aws_error(refused)
        record = check_error(kmsd, error, "AccessDeniedException", principal=BOB, reason="ACCESS_DENIED")
        assert record["key_id"] == key_id
    error = aws_error(lambda: callers.alice.generate_data_key(KeyId=key_id, KeySpec="AES_256"))
    check_error(kmsd, error, "AccessDeniedException", principal=ALICE, reason="ACCESS_DENIED")


# --- Across listeners: AWS endpoint and gRPC ---------------------------------------------------

def grpc_call(method, request):
    """Calls a unary gRPC method; returns (response or None, the grpc error or None, request id)."""
    try:
        response, call = method.with_call(request, timeout=30)
        return response, None, request_id(call)
    except grpc.RpcError as error:
        return None, error, request_id(error)


def test_ciphertexts_cross_listeners(admin, grpc_admin, stubs, symmetric_key):
    """A ciphertext Encrypt made through the AWS endpoint decrypts through gRPC, and the other
    way round, with the same encryption context."""
    kms = stubs["kms"]
    context = {"tenant": "acme"}
    from_aws = admin.encrypt(KeyId=arn(symmetric_key), Plaintext=b"from aws", EncryptionContext=context)["CiphertextBlob"]
    decrypted, error, _ = grpc_call(grpc_admin.Decrypt, kms.DecryptRequest(ciphertext_blob=from_aws, encryption_context=context))
    assert error is None, error
    assert (decrypted.plaintext, decrypted.key_id) == (b"from aws", symmetric_key)

    encrypted, error, _ = grpc_call(grpc_admin.Encrypt, kms.EncryptRequest(key_id=symmetric_key, plaintext=b"from grpc",
                                                                          encryption_context=context))
    assert error is None, error
    decrypted = admin.decrypt(CiphertextBlob=encrypted.ciphertext_blob, EncryptionContext=context)
    assert (decrypted["Plaintext"], decrypted["KeyId"]) == (b"from grpc", arn(symmetric_key))


def aws_request_id(call):
    """The x-amzn-RequestId of a boto3 call, whether it succeeds or fails."""
    try:
        return call()["ResponseMetadata"]["RequestId"]
    except botocore.exceptions.ClientError as error:
        return error.response["ResponseMetadata"]["RequestId"]


def test_one_audit_record_per_call_across_listeners(kmsd, callers, grpc_callers, stubs, symmetric_key):
    """The same calls through both listeners, allowed, denied, failed and changing state, each
    leave exactly one outcome record under the request id the caller got (a change also one
    intent record), and the two listeners' records of a call say the same."""
    kms = stubs["kms"]
    admin, grpc_admin = callers.admin, grpc_callers.admin
    blob = admin.encrypt(KeyId=symmetric_key, Plaintext=b"audited", EncryptionContext={"app": "audit"})["CiphertextBlob"]
    unknown = str(uuid.uuid4())
    calls = [  # action, outcome, principal, the call through AWS, the call through gRPC
        ("CreateKey", "allowed", ADMIN, lambda: admin.create_key(Description="audited"),
         (grpc_admin.CreateKey, kms.CreateKeyRequest(description="audited"))),
        ("Encrypt", "allowed", ADMIN, lambda: admin.encrypt(KeyId=symmetric_key, Plaintext=b"audited"),
         (grpc_admin.Encrypt, kms.EncryptRequest(key_id=symmetric_key, plaintext=b"audited"))),
        ("Decrypt", "allowed", ADMIN, lambda: admin.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "audit"}),
         (grpc_admin.Decrypt, kms.DecryptRequest(ciphertext_blob=blob, encryption_context={"app": "audit"}))),
        ("Decrypt", "failed", ADMIN, lambda: admin.decrypt(CiphertextBlob=blob),
         (grpc_admin.Decrypt, kms.DecryptRequest(ciphertext_blob=blob))),
        ("DescribeKey", "failed", ADMIN, lambda: admin.describe_key(KeyId=unknown),
         (grpc_admin.DescribeKey, kms.DescribeKeyRequest(key_id=unknown))),
        ("Encrypt", "denied", BOB, lambda: callers.bob.encrypt(KeyId=symmetric_key, Plaintext=b"audited"),
         (grpc_callers.bob.Encrypt, kms.EncryptRequest(key_id=symmetric_key, plaintext=b"audited"))),
    ]
    compared = ("principal", "source", "action", "key_id", "key_version", "outcome", "reason", "encryption_context_keys",
                "encryption_context_hmac")
    request_ids = []
    for action, outcome, principal, through_aws, (method, request) in calls:
        pair = (aws_request_id(through_aws), grpc_call(method, request)[2])
        request_ids += pair
        records = kmsd.audit_records()
        outcomes = []
        for listener, request in zip(("aws", "grpc"), pair):
            mine = [record for record in records if record["request_id"] == request]
            intents = [record for record in mine if record["outcome"] == "intent"]
            assert len(mine) - len(intents) == 1, (listener, action, mine)
            assert len(intents) == (1 if action == "CreateKey" else 0), (listener, action, mine)
            outcomes += [record for record in mine if record["outcome"] != "intent"]
        assert (outcomes[0]["action"], outcomes[0]["outcome"], outcomes[0]["principal"]) == (f"kms:{action}", outcome, principal)
        if action == "CreateKey":  # two new keys
            assert outcomes[0]["key_id"] != outcomes[1]["key_id"]
            compared_here = [name for name in compared if name != "key_id"]
        else:
            compared_here = compared
        aws_record, grpc_record = ({name: record.get(name) for name in compared_here} for record in outcomes)
        assert aws_record == grpc_record, f"{action} ({outcome}) is recorded differently by the two listeners"
    assert len(set(request_ids)) == len(request_ids), "request ids repeat"


# --- Exceptions, row by row ----------------------------------------------------------------

@dataclasses.dataclass
class Row:
    """One AWS exception: `provoke(callers)` sets up what it needs and returns the call that
    fails. `reason` is the audit record's reason (None: the RPC completed and the endpoint
    answers the error; "any": not checked); `message` a part of the error message."""
    exception: str
    provoke: Callable
    reason: Optional[str]
    caller: str = "admin"
    message: str = ""


def _disabled_key(c):
    key_id = new_key(c.admin)["KeyId"]
    c.admin.disable_key(KeyId=key_id)
    return lambda: c.admin.encrypt(KeyId=key_id, Plaintext=b"x")


def _key_pending_deletion(c):
    key_id = new_key(c.admin)["KeyId"]
    c.admin.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    return lambda: c.admin.encrypt(KeyId=key_id, Plaintext=b"x")


def _wrong_context(c):
    key_id = new_key(c.admin)["KeyId"]
    blob = c.admin.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": "acme"})["CiphertextBlob"]
    return lambda: c.admin.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "other"})


def _another_key(c):
    blob = c.admin.encrypt(KeyId=new_key(c.admin)["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    other = new_key(c.admin)["KeyId"]
    return lambda: c.admin.decrypt(CiphertextBlob=blob, KeyId=other)


def _signing_key_encrypts(c):
    key_id = new_key(c.admin, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    return lambda: c.admin.encrypt(KeyId=key_id, Plaintext=b"x")


def _alice_describes_admins_key(c):
    key_id = new_key(c.admin)["KeyId"]
    return lambda: c.alice.describe_key(KeyId=key_id)


def _dry_run(c):
    key_id = new_key(c.admin)["KeyId"]
    return lambda: c.admin.encrypt(KeyId=key_id, Plaintext=b"x", DryRun=True)


def _plaintext_of(size):
    def provoke(c):
        key_id = new_key(c.admin)["KeyId"]
        return lambda: c.admin.encrypt(KeyId=key_id, Plaintext=b"x" * size)
    return provoke


def _fifty_one_tags(c):
    key_id = new_key(c.admin)["KeyId"]
    return lambda: c.admin.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{n}", "TagValue": "v"} for n in range(51)])


def _alias_twice(c):
    alias = unique_alias("twice")
    key_id = new_key(c.admin)["KeyId"]
    c.admin.create_alias(AliasName=alias, TargetKeyId=key_id)
    return lambda: c.admin.create_alias(AliasName=alias, TargetKeyId=key_id)


def _broken_policy(c):
    key_id = new_key(c.admin)["KeyId"]
    return lambda: c.admin.put_key_policy(KeyId=key_id, Policy='{"Version": "2012-10-17", "Statement": []}')


def _unknown_grant_id(c):
    key_id = new_key(c.admin)["KeyId"]
    return lambda: c.admin.revoke_grant(KeyId=key_id, GrantId="0" * 64)


def _garbage_grant_token(c):
    return lambda: c.admin.retire_grant(GrantToken="not-a-grant-token")


def _signature_of_another_message(c):
    key_id = new_key(c.admin, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    signature = c.admin.sign(KeyId=key_id, Message=b"one", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    return lambda: c.admin.verify(KeyId=key_id, Message=b"two", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")


def _mac_of_another_message(c):
    key_id = new_key(c.admin, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    mac = c.admin.generate_mac(KeyId=key_id, Message=b"one", MacAlgorithm="HMAC_SHA_256")["Mac"]
    return lambda: c.admin.verify_mac(KeyId=key_id, Message=b"two", Mac=mac, MacAlgorithm="HMAC_SHA_256")


def _rotate_asymmetric_key(c):
    key_id = new_key(c.admin, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    return lambda: c.admin.rotate_key_on_demand(KeyId=key_id)


EXCEPTION_ROWS = [
    pytest.param(Row("NotFoundException", lambda c: lambda: c.admin.describe_key(KeyId=str(uuid.uuid4())), "KEY_NOT_FOUND"),
                 id="NotFoundException"),
    pytest.param(Row("DisabledException", _disabled_key, "KEY_DISABLED"), id="DisabledException"),
    pytest.param(Row("KMSInvalidStateException", _key_pending_deletion, "KEY_PENDING_DELETION"), id="KMSInvalidStateException"),
    pytest.param(Row("InvalidCiphertextException", _wrong_context, "INVALID_CIPHERTEXT"), id="InvalidCiphertextException"),
    pytest.param(Row("IncorrectKeyException", _another_key, "INCORRECT_KEY"), id="IncorrectKeyException"),
    pytest.param(Row("InvalidKeyUsageException", _signing_key_encrypts, "INVALID_KEY_USAGE"), id="InvalidKeyUsageException"),
    pytest.param(Row("AccessDeniedException", _alice_describes_admins_key, "ACCESS_DENIED", caller="alice"), id="AccessDeniedException"),
    pytest.param(Row("ValidationException", _dry_run, "VALIDATION", message="DryRun"), id="ValidationException-unsupported-field"),
    pytest.param(Row("ValidationException", _plaintext_of(4097), "VALIDATION", message="4096"), id="ValidationException-plaintext-4097"),
    pytest.param(Row("LimitExceededException", _fifty_one_tags, "LIMIT_EXCEEDED", message="50"), id="LimitExceededException-tags"),
    pytest.param(Row("LimitExceededException", _plaintext_of(100_000), "LIMIT_EXCEEDED", message=str(MAX_BODY_BYTES)),
                 id="LimitExceededException-body"),
    pytest.param(Row("AlreadyExistsException", _alias_twice, "ALREADY_EXISTS"), id="AlreadyExistsException"),
    pytest.param(Row("MalformedPolicyDocumentException", _broken_policy, "MALFORMED_POLICY", message="Statement"),
                 id="MalformedPolicyDocumentException"),
    pytest.param(Row("InvalidGrantIdException", _unknown_grant_id, "GRANT_NOT_FOUND"), id="InvalidGrantIdException"),
    pytest.param(Row("InvalidGrantTokenException", _garbage_grant_token, "GRANT_NOT_FOUND"), id="InvalidGrantTokenException"),
    pytest.param(Row("KMSInvalidSignatureException", _signature_of_another_message, None), id="KMSInvalidSignatureException"),
    pytest.param(Row("KMSInvalidMacException", _mac_of_another_message, None), id="KMSInvalidMacException"),
    pytest.param(Row("UnsupportedOperationException", _rotate_asymmetric_key, "UNSUPPORTED_OPERATION"),
                 id="UnsupportedOperationException-key-kind"),
]


@pytest.mark.parametrize("row", EXCEPTION_ROWS)
def test_exception(kmsd, callers, row):
    """The exception's name and HTTP status 400, and the audit record its request id names."""
    error = aws_error(row.provoke(callers))
    check_error(kmsd, error, row.exception, principal=PRINCIPALS[row.caller], reason=row.reason)
    assert row.message in error.response["Error"]["Message"]


def caller_records(kmsd):
    """The audit records of calls (not kmsd's own checkpoint and job records)."""
    return [record for record in kmsd.audit_records() if not record["principal"].startswith("kmsd:")]


@pytest.mark.parametrize("operation, fields", [
    ("create_custom_key_store", {"CustomKeyStoreName": "store"}),
    ("import_key_material", {"KeyId": "0b1f1d4c-1c83-4f0e-8e2a-9d0c5f7c8c11", "ImportToken": b"token", "EncryptedKeyMaterial": b"key"}),
], ids=["CreateCustomKeyStore", "ImportKeyMaterial"])
def test_unsupported_operation(kmsd, admin, operation, fields):
    """An AWS operation the server does not have is UnsupportedOperationException (400), naming
    it; it is no kms.v1 call, so it leaves no audit record."""
    before = len(caller_records(kmsd))
    error = aws_error(lambda: getattr(admin, operation)(**fields))
    assert error.response["Error"]["Code"] == "UnsupportedOperationException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.operation_name in error.response["Error"]["Message"]
    assert len(caller_records(kmsd)) == before


def test_unrecognized_client_exception(kmsd, aws_cluster):
    """A client certificate that chains to the CA but whose SPIFFE ID is invalid (docs/IDENTITY.md)
    gets UnrecognizedClientException on every call, each recorded with an empty principal."""
    leaf = aws_cluster.ca.issue("invalid-spiffe-id", spiffe_id="spiffe://Test.Example/ns/app/sa/carol")
    error = aws_error(lambda: kmsd.kms(leaf, retries=0).list_keys())
    check_error(kmsd, error, "UnrecognizedClientException", principal="", reason="INVALID_IDENTITY")
    assert "SPIFFE ID" in error.response["Error"]["Message"]


def test_throttling_exception(tmp_path, stubs):
    """Over its quota a caller gets ThrottlingException (400), recorded as THROTTLED."""
    cluster = AWSCluster(tmp_path, stubs, quotas=[{"principal": ADMIN, "operations": ["GenerateRandom"], "requests_per_second": 0.01,
                                                   "burst": 1}])
    try:
        kms = cluster.kmsd.kms(cluster.admin, retries=0)
        kms.generate_random(NumberOfBytes=8)
        error = aws_error(lambda: kms.generate_random(NumberOfBytes=8))
        check_error(cluster.kmsd, error, "ThrottlingException", reason="THROTTLED")
        assert "GenerateRandom" in error.response["Error"]["Message"]
        assert kms.list_keys()["Truncated"] is False  # the rule limits GenerateRandom only
    finally:
        cluster.stop()


def test_dependency_timeout_exception_when_the_audit_log_cannot_be_written(tmp_path, stubs):
    """While the audit directory is not writable (`chmod u-w`, docs/AUDIT.md), calls fail with
    DependencyTimeoutException and HTTP 503; the request id the caller gets is in the server
    log (the call has no audit record); service resumes once the directory is writable."""
    cluster = AWSCluster(tmp_path, stubs)
    audit = pathlib.Path(cluster.kmsd.config["data_dir"]) / "audit"
    try:
        kms = cluster.kmsd.kms(cluster.admin, retries=0)
        key_id = new_key(kms)["KeyId"]
        os.chmod(audit, 0o555)
        for refused in ("ran", "was not carried out"):
            error = aws_error(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"))
            assert error.response["Error"]["Code"] == "DependencyTimeoutException", error.response["Error"]
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert refused in error.response["Error"]["Message"]
            request = error.response["ResponseMetadata"]["RequestId"]
            assert f"request_id={request}" in cluster.kmsd.log()
            assert outcome_records(cluster.kmsd, request) == []
        os.chmod(audit, 0o755)
        check_recorded(cluster.kmsd, kms.encrypt(KeyId=key_id, Plaintext=b"x"), "Encrypt")
    finally:
        os.chmod(audit, 0o755)
        cluster.stop()


def test_kms_internal_exception_when_a_stored_policy_is_unreadable(tmp_path, stubs):
    """A failure inside the server is KMSInternalException with HTTP 500, recorded as INTERNAL,
    with nothing of the cause in the message. Provoked by corrupting a key's stored policy in
    the SQLite file while kmsd is stopped (no request from outside can)."""
    cluster = AWSCluster(tmp_path, stubs)
    try:
        kms = cluster.kmsd.kms(cluster.admin, retries=0)
        key_id = new_key(kms)["KeyId"]
        cluster.kmsd.stop()
        database = sqlite3.connect(pathlib.Path(cluster.kmsd.config["data_dir"]) / "kms.sqlite")
        with database:
            assert database.execute("UPDATE keys SET policy = '{\"Statement\": ' WHERE key_id = ?", (key_id,)).rowcount == 1
        database.close()
        # Start again on a fresh log: the ports are read from it.
        cluster.kmsd.log_path.rename(cluster.kmsd.log_path.with_name("kmsd-first.log"))
        cluster.kmsd.port = None
        cluster.kmsd.start(cluster.admin.credentials())
        kms = cluster.kmsd.kms(cluster.admin, retries=0)
        error = aws_error(lambda: kms.describe_key(KeyId=key_id))
        assert error.response["Error"]["Code"] == "KMSInternalException", error.response["Error"]
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert "Statement" not in error.response["Error"]["Message"]
        record = recorded(cluster.kmsd, error.response["ResponseMetadata"]["RequestId"])
        assert (record["action"], record["outcome"], record.get("reason")) == ("kms:DescribeKey", "failed", "INTERNAL")
    finally:
        cluster.stop()


# --- Raw HTTP --------------------------------------------------------------------------------

def tls_context(leaf=None, ca=None):
    """A client TLS context verifying the server against `ca`, presenting `leaf` if given."""
    context = ssl.create_default_context(cafile=str((ca or leaf.ca).cert_path))
    if leaf is not None:
        context.load_cert_chain(str(leaf.cert_path), str(leaf.key_path))
    return context


def connect(kmsd, leaf):
    return http.client.HTTPSConnection("127.0.0.1", kmsd.aws_port, context=tls_context(leaf), timeout=30)


def exchange(connection, body=b"{}", target="TrentService.ListKeys", content_type=JSON_1_1, method="POST"):
    """One request on `connection` (`target` is the X-Amz-Target header, `None` leaves it out);
    returns (status, headers by lower-case name, JSON body)."""
    headers = {}
    if target is not None:
        headers["X-Amz-Target"] = target
    if content_type is not None:
        headers["Content-Type"] = content_type
    connection.request(method, "/", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, {name.lower(): value for name, value in response.getheaders()}, json.loads(response.read())


@pytest.fixture
def connection(kmsd, aws_cluster):
    connection = connect(kmsd, aws_cluster.admin)
    yield connection
    connection.close()


def check_raw_error(kmsd, status, headers, answer, exception, *, expected_status=400, recorded_reason=None):
    """A raw error response: status, AWS's content type, `__type`, a message; with
    `recorded_reason`, an x-amzn-RequestId naming one failed record with that reason."""
    assert status == expected_status
    assert headers["content-type"] == JSON_1_1
    assert answer["__type"] == exception and answer["message"], answer
    if recorded_reason:
        record = recorded(kmsd, headers["x-amzn-requestid"])
        assert (record["outcome"], record["reason"], record["principal"]) == ("failed", recorded_reason, ADMIN)


def test_get_root_is_not_found(kmsd, connection):
    status, headers, answer = exchange(connection, body=None, target=None, content_type=None, method="GET")
    check_raw_error(kmsd, status, headers, answer, "UnknownOperationException", expected_status=404)


@pytest.mark.parametrize("target", [None, "TrentService.Nope", "TrentService.ListKeysX", "KMS.ListKeys", "trentservice.listkeys"],
                         ids=["no-target", "unknown", "near-miss", "other-service", "lower-case"])
def test_unknown_target(kmsd, connection, target):
    """A request for no operation or one the server does not have is UnsupportedOperationException
    naming the target, and no call: no audit record."""
    before = len(caller_records(kmsd))
    status, headers, answer = exchange(connection, target=target)
    check_raw_error(kmsd, status, headers, answer, "UnsupportedOperationException")
    assert (target or "") in answer["message"]
    assert len(caller_records(kmsd)) == before


@pytest.mark.parametrize("content_type", ["application/json", None], ids=["json", "missing"])
def test_wrong_content_type(kmsd, connection, content_type):
    status, headers, answer = exchange(connection, content_type=content_type)
    check_raw_error(kmsd, status, headers, answer, "ValidationException", recorded_reason="VALIDATION")
    assert JSON_1_1 in answer["message"]


@pytest.mark.parametrize("text", [b"not json", b"[]", b'"text"', b'{"Limit": '], ids=["text", "array", "string", "truncated"])
def test_body_not_a_json_object(kmsd, connection, text):
    status, headers, answer = exchange(connection, body=text)
    check_raw_error(kmsd, status, headers, answer, "ValidationException", recorded_reason="VALIDATION")


def test_body_limit(kmsd, connection):
    """A body of exactly maxBodyBytes is read; one byte more is LimitExceededException, answered
    without reading the body, and the connection is closed after it (`Connection: close`)."""
    status, _, answer = exchange(connection, body=b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}")
    assert status == 200 and "Keys" in answer
    status, headers, answer = exchange(connection, body=b"{" + b" " * (MAX_BODY_BYTES - 1) + b"}")
    check_raw_error(kmsd, status, headers, answer, "LimitExceededException", recorded_reason="LIMIT_EXCEEDED")
    assert headers["connection"] == "close"


def kernel_buffered_bytes_limit() -> int:
    """The most a peer's kernel can accept on a loopback connection without its process reading:
    the largest TCP receive buffer (Linux autotunes up to tcp_rmem's maximum), 64 MiB elsewhere."""
    try:
        return int(pathlib.Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 64 * 1024 * 1024


def test_an_endless_chunked_body_is_cut_off(kmsd, aws_cluster):
    """A chunked body that never ends is cut off: the server answers once it passes the limit
    and closes the connection after at most 1 MiB more, instead of reading forever.

    However slow the server is, the client can get ahead of it only by what the kernel buffers,
    so a client that has sent the limit, the 1 MiB, all the server's receive buffer and its own
    small send buffer (64 KiB asked for, which Linux doubles; 4 MiB are allowed for it and the
    TLS and chunk framing) must have seen the close."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    raw.settimeout(60)
    raw.connect(("127.0.0.1", kmsd.aws_port))
    budget = MAX_BODY_BYTES + 1024 * 1024 + kernel_buffered_bytes_limit() + 4 * 1024 * 1024
    with raw, tls_context(aws_cluster.admin).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"POST / HTTP/1.1\r\nHost: kms\r\nTransfer-Encoding: chunked\r\nX-Amz-Target: TrentService.ListKeys\r\n"
                    b"Content-Type: application/x-amz-json-1.1\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
        sent, closed = 0, False
        try:
            while sent < budget:
                tls.sendall(chunk)
                sent += 16384
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            closed = True
        assert closed, f"the server kept reading a body {sent >> 20} MiB long, past its limit"


def test_success_headers(kmsd, connection):
    """A successful answer has AWS's content type and the record's request id."""
    status, headers, answer = exchange(connection, body=json.dumps({"Limit": 1}).encode())
    assert (status, headers["content-type"]) == (200, JSON_1_1)
    assert set(answer) <= {"Keys", "Truncated", "NextMarker"}
    assert recorded(kmsd, headers["x-amzn-requestid"])["action"] == "kms:ListKeys"


def test_connection_without_client_certificate_is_refused(kmsd, aws_cluster):
    """Without a client certificate the TLS handshake fails (with TLS 1.3 the client sees the
    server's alert on its first read), so no request is answered."""
    context = tls_context(ca=aws_cluster.ca)
    with socket.create_connection(("127.0.0.1", kmsd.aws_port), timeout=30) as raw:
        with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE"):
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"POST / HTTP/1.1\r\nHost: kms\r\nContent-Length: 2\r\nX-Amz-Target: TrentService.ListKeys\r\n"
                            b"Content-Type: application/x-amz-json-1.1\r\n\r\n{}")
                tls.recv(1024)


# --- Rules AWS KMS has that this server keeps too ------------------------------------------------

@pytest.mark.parametrize("operation", ["list_resource_tags", "list_key_policies"])
def test_single_page_lists_accept_limit(admin, operation):
    key_id = new_key(admin, Tags=[{"TagKey": "a", "TagValue": "1"}])["KeyId"]
    listed = getattr(admin, operation)(KeyId=key_id, Limit=10)
    assert listed["Truncated"] is False


def test_tags_are_paged_by_boto3s_paginator(admin):
    tags = [{"TagKey": f"t{index:02}", "TagValue": str(index)} for index in range(7)]
    key_id = new_key(admin, Tags=tags)["KeyId"]
    pages = list(admin.get_paginator("list_resource_tags").paginate(KeyId=key_id, PaginationConfig={"PageSize": 3}))
    assert [len(page["Tags"]) for page in pages] == [3, 3, 1]
    assert [tag for page in pages for tag in page["Tags"]] == tags


def test_verify_mac_with_a_truncated_mac(kmsd, admin):
    key_id = new_key(admin, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    mac = admin.generate_mac(KeyId=key_id, Message=b"message", MacAlgorithm="HMAC_SHA_256")["Mac"]
    error = aws_error(lambda: admin.verify_mac(KeyId=key_id, Message=b"message", Mac=mac[:16], MacAlgorithm="HMAC_SHA_256"))
    check_error(kmsd, error, "KMSInvalidMacException")


def test_tag_keys_starting_with_aws_are_reserved(kmsd, admin):
    key_id = new_key(admin)["KeyId"]
    error = aws_error(lambda: admin.tag_resource(KeyId=key_id, Tags=[{"TagKey": "aws:owner", "TagValue": "x"}]))
    check_error(kmsd, error, "TagException")


def test_aliases_under_alias_aws_are_reserved(admin):
    key_id = new_key(admin)["KeyId"]
    aws_error(lambda: admin.create_alias(AliasName=unique_alias("aws/managed"), TargetKeyId=key_id))


# --- Forged connections -------------------------------------------------------------------------

def test_naming_another_connection_does_not_make_a_caller_someone_else(kmsd, aws_cluster, stubs, grpc_callers):
    """The in-process server behind the AWS endpoint finds the caller's TLS connection from the
    peers the endpoint names in the call's metadata. Neither a gRPC caller (metadata) nor an AWS
    caller (HTTP headers) can use that name, or the endpoint's refusal keys, to become the
    admin, whose AWS connection is open at the same time."""
    admin = connect(kmsd, aws_cluster.admin)
    status, _, _ = exchange(admin)  # the admin's connection is open and verified
    assert status == 200
    admin_peers = f"ipv4:127.0.0.1:{admin.sock.getsockname()[1]} ipv4:127.0.0.1:{kmsd.aws_port}"
    forged = [("kms-in-process-peers", admin_peers), ("kms-aws-compat-refusal-reason", "KEY_NOT_FOUND")]
    try:
        identity = grpc_callers.alice.GetCallerIdentity(stubs["kms"].GetCallerIdentityRequest(), metadata=forged, timeout=10)
        assert identity.principal == ALICE
        key_id = new_key(aws_cluster.kmsd.kms(aws_cluster.admin))["KeyId"]
        alice = connect(kmsd, aws_cluster.alice)
        try:
            alice.request("POST", "/", body=json.dumps({"KeyId": key_id}).encode(), headers={
                "X-Amz-Target": "TrentService.DescribeKey", "Content-Type": JSON_1_1, **dict(forged)})
            response = alice.getresponse()
            answer = json.loads(response.read())
            assert (response.status, answer["__type"]) == (400, "AccessDeniedException"), answer
            record = recorded(kmsd, response.getheader("x-amzn-RequestId"))
            assert (record["principal"], record["outcome"]) == (ALICE, "denied")
        finally:
            alice.close()
    finally:
        admin.close()
