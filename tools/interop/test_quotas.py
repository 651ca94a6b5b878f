"""Request quotas (docs/CONFIGURATION.md#quotas) from the outside: a Python client sees
THROTTLED with a google.rpc.RetryInfo it can act on, and, measured with kms-bench, a greedy
principal hammering the server is held to its quota while a second principal's throughput
and p99 latency stay within 20 % of what they are alone.

The measurement runs the two kms-bench processes and kmsd on the same machine, so on a
small machine (2 cores) with other work running the numbers are noisy: it interleaves
KMS_QUOTA_RUNS (default 3) runs alone and with the greedy client and compares medians.
Run it by hand to see the numbers:

    KMS_BIN_DIR=.build/debug python3 -m pytest -s -q tools/interop/test_quotas.py

Each run's kms-bench JSON lines go to a file whose path the test prints.
"""
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from conftest import BIN_DIR
from tls_edge_support import ADMIN, TRUST_DOMAIN, CertificateAuthority, Kmsd, kmsd_config, policy

GREEDY = f"spiffe://{TRUST_DOMAIN}/ns/batch/sa/greedy"
STEADY = f"spiffe://{TRUST_DOMAIN}/ns/web/sa/steady"
GREEDY_RATE = int(os.environ.get("KMS_QUOTA_GREEDY_RATE", "50"))
GREEDY_CONCURRENCY = os.environ.get("KMS_QUOTA_GREEDY_CONCURRENCY", "16")
STEADY_RATE = os.environ.get("KMS_QUOTA_STEADY_RATE", "100")
TOLERANCE = 0.20
RUNS = int(os.environ.get("KMS_QUOTA_RUNS", "3"))
DURATION = float(os.environ.get("KMS_QUOTA_DURATION", "6"))


@pytest.fixture(scope="module")
def world(tmp_path_factory, stubs):
    directory = tmp_path_factory.mktemp("quotas")
    ca = CertificateAuthority(directory / "pki")
    server = ca.issue_server()
    leaves = {
        "admin": ca.issue("admin", spiffe_id=ADMIN),
        "greedy": ca.issue("greedy", spiffe_id=GREEDY),
        "steady": ca.issue("steady", spiffe_id=STEADY),
    }
    config = kmsd_config(directory, server, client_ca=ca, server_policy=policy(
        {"Sid": "Services", "Effect": "Allow", "Principal": f"spiffe://{TRUST_DOMAIN}/ns/*", "Action": "kms:*", "Resource": "*"}))
    # The greedy principal has a quota for the cryptographic calls (not for CreateKey, which
    # kms-bench makes before it measures); everyone else under ns/ a generous one that the
    # steady client never reaches; the admin none.
    config["quotas"] = [
        {"principal": GREEDY, "operations": ["Encrypt", "Decrypt", "GenerateDataKey"],
         "requests_per_second": GREEDY_RATE, "burst": GREEDY_RATE},
        {"principal": f"spiffe://{TRUST_DOMAIN}/ns/*", "requests_per_second": 100000, "burst": 100000},
    ]
    kmsd = Kmsd(directory / "kmsd", config, stubs).start(leaves["admin"].credentials())
    yield kmsd, ca, leaves
    kmsd.stop()


def test_a_python_client_sees_throttled_with_retry_info(world, stubs):
    kmsd, _, leaves = world
    kms = stubs["kms"]
    with kmsd.channel(leaves["greedy"]) as channel:
        client = kmsd.client(channel)
        key = client.CreateKey(kms.CreateKeyRequest()).key_metadata.key_id
        # More calls at once than the bucket holds: some are refused.
        calls = [client.Encrypt.future(kms.EncryptRequest(key_id=key, plaintext=b"x")) for _ in range(GREEDY_RATE * 2)]
        refused = None
        for call in calls:
            try:
                call.result()
            except grpc.RpcError as error:
                refused = refused or error
        assert refused is not None, f"{len(calls)} calls at once were all served"
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        status = rpc_status.from_call(refused)
        reasons, delays = [], []
        for detail in status.details:
            info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
            if detail.Unpack(info):
                reasons.append((info.domain, info.reason))
            elif detail.Unpack(retry):
                delays.append(retry.retry_delay.ToTimedelta().total_seconds())
        assert reasons == [("kms", "THROTTLED")]
        assert len(delays) == 1 and 0 < delays[0] <= 1 / GREEDY_RATE + 0.001, delays
        # Waiting the delay is enough.
        time.sleep(delays[0])
        client.Encrypt(kms.EncryptRequest(key_id=key, plaintext=b"x"))


