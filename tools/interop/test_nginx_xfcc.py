"""A real nginx (Debian's package) in front of kmsd: nginx terminates the client's mutual
TLS, forwards gRPC to kmsd over mutual TLS with its own (proxy) certificate, whose SPIFFE ID
kmsd lists in `identity.trusted_proxies`, and names the client in `x-forwarded-client-cert`
(`Hash=…;Cert="<url-encoded PEM>"`, from `$ssl_client_escaped_cert`). kmsd must treat the
call as the client's (principal, policy, audit record with `proxy`), verify the forwarded
certificate like a direct one, and ignore the header from callers that are not trusted
proxies.

nginx runs in the foreground (`daemon off; master_process off;`) with its prefix, pid file
and logs under the test's temporary directory. Without nginx installed these tests skip,
unless KMS_REQUIRE_NGINX=1 (set by .ci/run, which installs it)."""
import os
import urllib.parse

import grpc
import pytest
from cryptography.hazmat.primitives import hashes

from test_python_client import _error_reason
from tls_edge_support import (ADMIN, CLIENT, PROXY, CertificateAuthority, Kmsd, Nginx, kmsd_config, nginx_binary,
                              policy, request_id)

REQUIRED = os.environ.get("KMS_REQUIRE_NGINX") == "1"
pytestmark = pytest.mark.skipif(nginx_binary() is None and not REQUIRED,
                                reason="nginx is not installed (apt-get install -y nginx; .ci/run does)")

XFCC = "x-forwarded-client-cert"


def _xfcc_element(leaf=None, uri=None, subject=None):
    """One Envoy-format element naming `leaf` by its certificate (and/or by names)."""
    parts = []
    if leaf is not None:
        parts.append(f"Hash={leaf.certificate.fingerprint(hashes.SHA256()).hex()}")
        parts.append(f'Cert="{urllib.parse.quote(leaf.pem.decode(), safe="")}"')
    if subject is not None:
        parts.append(f'Subject="{subject}"')
    if uri is not None:
        parts.append(f"URI={uri}")
    return ";".join(parts)


def _nginx(directory, pki, client_bundle, kmsd, session_reuse):
    """nginx as the issue describes it. `session_reuse` is grpc_ssl_session_reuse (nginx's
    default is on: it resumes its TLS session to kmsd on every new upstream connection)."""
    return Nginx(directory, f"""
    server {{
        {{LISTEN}}
        ssl_certificate {pki['nginx'].cert_path};
        ssl_certificate_key {pki['nginx'].key_path};
        ssl_client_certificate {client_bundle};
        ssl_verify_client on;
        ssl_verify_depth 2;
        location / {{
            grpc_pass grpcs://127.0.0.1:{kmsd.port};
            grpc_ssl_certificate {pki['proxy'].cert_path};
            grpc_ssl_certificate_key {pki['proxy'].key_path};
            grpc_ssl_trusted_certificate {pki['ca'].cert_path};
            grpc_ssl_verify on;
            grpc_ssl_name localhost;
            grpc_ssl_server_name on;
            grpc_ssl_session_reuse {'on' if session_reuse else 'off'};
            grpc_set_header {XFCC} "Hash=$ssl_client_fingerprint;Cert=\\"$ssl_client_escaped_cert\\"";
        }}
    }}""")


