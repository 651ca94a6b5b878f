"""Every change leaves its audit record, even through a crash (docs/AUDIT.md, "Changes and
crashes"): `kill -9` of kmsd during a burst of CreateKey, PutKeyPolicy and
ScheduleKeyDeletion calls, several times at different moments; after each restart, every
change visible in the store (read directly from the SQLite file) has a record naming its
key: the intent record written before the commit, and usually the outcome record."""
import json
import os
import sqlite3
import threading
import time
import uuid

import grpc

THREADS = 8
BURST_SECONDS = (0.6, 0.9, 1.2, 1.5)
ADMIN = "spiffe://swift-kms.dev/admin"


def _policy(marker):
    """A key policy that keeps the dev admin in charge and carries a unique Sid."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": marker, "Effect": "Allow", "Principal": ADMIN, "Action": "kms:*", "Resource": "*"}],
    })


def _burst_then_kill(server, stubs, seconds):
    """Each thread creates a key, replaces its policy and schedules its deletion, over and
    over, until the server is SIGKILLed mid-burst."""
    pb = stubs["kms"]
    stop = threading.Event()
    ready = threading.Barrier(THREADS + 1)
    calls = []
    lock = threading.Lock()

    def work():
        options = [("grpc.use_local_subchannel_pool", 1)]
        with grpc.secure_channel(server.target, server.credentials(), options=options) as channel:
            client = stubs["kms_grpc"].KeyManagementServiceStub(channel)
            ready.wait(timeout=60)
            while not stop.is_set():
                try:
                    key_id = client.CreateKey(pb.CreateKeyRequest(description="change audit crash"), timeout=2).key_metadata.key_id
                    client.PutKeyPolicy(pb.PutKeyPolicyRequest(key_id=key_id, policy=_policy("m" + uuid.uuid4().hex)), timeout=2)
                    client.ScheduleKeyDeletion(pb.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7), timeout=2)
                    with lock:
                        calls.append(key_id)
                except grpc.RpcError:
                    time.sleep(0.01)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    time.sleep(seconds + 0.1 * (os.urandom(1)[0] / 255))
    server.kill()
    time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a client thread hung after the server was killed"
    return calls


def _stored_changes(server):
    """(key id, policy, state) of every key in the store."""
    database = sqlite3.connect(f"file:{server.directory / 'data' / 'kms.sqlite'}?mode=ro", uri=True)
    try:
        return database.execute("SELECT key_id, policy, key_state FROM keys").fetchall()
    finally:
        database.close()


def _audit_records(server):
    records = []
    for path in sorted((server.directory / "data" / "audit").glob("audit-*.jsonl")):
        records += [json.loads(line) for line in path.read_bytes().splitlines() if line]
    return records


def test_every_change_in_the_store_has_its_record_after_kill_9(restartable_server, stubs):
    server = restartable_server
    completed = 0
    for seconds in BURST_SECONDS:
        completed += len(_burst_then_kill(server, stubs, seconds))
        server.start()
        records = _audit_records(server)
        recorded = {(record["action"], record.get("key_id")) for record in records}
        keys = _stored_changes(server)
        assert keys, "the burst created no key"
        for key_id, policy, state in keys:
            assert ("kms:CreateKey", key_id) in recorded, f"key {key_id} exists but no CreateKey record names it"
            if '"Sid": "m' in policy:
                assert ("kms:PutKeyPolicy", key_id) in recorded, f"the policy of {key_id} changed but no PutKeyPolicy record names it"
            if state == "PENDING_DELETION":
                assert ("kms:ScheduleKeyDeletion", key_id) in recorded, f"{key_id} is pending deletion but no record names it"
        # Intent records come before their outcome records, with the same request id.
        seen_intents = set()
        for record in records:
            if record["outcome"] == "intent":
                seen_intents.add(record["request_id"])
            elif record["action"] in ("kms:CreateKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion") and record["outcome"] == "allowed":
                assert record["request_id"] in seen_intents, f"an allowed change has no earlier intent record: {record}"
    assert completed > 0, "no create/put/schedule sequence completed in any burst"
