"""kmsd under connection abuse (`limits:`): connections that never finish their TLS
handshake are closed after `handshake_timeout_seconds` without hurting an ordinary client's
latency, and a client that opens more concurrent streams than `max_concurrent_streams`
gets every call answered without kmsd's memory growing with the attempt."""
import json
import resource
import ssl
import subprocess
import sys
import threading
import time

import pytest

from aws_compat_support import ACCOUNT, REGION, AWSKmsd
from conftest import BIN_DIR, LATENCY_BIN_DIR, RELEASE_BIN_DIR
from latency_probe import LatencyProbe, p50, p99
from tls_edge_support import ADMIN, CertificateAuthority, Kmsd, Nginx, RawGrpcConnection, kmsd_config, nginx_binary

HANDSHAKE_TIMEOUT = 2
# How much later than the handshake timeout a connection may be closed: accept-queue and
# timer scheduling on a busy 2-core machine.
CLOSE_MARGIN = 5
SILENT, PARTIAL = 500, 500
# p99 during the abuse may be at most this many times the p99 without it, which is taken as
# at least P99_FLOOR so that two tiny numbers are not divided. "Without it" is measured, when
# nginx is installed, while the same abuser process runs against a bystander nginx: the
# abuser's own CPU use on this 2-core machine is then in both numbers, and the comparison
# shows what abusing kmsd itself does (the idle baseline is printed too). The bound is
# asserted on a release build (conftest's KMS_RELEASE_BIN_DIR); on another build the test
# asserts only that the client is served, within 10 times.
P99_FACTOR = 2.0
P99_FLOOR = 0.001
MAX_STREAMS = 8
RSS_GROWTH_LIMIT_KIB = 64 * 1024

def _client_hello():
    """The bytes of a real TLS ClientHello (Python's ssl, in memory)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello[0] == 0x16 and len(hello) > 100, hello[:8]
    return hello


@pytest.fixture
def nofile():
    """Raises this process's open-file limit to its hard limit (kmsd and the abusing client,
    started afterwards, inherit it) and restores it afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    needed = 2 * (SILENT + PARTIAL) + 256
    if limit != resource.RLIM_INFINITY and limit < needed:
        pytest.skip(f"RLIMIT_NOFILE is {limit} (hard {hard}); the test needs {needed}")
    yield limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _serve(tmp_path, stubs, bin_dir, aws_compat=False):
    """kmsd with this file's limits, from `bin_dir`, and the CA and admin it trusts; with
    `aws_compat`, with the AWS-compatible endpoint too (an `AWSKmsd`)."""
    ca = CertificateAuthority(tmp_path / "pki", "abuse-ca")
    admin = ca.issue("admin", spiffe_id=ADMIN)
    config = kmsd_config(tmp_path / "kmsd", ca.issue_server("server"), client_ca=ca,
                         limits={"handshake_timeout_seconds": HANDSHAKE_TIMEOUT, "max_concurrent_streams": MAX_STREAMS})
    server = Kmsd
    if aws_compat:
        config["aws_compat"] = {"listen": "127.0.0.1:0", "region": REGION, "account_id": ACCOUNT}
        server = AWSKmsd
    return server(tmp_path / "kmsd", config, stubs, bin_dir=bin_dir).start(admin.credentials()), ca, admin


@pytest.fixture
def server(tmp_path, stubs, nofile):
    kmsd, ca, admin = _serve(tmp_path, stubs, BIN_DIR)
    yield kmsd, ca, admin
    kmsd.stop()


@pytest.fixture
def latency_server(tmp_path, stubs, nofile):
    """`server`, from the release build when there is one (LATENCY_BIN_DIR)."""
    kmsd, ca, admin = _serve(tmp_path, stubs, LATENCY_BIN_DIR)
    yield kmsd, ca, admin
    kmsd.stop()


def _probe(kmsd, admin, ca, stubs):
    """An ordinary client calling GenerateRandom back to back over one connection."""
    return LatencyProbe(kmsd.target, ca.cert_path, admin.cert_path, admin.key_path, stubs)