@pytest.fixture(scope="module")
def edge(tmp_path_factory, stubs):
    """kmsd (trusting the test CA for the test.example trust domain, nginx's certificate as
    a trusted proxy) behind nginx (trusting the test CA and a second CA for clients).

    This nginx does not resume its TLS sessions to kmsd (grpc_ssl_session_reuse off), so
    that these tests check the forwarded identity on its own; nginx's default (on) is
    tested by test_nginx_with_its_default_upstream_session_reuse_keeps_the_clients_identity."""
    assert nginx_binary() is not None, "KMS_REQUIRE_NGINX=1 but nginx is not installed"
    directory = tmp_path_factory.mktemp("nginx-edge")
    ca = CertificateAuthority(directory / "pki", "mesh-ca")
    other_ca = CertificateAuthority(directory / "pki", "other-ca")
    pki = {
        "ca": ca,
        "other_ca": other_ca,
        "kmsd": ca.issue_server("kmsd-server"),
        "nginx": ca.issue_server("nginx-server"),
        "proxy": ca.issue("proxy", spiffe_id=PROXY),
        "admin": ca.issue("admin", spiffe_id=ADMIN),
        "client": ca.issue("client", spiffe_id=CLIENT),
        # Same SPIFFE ID as the client, from a CA that only nginx trusts.
        "impostor": other_ca.issue("impostor", spiffe_id=CLIENT),
    }
    client_bundle = directory / "pki" / "nginx-client-cas.pem"
    client_bundle.write_bytes(ca.cert_path.read_bytes() + other_ca.cert_path.read_bytes())

    server_policy = policy({"Sid": "AppCreatesAndUsesKeys", "Effect": "Allow", "Principal": CLIENT,
                            "Action": ["kms:CreateKey", "kms:GenerateRandom"], "Resource": "*"})
    config = kmsd_config(
        directory / "kmsd", pki["kmsd"], client_ca=ca,
        tls={"spiffe_trust_bundles": {"test.example": str(ca.cert_path)}},
        # A pattern ("?" matches one character) that names the proxy.
        identity={"trusted_proxies": ["spiffe://test.example/prox?"], "forwarded_names_without_certificate": False},
        server_policy=server_policy,
    )
    kmsd = Kmsd(directory / "kmsd", config, stubs).start(pki["admin"].credentials())
    nginx = None
    try:
        nginx = _nginx(directory / "nginx", pki, client_bundle, kmsd, session_reuse=False).start()
        print(f"\nnginx {'.'.join(map(str, nginx.version))} on {nginx.port} -> kmsd on {kmsd.port}")
        yield {"kmsd": kmsd, "nginx": nginx, "pki": pki, "stubs": stubs, "directory": directory, "client_bundle": client_bundle}
    finally:
        if nginx is not None:
            nginx.stop()
            print("nginx error log (tail):\n" + "\n".join(nginx.log().splitlines()[-15:]))
        kmsd.stop()


def _via_nginx(edge, leaf):
    target = f"127.0.0.1:{edge['nginx'].port}"
    # nginx's certificate names localhost; the channel connects to 127.0.0.1.
    return grpc.secure_channel(target, leaf.credentials(edge["pki"]["ca"]),
                               options=[("grpc.ssl_target_name_override", "localhost")])


def _direct(edge, leaf):
    return edge["kmsd"].channel(leaf)


def _records(edge, request):
    return [record for record in edge["kmsd"].audit_records() if record["request_id"] == request]


def test_get_caller_identity_through_nginx_is_the_clients(edge):
    pb = edge["stubs"]["kms"]
    with _via_nginx(edge, edge["pki"]["client"]) as channel:
        identity, call = edge["kmsd"].client(channel).GetCallerIdentity.with_call(pb.GetCallerIdentityRequest(), timeout=10)
    print(f"  through nginx: principal {identity.principal}, SANs {list(identity.certificate_sans)}")
    assert identity.principal == CLIENT
    assert f"URI:{CLIENT}" in identity.certificate_sans
    assert identity.certificate_subject == "CN=client"
    records = _records(edge, request_id(call))
    assert [(r["principal"], r.get("proxy"), r["outcome"]) for r in records] == [(CLIENT, PROXY, "allowed")], records


def test_the_proxy_alone_is_the_proxy(edge):
    """Control: nginx's certificate without the header is just the proxy's principal,
    to which the policy grants nothing."""
    pb = edge["stubs"]["kms"]
    with _direct(edge, edge["pki"]["proxy"]) as channel:
        client = edge["kmsd"].client(channel)
        assert client.GetCallerIdentity(pb.GetCallerIdentityRequest(), timeout=10).principal == PROXY
        with pytest.raises(grpc.RpcError) as denied:
            client.CreateKey(pb.CreateKeyRequest(description="proxy itself"), timeout=10)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert _error_reason(denied.value) == "ACCESS_DENIED"


