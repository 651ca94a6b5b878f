"""What an operator reaches for (docs/OPERATIONS.md): the Prometheus endpoint counts exactly
what a known sequence of calls did, the plaintext health port answers a probe without a
certificate while the mTLS port still demands one, JSON logs parse line by line and hold no
secret, and `kmsd --version` names the commit."""
import base64
import json
import re
import signal
import subprocess
import time
import urllib.request

import grpc
import pytest

from conftest import BIN_DIR, RestartableDevServer, _free_port, _wait_until_serving

# A plaintext the test sends and then looks for in the logs (it must not be there).
SECRET = b"operations-test-secret-plaintext-4f1d9c"


@pytest.fixture
def observed_server(restartable_server, stubs):
    """`kmsd serve` on the dev configuration with metrics, a health port and JSON logs."""
    directory = restartable_server.directory
    restartable_server.stop()
    metrics_port, health_port = _free_port(), _free_port()
    server = RestartableDevServer(directory, _free_port(), stubs)
    config = directory / "observed.yaml"
    text = (directory / "kmsd.yaml").read_text()
    text = re.sub(r"^listen: .*$", f"listen: {server.target}", text, flags=re.M)
    text = re.sub(r"^jobs:.*\n(  .*\n)*", "", text, flags=re.M)
    text += (
        f"metrics:\n  listen: 127.0.0.1:{metrics_port}\n"
        f"health:\n  listen: 127.0.0.1:{health_port}\n"
        "log:\n  format: json\n  level: info\n"
        "jobs:\n  interval_seconds: 1\n"
    )
    config.write_text(text)
    log_path = directory / "observed.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(BIN_DIR / "kmsd"), "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    _wait_until_serving(server, process, log_path, stubs)
    yield server, process, log_path, metrics_port, health_port
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.headers["content-type"].startswith("text/plain")
        return response.read().decode()


