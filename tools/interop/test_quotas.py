"""Request quotas (docs/CONFIGURATION.md#quotas) from the outside: a Python client sees
THROTTLED with a google.rpc.RetryInfo it can act on, and a greedy principal hammering the
server at five times its quota (kms-bench, ignoring RetryInfo) is held to its quota while a
second principal's throughput and latency stay within 20 % of what they are alone.

The steady principal is a `latency_probe` calling Encrypt at a fixed rate, well below what
the server can do, for the whole test; the test times windows beside it: the steady principal
alone, beside the greedy principal, beside a "hog" offering the same load without a quota
(which the server serves in full), and, as a control, beside the greedy client calling
another kmsd with the same configuration (the same load on the machine, none of it in the
steady principal's server), in turn, KMS_QUOTA_ROUNDS times. Comparing calls of one run
sorted into interleaved windows, rather than separate runs, keeps the machine's drift (other
work, the disk the audit log is synced to) out of the comparison, and pooling the rounds
gives the p99 thousands of calls. The windows start SETTLE seconds after kms-bench is
launched, when its calls are under way. kms-bench runs at the lowest CPU priority (nice 19),
as a client on another machine would be: on a small test machine its own work must not be
what slows the steady principal down.

The p50 bound is asserted on a release build (conftest's KMS_RELEASE_BIN_DIR, which
tools/test.sh sets), the p99 bound only with KMS_QUOTA_STRICT=1: on the project's 2-vCPU
machine the p99 of two sets of windows with nothing different in them (the alone windows of
odd and even rounds, which the test prints) differ by up to 2 ×, so a 20 % bound on it cannot
be told from noise there (docs/OPERATIONS.md#quotas has the numbers). On another build the
test reports the latencies. Run it by hand to see the numbers:

    KMS_RELEASE_BIN_DIR=.build/release python3 -m pytest -s -q tools/interop/test_quotas.py

The steady principal's calls and the kms-bench results go to a file whose path the test prints.
"""
import json
import os
import subprocess
import tempfile
import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from conftest import LATENCY_BIN_DIR, RELEASE_BIN_DIR
from latency_probe import LatencyProbe, p50, p99, percentile, within
from tls_edge_support import ADMIN, TRUST_DOMAIN, CertificateAuthority, Kmsd, kmsd_config, policy

GREEDY = f"spiffe://{TRUST_DOMAIN}/ns/batch/sa/greedy"
STEADY = f"spiffe://{TRUST_DOMAIN}/ns/web/sa/steady"
HOG = f"spiffe://{TRUST_DOMAIN}/hog"
GREEDY_QUOTA = int(os.environ.get("KMS_QUOTA_GREEDY_QUOTA", "50"))
GREEDY_OFFERED = int(os.environ.get("KMS_QUOTA_GREEDY_OFFERED", str(GREEDY_QUOTA * 5)))
# A debug build serves much less: there the steady principal offers less.
STEADY_RATE = int(os.environ.get("KMS_QUOTA_STEADY_RATE", "200" if RELEASE_BIN_DIR else "50"))
ROUNDS = int(os.environ.get("KMS_QUOTA_ROUNDS", "6"))
WINDOW = float(os.environ.get("KMS_QUOTA_WINDOW", "4"))
# The p99 bound is asserted only with KMS_QUOTA_STRICT=1 (see above).
STRICT = os.environ.get("KMS_QUOTA_STRICT") == "1"
# Seconds from launching kms-bench until its calls are surely under way (process start, TLS).
SETTLE = 1.5
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
    kmsd = Kmsd(directory / "kmsd", config, stubs, bin_dir=LATENCY_BIN_DIR).start(leaves["admin"].credentials())
    # A second kmsd with the same configuration, which only the control window's greedy
    # client calls: the same load on the same machine, in another process.
    bystander_config = {**config, "data_dir": str(directory / "bystander-data")}
    bystander = Kmsd(directory / "bystander", bystander_config, stubs, bin_dir=LATENCY_BIN_DIR).start(leaves["admin"].credentials())
    yield kmsd, ca, leaves, bystander
    kmsd.stop()
    bystander.stop()


def test_a_python_client_sees_throttled_with_retry_info(world, stubs):
    kmsd, _, leaves, _ = world
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


def _hammer(kmsd, ca, leaf, keys):
    """A kms-bench run offering GREEDY_OFFERED Encrypt/s from `leaf` over `keys` for
    SETTLE + WINDOW seconds (no warm-up: it is measured from its first call)."""
    key_ids = [argument for key in keys for argument in ("--key-id", key)]
    command = [str(LATENCY_BIN_DIR / "kms-bench"), "--target", kmsd.target, "--ca", str(ca.cert_path), "--cert", str(leaf.cert_path),
               "--cert-key", str(leaf.key_path), "--json", "--op", "encrypt", "--connections", "4", "--concurrency", "16",
               *key_ids, "--rate", str(GREEDY_OFFERED), "--duration", str(SETTLE + WINDOW), "--warmup", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.nice(19))
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stderr}"
    return json.loads(done.stdout)


def _create_keys(server, admin, kms):
    """Four new keys on `server`, for the kms-bench runs and the steady principal to use."""
    with server.channel(admin) as channel:
        client = server.client(channel)
        return [client.CreateKey(kms.CreateKeyRequest()).key_metadata.key_id for _ in range(4)]


