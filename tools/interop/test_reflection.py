"""gRPC server reflection as a generic client uses it: grpcio-reflection's descriptor
database learns the services and their messages from kmsd alone (no local copy of the
protos), and a request built from those descriptors is a real Encrypt call."""
import os

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

SERVICES = [
    "kms.v1.KeyManagementService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
]


@pytest.fixture
def channel(dev_server):
    with dev_server.channel() as channel:
        yield channel


@pytest.fixture
def reflected(channel):
    """A descriptor pool that knows only what the server's reflection service serves."""
    database = ProtoReflectionDescriptorDatabase(channel)
    return database, descriptor_pool.DescriptorPool(database)


def _unary(channel, pool, service, method_name):
    """A callable for one unary method, with message classes made from `pool`."""
    method = pool.FindServiceByName(service).methods_by_name[method_name]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        f"/{service}/{method_name}",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    return request_class, call


def test_lists_the_services(reflected):
    database, _ = reflected
    assert sorted(database.get_services()) == sorted(SERVICES)


def test_a_request_built_from_reflected_descriptors_is_a_real_encrypt_call(channel, reflected):
    _, pool = reflected
    service = "kms.v1.KeyManagementService"
    encrypt_request = pool.FindMessageTypeByName("kms.v1.EncryptRequest")
    assert {"key_id", "plaintext", "encryption_context"} <= set(encrypt_request.fields_by_name)
    assert encrypt_request.file.name == "kms/v1/kms.proto"

    create_key, create = _unary(channel, pool, service, "CreateKey")
    key_id = create(create_key(description="reflection interop"), timeout=10).key_metadata.key_id

    EncryptRequest, encrypt = _unary(channel, pool, service, "Encrypt")
    assert EncryptRequest.DESCRIPTOR.full_name == "kms.v1.EncryptRequest"
    plaintext = os.urandom(48)
    context = {"purpose": "reflection"}
    encrypted = encrypt(EncryptRequest(key_id=key_id, plaintext=plaintext, encryption_context=context), timeout=10)
    assert encrypted.key_id == key_id
    assert len(encrypted.ciphertext_blob) > len(plaintext)

    DecryptRequest, decrypt = _unary(channel, pool, service, "Decrypt")
    decrypted = decrypt(DecryptRequest(ciphertext_blob=encrypted.ciphertext_blob, encryption_context=context), timeout=10)
    assert decrypted.plaintext == plaintext


def test_every_listed_service_resolves_with_its_imports(reflected):
    database, pool = reflected
    for name in database.get_services():
        assert pool.FindServiceByName(name).full_name == name
    status = pool.FindMessageTypeByName("google.rpc.Status")
    assert status.fields_by_name["details"].message_type.full_name == "google.protobuf.Any"


def test_an_unknown_symbol_is_not_found(reflected):
    database, pool = reflected
    with pytest.raises(KeyError):
        database.FindFileContainingSymbol("kms.v1.NoSuchMessage")
    with pytest.raises(KeyError):
        pool.FindMessageTypeByName("kms.v1.NoSuchMessage")


def test_v1_answers_the_same_messages(channel):
    """grpcio-reflection has no v1 client; v1's messages are v1alpha's on the wire."""
    info = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=".kms.v1.KeyManagementService.Encrypt"),
        reflection_pb2.ServerReflectionRequest(file_by_filename="no/such/file.proto"),
    ]
    listed, symbol, missing = list(info(iter(requests), timeout=10))
    assert sorted(s.name for s in listed.list_services_response.service) == sorted(SERVICES)
    files = symbol.file_descriptor_response.file_descriptor_proto
    assert len(files) == 4  # kms.proto, then timestamp, status and any
    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
