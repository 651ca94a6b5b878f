"""Graceful shutdown (docs/OPERATIONS.md): SIGTERM during a burst of Encrypt calls over mTLS
ends every call either with success or with UNAVAILABLE before it ran, the audit log agrees
with what the clients saw, and kmsd exits 0 within the grace period; calls that outlive the
grace period, or a second signal, are cancelled and kmsd exits non-zero saying so."""
import json
import signal
import socket
import subprocess
import threading
import time

import grpc
import pytest

from conftest import BIN_DIR, RestartableDevServer, _free_port, _wait_until_serving

ENCRYPT = "/kms.v1.KeyManagementService/Encrypt"


def _audit_records(directory):
    records = []
    for path in sorted((directory / "data" / "audit").glob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines() if line]
    return records


def _create_key(server, stubs):
    with server.channel() as channel:
        kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        return kms.CreateKey(stubs["kms"].CreateKeyRequest(description="shutdown test"), timeout=10).key_metadata.key_id


def _burst(server, stubs, key_id, results, stop):
    """Encrypt calls on one channel until `stop` is set or the server is gone; appends
    ("ok", request_id) or ("error", code) for each call."""
    with server.channel() as channel:
        kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        request = stubs["kms"].EncryptRequest(key_id=key_id, plaintext=b"x" * 64)
        while not stop.is_set():
            try:
                _, call = kms.Encrypt.with_call(request, timeout=10)
                request_id = dict(call.initial_metadata()).get("x-request-id")
                results.append(("ok", request_id))
            except grpc.RpcError as error:
                results.append(("error", error.code()))
                if error.code() == grpc.StatusCode.UNAVAILABLE:
                    return


def _start_serve(directory, extra_yaml, stubs):
    """`kmsd serve` on the configuration `kmsd dev` wrote into `directory`, plus `extra_yaml`."""
    config = directory / "kmsd-serve.yaml"
    config.write_text((directory / "kmsd.yaml").read_text() + extra_yaml)
    server = RestartableDevServer(directory, _free_port(), stubs)
    text = config.read_text()
    import re
    config.write_text(re.sub(r"^listen: .*$", f"listen: {server.target}", text, flags=re.M))
    log_path = directory / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(BIN_DIR / "kmsd"), "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    _wait_until_serving(server, process, log_path, stubs)
    return server, process, log_path


def test_sigterm_during_a_burst_loses_nothing_and_exits_0(restartable_server, stubs):
    server = restartable_server
    key_id = _create_key(server, stubs)
    results, stop = [], threading.Event()
    workers = [threading.Thread(target=_burst, args=(server, stubs, key_id, results, stop)) for _ in range(8)]
    for worker in workers:
        worker.start()
    while sum(1 for kind, _ in results if kind == "ok") < 200:
        time.sleep(0.01)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=35)
    elapsed = time.monotonic() - started
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    server.process = None

    assert exit_code == 0, server.log_path.read_text()
    assert elapsed < 30, f"shutdown took {elapsed:.1f} s, more than the 30 s grace period"
    errors = [code for kind, code in results if kind == "error"]
    assert all(code == grpc.StatusCode.UNAVAILABLE for code in errors), errors
    successes = {request_id for kind, request_id in results if kind == "ok"}
    assert None not in successes
    allowed = {
        r["request_id"] for r in _audit_records(server.directory)
        if r["action"] == "kms:Encrypt" and r["outcome"] == "allowed"
    }
    assert successes <= allowed, f"{len(successes - allowed)} successes without an audit record"
    assert allowed <= successes, f"{len(allowed - successes)} audit records of successes no client got"
    print(f"{len(successes)} calls succeeded, {len(errors)} got UNAVAILABLE; exit 0 after {elapsed:.2f} s")


def _hold_a_call_open(server, outcome):
    """An Encrypt whose request never ends (sent as a client stream that never closes): the
    server's handler waits for the message, so the call stays in flight."""
    blocker = threading.Event()

    def requests():
        blocker.wait()
        yield b""

    with server.channel() as channel:
        call = channel.stream_unary(ENCRYPT, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        try:
            call(requests(), timeout=60)
            outcome.append("ok")
        except grpc.RpcError as error:
            outcome.append(error.code())


def _wait_for_call_in_flight():
    time.sleep(0.5)


def test_a_call_outliving_the_grace_period_is_cancelled_and_kmsd_exits_1(restartable_server, stubs):
    directory = restartable_server.directory
    restartable_server.stop()
    server, process, log_path = _start_serve(directory, "shutdown:\n  grace_seconds: 2\n", stubs)
    outcome = []
    holder = threading.Thread(target=_hold_a_call_open, args=(server, outcome), daemon=True)
    holder.start()
    _wait_for_call_in_flight()
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(timeout=30)
    elapsed = time.monotonic() - started
    log = log_path.read_text()
    assert exit_code != 0, log
    assert 1.5 < elapsed < 15, elapsed
    assert "shutdown cut short" in log and "1 call(s) in flight were cancelled" in log, log


def test_a_second_sigterm_cancels_at_once(restartable_server, stubs):
    server = restartable_server
    outcome = []
    holder = threading.Thread(target=_hold_a_call_open, args=(server, outcome), daemon=True)
    holder.start()
    _wait_for_call_in_flight()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert server.process.poll() is None, "kmsd exited while a call was in flight and the grace period runs"
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=15)
    log = server.log_path.read_text()
    server.process = None
    assert exit_code != 0, log
    assert time.monotonic() - started < 10
    assert "second" in log and "shutdown cut short" in log, log


def test_connections_stalled_in_their_handshake_do_not_hold_up_sigterm(restartable_server, stubs):
    """Connections that sent nothing, or half a ClientHello, have no call to finish: SIGTERM
    closes them and kmsd exits 0 at once, not after the handshake timeout (10 s)."""
    server = restartable_server
    host, port = server.target.rsplit(":", 1)
    stalled = [socket.create_connection((host, int(port)), timeout=5) for _ in range(20)]
    for sock in stalled[10:]:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    time.sleep(0.3)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    exit_code = server.process.wait(timeout=15)
    elapsed = time.monotonic() - started
    server.process = None
    for sock in stalled:
        sock.settimeout(2)
        assert sock.recv(1024) == b"", "a stalled connection got bytes or stayed open after kmsd exited"
        sock.close()
    assert exit_code == 0, server.log_path.read_text()
    assert elapsed < 5, f"kmsd took {elapsed:.1f} s to exit with stalled handshakes open"


def test_sighup_never_stops_kmsd(restartable_server, stubs):
    server = restartable_server
    server.process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert server.process.poll() is None, server.log_path.read_text()
    with server.channel() as channel:
        health = stubs["health_grpc"].HealthStub(channel)
        assert health.Check(stubs["health"].HealthCheckRequest(), timeout=5).status == stubs["health"].HealthCheckResponse.SERVING
