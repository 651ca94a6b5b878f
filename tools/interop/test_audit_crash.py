"""Crash tests of the audit trail (docs/AUDIT.md): `kill -9` of kmsd during a burst of
Encrypt calls, then, after a restart on the same directory, every call that got a success
response has exactly one record, the hash chain verifies, and a torn last line is moved
aside and reported, never silently dropped. Also checks that neither plaintext nor
encryption context values reach the audit files, the data directory or the server log."""
import base64
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
import uuid

import grpc
import pytest

from conftest import BIN_DIR

GENESIS_HASH = "0" * 64
# Every line ends with `,"hash":"<64 hex>"}`; the hash covers the line without that member.
HASH_MEMBER = re.compile(rb',"hash":"([0-9a-f]{64})"\}\Z')
HASH_MEMBER_LENGTH = 75
THREADS = 12
# Different kill points: the burst runs this long (plus a little jitter) before SIGKILL.
BURST_SECONDS = (0.5, 0.75, 1.0)


class Secrets:
    """The plaintext and encryption context of every call: the values must stay out of the
    audit trail, the data directory and the server log; the context keys may be logged."""

    def __init__(self):
        self.plaintext = os.urandom(256)
        self.context = {
            "tenant": "tenant-" + os.urandom(12).hex(),
            "purpose": "purpose-" + os.urandom(12).hex(),
        }

    def forms(self):
        """Byte strings any leak would contain: the plaintext raw, in hex and base64, and
        each context value."""
        head = self.plaintext[:32]
        return {
            "plaintext": self.plaintext,
            "plaintext (first 32 bytes)": head,
            "plaintext (hex)": head.hex().encode(),
            "plaintext (base64)": base64.b64encode(self.plaintext)[:40],
            **{f"context value of {key!r}": value.encode() for key, value in self.context.items()},
        }


def _audit_dir(server):
    return server.directory / "data" / "audit"


def _audit_files(server):
    return sorted(_audit_dir(server).glob("audit-*.jsonl"))


def _read_chain(audit_dir):
    """Reads `audit-*.jsonl` in name order and checks the chain independently of the
    server: each hash is SHA-256 of its line without the hash member, prev_hash links,
    seq grows by one from 1, and each file is named after its first record.

    Returns the records (dicts) in chain order; raises AssertionError naming the file and
    line of the first problem."""
    files = sorted(audit_dir.glob("audit-*.jsonl"))
    assert files, f"no audit files in {audit_dir}"
    records = []
    previous_hash = GENESIS_HASH
    for path in files:
        content = path.read_bytes()
        assert content.endswith(b"\n"), f"{path.name} does not end with a newline (torn last line left in place)"
        for number, line in enumerate(content[:-1].split(b"\n"), start=1):
            where = f"{path.name} line {number}"
            match = HASH_MEMBER.search(line)
            assert match, f"{where}: no hash member at the end: {line[-100:]!r}"
            recomputed = hashlib.sha256(line[:-HASH_MEMBER_LENGTH] + b"}").hexdigest()
            assert match.group(1).decode() == recomputed, f"{where}: the hash does not match the line"
            record = json.loads(line)
            assert record["hash"] == recomputed, where
            assert record["prev_hash"] == previous_hash, f"{where}: prev_hash does not link to the previous record"
            assert record["seq"] == len(records) + 1, f"{where}: seq {record['seq']}, expected {len(records) + 1}"
            if number == 1:
                assert path.name == f"audit-{record['seq']:020d}.jsonl", f"{path.name} starts with seq {record['seq']}"
            records.append(record)
            previous_hash = recomputed
    return records


@functools.cache
def _kmsctl_has_audit_verify():
    """`kmsctl audit verify` is being added separately; use it once it exists."""
    result = subprocess.run([str(BIN_DIR / "kmsctl"), "audit", "verify", "--help"], capture_output=True)
    return result.returncode == 0 and b"audit verify" in result.stdout


def _kmsctl_verify(audit_dir):
    return subprocess.run([str(BIN_DIR / "kmsctl"), "audit", "verify", str(audit_dir)], capture_output=True, timeout=60)


def _verify_chain(server):
    """Both verifiers agree the chain is intact; returns the records."""
    records = _read_chain(_audit_dir(server))
    if _kmsctl_has_audit_verify():
        result = _kmsctl_verify(_audit_dir(server))
        assert result.returncode == 0, f"kmsctl audit verify failed: {result.stdout.decode()} {result.stderr.decode()}"
    return records


def _encrypt_request(stubs, key_id, secrets):
    return stubs["kms"].EncryptRequest(key_id=key_id, plaintext=secrets.plaintext, encryption_context=secrets.context)


def _request_id(call):
    return dict(call.initial_metadata()).get("x-request-id")


def _create_key(server, stubs):
    with server.channel() as channel:
        client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        return client.CreateKey(stubs["kms"].CreateKeyRequest(description="audit crash test")).key_metadata.key_id


