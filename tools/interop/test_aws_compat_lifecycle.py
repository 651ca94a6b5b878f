"""The AWS-compatible endpoint in kmsd's lifecycle (docs/OPERATIONS.md, docs/AWS_COMPAT.md):
a graceful shutdown closes its idle keep-alive connections at once instead of waiting for
them, lets a burst of calls end each with an answer, and kmsd exits 0 well within the grace
period."""
import signal
import threading
import time

import botocore.exceptions

from aws_compat_support import AWSCluster


def test_sigterm_with_idle_and_busy_aws_connections_exits_cleanly_and_promptly(tmp_path, stubs):
    cluster = AWSCluster(tmp_path, stubs)
    try:
        kms = cluster.kmsd.kms(cluster.admin)
        key = kms.create_key()["KeyMetadata"]["Arn"]
        # A client whose pooled keep-alive connection stays idle until the shutdown.
        idle = cluster.kmsd.kms(cluster.admin)
        idle.describe_key(KeyId=key)
        outcomes, stop = [], threading.Event()

        def burst():
            client = cluster.kmsd.kms(cluster.admin)
            while not stop.is_set():
                try:
                    client.encrypt(KeyId=key, Plaintext=b"x" * 64)
                    outcomes.append("ok")
                except (botocore.exceptions.ClientError, botocore.exceptions.ConnectionError,
                        botocore.exceptions.HTTPClientError) as error:
                    outcomes.append(type(error).__name__)
                    return

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        cluster.kmsd.process.send_signal(signal.SIGTERM)
        status = cluster.kmsd.process.wait(timeout=25)
        elapsed = time.monotonic() - started
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        assert status == 0, cluster.kmsd.log()
        # The grace period is 30 s: an idle connection the endpoint waited for would hold the
        # exit until then.
        assert elapsed < 10, f"kmsd took {elapsed:.1f} s to exit"
        assert outcomes.count("ok") > 0
        assert "shutdown cut short" not in cluster.kmsd.log()
    finally:
        cluster.stop()
