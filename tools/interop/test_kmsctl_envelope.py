"""`kmsctl envelope` round-trips a 100 MiB file through the server in bounded memory."""
import hashlib
import json
import os
import subprocess

from conftest import BIN_DIR

FILE_SIZE = 100 * 1024 * 1024
# A Swift gRPC client process needs a few tens of MiB whatever the file size; a client
# that read the file whole would need more than 100 MiB.
MAX_RSS_BYTES = 64 * 1024 * 1024


def _run_measured(command):
    """Runs a command and returns its peak resident set size in bytes."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, stderr.decode()
    return usage.ru_maxrss * 1024


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_envelope_round_trip_of_100_mib_in_bounded_memory(dev_server, tmp_path):
    created = dev_server.kmsctl("create-key", "--description", "envelope", "--json")
    key_id = json.loads(created.stdout)["keyMetadata"]["keyId"]
    plain = tmp_path / "big.bin"
    with open(plain, "wb") as file:
        for _ in range(FILE_SIZE // (1 << 20)):
            file.write(os.urandom(1 << 20))
    sealed = tmp_path / "big.bin.kms"
    opened = tmp_path / "big.out"
    common = ["--dev-dir", str(dev_server.directory), "--target", dev_server.target]

    encrypt_rss = _run_measured(
        [str(BIN_DIR / "kmsctl"), "envelope", "encrypt", str(plain), str(sealed), "--key-id", key_id, "--context", "app=interop", *common]
    )
    assert sealed.stat().st_size > FILE_SIZE
    decrypt_rss = _run_measured([str(BIN_DIR / "kmsctl"), "envelope", "decrypt", str(sealed), str(opened), *common])

    assert _sha256(opened) == _sha256(plain)
    assert encrypt_rss < MAX_RSS_BYTES, f"encrypt peaked at {encrypt_rss / 2**20:.1f} MiB"
    assert decrypt_rss < MAX_RSS_BYTES, f"decrypt peaked at {decrypt_rss / 2**20:.1f} MiB"
