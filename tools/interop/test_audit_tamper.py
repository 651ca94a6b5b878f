"""An audit chain an insider cannot rewrite (docs/AUDIT.md, "Signatures" and "Checkpoints"):
against a real kmsd, whose records are signed with a key derived from the root key, every
way of tampering with the files that plain SHA-256 hashes cannot show is reported by
`kmsctl audit verify --verification-key` (the key from `kmsd audit export-verification-key`)
or `--checkpoint` (the second sink, audit.checkpoint_file):

- the last record rewritten, its hash recomputed;
- a suffix rewritten, every hash recomputed, the signatures kept or removed;
- the chain signed with another key (a wrong verification key);
- the tail cut off, with a later checkpoint held aside; the newest file deleted;
- two files swapped.

The signatures and checkpoints are also checked here independently of kmsctl, with the
`cryptography` package, following the documented byte formats."""
import base64
import hashlib
import json
import re
import shutil
import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conftest import BIN_DIR, RestartableDevServer, _wait_until_serving

HASH_MEMBER = re.compile(rb',"hash":"([0-9a-f]{64})"\}\Z')
SIG_MEMBER = re.compile(rb',"sig":"([A-Za-z0-9+/]{86}==)"')


# --- helpers -------------------------------------------------------------------------------


def _audit_dir(server):
    return server.directory / "data" / "audit"


