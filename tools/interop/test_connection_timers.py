"""The connection timers of `limits:` (docs/CONFIGURATION.md#limits) on a real connection:
kmsd closes a connection that has had no call for `idle_timeout_seconds` (HTTP/2 GOAWAY, then
the close), and pings a quiet connection every `keepalive_interval_seconds`. The connection is
an h2 client's, so the test sees the frames themselves."""
import time

import pytest

from tls_edge_support import ADMIN, CertificateAuthority, Kmsd, RawGrpcConnection, kmsd_config


def _kmsd(tmp_path, stubs, **limits):
    ca = CertificateAuthority(tmp_path / "pki", "timers-ca")
    admin = ca.issue("admin", spiffe_id=ADMIN)
    config = kmsd_config(tmp_path / "kmsd", ca.issue_server("server"), client_ca=ca, limits=limits)
    return Kmsd(tmp_path / "kmsd", config, stubs).start(admin.credentials()), ca, admin


def _one_call(kmsd, ca, admin, stubs):
    """A raw connection that made one GenerateRandom call, which succeeded; and when it ended."""
    connection = RawGrpcConnection(kmsd.port, admin, ca)
    stream = connection.start("GenerateRandom", stubs["kms"].GenerateRandomRequest(number_of_bytes=8))
    assert connection.wait()[stream].grpc_status == 0
    return connection, time.monotonic()


@pytest.mark.parametrize("calls", [0, 1])
def test_a_connection_without_calls_for_the_idle_timeout_is_closed(tmp_path, stubs, calls):
    """Idle from its start (no call at all), or after a call."""
    kmsd, ca, admin = _kmsd(tmp_path, stubs, idle_timeout_seconds=1, keepalive_interval_seconds=3600)
    try:
        if calls:
            connection, last_activity = _one_call(kmsd, ca, admin, stubs)
        else:
            connection, last_activity = RawGrpcConnection(kmsd.port, admin, ca), time.monotonic()
        _, ended = connection.idle(10)
        connection.close()
        assert ended is not None, "the idle connection was still open 10 s later"
        assert 0.8 <= ended - last_activity <= 4, ended - last_activity
        # A connection that keeps calling is not closed meanwhile.
        busy, _ = _one_call(kmsd, ca, admin, stubs)
        for _ in range(6):
            time.sleep(0.4)
            stream = busy.start("GenerateRandom", stubs["kms"].GenerateRandomRequest(number_of_bytes=8))
            assert busy.wait()[stream].grpc_status == 0 and busy.terminated is None
        busy.close()
    finally:
        kmsd.stop()


@pytest.mark.parametrize("calls", [0, 1])
def test_a_quiet_connection_is_pinged_every_keepalive_interval(tmp_path, stubs, calls):
    """Quiet from its start (no call at all), or after a call."""
    interval = 1
    kmsd, ca, admin = _kmsd(tmp_path, stubs, idle_timeout_seconds=600, keepalive_interval_seconds=interval)
    try:
        if calls:
            connection, last_activity = _one_call(kmsd, ca, admin, stubs)
        else:
            connection, last_activity = RawGrpcConnection(kmsd.port, admin, ca), time.monotonic()
        pings, ended = connection.idle(interval * 4.5)
        connection.close()
        assert ended is None, f"the connection ended ({connection.terminated}) although it answered every PING"
        assert len(pings) >= 2, f"{len(pings)} PINGs in {interval * 4.5} s of quiet with keepalive_interval_seconds {interval}"
        assert pings[0] - last_activity <= interval * 2.5, pings[0] - last_activity
    finally:
        kmsd.stop()