def _encrypt_once(server, stubs, key_id, secrets):
    """One Encrypt call; returns its request id."""
    with server.channel() as channel:
        client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        response, call = client.Encrypt.with_call(_encrypt_request(stubs, key_id, secrets), timeout=10)
    assert response.key_id == key_id and response.key_version == 1
    request_id = _request_id(call)
    assert request_id, "no x-request-id in the response metadata"
    return request_id


def _burst_then_kill(server, stubs, key_id, secrets, seconds):
    """Encrypt from THREADS threads (each on its own connection), SIGKILL the server while
    calls are in flight, and return the request ids of the calls that succeeded."""
    request = _encrypt_request(stubs, key_id, secrets)
    acknowledged = []
    problems = []
    cut_off = 0  # calls that were in flight when the server was killed
    killed_at = None
    lock = threading.Lock()
    stop = threading.Event()
    ready = threading.Barrier(THREADS + 1)

    def work():
        nonlocal cut_off
        options = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.secure_channel(server.target, server.credentials(), options=options) as channel:
            client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
            ready.wait(timeout=60)
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response, call = client.Encrypt.with_call(request, timeout=2)
                except grpc.RpcError:
                    with lock:
                        if killed_at is not None and started < killed_at:
                            cut_off += 1
                    time.sleep(0.01)
                    continue
                request_id = _request_id(call)
                with lock:
                    if not request_id:
                        problems.append("a successful Encrypt had no x-request-id")
                    elif response.key_id != key_id or response.key_version != 1:
                        problems.append(f"unexpected response {response.key_id} v{response.key_version}")
                    else:
                        acknowledged.append(request_id)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    time.sleep(seconds + 0.1 * (os.urandom(1)[0] / 255))
    with lock:
        acknowledged_before_kill = len(acknowledged)
        killed_at = time.monotonic()
    server.kill()
    time.sleep(0.2)  # let the threads see the cut connections
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a client thread hung after the server was killed"
    assert not problems, problems
    assert acknowledged_before_kill > 0, "no Encrypt succeeded before the kill"
    assert cut_off > 0, "no call was in flight when the server was killed"
    assert len(set(acknowledged)) == len(acknowledged), "a request id was returned twice"
    return acknowledged


def _snapshot(server):
    """The audit files' contents and the torn files, as the crash left them."""
    return {path.name: path.read_bytes() for path in _audit_files(server)}, set(_torn_files(server))


def _torn_files(server):
    return sorted(_audit_dir(server).glob("audit-*.jsonl.torn-*"))


def _check_restart_kept_every_complete_line(server, snapshot):
    """After a restart, each file holds exactly its complete lines from before the crash
    (plus new records in the last one); a torn tail is in a new `.torn-*` file and in the
    server log."""
    before, torn_before = snapshot
    last = max(before)
    for name, content in before.items():
        complete = content[: content.rfind(b"\n") + 1]
        tail = content[len(complete):]
        after = (_audit_dir(server) / name).read_bytes()
        assert after.startswith(complete), f"{name}: complete lines written before the kill changed or vanished on restart"
        if name != last:
            assert after == complete, f"{name}: a closed file changed on restart"
        if tail:
            assert name == last, f"{name}: only the last file can have a torn tail"
            new_torn = [path for path in _torn_files(server) if path not in torn_before and path.name.startswith(name + ".torn-")]
            assert [path.read_bytes() for path in new_torn] == [tail], (
                f"{name} ended with {len(tail)} bytes without a newline; they were not moved to a .torn- file"
            )
            assert "incomplete record" in server.log_path.read_text(), "the torn last line was not reported in the log"


def _check_acknowledged(records, acknowledged, key_id, secrets):
    by_request = {}
    for record in records:
        by_request.setdefault(record["request_id"], []).append(record)
    missing = [request_id for request_id in acknowledged if request_id not in by_request]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged calls have no audit record, e.g. {missing[:3]}"
    for request_id in acknowledged:
        found = by_request[request_id]
        assert len(found) == 1, f"request {request_id} has {len(found)} records (seq {[r['seq'] for r in found]})"
        record = found[0]
        assert record["action"] == "kms:Encrypt", record
        assert record["outcome"] == "allowed", record
        assert record["key_id"] == key_id, record
        assert record["key_version"] == 1, record
        assert record["principal"] == "spiffe://swift-kms.dev/admin", record
        assert record["encryption_context_keys"] == sorted(secrets.context), record
        assert re.fullmatch(r"[0-9a-f]{64}", record["encryption_context_hmac"]), record
        assert "encryption_context" not in record, record


def _check_torn_files_hold_no_acknowledged_record(server, acknowledged):
    for path in _torn_files(server):
        content = path.read_bytes()
        assert b"\n" not in content, f"{path.name} holds more than one line"
        leaked = [request_id for request_id in acknowledged if request_id.encode() in content]
        assert not leaked, f"{path.name} holds the record of acknowledged request(s) {leaked}"