def _export_key(server, path):
    """`kmsd audit export-verification-key` into `path`; returns the key id it names."""
    result = subprocess.run(
        [str(BIN_DIR / "kmsd"), "audit", "export-verification-key", "--config", str(server.config)],
        capture_output=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    path.write_bytes(result.stdout)
    match = re.search(r"audit verification key ([0-9a-f]{16}) \(Ed25519\)", result.stderr.decode())
    assert match, result.stderr.decode()
    return match.group(1)


def _verify(*args):
    return subprocess.run([str(BIN_DIR / "kmsctl"), "audit", "verify", *map(str, args)], capture_output=True, timeout=60)


def _expect_ok(result, *needles):
    out = result.stdout.decode()
    assert result.returncode == 0, f"{out} {result.stderr.decode()}"
    assert out.startswith("OK: "), out
    for needle in needles:
        assert needle in out, out
    return out


def _expect_broken(result, path, line, *needles):
    """Exit status 1 and `<path>:<line>: <problem>` on stderr, the problem holding `needles`."""
    err = result.stderr.decode()
    assert result.returncode == 1, f"{result.stdout.decode()} {err}"
    assert err.startswith(f"{path}:{line}: "), err
    for needle in needles:
        assert needle in err, err
    return err


def _lines(path):
    return path.read_bytes()[:-1].split(b"\n")


def _write_lines(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")


def _rehash(line):
    """The line's hash member recomputed for its content: plain SHA-256, as anyone can."""
    body = line[: line.rindex(b',"hash":"')] + b"}"
    return body[:-1] + f',"hash":"{hashlib.sha256(body).hexdigest()}"}}'.encode()


def _hash(line):
    return HASH_MEMBER.search(line).group(1).decode()


def _rewrite(lines, first, remove_signatures=False):
    """Rewrites lines[first:] as an insider without the key would: outcomes changed,
    prev_hash relinked, plain hashes recomputed; the signatures kept (stale) or removed."""
    previous = _hash(lines[first - 1])
    for index in range(first, len(lines)):
        line = lines[index].replace(b'"outcome":"allowed"', b'"outcome":"denied","reason":"ACCESS_DENIED"', 1)
        line = re.sub(rb'"prev_hash":"[0-9a-f]{64}"', f'"prev_hash":"{previous}"'.encode(), line)
        if remove_signatures:
            line = SIG_MEMBER.sub(b"", line)
        lines[index] = _rehash(line)
        previous = _hash(lines[index])
    return lines


def _check_signatures_independently(audit_dir, key_path):
    """Every `sig` is the key's Ed25519 signature of "swift-kms/v1/audit-record\\n" + the
    hex SHA-256 of the line up to `,"sig"` plus `}`; the hash covers the signature; the last
    record of the chain is signed. Returns how many records are signed."""
    public_key = serialization.load_pem_public_key(key_path.read_bytes())
    assert isinstance(public_key, Ed25519PublicKey)
    signed = 0
    last = None
    for path in sorted(audit_dir.glob("audit-*.jsonl")):
        for line in _lines(path):
            assert hashlib.sha256(line[: line.rindex(b',"hash":"')] + b"}").hexdigest() == _hash(line)
            match = SIG_MEMBER.search(line)
            last = line
            if not match:
                continue
            digest = hashlib.sha256(line[: match.start()] + b"}").hexdigest()
            public_key.verify(base64.b64decode(match.group(1)), b"swift-kms/v1/audit-record\n" + digest.encode())
            signed += 1
    assert last is not None and SIG_MEMBER.search(last), "the chain does not end with a signed record"
    return signed


def _encrypt(server, stubs, key_id, count):
    with server.channel() as channel:
        client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        for _ in range(count):
            client.Encrypt(stubs["kms"].EncryptRequest(key_id=key_id, plaintext=b"x" * 32), timeout=10)


def _create_key(server, stubs):
    with server.channel() as channel:
        client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        return client.CreateKey(stubs["kms"].CreateKeyRequest(description="audit tamper test")).key_metadata.key_id


class ConfiguredServer(RestartableDevServer):
    """`kmsd serve` with the dev directory's configuration plus audit settings: checkpoints
    every second to a file in another directory, and small files so the log spans several."""

    def __init__(self, dev, checkpoint_file):
        super().__init__(dev.directory, dev.port, dev.stubs)
        self.starts = dev.starts
        self.config = dev.directory / "kmsd-audit.yaml"
        text = (dev.directory / "kmsd.yaml").read_text()
        text += f"audit:\n  checkpoint_seconds: 1\n  checkpoint_file: {checkpoint_file}\n  max_file_bytes: 65536\n"
        self.config.write_text(text)

    def start(self):
        assert self.process is None
        self.starts += 1
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(BIN_DIR / "kmsd"), "serve", "--config", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        _wait_until_serving(self, self.process, self.log_path, self.stubs)


@pytest.fixture
def dev(restartable_server):
    restartable_server.config = restartable_server.directory / "kmsd.yaml"
    return restartable_server


# --- kmsd dev: signatures ------------------------------------------------------------------


def test_kmsd_dev_signs_its_log_and_every_rewrite_is_reported(dev, stubs, tmp_path):
    key_id = _create_key(dev, stubs)
    _encrypt(dev, stubs, key_id, 10)
    dev.stop()
    key = tmp_path / "audit-key.pem"
    key_id_exported = _export_key(dev, key)
    audit = _audit_dir(dev)
    signed = _check_signatures_independently(audit, key)
    records = sum(len(_lines(path)) for path in audit.glob("audit-*.jsonl"))
    assert records == 12 and signed == 12, "calls made one after the other are one group each"

    _expect_ok(_verify("--verification-key", key, audit), f"12 signatures verified with key {key_id_exported}")
    _expect_ok(_verify(audit), "12 signatures not checked (no --verification-key)")
    report = json.loads(_verify("--json", "--verification-key", key, audit).stdout)
    assert report["intact"] is True and report["signatures"] == "verified", report

    # The wrong key: another Ed25519 key.
    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    name = "audit-00000000000000000001.jsonl"
    _expect_broken(_verify("--verification-key", other, audit), audit / name, 1, "signed with another key")

    def tampered(label, tamper):
        copy = tmp_path / label
        shutil.copytree(audit, copy)
        lines = _lines(copy / name)
        _write_lines(copy / name, tamper(lines))
        return copy

    # The last record rewritten, its plain hash recomputed: the hashes agree, the signature not.
    def rewrite_last(lines):
        lines[-1] = _rehash(lines[-1].replace(b'"outcome":"allowed"', b'"outcome":"failed","reason":"INTERNAL"'))
        return lines

    copy = tampered("last", rewrite_last)
    _expect_ok(_verify(copy), "signatures not checked")
    _expect_broken(_verify("--verification-key", key, copy), copy / name, 12, "the record was changed: its signature does not verify")

    # A suffix rewritten from line 7 on, every hash recomputed, signatures kept or removed.
    copy = tampered("suffix", lambda lines: _rewrite(lines, 6))
    _expect_broken(_verify("--verification-key", key, copy), copy / name, 7, "its signature does not verify")
    copy = tampered("suffix-unsigned", lambda lines: _rewrite(lines, 6, remove_signatures=True))
    _expect_broken(_verify("--verification-key", key, copy), copy / name, 7, "no signature covers the records from sequence 7 to the end (sequence 12)")

    # The same rewrite, re-signed by a forger with their own key.
    forger = Ed25519PrivateKey.generate()

    def resign(lines):
        lines = _rewrite(lines, 6, remove_signatures=True)
        previous = _hash(lines[5])
        for index in range(6, len(lines)):
            line = re.sub(rb'"prev_hash":"[0-9a-f]{64}"', f'"prev_hash":"{previous}"'.encode(), lines[index])
            body = line[: line.rindex(b',"hash":"')]
            digest = hashlib.sha256(body + b"}").hexdigest()
            sig = base64.b64encode(forger.sign(b"swift-kms/v1/audit-record\n" + digest.encode())).decode()
            lines[index] = _rehash(body + f',"sig":"{sig}","hash":"{"0" * 64}"}}'.encode())
            previous = _hash(lines[index])
        return lines

    copy = tampered("forged", resign)
    _expect_ok(_verify(copy))
    _expect_broken(_verify("--verification-key", key, copy), copy / name, 7, "its signature does not verify")


def test_the_log_of_a_killed_kmsd_still_verifies_with_the_key(dev, stubs, tmp_path):
    """kill -9 during a burst can leave the first records of a group without the signed
    last one; the next start signs over them, and the chain verifies."""
    key_id = _create_key(dev, stubs)
    stop = threading.Event()

    def burst():
        with dev.channel() as channel:
            client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
            while not stop.is_set():
                try:
                    client.Encrypt(stubs["kms"].EncryptRequest(key_id=key_id, plaintext=b"y"), timeout=2)
                except Exception:
                    time.sleep(0.01)

    threads = [threading.Thread(target=burst, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.7)
    dev.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    dev.start()
    _encrypt(dev, stubs, key_id, 1)
    dev.stop()
    key = tmp_path / "audit-key.pem"
    _export_key(dev, key)
    _check_signatures_independently(_audit_dir(dev), key)
    _expect_ok(_verify("--verification-key", key, _audit_dir(dev)), "signatures verified")


# --- kmsd serve with checkpoints -------------------------------------------------------------


def test_checkpoints_show_a_cut_tail_a_deleted_file_and_swapped_files(dev, stubs, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checkpoints = elsewhere / "checkpoints.jsonl"
    key_id = _create_key(dev, stubs)
    dev.stop()
    server = ConfiguredServer(dev, checkpoints)
    server.start()
    _encrypt(server, stubs, key_id, 150)
    time.sleep(1.6)  # a periodic checkpoint
    _encrypt(server, stubs, key_id, 150)
    server.stop()  # and the shutdown checkpoint

    key = tmp_path / "audit-key.pem"
    key_id_exported = _export_key(server, key)
    audit = _audit_dir(server)
    files = sorted(audit.glob("audit-*.jsonl"))
    assert len(files) >= 3, f"expected the log to span several files, got {[f.name for f in files]}"
    _check_signatures_independently(audit, key)

    # The checkpoint file: signed lines naming records of the log.
    public_key = serialization.load_pem_public_key(key.read_bytes())
    by_seq = {}
    for path in files:
        for line in _lines(path):
            record = json.loads(line)
            by_seq[record["seq"]] = record
    lines = _lines(checkpoints)
    assert len(lines) >= 2, lines
    for line in lines:
        checkpoint = json.loads(line)
        cut = line.rindex(b',"sig":"')
        digest = hashlib.sha256(line[:cut] + b"}").hexdigest()
        public_key.verify(base64.b64decode(checkpoint["sig"]), b"swift-kms/v1/audit-checkpoint\n" + digest.encode())
        record = by_seq[checkpoint["seq"]]
        assert record["hash"] == checkpoint["hash"] and record["action"] == "kmsd:Checkpoint", (record, checkpoint)
        assert record["checkpoint"] == checkpoint["checkpoint"]
    assert json.loads(lines[-1])["checkpoint"] == "shutdown"
    assert json.loads(lines[-1])["seq"] == max(by_seq)
    assert any(json.loads(line)["checkpoint"] == "periodic" for line in lines)

    _expect_ok(_verify("--verification-key", key, "--checkpoint", checkpoints, audit),
               f"signatures verified with key {key_id_exported}", f"{len(lines)} checkpoints match")

    def copy_of(label):
        copy = tmp_path / label
        shutil.copytree(audit, copy)
        return copy, sorted(copy.glob("audit-*.jsonl"))

    # The tail cut: a shorter chain that is well signed, found only with the checkpoint.
    copy, copied = copy_of("cut")
    last = copied[-1]
    kept = _lines(last)[:-3]
    _write_lines(last, kept)
    _expect_ok(_verify("--verification-key", key, copy))
    end = json.loads(kept[-1])["seq"]
    _expect_broken(_verify("--verification-key", key, "--checkpoint", checkpoints, copy), last, len(kept),
                   "truncated after this record", f"the chain ends at sequence {end}")

    # The newest file deleted.
    copy, copied = copy_of("deleted")
    copied[-1].unlink()
    before = copied[-2]
    _expect_ok(_verify("--verification-key", key, copy))
    _expect_broken(_verify("--verification-key", key, "--checkpoint", checkpoints, copy), before, len(_lines(before)), "truncated")

    # Two files swapped (their contents, or their names).
    copy, copied = copy_of("swapped")
    first, second = copied[0].read_bytes(), copied[1].read_bytes()
    copied[0].write_bytes(second)
    copied[1].write_bytes(first)
    _expect_broken(_verify(copy), copied[0], 1, "the file is named for sequence 1 but starts with sequence")
    _expect_broken(_verify("--verification-key", key, "--checkpoint", checkpoints, copy), copied[0], 1, "swapped")

    # The newest file rewritten from its second record on, without the key: the first
    # checkpoint after the rewrite shows it, at its own record.
    copy, copied = copy_of("rewritten")
    lines = _lines(copied[-1])
    _write_lines(copied[-1], _rewrite(lines, 1, remove_signatures=True))
    first_seq = json.loads(lines[0])["seq"]
    target = min(json.loads(line)["seq"] for line in _lines(checkpoints) if json.loads(line)["seq"] > first_seq)
    _expect_broken(_verify("--checkpoint", checkpoints, copy), copied[-1], target - first_seq + 1, f"rewritten: checkpoint {target} (")

    # A checkpoint changed in its file is refused with the key.
    changed = tmp_path / "changed-checkpoints.jsonl"
    changed.write_bytes(checkpoints.read_bytes().replace(b'"seq":', b'"seq":1', 1))
    result = _verify("--verification-key", key, "--checkpoint", changed, audit)
    assert result.returncode == 1
    assert f"{changed}:1: the checkpoint's signature does not verify" in result.stderr.decode()


def test_checkpoint_settings_are_checked_at_start(dev, tmp_path):
    dev.stop()
    text = (dev.directory / "kmsd.yaml").read_text()
    cases = [
        ("audit:\n  checkpoint_seconds: 0\n", "audit.checkpoint_seconds: 0 is outside 1–86400"),
        ("audit:\n  checkpoint_seconds: 86401\n", "audit.checkpoint_seconds: 86401 is outside 1–86400"),
        (f"audit:\n  checkpoint_file: {tmp_path / 'missing' / 'checkpoints.jsonl'}\n", "audit.checkpoint_file"),
    ]
    for extra, message in cases:
        config = dev.directory / "kmsd-bad.yaml"
        config.write_text(text + extra)
        result = subprocess.run([str(BIN_DIR / "kmsd"), "serve", "--config", str(config)], capture_output=True, timeout=60)
        assert result.returncode == 1, result
        assert message in result.stderr.decode() + result.stdout.decode(), result
