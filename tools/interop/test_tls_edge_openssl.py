"""The TLS edge of `kmsd serve`, probed with the `openssl s_client` CLI: which protocol
versions and TLS 1.2 cipher suites the listener accepts, `tls.min_version: "1.3"`, and
which client certificates it refuses.

Every refusal is checked for vacuity first: the same s_client command must complete a
handshake with a permissive `openssl s_server` (security level 0, every suite) holding a
certificate of the same key type, so a refusal by kmsd is not merely the local OpenSSL
being unable to offer that version or suite. A static-RSA suite, for example, can only be
negotiated with an RSA server certificate, so each suite is tried against a kmsd whose
certificate has the matching key type (the tests run against an ECDSA P-256 and an RSA 2048
server).

An accepted connection is one where s_client completes the handshake, sends the HTTP/2
preface and a frame kmsd must answer with GOAWAY, and sees kmsd close the connection without
an alert (see `tls_edge_support.H2_PROBE`): with TLS 1.3 the server refuses a client
certificate only after the handshake, so "Cipher is …" alone proves nothing."""
import datetime

import grpc
import pytest

from tls_edge_support import ADMIN, CertificateAuthority, Kmsd, PermissiveServer, kmsd_config, s_client

KEY_TYPES = ("ec", "rsa")
# s_client on Debian (OpenSSL 3) only offers TLS 1.0/1.1 at security level 0.
LEGACY = ("-cipher", "DEFAULT@SECLEVEL=0")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca = CertificateAuthority(directory / "ca", "edge-ca")
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "ca": ca,
        "servers": {key_type: ca.issue_server(f"server-{key_type}", key_type=key_type) for key_type in KEY_TYPES},
        "admin": ca.issue("admin", spiffe_id=ADMIN),
        "server_auth_only": ca.issue("server-auth-only", spiffe_id="spiffe://test.example/ns/app/sa/eku", usages=("server",)),
        "not_yet_valid": ca.issue("not-yet-valid", spiffe_id="spiffe://test.example/ns/app/sa/future",
                                  not_before=now + datetime.timedelta(hours=2), not_after=now + datetime.timedelta(days=1)),
        "expired": ca.issue("expired", spiffe_id="spiffe://test.example/ns/app/sa/past",
                            not_before=now - datetime.timedelta(days=2), not_after=now - datetime.timedelta(hours=1)),
        "other_ca": CertificateAuthority(directory / "other", "other-ca").issue("stranger", spiffe_id="spiffe://test.example/ns/app/sa/api"),
    }


@pytest.fixture(scope="module")
def servers(pki, stubs, tmp_path_factory):
    """kmsd with an ECDSA and with an RSA server certificate (min_version 1.2, the default),
    and kmsd with min_version "1.3" (ECDSA)."""
    running = {}
    try:
        for key_type in KEY_TYPES:
            directory = tmp_path_factory.mktemp(f"kmsd-{key_type}")
            running[key_type] = Kmsd(directory, kmsd_config(directory, pki["servers"][key_type], client_ca=pki["ca"]), stubs)
            running[key_type].start(pki["admin"].credentials())
        directory = tmp_path_factory.mktemp("kmsd-tls13")
        config = kmsd_config(directory, pki["servers"]["ec"], client_ca=pki["ca"], tls={"min_version": "1.3"})
        running["tls13"] = Kmsd(directory, config, stubs).start(pki["admin"].credentials())
        yield running
    finally:
        for server in running.values():
            server.stop()


def _refused_and_not_vacuous(pki, server, key_type, *args):
    can, probe = PermissiveServer(pki["servers"][key_type]).client_can_negotiate(*args)
    if not can:
        pytest.skip(f"the local openssl s_client cannot negotiate {' '.join(args)} even with a permissive "
                    f"openssl s_server ({key_type} certificate), so a refusal by kmsd would prove nothing:\n{probe.output[-600:]}")
    print(f"  (a permissive openssl s_server negotiates it: {probe.protocol} {probe.cipher})")
    run = s_client(server.port, *args, leaf=pki["admin"], ca=pki["ca"])
    assert run.refused, f"kmsd accepted {' '.join(args)}:\n{run.output}"
    assert not run.accepted
    assert server.alive(), server.log()
    return run


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_tls_1_0_and_1_1_are_refused(pki, servers, key_type, version):
    run = _refused_and_not_vacuous(pki, servers[key_type], key_type, version, *LEGACY)
    assert "protocol version" in run.output or "no protocols available" in run.output, run.output