def test_a_greedy_principal_does_not_slow_down_another(world, stubs):
    kmsd, ca, leaves, bystander = world
    keys = {server: _create_keys(server, leaves["admin"], stubs["kms"]) for server in (kmsd, bystander)}
    steady = leaves["steady"]
    probe = LatencyProbe(kmsd.target, ca.cert_path, steady.cert_path, steady.key_path, stubs,
                         method="Encrypt", key_id=keys[kmsd][0], rate=STEADY_RATE)
    # Who calls whom in each window beside the steady principal's own.
    loads = {"greedy": (leaves["greedy"], kmsd), "hog": (leaves["hog"], kmsd), "bystander": (leaves["greedy"], bystander)}
    windows = {"alone": [], **{who: [] for who in loads}}
    runs = {who: [] for who in loads}
    try:
        for _ in range(ROUNDS):
            begin = time.monotonic()
            time.sleep(WINDOW)
            windows["alone"].append((begin, begin + WINDOW))
            for who, (leaf, server) in loads.items():
                launched = time.monotonic()
                runs[who].append(_hammer(server, ca, leaf, keys[server]))
                windows[who].append((launched + SETTLE, launched + SETTLE + WINDOW))
    finally:
        samples = probe.finish()

    path = tempfile.NamedTemporaryFile("w", prefix="kms-quota-bench-", suffix=".json", delete=False).name
    with open(path, "w") as out:
        json.dump({"windows": windows, "steady_calls": samples, "kms_bench": runs}, out)
    latencies = {who: within(samples, spans) for who, spans in windows.items()}
    records = kmsd.audit_records()
    throttled_records = [r for r in records if r["principal"] == GREEDY and r.get("reason") == "THROTTLED"]
    counted = sum(1 + r.get("throttled_since_last_record", 0) for r in throttled_records if r["action"] != "kms:ThrottledCalls")
    counted += sum(r["throttled_since_last_record"] for r in throttled_records if r["action"] == "kms:ThrottledCalls")
    greedy_seconds = sum(run["duration_seconds"] for run in runs["greedy"])
    names = {"alone": "alone", "greedy": "beside greedy", "hog": "beside hog", "bystander": "greedy at other kmsd"}
    print(f"\nquota measurement ({LATENCY_BIN_DIR}): steady {STEADY_RATE} Encrypt/s throughout; greedy (quota {GREEDY_QUOTA}/s) and hog (no quota) "
          f"offering {GREEDY_OFFERED}/s in turn, and the greedy client calling another kmsd; {ROUNDS} rounds of {WINDOW:g} s windows (raw calls: {path})")
    print(f"  {'steady principal':<22}{'calls/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}   p95, p99 ÷ alone   p99 per round (ms)")
    for who, values in latencies.items():
        per_round = ", ".join(f"{p99(within(samples, [span])) * 1000:.1f}" for span in windows[who])
        ratios = f"{percentile(values, 0.95) / percentile(latencies['alone'], 0.95):.2f}, {p99(values) / p99(latencies['alone']):.2f}"
        print(f"  {names[who]:<22}{len(values) / (WINDOW * ROUNDS):>8.1f}{p50(values) * 1000:>8.2f}{percentile(values, 0.95) * 1000:>8.2f}"
              f"{p99(values) * 1000:>8.2f}{max(values) * 1000:>8.2f}   {ratios:<18} {per_round}")
    # The noise of the comparison: the alone windows of odd rounds against those of even ones.
    odd, even = within(samples, windows["alone"][0::2]), within(samples, windows["alone"][1::2])
    print(f"  alone, odd rounds ÷ even rounds: p95 {percentile(odd, 0.95) / percentile(even, 0.95):.2f}, p99 {p99(odd) / p99(even):.2f}")
    for who in loads:
        print(f"  {who}: " + ", ".join(f"{run['ops_per_second']:.1f} served/s, {run['throttled_per_second']:.0f} throttled/s"
                                       for run in runs[who]))
    print(f"  audit: {len(throttled_records)} THROTTLED records of the greedy principal counting {counted} throttled calls "
          f"over {greedy_seconds:.0f} s; {sum(1 for r in records if r['principal'] == HOG)} records of the hog")

    for run in runs["greedy"] + runs["bystander"]:
        assert run["errors"] == {}, run
        assert run["throttled"] > 0, "the greedy client was never throttled"
        # Held to its quota: the rate, plus at most one burst over the run.
        assert run["ops_per_second"] <= GREEDY_QUOTA * 1.05 + GREEDY_QUOTA / run["duration_seconds"], run
    for run in runs["hog"]:
        assert run["errors"] == {} and run["throttled"] == 0, run
    # A flood of throttled calls leaves about one record per second (and a summary).
    assert len(throttled_records) <= 2 * greedy_seconds + 5, len(throttled_records)
    alone, shared = latencies["alone"], latencies["greedy"]
    assert len(shared) >= len(alone) * (1 - TOLERANCE), f"{len(shared)} steady calls beside the greedy client vs {len(alone)} alone"
    if not RELEASE_BIN_DIR:
        print("  latencies not compared: not a release build (KMS_RELEASE_BIN_DIR)")
        return
    assert p50(shared) <= p50(alone) * (1 + TOLERANCE), f"p50 {p50(shared)} s beside the greedy client vs {p50(alone)} s alone"
    if STRICT:
        assert p99(shared) <= p99(alone) * (1 + TOLERANCE), f"p99 {p99(shared)} s beside the greedy client vs {p99(alone)} s alone"
