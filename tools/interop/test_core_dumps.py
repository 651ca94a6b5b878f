"""Core dumps of a running kmsd (docs/OPERATIONS.md, "Self-tests and memory hygiene"): by
default kmsd sets RLIMIT_CORE to 0 (soft and hard) and clears its dumpable flag before it
reads the root key; with `debug.allow_core_dumps: true` it leaves the limit it inherited.
Both are read from outside, in /proc/<pid>/limits and the log. The start-up log also
reports the cryptographic self-tests and how long they took."""
import os
import pathlib
import re
import resource
import signal
import subprocess
import sys

import pytest

from conftest import BIN_DIR, DevServer, _free_port, _wait_until_serving

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/limits")

# What the test gives kmsd to start with, so that a limit kmsd leaves alone is not 0.
INHERITED_SOFT = 1 << 20


def _raise_core_limit():
    """In the child, before exec: a non-zero core limit for kmsd to inherit."""
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    soft = INHERITED_SOFT if hard == resource.RLIM_INFINITY else min(INHERITED_SOFT, hard)
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def _core_limits(pid):
    """The soft and hard "Max core file size" of a process, as strings ("0", "unlimited")."""
    for line in pathlib.Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            fields = line.split()
            return fields[4], fields[5]
    raise AssertionError(f"no core limit in /proc/{pid}/limits")


def _start(command, server, log_path, stubs):
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_raise_core_limit)
    try:
        _wait_until_serving(server, process, log_path, stubs)
    except BaseException:
        process.kill()
        process.wait(timeout=30)
        raise
    return process


def _stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_kmsd_runs_without_core_dumps_by_default(tmp_path, stubs):
    directory = tmp_path / "kms-dev"
    server = DevServer(directory, _free_port())
    log_path = tmp_path / "kmsd.log"
    process = _start(
        [str(BIN_DIR / "kmsd"), "dev", "--dir", str(directory), "--listen", server.target], server, log_path, stubs
    )
    try:
        assert _core_limits(process.pid) == ("0", "0")
        if os.geteuid() != 0:
            # A process that is not dumpable has its /proc files owned by root.
            assert pathlib.Path(f"/proc/{process.pid}/status").stat().st_uid == 0
        log = log_path.read_text()
        assert "core dumps disabled" in log and "RLIMIT_CORE 0/0, dumpable 0" in log, log
        line = next((line for line in log.splitlines() if "cryptographic self-tests passed" in line), None)
        assert line, log
        milliseconds = float(re.search(r"duration_ms=([0-9.]+)", line).group(1))
        print(f"kmsd self-test: {milliseconds} ms")
        assert milliseconds < 1000, line
    finally:
        _stop(process)


def test_allow_core_dumps_leaves_the_inherited_limit(tmp_path, stubs):
    # `kmsd dev` writes the certificates and the configuration; then the same server runs
    # from that configuration with the debug setting added.
    directory = tmp_path / "kms-dev"
    server = DevServer(directory, _free_port())
    _stop(_start(
        [str(BIN_DIR / "kmsd"), "dev", "--dir", str(directory), "--listen", server.target],
        server, tmp_path / "dev.log", stubs,
    ))
    config = directory / "debug.yaml"
    config.write_text((directory / "kmsd.yaml").read_text() + "debug:\n  allow_core_dumps: true\n")
    log_path = tmp_path / "kmsd.log"
    process = _start([str(BIN_DIR / "kmsd"), "serve", "--config", str(config)], server, log_path, stubs)
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_CORE)
        expected_soft = INHERITED_SOFT if hard == resource.RLIM_INFINITY else min(INHERITED_SOFT, hard)
        expected_hard = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        assert _core_limits(process.pid) == (str(expected_soft), expected_hard)
        log = log_path.read_text()
        assert "core dumps are allowed (debug.allow_core_dumps: true)" in log, log
        assert "dumpable 1" in log, log
    finally:
        _stop(process)


def test_an_unknown_debug_setting_refuses_to_start(tmp_path):
    config = tmp_path / "kmsd.yaml"
    config.write_text(
        "listen: 127.0.0.1:0\ndata_dir: data\n"
        "tls: {certificate: s.pem, private_key: k.pem, client_ca: ca.pem}\n"
        "debug:\n  allow_core_dump: true\n"
    )
    result = subprocess.run([str(BIN_DIR / "kmsd"), "serve", "--config", str(config)], capture_output=True, timeout=60)
    assert result.returncode == 1
    assert b"allow_core_dump" in result.stderr, result.stderr