@pytest.mark.parametrize("suite", ["AES128-GCM-SHA256", "AES256-SHA"])
def test_tls_1_2_static_rsa_key_exchange_is_refused(pki, servers, suite):
    """Static RSA key exchange needs an RSA server key: tried against the RSA server."""
    run = _refused_and_not_vacuous(pki, servers["rsa"], "rsa", "-tls1_2", "-cipher", suite)
    assert "handshake failure" in run.output or "no ciphers available" in run.output, run.output


@pytest.mark.parametrize("key_type, suite", [("ec", "ECDHE-ECDSA-AES128-SHA"), ("rsa", "ECDHE-RSA-AES128-SHA"),
                                             ("ec", "ECDHE-ECDSA-AES256-SHA384"), ("rsa", "ECDHE-RSA-AES128-SHA256")])
def test_tls_1_2_ecdhe_cbc_suites_are_refused(pki, servers, key_type, suite):
    run = _refused_and_not_vacuous(pki, servers[key_type], key_type, "-tls1_2", "-cipher", suite)
    assert "handshake failure" in run.output or "no ciphers available" in run.output, run.output


@pytest.mark.parametrize("key_type, suite", [
    ("ec", "ECDHE-ECDSA-AES128-GCM-SHA256"), ("ec", "ECDHE-ECDSA-AES256-GCM-SHA384"), ("ec", "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ("rsa", "ECDHE-RSA-AES128-GCM-SHA256"), ("rsa", "ECDHE-RSA-AES256-GCM-SHA384"), ("rsa", "ECDHE-RSA-CHACHA20-POLY1305"),
])
def test_tls_1_2_ecdhe_aead_suites_matching_the_server_key_are_accepted(pki, servers, key_type, suite):
    run = s_client(servers[key_type].port, "-tls1_2", "-cipher", suite, leaf=pki["admin"], ca=pki["ca"])
    assert run.accepted, run.output
    assert run.protocol == "TLSv1.2" and run.cipher == suite, run.output


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_tls_1_2_without_a_cipher_list_gets_ecdhe_with_aead(pki, servers, key_type):
    """Whatever OpenSSL offers by default, the suite kmsd picks is ECDHE with AES-GCM or ChaCha20-Poly1305."""
    run = s_client(servers[key_type].port, "-tls1_2", leaf=pki["admin"], ca=pki["ca"])
    assert run.accepted, run.output
    assert run.protocol == "TLSv1.2", run.output
    assert run.cipher.startswith("ECDHE-") and ("GCM" in run.cipher or "CHACHA20" in run.cipher), run.cipher


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_tls_1_3_is_accepted(pki, servers, key_type):
    run = s_client(servers[key_type].port, "-tls1_3", leaf=pki["admin"], ca=pki["ca"])
    assert run.accepted, run.output
    assert run.protocol == "TLSv1.3" and run.cipher.startswith("TLS_"), run.output


def test_min_version_1_3_refuses_tls_1_2(pki, servers):
    server = servers["tls13"]
    for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"):
        run = _refused_and_not_vacuous(pki, server, "ec", "-tls1_2", "-cipher", suite)
        assert "protocol version" in run.output or "no protocols available" in run.output, run.output


def test_min_version_1_3_accepts_tls_1_3(pki, servers, stubs):
    run = s_client(servers["tls13"].port, "-tls1_3", leaf=pki["admin"], ca=pki["ca"])
    assert run.accepted and run.protocol == "TLSv1.3", run.output
    with servers["tls13"].channel(pki["admin"]) as channel:
        identity = servers["tls13"].client(channel).GetCallerIdentity(stubs["kms"].GetCallerIdentityRequest(), timeout=10)
    assert identity.principal == ADMIN


def _grpc_call_fails_unavailable(server, credentials, stubs):
    with grpc.secure_channel(server.target, credentials) as channel:
        with pytest.raises(grpc.RpcError) as raised:
            server.client(channel).GetCallerIdentity(stubs["kms"].GetCallerIdentityRequest(), timeout=10)
    print(f"  grpc: {raised.value.code()} {raised.value.details()}")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value.details()


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_no_client_certificate_gets_nothing_through(pki, servers, stubs, version):
    """TLS 1.2: the handshake fails. TLS 1.3: the handshake completes on the client's side
    and kmsd answers the client's Finished with an alert (certificate required); the
    HTTP/2 bytes after it never reach the gRPC server."""
    server = servers["ec"]
    run = s_client(server.port, version, ca=pki["ca"])
    assert run.refused and run.alert, run.output
    _grpc_call_fails_unavailable(server, grpc.ssl_channel_credentials(root_certificates=pki["ca"].cert_path.read_bytes()), stubs)
    assert server.alive()


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
@pytest.mark.parametrize("name, logged", [
    ("server_auth_only", "extended key usage"),
    ("not_yet_valid", None),
    ("expired", None),
    ("other_ca", None),
])
def test_unacceptable_client_certificates_are_refused(pki, servers, stubs, version, name, logged):
    """A client certificate whose extended key usage is serverAuth only, one that is not
    valid yet, an expired one and one from another CA: the TLS handshake is refused (with
    TLS 1.3 by an alert after the client's Finished) and no gRPC call gets through."""
    server = servers["ec"]
    leaf = pki[name]
    before = server.log()
    run = s_client(server.port, version, leaf=leaf, ca=pki["ca"])
    assert run.refused and run.alert, run.output
    _grpc_call_fails_unavailable(server, leaf.credentials(pki["ca"]), stubs)
    new_lines = server.log()[len(before):]
    print("  kmsd log:\n    " + "\n    ".join(line for line in new_lines.splitlines() if "refused" in line)[:1200])
    assert "refused a client certificate" in new_lines, new_lines
    if logged:
        assert logged in new_lines, new_lines
    assert server.alive()


def test_a_valid_client_certificate_works_over_grpc(pki, servers, stubs):
    """The control for the refusals above: the same server, the admin's certificate."""
    for key_type in KEY_TYPES:
        with servers[key_type].channel(pki["admin"]) as channel:
            identity = servers[key_type].client(channel).GetCallerIdentity(stubs["kms"].GetCallerIdentityRequest(), timeout=10)
        assert identity.principal == ADMIN


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_a_resumed_tls_session_keeps_the_callers_identity(pki, servers, stubs, version):
    """A client (nginx and Envoy do this by default towards their upstreams) that resumes a
    TLS session presents no certificate in the abbreviated handshake. kmsd either refuses to
    resume (a full handshake then verifies the certificate) or resumes and still knows the
    caller; a gRPC call on the resumed connection must be the client's either way, not
    refused for want of a certificate. (s_client shows that kmsd does resume:
    `-sess_out`/`-sess_in` prints "Reused".)"""
    from tls_edge_support import RawGrpcConnection

    server, pb = servers["ec"], stubs["kms"]
    first = RawGrpcConnection(server.port, pki["admin"], pki["ca"], tls_version=version)
    stream = first.start("GetCallerIdentity", pb.GetCallerIdentityRequest())
    call = first.wait()[stream]
    assert call.grpc_status == 0, (call.grpc_status, call.grpc_message)
    assert call.message(pb.GetCallerIdentityResponse).principal == ADMIN
    first.close()
    assert first.saved_session is not None

    second = RawGrpcConnection(server.port, pki["admin"], pki["ca"], resume=first)
    stream = second.start("GetCallerIdentity", pb.GetCallerIdentityRequest())
    call = second.wait()[stream]
    print(f"  TLS {version}: session resumed: {second.session_reused}; grpc-status {call.grpc_status} {call.grpc_message!r}")
    reused = second.session_reused
    second.close()
    assert call.grpc_status == 0, (
        f"a call on a {'resumed' if reused else 'new'} TLS {version} session was refused: "
        f"grpc-status {call.grpc_status} {call.grpc_message!r}")
    assert call.message(pb.GetCallerIdentityResponse).principal == ADMIN
