"""Reloading the server certificate of a running `kmsd serve`: on SIGHUP, and by the file
watch every `tls.reload_interval_seconds`. A replacement is put in force only when it is
usable; a broken one is refused with an error line and the certificate in force stays in
force. What the server presents is read with `openssl s_client` and
`openssl x509 -noout -serial`."""
import re
import time

import pytest

from tls_edge_support import ADMIN, CertificateAuthority, Kmsd, certificate_serial, kmsd_config, s_client

RELOADED = "TLS material reloaded"
REFUSED = "refused the new TLS material"


def _served_serial(server, pki):
    run = s_client(server.port, leaf=pki["admin"], ca=pki["ca"])
    assert run.accepted, run.output
    serial = certificate_serial(run.server_certificate_pem())
    print(f"  served serial {serial:x}")
    return serial


def _logged_serials(text):
    """The server_certificate_serial values of the reload lines (X509's `aa:b:cc` form)."""
    return [int("".join(part.zfill(2) for part in match.split(":")), 16)
            for match in re.findall(r"server_certificate_serial=([0-9a-f:]+)", text)]


def _wait_for_log(server, offset, needle, seconds=10):
    deadline = time.monotonic() + seconds
    while needle not in server.log()[offset:]:
        assert server.alive(), server.log()
        assert time.monotonic() < deadline, f"no '{needle}' in the kmsd log within {seconds} s:\n{server.log()[offset:]}"
        time.sleep(0.05)
    return server.log()[offset:]


def _identity(server, pki, stubs, channel=None):
    if channel is not None:
        return server.client(channel).GetCallerIdentity(stubs["kms"].GetCallerIdentityRequest(), timeout=10).principal
    with server.channel(pki["admin"]) as fresh:
        return server.client(fresh).GetCallerIdentity(stubs["kms"].GetCallerIdentityRequest(), timeout=10).principal


@pytest.fixture
def pki(tmp_path):
    ca = CertificateAuthority(tmp_path / "pki", "reload-ca")
    return {"ca": ca, "admin": ca.issue("admin", spiffe_id=ADMIN), "server": ca.issue_server("server")}


def _start(tmp_path, pki, stubs, interval):
    config = kmsd_config(tmp_path / "kmsd", pki["server"], client_ca=pki["ca"], tls={"reload_interval_seconds": interval})
    return Kmsd(tmp_path / "kmsd", config, stubs).start(pki["admin"].credentials())


@pytest.fixture
def hup_server(tmp_path, pki, stubs):
    """kmsd whose file watch is as slow as allowed (3600 s), so only SIGHUP reloads."""
    server = _start(tmp_path, pki, stubs, 3600)
    yield server
    server.stop()


@pytest.fixture
def watching_server(tmp_path, pki, stubs):
    """kmsd that checks its TLS files every second."""
    server = _start(tmp_path, pki, stubs, 1)
    yield server
    server.stop()


def test_sighup_puts_a_new_server_certificate_in_force_and_refuses_a_broken_one(hup_server, pki, stubs):
    server, ca, files = hup_server, pki["ca"], pki["server"]
    first = pki["server"].serial
    assert _served_serial(server, pki) == first
    kept = server.channel(pki["admin"])
    assert _identity(server, pki, stubs, kept) == ADMIN

    # A new certificate (new key, new serial, same CA), then SIGHUP.
    second = ca.issue_server("server-2")
    assert second.serial != first
    ca.install(second, files.cert_path, files.key_path)
    offset = len(server.log())
    server.hup()
    log = _wait_for_log(server, offset, RELOADED)
    reload_lines = [line for line in log.splitlines() if RELOADED in line]
    print("  kmsd log: " + "\n  ".join(reload_lines))
    assert "reload requested" in reload_lines[0], reload_lines
    assert _logged_serials(reload_lines[0]) == [second.serial], reload_lines
    assert server.alive()
    assert _served_serial(server, pki) == second.serial
    assert _identity(server, pki, stubs) == ADMIN
    # A connection made before the reload goes on working.
    assert _identity(server, pki, stubs, kept) == ADMIN

    # A garbage PEM in place of the certificate, then SIGHUP: refused, the second stays.
    files.cert_path.write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n")
    offset = len(server.log())
    server.hup()
    log = _wait_for_log(server, offset, REFUSED)
    print("  kmsd log: " + "\n  ".join(line for line in log.splitlines() if REFUSED in line))
    assert "error" in next(line for line in log.splitlines() if REFUSED in line)
    assert RELOADED not in log
    time.sleep(0.3)
    assert server.alive(), server.log()
    assert _served_serial(server, pki) == second.serial
    assert _identity(server, pki, stubs) == ADMIN
    assert _identity(server, pki, stubs, kept) == ADMIN

    # Fixed again: the next SIGHUP puts a third certificate in force.
    third = ca.issue_server("server-3")
    ca.install(third, files.cert_path, files.key_path)
    offset = len(server.log())
    server.hup()
    _wait_for_log(server, offset, RELOADED)
    assert _served_serial(server, pki) == third.serial
    kept.close()


