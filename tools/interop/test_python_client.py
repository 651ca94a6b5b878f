"""A Python client generated from proto/ talks to kmsd over mutual TLS and does envelope
encryption of a file with the `cryptography` package."""
import os

import grpc
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from grpc_status import rpc_status
from google.rpc import error_details_pb2


def _error_reason(error):
    status = rpc_status.from_call(error)
    assert status is not None, "no grpc-status-details-bin trailer"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            assert info.domain == "kms"
            return info.reason
    raise AssertionError("no ErrorInfo detail")


@pytest.fixture(scope="module")
def kms(dev_server, stubs):
    with dev_server.channel() as channel:
        yield stubs["kms_grpc"].KeyManagementServiceStub(channel), stubs["kms"]


def test_caller_identity_is_the_dev_admin(kms):
    client, pb = kms
    identity = client.GetCallerIdentity(pb.GetCallerIdentityRequest())
    assert identity.principal == "spiffe://swift-kms.dev/admin"
    assert "URI:spiffe://swift-kms.dev/admin" in identity.certificate_sans
    assert "CN=kms-admin" in identity.certificate_subject


def test_envelope_encryption_of_a_file(kms, tmp_path):
    client, pb = kms
    key = client.CreateKey(pb.CreateKeyRequest(description="python interop")).key_metadata
    assert key.key_state == pb.KEY_STATE_ENABLED

    original = os.urandom(1024 * 1024 + 7)
    context = {"file": "report.bin", "tenant": "acme"}

    # Encrypt: a fresh data key from the server, used locally, then discarded.
    data_key = client.GenerateDataKey(
        pb.GenerateDataKeyRequest(key_id=key.key_id, key_spec=pb.DATA_KEY_SPEC_AES_256, encryption_context=context)
    )
    assert len(data_key.plaintext) == 32
    assert data_key.key_id == key.key_id
    nonce = os.urandom(12)
    sealed = AESGCM(data_key.plaintext).encrypt(nonce, original, None)
    stored = tmp_path / "report.bin.enc"
    stored.write_bytes(len(data_key.ciphertext_blob).to_bytes(4, "big") + data_key.ciphertext_blob + nonce + sealed)
    del data_key

    # Decrypt: the server turns the stored encrypted key back into the data key.
    blob_and_rest = stored.read_bytes()
    blob_length = int.from_bytes(blob_and_rest[:4], "big")
    blob = blob_and_rest[4 : 4 + blob_length]
    nonce = blob_and_rest[4 + blob_length : 16 + blob_length]
    body = blob_and_rest[16 + blob_length :]
    reply = client.Decrypt(pb.DecryptRequest(ciphertext_blob=blob, encryption_context=context))
    assert reply.key_id == key.key_id
    assert AESGCM(reply.plaintext).decrypt(nonce, body, None) == original


def test_wrong_context_is_invalid_ciphertext_with_error_info(kms):
    client, pb = kms
    key = client.CreateKey(pb.CreateKeyRequest()).key_metadata
    blob = client.Encrypt(pb.EncryptRequest(key_id=key.key_id, plaintext=b"secret", encryption_context={"a": "1"})).ciphertext_blob
    with pytest.raises(grpc.RpcError) as raised:
        client.Decrypt(pb.DecryptRequest(ciphertext_blob=blob, encryption_context={"a": "2"}))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _error_reason(raised.value) == "INVALID_CIPHERTEXT"
    assert b"secret" not in raised.value.details().encode()


def test_unknown_key_is_key_not_found(kms):
    client, pb = kms
    with pytest.raises(grpc.RpcError) as raised:
        client.DescribeKey(pb.DescribeKeyRequest(key_id="00000000-0000-4000-8000-000000000000"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert _error_reason(raised.value) == "KEY_NOT_FOUND"