def test_create_key_and_encrypt_through_nginx_are_the_clients_and_audited_with_the_proxy(edge):
    pb = edge["stubs"]["kms"]
    with _via_nginx(edge, edge["pki"]["client"]) as channel:
        client = edge["kmsd"].client(channel)
        created, create_call = client.CreateKey.with_call(pb.CreateKeyRequest(description="via nginx"), timeout=10)
        key_id = created.key_metadata.key_id
        # The key's default policy names its creator: the client, not the proxy.
        with _direct(edge, edge["pki"]["admin"]) as admin:
            policy_text = edge["kmsd"].client(admin).GetKeyPolicy(pb.GetKeyPolicyRequest(key_id=key_id), timeout=10).policy
        assert CLIENT in policy_text and PROXY not in policy_text, policy_text
        encrypted, encrypt_call = client.Encrypt.with_call(
            pb.EncryptRequest(key_id=key_id, plaintext=b"through nginx", encryption_context={"app": "api"}), timeout=10)
        assert client.Decrypt(pb.DecryptRequest(ciphertext_blob=encrypted.ciphertext_blob, encryption_context={"app": "api"}),
                              timeout=10).plaintext == b"through nginx"
        # Server-wide actions the policy gives only the admin stay denied to the client.
        with pytest.raises(grpc.RpcError) as denied:
            client.ListAuditEvents(pb.ListAuditEventsRequest(), timeout=10)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert _error_reason(denied.value) == "ACCESS_DENIED"

    create_records = _records(edge, request_id(create_call))
    encrypt_records = _records(edge, request_id(encrypt_call))
    print(f"  CreateKey records: {create_records}\n  Encrypt records: {encrypt_records}")
    assert {(r["principal"], r.get("proxy"), r["outcome"]) for r in create_records} == {(CLIENT, PROXY, "intent"), (CLIENT, PROXY, "allowed")}
    assert len(encrypt_records) == 1
    record = encrypt_records[0]
    assert (record["principal"], record["proxy"], record["action"], record["key_id"], record["outcome"]) == (
        CLIENT, PROXY, "kms:Encrypt", key_id, "allowed")
    assert record["source"] == "127.0.0.1"


def test_a_client_nginx_trusts_but_kmsd_does_not_is_refused(edge):
    """The impostor's certificate names the client's SPIFFE ID but comes from a CA that only
    nginx trusts; kmsd's bundle for test.example refuses the forwarded certificate."""
    pb = edge["stubs"]["kms"]
    offset = len(edge["kmsd"].log())
    with _via_nginx(edge, edge["pki"]["impostor"]) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            edge["kmsd"].client(channel).GetCallerIdentity(pb.GetCallerIdentityRequest(), timeout=10)
    print(f"  {refused.value.code()} {refused.value.details()}")
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, refused.value.details()
    assert _error_reason(refused.value) == "INVALID_IDENTITY"
    log = edge["kmsd"].log()[offset:]
    assert "not trusted" in log, log
    # The refusal is audited (docs/AUDIT.md: a refused identity leaves a record).
    records = _records(edge, request_id(refused.value))
    print(f"  audit: {records}")
    assert [(r["outcome"], r.get("reason")) for r in records] == [("failed", "INVALID_IDENTITY")], records
    assert records[0]["principal"] != CLIENT and records[0].get("proxy") == PROXY, records


def test_a_forged_header_from_a_caller_that_is_not_a_trusted_proxy_is_ignored(edge):
    """The client connects to kmsd directly and claims, in x-forwarded-client-cert, to be
    forwarding the admin (with the admin's real certificate, which is public): kmsd ignores
    the header, the caller is the client, and admin-only actions are denied."""
    pb = edge["stubs"]["kms"]
    with _direct(edge, edge["pki"]["admin"]) as channel:
        admin_key = edge["kmsd"].client(channel).CreateKey(pb.CreateKeyRequest(description="admin's"), timeout=10).key_metadata.key_id
    forged = [(XFCC, _xfcc_element(edge["pki"]["admin"], uri=ADMIN, subject="CN=admin"))]
    with _direct(edge, edge["pki"]["client"]) as channel:
        client = edge["kmsd"].client(channel)
        identity, call = client.GetCallerIdentity.with_call(pb.GetCallerIdentityRequest(), metadata=forged, timeout=10)
        assert identity.principal == CLIENT
        records = _records(edge, request_id(call))
        assert [(r["principal"], "proxy" in r) for r in records] == [(CLIENT, False)], records
        for attempt in (
            lambda: client.ListAuditEvents(pb.ListAuditEventsRequest(), metadata=forged, timeout=10),
            lambda: client.Encrypt(pb.EncryptRequest(key_id=admin_key, plaintext=b"x"), metadata=forged, timeout=10),
            lambda: client.DisableKey(pb.DisableKeyRequest(key_id=admin_key), metadata=forged, timeout=10),
        ):
            with pytest.raises(grpc.RpcError) as denied:
                attempt()
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED, denied.value.details()
            assert _error_reason(denied.value) == "ACCESS_DENIED"
    denied_records = [r for r in edge["kmsd"].audit_records() if r.get("key_id") == admin_key and r["outcome"] == "denied"]
    assert denied_records and all(r["principal"] == CLIENT and "proxy" not in r for r in denied_records), denied_records


