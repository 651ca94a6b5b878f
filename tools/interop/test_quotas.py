"""Request quotas (docs/CONFIGURATION.md#quotas) from the outside: a Python client sees
THROTTLED with a google.rpc.RetryInfo it can act on, and, measured with kms-bench, a greedy
principal hammering the server at five times its quota is held to its quota while a second
principal's throughput and p99 latency stay close to what they are alone.

The steady principal offers a fixed load (`kms-bench --rate`), well below what the server
can do, so its throughput and latency show what the greedy principal takes from it. For
comparison each round also runs a "hog": the same offered load from a principal without a
quota, which the server serves in full.

kmsd and the three kms-bench processes share the machine, so on a small machine (2 cores)
with other work running the latencies are noisy: the test interleaves KMS_QUOTA_RUNS
(default 3) rounds and compares medians. It always checks that the greedy principal is
held to its quota, that its refusals leave about one audit record per second, that the
steady principal keeps its throughput (within 20 %), and that its median latency beside the
greedy principal is no higher than beside the hog, or within 20 % of alone; with KMS_QUOTA_STRICT=1 also that its p99 stays
within 20 % of its p99 alone, which a 2-core machine shared with other work does not meet
(docs/OPERATIONS.md#quotas has the numbers). Run it by hand to see the numbers:

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
HOG = f"spiffe://{TRUST_DOMAIN}/hog"
GREEDY_QUOTA = int(os.environ.get("KMS_QUOTA_GREEDY_QUOTA", "50"))
GREEDY_OFFERED = int(os.environ.get("KMS_QUOTA_GREEDY_OFFERED", str(GREEDY_QUOTA * 5)))
STEADY_RATE = int(os.environ.get("KMS_QUOTA_STEADY_RATE", "50"))
RUNS = int(os.environ.get("KMS_QUOTA_RUNS", "3"))
DURATION = float(os.environ.get("KMS_QUOTA_DURATION", "6"))
STRICT = os.environ.get("KMS_QUOTA_STRICT") == "1"
TOLERANCE = 0.20


@pytest.fixture(scope="module")
def world(tmp_path_factory, stubs):
    directory = tmp_path_factory.mktemp("quotas")
    ca = CertificateAuthority(directory / "pki")
    server = ca.issue_server()
    leaves = {
        "admin": ca.issue("admin", spiffe_id=ADMIN),
        "greedy": ca.issue("greedy", spiffe_id=GREEDY),
        "steady": ca.issue("steady", spiffe_id=STEADY),
        "hog": ca.issue("hog", spiffe_id=HOG),
    }
    config = kmsd_config(directory, server, client_ca=ca, server_policy=policy(
        {"Sid": "Everyone", "Effect": "Allow", "Principal": f"spiffe://{TRUST_DOMAIN}/*", "Action": "kms:*", "Resource": "*"}))
    # The greedy principal has a quota for the cryptographic calls (not for CreateKey, which
    # kms-bench makes before it measures); everyone else under ns/ a generous one that the
    # steady client never reaches; the admin and the hog none.
    config["quotas"] = [
        {"principal": GREEDY, "operations": ["Encrypt", "Decrypt", "GenerateDataKey"],
         "requests_per_second": GREEDY_QUOTA, "burst": GREEDY_QUOTA},
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
        calls = [client.Encrypt.future(kms.EncryptRequest(key_id=key, plaintext=b"x")) for _ in range(GREEDY_QUOTA * 4)]
        refused = None
        for call in calls:
            try:
                call.result()
            except grpc.RpcError as error:
                refused = refused or error
        assert refused is not None, f"{len(calls)} calls at once were all served"
        reasons, delays = _throttle_details(refused)
        assert reasons == [("kms", "THROTTLED")]
        assert len(delays) == 1 and 0 < delays[0] <= 1 / GREEDY_QUOTA + 0.001, delays
        # Waiting the delay is enough. The flood's refusals are stale by the time all its calls
        # have ended (its later calls took the tokens that came since), so drain the bucket one
        # call at a time, with nothing else of this principal in flight, and wait the delay of
        # that refusal.
        for _ in range(GREEDY_QUOTA * 2):
            try:
                client.Encrypt(kms.EncryptRequest(key_id=key, plaintext=b"x"))
            except grpc.RpcError as error:
                _, delays = _throttle_details(error)
                assert len(delays) == 1, delays
                break
        else:
            pytest.fail(f"{GREEDY_QUOTA * 2} calls one at a time were all served")
        time.sleep(delays[0])
        client.Encrypt(kms.EncryptRequest(key_id=key, plaintext=b"x"))


def _throttle_details(error):
    """The (domain, reason) pairs of the ErrorInfo details and the RetryInfo delays (seconds)
    of a call refused RESOURCE_EXHAUSTED."""
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    reasons, delays = [], []
    for detail in rpc_status.from_call(error).details:
        info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            reasons.append((info.domain, info.reason))
        elif detail.Unpack(retry):
            delays.append(retry.retry_delay.ToTimedelta().total_seconds())
    return reasons, delays


def _bench(kmsd, ca, leaf, *args):
    return [str(BIN_DIR / "kms-bench"), "--target", kmsd.target, "--ca", str(ca.cert_path), "--cert", str(leaf.cert_path),
            "--cert-key", str(leaf.key_path), "--json", "--op", "encrypt", *args]


def _run(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stderr}"
    return json.loads(done.stdout)


def test_a_greedy_principal_does_not_slow_down_another(world):
    kmsd, ca, leaves = world
    steady = _bench(kmsd, ca, leaves["steady"], "--connections", "2", "--concurrency", "8", "--keys", "4",
                    "--rate", str(STEADY_RATE), "--duration", str(DURATION), "--warmup", "1")

    def hammer(leaf):
        return _bench(kmsd, ca, leaf, "--connections", "4", "--concurrency", "16", "--keys", "4",
                      "--rate", str(GREEDY_OFFERED), "--duration", str(DURATION + 2), "--warmup", "1")

    def beside(command):
        """The steady client's run while `command` runs (started 2.5 s before: its key
        creation and warm-up), and `command`'s result."""
        result = {}
        background = threading.Thread(target=lambda: result.update(_run(command)))
        background.start()
        time.sleep(2.5)
        mine = _run(steady)
        background.join()
        return mine, result

    alone, shared, hogged, greedy, hog = [], [], [], [], []
    greedy_seconds = 0.0
    for _ in range(RUNS):
        alone.append(_run(steady))
        started = time.monotonic()
        mine, theirs = beside(hammer(leaves["greedy"]))
        greedy_seconds += time.monotonic() - started
        shared.append(mine)
        greedy.append(theirs)
        mine, theirs = beside(hammer(leaves["hog"]))
        hogged.append(mine)
        hog.append(theirs)

    path = tempfile.NamedTemporaryFile("w", prefix="kms-quota-bench-", suffix=".jsonl", delete=False).name
    rows = [
        ("steady alone", alone),
        ("steady beside greedy", shared),
        ("steady beside hog", hogged),
        (f"greedy (quota {GREEDY_QUOTA}/s)", greedy),
        ("hog (no quota)", hog),
    ]
    with open(path, "w") as out:
        for name, runs in rows:
            for run in runs:
                out.write(json.dumps({"who": name, **run}) + "\n")

    def median(runs, field):
        return statistics.median(field(run) for run in runs)

    records = kmsd.audit_records()
    throttled_records = [r for r in records if r["principal"] == GREEDY and r.get("reason") == "THROTTLED"]
    counted = sum(1 + r.get("throttled_since_last_record", 0) for r in throttled_records if r["action"] != "kms:ThrottledCalls")
    counted += sum(r["throttled_since_last_record"] for r in throttled_records if r["action"] == "kms:ThrottledCalls")
    print(f"\nquota measurement: steady {STEADY_RATE}/s, greedy and hog offering {GREEDY_OFFERED}/s; "
          f"{RUNS} interleaved round(s) of {DURATION:g} s (medians; raw results: {path})")
    print(f"  {'who':<28}{'ops/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'throttled/s':>13}   per run: ops/s p50/p99")
    for name, runs in rows:
        per_run = ", ".join(f"{run['ops_per_second']:.0f} {run['latency_ms']['p50']:.1f}/{run['latency_ms']['p99']:.1f}" for run in runs)
        print(f"  {name:<28}{median(runs, lambda r: r['ops_per_second']):>8.1f}{median(runs, lambda r: r['latency_ms']['p50']):>9.2f}"
              f"{median(runs, lambda r: r['latency_ms']['p99']):>9.2f}{median(runs, lambda r: r['throttled_per_second']):>13.1f}   {per_run}")
    print(f"  audit: {len(throttled_records)} THROTTLED records of the greedy principal counting {counted} throttled calls "
          f"over {greedy_seconds:.0f} s; {sum(1 for r in records if r['principal'] == HOG)} records of the hog")

    for run in alone + shared + hogged:
        assert run["errors"] == {} and run["throttled"] == 0, run
    for run in greedy:
        assert run["errors"] == {}, run
        assert run["throttled"] > 0, "the greedy client was never throttled"
        # Held to its quota: the rate, plus at most one burst over the measured window.
        assert run["ops_per_second"] <= GREEDY_QUOTA * 1.05 + GREEDY_QUOTA / run["duration_seconds"], run
    # A flood of throttled calls leaves about one record per second (and a summary).
    assert len(throttled_records) <= 2 * greedy_seconds + 5, len(throttled_records)
    alone_ops, shared_ops = median(alone, lambda r: r["ops_per_second"]), median(shared, lambda r: r["ops_per_second"])
    alone_p99, shared_p99 = median(alone, lambda r: r["latency_ms"]["p99"]), median(shared, lambda r: r["latency_ms"]["p99"])
    assert shared_ops >= alone_ops * (1 - TOLERANCE), f"throughput {shared_ops} beside the greedy client vs {alone_ops} alone"
    # The refusals must cost the steady client no more than serving the same load would, or
    # hardly anything (the medians: p99s of a few hundred calls are too noisy on a shared
    # machine to be ordered). When the server serves the hog's load without slowing the steady
    # client either, the two medians are both close to alone and their order is noise.
    shared_p50, hogged_p50 = median(shared, lambda r: r["latency_ms"]["p50"]), median(hogged, lambda r: r["latency_ms"]["p50"])
    alone_p50 = median(alone, lambda r: r["latency_ms"]["p50"])
    assert shared_p50 <= max(hogged_p50, alone_p50 * (1 + TOLERANCE)), (
        f"p50 {shared_p50} ms beside the greedy client vs {hogged_p50} ms beside the hog and {alone_p50} ms alone")
    if STRICT:
        assert shared_p99 <= alone_p99 * (1 + TOLERANCE), f"p99 {shared_p99} ms beside the greedy client vs {alone_p99} ms alone"