def _check_new_call_continues_chain(server, stubs, key_id, secrets, records):
    request_id = _encrypt_once(server, stubs, key_id, secrets)
    after = _verify_chain(server)
    assert after[: len(records)] == records, "records before the restart changed"
    assert len(after) == len(records) + 1, f"{len(after) - len(records)} records appeared for one call"
    new = after[-1]
    assert new["request_id"] == request_id
    assert new["seq"] == records[-1]["seq"] + 1
    assert new["prev_hash"] == records[-1]["hash"]
    return after


def _listed_request_ids(server, stubs, key_id):
    """Request ids of the key's Encrypt records as ListAuditEvents (the index) returns them."""
    pb = stubs["kms"]
    found = []
    token = ""
    with server.channel() as channel:
        client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        while True:
            reply = client.ListAuditEvents(
                pb.ListAuditEventsRequest(key_id=key_id, action="kms:Encrypt", page_size=1000, page_token=token), timeout=30
            )
            found += [event.request_id for event in reply.events]
            token = reply.next_page_token
            if not token:
                return found


def _check_no_secrets(server, secrets):
    """No plaintext or context value in any file of the data directory (audit files,
    index, store, torn files) or in the server logs."""
    paths = [path for path in (server.directory / "data").rglob("*") if path.is_file()]
    paths += sorted(server.directory.glob("kmsd-*.log"))
    assert any(path.parent == _audit_dir(server) for path in paths)
    for path in paths:
        content = path.read_bytes()
        for what, needle in secrets.forms().items():
            assert needle not in content, f"{what} found in {path.relative_to(server.directory)}"
    audit_text = b"".join(path.read_bytes() for path in _audit_files(server))
    for key in secrets.context:
        assert f'"{key}"'.encode() in audit_text, f"context key {key!r} is not in the audit records"


def test_kill_9_during_a_burst_loses_no_acknowledged_record(restartable_server, stubs):
    server = restartable_server
    secrets = Secrets()
    key_id = _create_key(server, stubs)
    acknowledged = []
    for seconds in BURST_SECONDS:
        acknowledged += _burst_then_kill(server, stubs, key_id, secrets, seconds)
        snapshot = _snapshot(server)
        server.start()
        _check_restart_kept_every_complete_line(server, snapshot)
        _check_torn_files_hold_no_acknowledged_record(server, acknowledged)
        records = _verify_chain(server)
        _check_acknowledged(records, acknowledged, key_id, secrets)
        records = _check_new_call_continues_chain(server, stubs, key_id, secrets, records)
        acknowledged.append(records[-1]["request_id"])
        listed = _listed_request_ids(server, stubs, key_id)
        in_files = [r["request_id"] for r in records if r["action"] == "kms:Encrypt" and r.get("key_id") == key_id]
        assert listed == in_files, "ListAuditEvents (the index) disagrees with the audit files after the restart"
    _check_no_secrets(server, secrets)


def test_torn_last_line_is_moved_aside_reported_and_chain_verifies(restartable_server, stubs, tmp_path):
    server = restartable_server
    secrets = Secrets()
    key_id = _create_key(server, stubs)
    acknowledged = [_encrypt_once(server, stubs, key_id, secrets) for _ in range(5)]
    server.stop()

    records = _verify_chain(server)
    last_file = _audit_files(server)[-1]
    before = last_file.read_bytes()
    # Half of a plausible next record, as a write cut by a crash would leave it.
    last = records[-1]
    line = before[:-1].rsplit(b"\n", 1)[-1]
    line = line.replace(f'{{"seq":{last["seq"]},'.encode(), f'{{"seq":{last["seq"] + 1},'.encode())
    line = line.replace(last["request_id"].encode(), str(uuid.uuid4()).encode())
    torn = line[: len(line) // 2]
    with open(last_file, "ab") as file:
        file.write(torn)

    server.start()
    after = last_file.read_bytes()
    assert after.endswith(b"\n")
    assert after == before, "the repair changed more than the torn line"
    torn_files = _torn_files(server)
    assert [path.name.startswith(last_file.name + ".torn-") for path in torn_files] == [True]
    assert torn_files[0].read_bytes() == torn
    log = server.log_path.read_text()
    assert "incomplete record" in log, log
    assert torn_files[0].name in log, "the log does not say where the torn line went"

    assert _verify_chain(server) == records
    _check_acknowledged(records, acknowledged, key_id, secrets)
    records = _check_new_call_continues_chain(server, stubs, key_id, secrets, records)
    _check_no_secrets(server, secrets)

    # Both verifiers can fail: a changed byte in a copy is caught.
    copy = tmp_path / "tampered"
    shutil.copytree(_audit_dir(server), copy)
    tampered = copy / last_file.name
    content = tampered.read_bytes()
    tampered.write_bytes(content.replace(b'"outcome":"allowed"', b'"outcome":"denied"', 1))
    with pytest.raises(AssertionError, match="hash does not match"):
        _read_chain(copy)
    if _kmsctl_has_audit_verify():
        assert _kmsctl_verify(copy).returncode != 0, "kmsctl audit verify accepted a changed record"