def _bench(kmsd, ca, leaf, *args):
    return [str(BIN_DIR / "kms-bench"), "--target", kmsd.target, "--ca", str(ca.cert_path), "--cert", str(leaf.cert_path),
            "--cert-key", str(leaf.key_path), "--json", "--op", "encrypt", *args]


def _run(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stderr}"
    return json.loads(done.stdout)


def test_a_greedy_principal_does_not_slow_down_another(world):
    kmsd, ca, leaves = world
    # The steady client offers a fixed load, well below what the server can do, so its
    # throughput and latency show what the greedy client takes from it; the greedy client
    # calls back to back, ignoring the RetryInfo delays.
    steady = _bench(kmsd, ca, leaves["steady"], "--connections", "2", "--concurrency", "8", "--keys", "4",
                    "--rate", STEADY_RATE, "--duration", str(DURATION), "--warmup", "1")
    greedy = _bench(kmsd, ca, leaves["greedy"], "--connections", "4", "--concurrency", GREEDY_CONCURRENCY, "--keys", "4",
                    "--duration", str(DURATION + 2), "--warmup", "1")
    alone, shared, hammering = [], [], []
    for _ in range(RUNS):
        alone.append(_run(steady))
        result = {}
        background = threading.Thread(target=lambda: result.update(_run(greedy)))
        background.start()
        time.sleep(2.5)  # the greedy client's key creation and warm-up, then it hammers
        shared.append(_run(steady))
        background.join()
        hammering.append(result)

    path = tempfile.NamedTemporaryFile("w", prefix="kms-quota-bench-", suffix=".jsonl", delete=False).name
    with open(path, "w") as out:
        for kind, runs in (("alone", alone), ("with_greedy", shared), ("greedy", hammering)):
            for run in runs:
                out.write(json.dumps({"kind": kind, **run}) + "\n")

    def median(runs, field):
        return statistics.median(field(run) for run in runs)

    rows = [
        ("steady alone", alone),
        ("steady with greedy", shared),
        ("greedy (quota %d/s)" % GREEDY_RATE, hammering),
    ]
    print(f"\nquota measurement, {RUNS} interleaved run(s) of {DURATION:g} s (medians; raw results: {path})")
    print(f"  {'who':<24}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'throttled/s':>13}   runs: ops/s, p99 ms")
    for name, runs in rows:
        per_run = ", ".join(f"{run['ops_per_second']:.0f}/{run['latency_ms']['p99']:.2f}" for run in runs)
        print(f"  {name:<24}{median(runs, lambda r: r['ops_per_second']):>10.1f}{median(runs, lambda r: r['latency_ms']['p50']):>10.3f}"
              f"{median(runs, lambda r: r['latency_ms']['p99']):>10.3f}{median(runs, lambda r: r['throttled_per_second']):>13.1f}   {per_run}")

    for run in alone + shared:
        assert run["errors"] == {} and run["throttled"] == 0, run
    for run in hammering:
        assert run["errors"] == {}, run
        assert run["throttled"] > 0, "the greedy client was never throttled"
        # Held to its quota: the rate, plus at most one burst over the measured window.
        assert run["ops_per_second"] <= GREEDY_RATE * 1.05 + GREEDY_RATE / run["duration_seconds"], run
    alone_ops, shared_ops = median(alone, lambda r: r["ops_per_second"]), median(shared, lambda r: r["ops_per_second"])
    alone_p99, shared_p99 = median(alone, lambda r: r["latency_ms"]["p99"]), median(shared, lambda r: r["latency_ms"]["p99"])
    assert shared_ops >= alone_ops * (1 - TOLERANCE), f"throughput {shared_ops} with the greedy client vs {alone_ops} alone"
    assert shared_p99 <= alone_p99 * (1 + TOLERANCE), f"p99 {shared_p99} ms with the greedy client vs {alone_p99} ms alone"
