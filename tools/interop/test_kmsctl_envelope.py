"""`kmsctl envelope` round-trips a 100 MiB file through the server in bounded memory."""
import hashlib
import json
import os
import subprocess
import tempfile

from conftest import BIN_DIR

MIB = 1024 * 1024
# Streaming means the peak memory of kmsctl does not grow with the file: a 100 MiB file
# may cost at most this much more than a 1 MiB one (a client that read the file whole
# would need over 100 MiB more).
MAX_GROWTH_BYTES = 16 * MIB


def _run_measured(command):
    """Runs a command to completion and returns its peak resident set size in bytes."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        assert process.returncode == 0, stderr.read().decode()
    return usage.ru_maxrss * 1024


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _random_file(path, mebibytes):
    with open(path, "wb") as file:
        for _ in range(mebibytes):
            file.write(os.urandom(MIB))


def _round_trip(dev_server, key_id, plain):
    """Encrypts and decrypts `plain` with kmsctl; returns the two peak RSS figures."""
    common = ["--dev-dir", str(dev_server.directory), "--target", dev_server.target]
    sealed = plain.with_suffix(".kms")
    opened = plain.with_suffix(".out")
    kmsctl = str(BIN_DIR / "kmsctl")
    encrypt = _run_measured([kmsctl, "envelope", "encrypt", str(plain), str(sealed), "--key-id", key_id, "--context", "app=interop", *common])
    assert sealed.stat().st_size > plain.stat().st_size
    decrypt = _run_measured([kmsctl, "envelope", "decrypt", str(sealed), str(opened), *common])
    assert _sha256(opened) == _sha256(plain)
    return encrypt, decrypt


def test_envelope_round_trip_of_100_mib_in_bounded_memory(dev_server, tmp_path):
    created = dev_server.kmsctl("create-key", "--description", "envelope", "--json")
    key_id = json.loads(created.stdout)["keyMetadata"]["keyId"]
    small = tmp_path / "small.bin"
    big = tmp_path / "big.bin"
    _random_file(small, 1)
    _random_file(big, 100)

    small_encrypt, small_decrypt = _round_trip(dev_server, key_id, small)
    big_encrypt, big_decrypt = _round_trip(dev_server, key_id, big)

    assert big_encrypt - small_encrypt < MAX_GROWTH_BYTES, f"encrypt: {small_encrypt / MIB:.1f} MiB for 1 MiB, {big_encrypt / MIB:.1f} MiB for 100 MiB"
    assert big_decrypt - small_decrypt < MAX_GROWTH_BYTES, f"decrypt: {small_decrypt / MIB:.1f} MiB for 1 MiB, {big_decrypt / MIB:.1f} MiB for 100 MiB"
