"""A client in its own process that measures one caller's latency while a test does something
to the server beside it (an abuser, a greedy principal), so that the test can compare the
calls made during each phase with the calls made without it, from one continuous run.

`LatencyProbe` starts the process (`python3 latency_probe.py ...`), waits until it has warmed
up, and `finish()` returns every call as (started, latency) in seconds. `started` is
`time.monotonic()`, CLOCK_MONOTONIC, the same clock in every process, so the test can sort
the calls into the windows it timed itself. Paced (`rate`), call n is due n / rate seconds
after the start and its latency counts from then, so a server that falls behind shows in the
latencies rather than slowing the calls down (as kms-bench's `--rate`); unpaced, it calls
back to back. Running in its own process keeps the GIL of the test (and of an abusing
thread) out of the numbers."""
import gc
import json
import os
import subprocess
import sys
import threading
import time


def percentile(latencies, fraction):
    """The `fraction` quantile of `latencies` (nearest rank): 0.99 for the p99."""
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def p99(latencies):
    """The 99th percentile of `latencies`."""
    return percentile(latencies, 0.99)


def p50(latencies):
    """The median of `latencies`."""
    return percentile(latencies, 0.5)


def within(samples, windows):
    """The latencies of the calls that started inside one of `windows` ((begin, end) pairs)."""
    return [latency for started, latency in samples if any(begin <= started < end for begin, end in windows)]


class LatencyProbe:
    """The probe process, started and warmed up. `method` is "GenerateRandom" or "Encrypt"
    (then `key_id` names the key); `rate` is calls per second, or None for back to back."""

    def __init__(self, target, ca_path, cert_path, key_path, stubs, method="GenerateRandom", key_id="", rate=None):
        generated = os.path.dirname(os.path.dirname(os.path.dirname(stubs["kms"].__file__)))
        self.process = subprocess.Popen(
            [sys.executable, __file__, generated, target, str(ca_path), str(cert_path), str(key_path), method, key_id, str(rate or 0)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.strip() == "ready", f"{line}{self.process.stderr.read()}"

    def finish(self):
        """Stops the probe (closes its stdin) and returns its calls; fails on any call error."""
        output, errors = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, errors
        result = json.loads(output.strip().splitlines()[-1])
        assert not result["errors"], result["errors"][:5]
        return result["samples"]


def _main(generated, target, ca, cert, key, method, key_id, rate):
    import grpc
    sys.path.insert(0, generated)
    from kms.v1 import kms_pb2, kms_pb2_grpc

    credentials = grpc.ssl_channel_credentials(open(ca, "rb").read(), open(key, "rb").read(), open(cert, "rb").read())
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    with grpc.secure_channel(target, credentials) as channel:
        client = kms_pb2_grpc.KeyManagementServiceStub(channel)
        if method == "Encrypt":
            call, request = client.Encrypt, kms_pb2.EncryptRequest(key_id=key_id, plaintext=b"latency probe")
        else:
            call, request = client.GenerateRandom, kms_pb2.GenerateRandomRequest(number_of_bytes=32)
        for _ in range(20):
            call(request, timeout=10)
        # No garbage collection pauses in the numbers: the samples are all the probe keeps.
        gc.disable()
        print("ready", flush=True)
        samples, errors = [], []
        interval = 1 / rate if rate > 0 else 0
        began, number = time.monotonic(), 0
        while not stop.is_set():
            started = time.monotonic()
            if interval:
                due = began + number * interval
                number += 1
                if due > started:
                    time.sleep(due - started)
                started = due
            try:
                call(request, timeout=10)
                samples.append((started, time.monotonic() - started))
            except grpc.RpcError as error:
                errors.append(f"{error.code().name}: {error.details()}")
    print(json.dumps({"samples": samples, "errors": errors}), flush=True)


if __name__ == "__main__":
    _main(*sys.argv[1:8], float(sys.argv[8]))