def test_a_header_sent_through_nginx_is_replaced_by_nginx(edge):
    """nginx's grpc_set_header replaces a client's own x-forwarded-client-cert: a client
    claiming the admin through nginx is still itself."""
    pb = edge["stubs"]["kms"]
    forged = [(XFCC, _xfcc_element(edge["pki"]["admin"], uri=ADMIN))]
    with _via_nginx(edge, edge["pki"]["client"]) as channel:
        identity = edge["kmsd"].client(channel).GetCallerIdentity(pb.GetCallerIdentityRequest(), metadata=forged, timeout=10)
    assert identity.principal == CLIENT


def test_a_trusted_proxy_is_believed_for_the_last_element_only(edge):
    """The proxy's own certificate with a two-element header (admin first, client last):
    the last element names the caller."""
    pb = edge["stubs"]["kms"]
    header = _xfcc_element(edge["pki"]["admin"]) + "," + _xfcc_element(edge["pki"]["client"])
    with _direct(edge, edge["pki"]["proxy"]) as channel:
        identity = edge["kmsd"].client(channel).GetCallerIdentity(pb.GetCallerIdentityRequest(), metadata=[(XFCC, header)], timeout=10)
    assert identity.principal == CLIENT


@pytest.mark.parametrize("header", ["names only", "impostor certificate", "malformed"])
def test_a_trusted_proxy_naming_a_client_it_cannot_prove_is_refused(edge, header):
    """Without Cert the names count only with forwarded_names_without_certificate (off
    here); a forwarded certificate from an untrusted CA and a malformed header are refused
    too: UNAUTHENTICATED with INVALID_IDENTITY, never the proxy's own identity."""
    pb = edge["stubs"]["kms"]
    value = {
        "names only": _xfcc_element(uri=ADMIN, subject="CN=admin"),
        "impostor certificate": _xfcc_element(edge["pki"]["impostor"]),
        "malformed": 'Cert="unterminated',
    }[header]
    with _direct(edge, edge["pki"]["proxy"]) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            edge["kmsd"].client(channel).GetCallerIdentity(pb.GetCallerIdentityRequest(), metadata=[(XFCC, value)], timeout=10)
    print(f"  {refused.value.code()} {refused.value.details()}")
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, refused.value.details()
    assert _error_reason(refused.value) == "INVALID_IDENTITY"


def test_nginx_with_its_default_upstream_session_reuse_keeps_the_clients_identity(edge):
    """nginx's default, grpc_ssl_session_reuse on: every upstream connection after the first
    resumes nginx's TLS session with kmsd (an abbreviated handshake without nginx's
    certificate). Each call through it must still be the client's."""
    pb = edge["stubs"]["kms"]
    nginx = _nginx(edge["directory"] / "nginx-reuse", edge["pki"], edge["client_bundle"], edge["kmsd"], session_reuse=True).start()
    outcomes = []
    try:
        for _ in range(5):
            # A new client connection each time; nginx opens a new upstream connection per call.
            channel = grpc.secure_channel(f"127.0.0.1:{nginx.port}", edge["pki"]["client"].credentials(edge["pki"]["ca"]),
                                          options=[("grpc.ssl_target_name_override", "localhost")])
            with channel:
                try:
                    outcomes.append(edge["kmsd"].client(channel).GetCallerIdentity(pb.GetCallerIdentityRequest(), timeout=10).principal)
                except grpc.RpcError as error:
                    outcomes.append(f"{error.code().name}: {error.details()}")
    finally:
        nginx.stop()
    print(f"  five calls through nginx with upstream session reuse: {outcomes}")
    assert outcomes == [CLIENT] * 5, outcomes