# The abusing client, in its own process at the lowest CPU priority (nice 19), as an
# attacker would be on another machine: on a small test machine its own work (1000
# connects, 1000 reads) must not be what slows the ordinary client down. It opens SILENT
# connections that send nothing and PARTIAL that send the first 20 bytes of a ClientHello,
# waits until the server closes each (recv returns b"" or the connection is reset), and
# prints JSON: when it started and finished opening, and per kind each connection's
# [opened, closed] times (closed null when it was still open at the deadline).
ABUSER = r"""
import json, os, selectors, socket, sys, time
port, silent, partial, hello, deadline_after = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4]), float(sys.argv[5])
os.nice(19)
selector = selectors.DefaultSelector()
opened = {}
began = time.monotonic()
for number in range(silent + partial):
    kind = "silent" if number < silent else "partial"
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if kind == "partial":
        sock.sendall(hello)
    sock.setblocking(False)
    opened[sock] = (kind, time.monotonic())
    selector.register(sock, selectors.EVENT_READ)
all_open = time.monotonic()
closed = {"silent": [], "partial": []}
deadline = all_open + deadline_after
while opened and time.monotonic() < deadline:
    for key, _ in selector.select(timeout=0.2):
        sock = key.fileobj
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            continue
        except (ConnectionResetError, ConnectionAbortedError):
            data = b""
        if data:
            continue  # an alert, say: read on until the server closes
        kind, start = opened.pop(sock)
        closed[kind].append([start, time.monotonic()])
        selector.unregister(sock)
        sock.close()
for sock, (kind, start) in opened.items():
    closed[kind].append([start, None])
    sock.close()
print(json.dumps({"began": began, "all_open": all_open, "ended": time.monotonic(), "closed": closed}), flush=True)
"""