@pytest.mark.parametrize("breakage", ["empty certificate", "key of another certificate", "garbage key", "missing key"])
def test_sighup_with_unusable_files_keeps_the_certificate_in_force(hup_server, pki, stubs, breakage):
    server, ca, files = hup_server, pki["ca"], pki["server"]
    other = ca.issue_server("other")
    if breakage == "empty certificate":
        files.cert_path.write_bytes(b"")
    elif breakage == "key of another certificate":
        files.key_path.write_bytes(other.key_path.read_bytes())
    elif breakage == "garbage key":
        # A real key's PEM frame around bytes that are no key.
        frame = other.key_path.read_text().strip().splitlines()
        files.key_path.write_text("\n".join([frame[0], "Z2FyYmFnZQ==", frame[-1]]) + "\n")
    else:
        files.key_path.unlink()
    offset = len(server.log())
    server.hup()
    log = _wait_for_log(server, offset, REFUSED)
    print("  kmsd log: " + "\n  ".join(line for line in log.splitlines() if REFUSED in line))
    time.sleep(0.3)
    assert server.alive(), server.log()
    assert _served_serial(server, pki) == pki["server"].serial
    assert _identity(server, pki, stubs) == ADMIN


def test_the_file_watch_reloads_without_sighup(watching_server, pki, stubs):
    server, ca, files = watching_server, pki["ca"], pki["server"]
    assert _served_serial(server, pki) == pki["server"].serial

    second = ca.issue_server("server-2")
    offset = len(server.log())
    changed = time.monotonic()
    ca.install(second, files.cert_path, files.key_path)
    # The watch checks every second; between the key's and the certificate's replacement it
    # may see a key that does not match (and refuse it); it settles at the next check.
    while True:
        serial = _served_serial(server, pki)
        if serial == second.serial:
            break
        assert time.monotonic() - changed < 5, f"the new certificate was not served within 5 s:\n{server.log()[offset:]}"
        time.sleep(0.2)
    print(f"  new certificate served {time.monotonic() - changed:.2f} s after the files changed")
    log = _wait_for_log(server, offset, RELOADED)
    assert "files changed" in next(line for line in log.splitlines() if RELOADED in line), log
    assert second.serial in _logged_serials(log)

    # Garbage: refused once (not at every check), the second certificate stays in force.
    files.cert_path.write_text("-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n")
    offset = len(server.log())
    _wait_for_log(server, offset, REFUSED, seconds=5)
    time.sleep(3)
    log = server.log()[offset:]
    refusals = [line for line in log.splitlines() if REFUSED in line]
    print("  kmsd log: " + "\n  ".join(refusals))
    assert len(refusals) == 1, refusals
    assert RELOADED not in log
    assert server.alive()
    assert _served_serial(server, pki) == second.serial
    assert _identity(server, pki, stubs) == ADMIN

    # Repaired: the watch picks it up.
    third = ca.issue_server("server-3")
    ca.install(third, files.cert_path, files.key_path)
    deadline = time.monotonic() + 5
    while _served_serial(server, pki) != third.serial:
        assert time.monotonic() < deadline, server.log()[offset:]
        time.sleep(0.2)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_a_tls_session_resumed_after_the_trust_changed_gets_nothing_through(tmp_path, stubs, version):
    """A client whose CA is dropped from tls.client_ca (then SIGHUP) must not keep calling by
    resuming a TLS session it got before: resumption skips the certificate, so the trust in
    force at the resumption must still decide."""
    from tls_edge_support import RawGrpcConnection

    pb = stubs["kms"]
    trusted, other = CertificateAuthority(tmp_path / "pki", "old-ca"), CertificateAuthority(tmp_path / "pki", "new-ca")
    server_cert = trusted.issue_server("server")
    admin = trusted.issue("admin", spiffe_id=ADMIN)
    bundle = tmp_path / "pki" / "client-cas.pem"
    bundle.write_bytes(trusted.cert_path.read_bytes())
    config = kmsd_config(tmp_path / "kmsd", server_cert, tls={"client_ca": str(bundle), "reload_interval_seconds": 3600})
    server = Kmsd(tmp_path / "kmsd", config, stubs).start(admin.credentials())
    try:
        first = RawGrpcConnection(server.port, admin, trusted, tls_version=version)
        stream = first.start("GetCallerIdentity", pb.GetCallerIdentityRequest())
        assert first.wait()[stream].grpc_status == 0
        first.close()

        bundle.write_bytes(other.cert_path.read_bytes())
        offset = len(server.log())
        server.hup()
        _wait_for_log(server, offset, RELOADED)

        def outcome(resume):
            try:
                connection = RawGrpcConnection(server.port, admin, trusted, resume=resume, tls_version=version)
                stream = connection.start("GetCallerIdentity", pb.GetCallerIdentityRequest())
                call = connection.wait()[stream]
                reused = connection.session_reused
                connection.close()
                if call.grpc_status is None:
                    return f"refused (resumed: {reused}; connection ended: {connection.terminated}, reset: {call.reset})"
                return "ok" if call.grpc_status == 0 else f"refused (resumed: {reused}; grpc-status {call.grpc_status} {call.grpc_message!r})"
            except OSError as error:  # ssl.SSLError, a reset connection
                return f"refused ({type(error).__name__}: {error})"

        resumed, fresh = outcome(first), outcome(None)
        print(f"  TLS {version} after the CA was dropped: resumed session: {resumed}; full handshake: {fresh}")
        assert resumed != "ok", "a resumed session kept calling after its CA was dropped from the trust"
        assert fresh != "ok"
        assert server.alive()
    finally:
        server.stop()