def _sample(text, name, **labels):
    """The value of the sample `name{labels}` (labels in any order); None when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if found == labels:
            return float(match.group(4))
    return None


def test_a_scrape_counts_exactly_what_a_known_sequence_of_calls_did(observed_server, stubs):
    server, _, _, metrics_port, _ = observed_server
    kms_pb2, kms_grpc = stubs["kms"], stubs["kms_grpc"]
    with server.channel() as channel:
        kms = kms_grpc.KeyManagementServiceStub(channel)
        key_id = kms.CreateKey(kms_pb2.CreateKeyRequest(description="metrics"), timeout=10).key_metadata.key_id
        for _ in range(3):
            kms.Encrypt(kms_pb2.EncryptRequest(key_id=key_id, plaintext=SECRET), timeout=10)
        for _ in range(2):
            with pytest.raises(grpc.RpcError) as failure:
                kms.Encrypt(kms_pb2.EncryptRequest(key_id="00000000-0000-4000-8000-000000000000", plaintext=b"x"), timeout=10)
            assert failure.value.code() == grpc.StatusCode.NOT_FOUND
        batch = kms_pb2.BatchEncryptRequest(requests=[
            kms_pb2.EncryptRequest(key_id=key_id, plaintext=b"a"),
            kms_pb2.EncryptRequest(key_id="00000000-0000-4000-8000-000000000000", plaintext=b"b"),
            kms_pb2.EncryptRequest(key_id=key_id, plaintext=b"c"),
        ])
        kms.BatchEncrypt(batch, timeout=10)
    # A connection without a client certificate is one handshake failure.
    no_certificate = grpc.ssl_channel_credentials(root_certificates=(server.certs / "ca.pem").read_bytes())
    with grpc.secure_channel(server.target, no_certificate) as channel:
        with pytest.raises(grpc.RpcError):
            stubs["health_grpc"].HealthStub(channel).Check(stubs["health"].HealthCheckRequest(), timeout=5)
    # The key gauges are refreshed by the jobs (every second here), not by the scrape.
    deadline = time.monotonic() + 10
    while True:
        text = _scrape(metrics_port)
        if _sample(text, "kms_keys", state="ENABLED") == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert _sample(text, "kms_requests_total", method="CreateKey", code="OK", reason="") == 1
    assert _sample(text, "kms_requests_total", method="Encrypt", code="OK", reason="") == 3
    assert _sample(text, "kms_requests_total", method="Encrypt", code="NOT_FOUND", reason="KEY_NOT_FOUND") == 2
    assert _sample(text, "kms_requests_total", method="BatchEncrypt", code="OK", reason="") == 1
    assert _sample(text, "kms_request_duration_seconds_count", method="Encrypt") == 5
    assert _sample(text, "kms_batch_items_total", method="BatchEncrypt", outcome="allowed") == 2
    assert _sample(text, "kms_batch_items_total", method="BatchEncrypt", outcome="failed") == 1
    assert _sample(text, "kms_keys", state="ENABLED") == 1
    assert _sample(text, "kms_keys", state="DISABLED") == 0
    assert _sample(text, "kms_audit_available") == 1
    assert _sample(text, "kms_audit_commit_duration_seconds_count") >= 7
    assert _sample(text, "kms_key_cache_misses_total") >= 1
    assert _sample(text, "kms_tls_handshake_failures_total", reason="no_client_certificate") >= 1
    server_expiry = _sample(text, "kms_tls_certificate_expiry_timestamp_seconds", role="server")
    assert server_expiry is not None and server_expiry > time.time() + 86400
    assert _sample(text, "kms_tls_certificate_expiry_timestamp_seconds", role="client_ca") > time.time()
    # No label carries a key id or a principal.
    assert key_id not in text and "spiffe://" not in text
    print(text)


def test_the_metrics_endpoint_answers_only_metrics(observed_server):
    _, _, _, metrics_port, _ = observed_server
    for path, status in [("/", 404), ("/metrics/x", 404), ("/secrets", 404)]:
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}{path}", timeout=5)
        assert failure.value.code == status
    request = urllib.request.Request(f"http://127.0.0.1:{metrics_port}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=5)
    assert failure.value.code == 405


def test_the_health_port_answers_without_a_certificate_and_serves_nothing_else(observed_server, stubs):
    server, _, _, _, health_port = observed_server
    with grpc.insecure_channel(f"127.0.0.1:{health_port}") as channel:
        health = stubs["health_grpc"].HealthStub(channel)
        reply = health.Check(stubs["health"].HealthCheckRequest(service="kms.v1.KeyManagementService"), timeout=5)
        assert reply.status == stubs["health"].HealthCheckResponse.SERVING
        kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        with pytest.raises(grpc.RpcError) as failure:
            kms.GenerateRandom(stubs["kms"].GenerateRandomRequest(number_of_bytes=8), timeout=5)
        assert failure.value.code() == grpc.StatusCode.UNIMPLEMENTED
    # The mTLS port still demands a certificate.
    with grpc.insecure_channel(server.target) as channel:
        with pytest.raises(grpc.RpcError) as failure:
            stubs["health_grpc"].HealthStub(channel).Check(stubs["health"].HealthCheckRequest(), timeout=5)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_json_logs_parse_line_by_line_and_hold_no_secret(observed_server, stubs):
    server, process, log_path, _, _ = observed_server
    kms_pb2, kms_grpc = stubs["kms"], stubs["kms_grpc"]
    with server.channel() as channel:
        kms = kms_grpc.KeyManagementServiceStub(channel)
        key_id = kms.CreateKey(kms_pb2.CreateKeyRequest(), timeout=10).key_metadata.key_id
        blob = kms.Encrypt(kms_pb2.EncryptRequest(key_id=key_id, plaintext=SECRET), timeout=10).ciphertext_blob
        kms.Decrypt(kms_pb2.DecryptRequest(ciphertext_blob=blob), timeout=10)
        data_key = kms.GenerateDataKey(kms_pb2.GenerateDataKeyRequest(key_id=key_id, number_of_bytes=32), timeout=10)
        kms.DisableKey(kms_pb2.DisableKeyRequest(key_id=key_id), timeout=10)
        with pytest.raises(grpc.RpcError):
            kms.Encrypt(kms_pb2.EncryptRequest(key_id=key_id, plaintext=SECRET), timeout=10)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    raw = log_path.read_bytes()
    lines = [line for line in raw.decode().splitlines() if line]
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "message", "label"} <= record.keys() for record in records)
    messages = [record["message"] for record in records]
    assert any(message.startswith("kmsd starting") for message in messages)
    start = next(record for record in records if record["message"].startswith("kmsd starting"))
    assert {"version", "listen", "data_dir", "store", "node_id", "server_certificate_not_after"} <= start.keys()
    assert any("kmsd listening on" in message for message in messages)
    for secret in [SECRET, data_key.plaintext, blob]:
        for form in [secret, base64.b64encode(secret), secret.hex().encode()]:
            assert form not in raw, "a secret reached the log"


def test_version_names_the_commit():
    for binary in ["kmsd", "kmsctl"]:
        output = subprocess.run([str(BIN_DIR / binary), "--version"], check=True, capture_output=True, text=True).stdout
        assert re.search(r"\d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)", output), output