def _abuse(port, hello):
    """Runs ABUSER against `port`; returns its report."""
    result = subprocess.run(
        [sys.executable, "-c", ABUSER, str(port), str(SILENT), str(PARTIAL), hello[:20].hex(), str(HANDSHAKE_TIMEOUT + CLOSE_MARGIN)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _control_with_nginx(tmp_path, kmsd, ca, admin, stubs, hello):
    """The same abuse aimed at a bystander nginx (TLS, client_header_timeout 2 s) on this
    machine while the client calls kmsd: what the machine's load alone does to kmsd's p99.
    Printed only, to tell a slow machine from a slow kmsd; None without nginx."""
    if nginx_binary() is None:
        return None
    certificate = ca.issue_server("bystander")
    nginx = Nginx(tmp_path / "bystander-nginx", f"""
    client_header_timeout {HANDSHAKE_TIMEOUT}s;
    server {{
        {{LISTEN}}
        ssl_certificate {certificate.cert_path};
        ssl_certificate_key {certificate.key_path};
        location / {{ return 204; }}
    }}""", worker_connections=4 * (SILENT + PARTIAL)).start()
    try:
        client = _probe(kmsd, admin, ca, stubs)
        report = _abuse(nginx.port, hello)
        during = [latency for started, latency in client.finish() if report["began"] <= started <= report["ended"]]
    finally:
        nginx.stop()
    return p99(during), len(during)


def test_stalled_handshakes_are_closed_in_time_and_do_not_slow_other_clients(latency_server, stubs, tmp_path):
    kmsd, ca, admin = latency_server
    hello = _client_hello()

    baseline_client = _probe(kmsd, admin, ca, stubs)
    time.sleep(3)
    baseline = [latency for _, latency in baseline_client.finish()]
    control = _control_with_nginx(tmp_path, kmsd, ca, admin, stubs, hello)

    client = _probe(kmsd, admin, ca, stubs)
    report = _abuse(kmsd.port, hello)
    abuse_started, all_open, abuse_ended = report["began"], report["all_open"], report["ended"]
    closed = {kind: [None if end is None else end - start for start, end in pairs] for kind, pairs in report["closed"].items()}
    first_close = min((end for pairs in report["closed"].values() for _, end in pairs if end is not None), default=abuse_ended)
    samples = client.finish()
    during = [latency for started, latency in samples if abuse_started <= started <= abuse_ended]

    idle_p99, abuse_p99 = p99(baseline), p99(during)
    base_p99 = control[0] if control else idle_p99
    # The bound on the release build; a debug build's client is only checked to be served.
    factor = P99_FACTOR if RELEASE_BIN_DIR else 10
    print(f"\nstalled handshakes: {SILENT} silent + {PARTIAL} partial ClientHello, handshake timeout {HANDSHAKE_TIMEOUT} s, "
          f"abuse lasted {abuse_ended - abuse_started:.2f} s (opening the connections {all_open - abuse_started:.2f} s)")
    # Where the slow calls were: while the connections were being opened, while they sat
    # idle, or when kmsd closed them (the handshake timeouts firing together).
    phases = {"opening": (abuse_started, all_open), "idle": (all_open, first_close - 0.1), "closing": (first_close - 0.1, abuse_ended)}
    for phase, (begin, end) in phases.items():
        latencies = [latency for started, latency in samples if begin <= started < end]
        if latencies:
            print(f"    {phase:8} {end - begin:5.2f} s: {len(latencies):4} calls, p50 {p50(latencies) * 1000:6.2f} ms, "
                  f"p99 {p99(latencies) * 1000:6.2f} ms, max {max(latencies) * 1000:6.2f} ms")
    for kind, times in closed.items():
        done = sorted(t for t in times if t is not None)
        print(f"  {kind}: {len(done)}/{len(times)} closed by kmsd; seconds to close: "
              f"min {done[0] if done else float('nan'):.2f}, median {done[len(done) // 2] if done else float('nan'):.2f}, "
              f"max {done[-1] if done else float('nan'):.2f}")
    print(f"  kmsd: {kmsd.bin_dir}")
    print(f"  GenerateRandom p99 latency: idle baseline {idle_p99 * 1000:.2f} ms over {len(baseline)} calls; "
          f"reference {base_p99 * 1000:.2f} ms ({'abuser aimed at a bystander nginx' if control else 'idle baseline'}); "
          f"during the abuse {abuse_p99 * 1000:.2f} ms over {len(during)} calls "
          f"(limit {factor:g} x max(reference, {P99_FLOOR * 1000:.0f} ms) = {factor * max(base_p99, P99_FLOOR) * 1000:.2f} ms"
          f"{'' if RELEASE_BIN_DIR else ': not a release build, so not the issue bound of 2 x'})")
    if control:
        print(f"  control: the same abuse aimed at a bystander nginx instead: kmsd's p99 {control[0] * 1000:.2f} ms over {control[1]} calls")

    for kind, times in closed.items():
        late = [t for t in times if t is None or t > HANDSHAKE_TIMEOUT + CLOSE_MARGIN]
        assert not late, f"{len(late)} {kind} connections were still open {HANDSHAKE_TIMEOUT + CLOSE_MARGIN} s after opening"
    assert len(during) >= 50, f"only {len(during)} calls during the abuse"
    assert abuse_p99 <= factor * max(base_p99, P99_FLOOR), (base_p99, abuse_p99)
    assert kmsd.alive()
    # Stalled handshakes are counted in kms_tls_handshake_failures_total and logged at debug
    # only, so that a flood of them does not flood the log.
    assert "closed a connection whose TLS handshake did not complete in time" not in kmsd.log()


def test_stalled_handshakes_on_the_aws_endpoint_are_closed_in_time(tmp_path, stubs, nofile):
    """The AWS-compatible endpoint shares the gRPC listener's handshake deadline: connections
    that never finish their handshake there are closed after it, while a boto3 client that
    did finish its handshake keeps being answered."""
    kmsd, _, admin = _serve(tmp_path, stubs, BIN_DIR, aws_compat=True)
    try:
        client = kmsd.kms(admin)
        client.list_keys()
        reports = []
        abuser = threading.Thread(target=lambda: reports.append(_abuse(kmsd.aws_port, _client_hello())))
        abuser.start()
        answered = 0
        while abuser.is_alive():
            client.list_keys()
            answered += 1
        abuser.join()
        report = reports[0]
        for kind, pairs in report["closed"].items():
            late = [(start, end) for start, end in pairs if end is None or end - start > HANDSHAKE_TIMEOUT + CLOSE_MARGIN]
            assert not late, f"{len(late)} {kind} connections to the AWS endpoint were still open {HANDSHAKE_TIMEOUT + CLOSE_MARGIN} s after opening"
        assert answered >= 10, f"{answered} ListKeys answered while {SILENT + PARTIAL} handshakes stalled"
        assert kmsd.alive()
    finally:
        kmsd.stop()


def test_more_concurrent_calls_than_max_concurrent_streams_complete_without_memory_growth(server, stubs):
    """grpcio queues calls beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS (8): 200 at
    once on one channel, five rounds, all complete."""
    kmsd, ca, admin = server
    pb = stubs["kms"]
    with kmsd.channel(admin) as channel:
        client = kmsd.client(channel)
        request = pb.GenerateRandomRequest(number_of_bytes=64)
        for _ in range(20):
            client.GenerateRandom(request, timeout=10)
        before = kmsd.rss_kib()
        for _ in range(5):
            futures = [client.GenerateRandom.future(request, timeout=60) for _ in range(200)]
            assert all(len(future.result().plaintext) == 64 for future in futures)
        after = kmsd.rss_kib()
    print(f"\n1000 calls, 200 at a time on one channel (max_concurrent_streams {MAX_STREAMS}): "
          f"kmsd VmRSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB")
    assert after - before < RSS_GROWTH_LIMIT_KIB
    assert kmsd.alive()


@pytest.mark.parametrize("when", ["before the server's SETTINGS", "after acknowledging them"])
def test_a_client_that_ignores_max_concurrent_streams_is_held_to_it(server, stubs, when):
    """A raw HTTP/2 client that opens 200 streams at once on one connection, either before it
    has read the server's SETTINGS (they are not in force until acknowledged) or after it
    acknowledged SETTINGS_MAX_CONCURRENT_STREAMS 8 (ignoring it). Each stream is served,
    refused with RST_STREAM, or cut off by the server ending the connection (GOAWAY); kmsd
    stays up, another client's calls go on, and ten rounds do not grow kmsd's memory."""
    from h2.settings import SettingCodes

    kmsd, ca, admin = server
    pb = stubs["kms"]
    request = pb.GenerateRandomRequest(number_of_bytes=64)
    warm = RawGrpcConnection(kmsd.port, admin, ca)
    warm.start("GenerateRandom", request)
    warm.wait()
    warm.close()
    before = kmsd.rss_kib()
    rounds = []
    with kmsd.channel(admin) as channel:
        bystander = kmsd.client(channel)
        for _ in range(10):
            connection = RawGrpcConnection(kmsd.port, admin, ca)
            if when.startswith("after"):
                first = connection.start("GenerateRandom", request)
                assert connection.wait()[first].grpc_status == 0
                assert connection.connection.remote_settings.max_concurrent_streams == MAX_STREAMS
                # h2 would hold the streams back; pretend the server allowed 1000.
                connection.connection.remote_settings._settings[SettingCodes.MAX_CONCURRENT_STREAMS] = [1000]
            streams = [connection.start("GenerateRandom", request) for _ in range(200)]
            calls = connection.wait(seconds=60)
            served = [s for s in streams if calls[s].grpc_status == 0]
            failed = [s for s in streams if calls[s].grpc_status not in (None, 0)]
            reset = [s for s in streams if calls[s].reset is not None]
            unanswered = [s for s in streams if calls[s].grpc_status is None and calls[s].reset is None]
            rounds.append({"served": len(served), "failed": len(failed), "reset": len(reset), "unanswered": len(unanswered),
                           "connection ended": str(connection.terminated)})
            connection.close()
            assert not failed, [(calls[s].grpc_status, calls[s].grpc_message) for s in failed][:5]
            assert not unanswered or connection.terminated is not None, rounds[-1]
            assert bystander.GenerateRandom(request, timeout=10).plaintext
    after = kmsd.rss_kib()
    print(f"\n10 rounds of 200 streams at once {when} (max_concurrent_streams {MAX_STREAMS}): first round {rounds[0]}; "
          f"kmsd VmRSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB")
    assert after - before < RSS_GROWTH_LIMIT_KIB
    assert kmsd.alive()
