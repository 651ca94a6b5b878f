"""Backup and restore (docs/OPERATIONS.md): `kmsd backup` takes a consistent snapshot of the
SQLite store while `kmsd` serves a load of Encrypt and CreateKey calls; `kmsd restore` puts it
into a fresh data_dir with the same root key file, and a server started there has every key
that existed when the backup began and decrypts what was encrypted before it. Restore refuses,
before writing anything, a wrong root key and a changed backup file; it refuses a store that
holds keys and a data_dir a server holds. Backup refuses a PostgreSQL store before connecting
to it."""
import json
import os
import re
import socket
import stat
import subprocess
import threading
import time

import grpc
import pytest

from conftest import BIN_DIR, DevServer, _free_port, _wait_until_serving

PRELOADED_KEYS = 40


def _kmsd(*args):
    return subprocess.run([str(BIN_DIR / "kmsd"), *args], capture_output=True, text=True, timeout=120)


def _config(dev_dir, name, data_dir, root_key_file, port=None, extra=""):
    """A configuration beside `kmsd dev`'s (so its relative certificate paths hold) with its
    own data_dir, root_key_file and port."""
    text = (dev_dir / "kmsd.yaml").read_text()
    text = re.sub(r"^data_dir: .*$", f"data_dir: {data_dir}", text, flags=re.M)
    if port is not None:
        text = re.sub(r"^listen: .*$", f'listen: "127.0.0.1:{port}"', text, flags=re.M)
    path = dev_dir / name
    path.write_text(text + f"root_key_file: {root_key_file}\n" + extra)
    return path


def _list_keys(server, stubs):
    ids, token = set(), ""
    with server.channel() as channel:
        kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        while True:
            page = kms.ListKeys(stubs["kms"].ListKeysRequest(page_size=1000, page_token=token), timeout=30)
            ids |= {key.key_id for key in page.keys}
            token = page.next_page_token
            if not token:
                return ids


def _load(server, stubs, key_ids, stop, events, errors, worker):
    """Encrypt and CreateKey calls on one channel until `stop` is set; records each success
    with its completion time: ("encrypt", t, key_id, plaintext, blob) or ("create", t, key_id)."""
    with server.channel() as channel:
        kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 4 == 0:
                    reply = kms.CreateKey(stubs["kms"].CreateKeyRequest(description=f"load {worker}-{n}"), timeout=30)
                    events.append(("create", time.monotonic(), reply.key_metadata.key_id))
                else:
                    key_id = key_ids[n % len(key_ids)]
                    plaintext = f"load {worker}-{n}".encode()
                    reply = kms.Encrypt(
                        stubs["kms"].EncryptRequest(key_id=key_id, plaintext=plaintext, encryption_context={"w": str(worker)}),
                        timeout=30,
                    )
                    events.append(("encrypt", time.monotonic(), key_id, plaintext, reply.ciphertext_blob, worker))
            except grpc.RpcError as error:
                errors.append(f"{error.code()}: {error.details()}")


def _serve(config, dev_dir, port, stubs, log_name):
    log_path = dev_dir / log_name
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(BIN_DIR / "kmsd"), "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    server = DevServer(dev_dir, port)
    _wait_until_serving(server, process, log_path, stubs)
    return server, process


def _stop(process):
    process.terminate()
    assert process.wait(timeout=30) == 0


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def backed_up(restartable_server, stubs, tmp_path):
    """A live `kmsd dev` with keys and ciphertexts, backed up under load. Returns a dict with
    the server, the backup directory, the keys that existed when the backup began, the
    ciphertexts made before it, and what the backup printed."""
    server = restartable_server
    dev_dir = server.directory
    preloaded, ciphertexts = [], []
    with server.channel() as channel:
        kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
        for i in range(PRELOADED_KEYS):
            key_id = kms.CreateKey(stubs["kms"].CreateKeyRequest(description=f"preloaded {i}"), timeout=30).key_metadata.key_id
            preloaded.append(key_id)
            plaintext = f"before the backup {i}".encode()
            blob = kms.Encrypt(
                stubs["kms"].EncryptRequest(key_id=key_id, plaintext=plaintext, encryption_context={"i": str(i)}), timeout=30
            ).ciphertext_blob
            ciphertexts.append((key_id, plaintext, blob, {"i": str(i)}))

    stop, events, errors = threading.Event(), [], []
    workers = [
        threading.Thread(target=_load, args=(server, stubs, preloaded, stop, events, errors, w), daemon=True) for w in range(6)
    ]
    for worker in workers:
        worker.start()
    while sum(1 for e in events if e[0] == "create") < 20:
        time.sleep(0.01)

    # Every key that exists now must be in the backup.
    keys_before = _list_keys(server, stubs)
    backup_dir = tmp_path / "backup"
    started = time.monotonic()
    backup = _kmsd("backup", "--config", str(dev_dir / "kmsd.yaml"), "--out", str(backup_dir))
    ended = time.monotonic()
    time.sleep(0.2)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    assert backup.returncode == 0, backup.stderr
    assert not errors, errors[:5]
    during = [e for e in events if started <= e[1] <= ended]
    assert any(e[0] == "create" for e in during) and any(e[0] == "encrypt" for e in during), (
        f"the load must run while the backup runs: {len(during)} calls completed in its {ended - started:.2f} s"
    )
    ciphertexts += [(e[2], e[3], e[4], {"w": str(e[5])}) for e in events if e[0] == "encrypt" and e[1] < started]
    keys_after = _list_keys(server, stubs)
    log = server.log_path.read_text()
    errors_logged = [line for line in log.splitlines() if re.match(r"^\S+ (error|critical) ", line)]
    assert not errors_logged, errors_logged[:5]
    return {
        "server": server, "dev_dir": dev_dir, "backup_dir": backup_dir, "keys_before": keys_before, "keys_after": keys_after,
        "ciphertexts": ciphertexts, "output": backup.stdout, "tmp": tmp_path,
    }


def test_backup_under_load_restores_into_a_fresh_directory(backed_up, stubs):
    dev_dir, backup_dir, tmp = backed_up["dev_dir"], backed_up["backup_dir"], backed_up["tmp"]
    root_key = dev_dir / "data" / "root.key"

    # The backup: a 0700 directory of 0600 files, a manifest that checks, no root key.
    assert sorted(os.listdir(backup_dir)) == ["kms.sqlite", "manifest.json"]
    assert _mode(backup_dir) == 0o700
    assert _mode(backup_dir / "kms.sqlite") == 0o600 and _mode(backup_dir / "manifest.json") == 0o600
    assert root_key.read_bytes().strip() not in (backup_dir / "kms.sqlite").read_bytes()
    assert "root key is NOT in this backup" in backed_up["output"]
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["format"] == "swift-kms-backup" and manifest["format_version"] == 1 and manifest["store"] == "sqlite"
    assert manifest["schema_version"] >= 1
    version = _kmsd("--version").stdout.strip()
    assert manifest["kmsd_version"] == version.removeprefix("kmsd "), (manifest["kmsd_version"], version)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created"])
    assert len(backed_up["keys_before"]) <= manifest["key_count"] <= len(backed_up["keys_after"])
    import hashlib
    [entry] = manifest["files"]
    data = (backup_dir / "kms.sqlite").read_bytes()
    assert entry == {"name": "kms.sqlite", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    # Restore into a fresh data_dir with the same root key file, then serve it.
    port = _free_port()
    data_dir = tmp / "restored"
    config = _config(dev_dir, "restored.yaml", data_dir, root_key, port)
    restore = _kmsd("restore", "--from", str(backup_dir), "--config", str(config))
    assert restore.returncode == 0, restore.stderr
    assert f"restored {manifest['key_count']} keys from the backup taken {manifest['created']}" in restore.stdout, restore.stdout
    assert _mode(data_dir) == 0o700 and _mode(data_dir / "kms.sqlite") == 0o600
    assert not (data_dir / "root.key").exists()
    assert sorted(os.listdir(backup_dir)) == ["kms.sqlite", "manifest.json"], "restore only reads the backup"

    server, process = _serve(config, dev_dir, port, stubs, "restored.log")
    try:
        restored = _list_keys(server, stubs)
        missing = backed_up["keys_before"] - restored
        assert not missing, f"{len(missing)} keys that existed when the backup began are missing"
        assert restored <= backed_up["keys_after"] and len(restored) == manifest["key_count"]
        with server.channel() as channel:
            kms = stubs["kms_grpc"].KeyManagementServiceStub(channel)
            for key_id, plaintext, blob, context in backed_up["ciphertexts"]:
                reply = kms.Decrypt(stubs["kms"].DecryptRequest(ciphertext_blob=blob, encryption_context=context), timeout=30)
                assert (reply.key_id, reply.plaintext) == (key_id, plaintext)
        print(f"{len(backed_up['keys_before'])} keys before, {len(restored)} restored, "
              f"{len(backed_up['ciphertexts'])} ciphertexts decrypt")
    finally:
        _stop(process)

    # With no server running, the restored store backs up too (no write-ahead log then).
    again = _kmsd("backup", "--config", str(config), "--out", str(tmp / "backup-offline"))
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp / "backup-offline" / "manifest.json").read_text())["key_count"] == len(restored)


def test_restore_with_a_wrong_root_key_writes_nothing(backed_up):
    dev_dir, tmp = backed_up["dev_dir"], backed_up["tmp"]
    other_key = tmp / "other.key"
    assert _kmsd("root-key", "generate", str(other_key)).returncode == 0
    data_dir = tmp / "wrong-key"
    config = _config(dev_dir, "wrong-key.yaml", data_dir, other_key)
    result = _kmsd("restore", "--from", str(backed_up["backup_dir"]), "--config", str(config))
    assert result.returncode == 1
    assert "is not the one the backup's keys are wrapped under" in result.stderr and "nothing was restored" in result.stderr, result.stderr
    assert not data_dir.exists(), "the refused restore created the data_dir"

    missing = _config(dev_dir, "missing-key.yaml", data_dir, tmp / "no-such.key")
    result = _kmsd("restore", "--from", str(backed_up["backup_dir"]), "--config", str(missing))
    assert result.returncode == 1 and "is missing; a backup never holds the root key" in result.stderr, result.stderr
    assert not data_dir.exists()


def test_a_tampered_backup_is_refused_by_the_manifest_check(backed_up):
    dev_dir, tmp = backed_up["dev_dir"], backed_up["tmp"]
    root_key = dev_dir / "data" / "root.key"
    tampered = tmp / "tampered"
    tampered.mkdir()
    for name in ("kms.sqlite", "manifest.json"):
        (tampered / name).write_bytes((backed_up["backup_dir"] / name).read_bytes())
    database = bytearray((tampered / "kms.sqlite").read_bytes())
    database[len(database) // 2] ^= 0x01
    (tampered / "kms.sqlite").write_bytes(bytes(database))
    data_dir = tmp / "from-tampered"
    config = _config(dev_dir, "from-tampered.yaml", data_dir, root_key)
    result = _kmsd("restore", "--from", str(tampered), "--config", str(config))
    assert result.returncode == 1
    assert "is not the file the manifest records" in result.stderr and "nothing was restored" in result.stderr, result.stderr
    assert not data_dir.exists()

    # A manifest edited to match nothing is refused too, as is a directory without one.
    manifest = json.loads((backed_up["backup_dir"] / "manifest.json").read_text())
    (tampered / "kms.sqlite").write_bytes((backed_up["backup_dir"] / "kms.sqlite").read_bytes())
    manifest["key_count"] += 1
    (tampered / "manifest.json").write_text(json.dumps(manifest))
    result = _kmsd("restore", "--from", str(tampered), "--config", str(config))
    assert result.returncode == 1 and "does not match its manifest" in result.stderr, result.stderr
    manifest["files"][0]["name"] = "../kms.sqlite"
    (tampered / "manifest.json").write_text(json.dumps(manifest))
    result = _kmsd("restore", "--from", str(tampered), "--config", str(config))
    assert result.returncode == 1 and "not a plain file name" in result.stderr, result.stderr
    (tampered / "manifest.json").unlink()
    result = _kmsd("restore", "--from", str(tampered), "--config", str(config))
    assert result.returncode == 1 and "has no manifest.json" in result.stderr, result.stderr
    assert not data_dir.exists()


def test_restore_refuses_a_store_with_keys_and_a_served_data_dir(backed_up):
    dev_dir, backup_dir, tmp = backed_up["dev_dir"], backed_up["backup_dir"], backed_up["tmp"]
    root_key = dev_dir / "data" / "root.key"

    # The live server holds its data_dir: refused, and the server is untouched.
    live = _kmsd("restore", "--from", str(backup_dir), "--config", str(dev_dir / "kmsd.yaml"))
    assert live.returncode == 1
    assert "another kmsd is already serving data_dir" in live.stderr, live.stderr
    assert backed_up["server"].process.poll() is None

    # A store that holds keys: refused, and left as it was.
    data_dir = tmp / "twice"
    config = _config(dev_dir, "twice.yaml", data_dir, root_key)
    assert _kmsd("restore", "--from", str(backup_dir), "--config", str(config)).returncode == 0
    before = (data_dir / "kms.sqlite").read_bytes()
    again = _kmsd("restore", "--from", str(backup_dir), "--config", str(config))
    assert again.returncode == 1
    assert re.search(r"already holds \d+ keys; kmsd restore writes only into an empty store", again.stderr), again.stderr
    assert (data_dir / "kms.sqlite").read_bytes() == before


def test_restore_replaces_an_empty_store(backed_up, stubs):
    """A server started once on a new data_dir leaves a store with no keys (and its root key
    check value): restore replaces it, and a server started afterwards serves the backup."""
    dev_dir, backup_dir, tmp = backed_up["dev_dir"], backed_up["backup_dir"], backed_up["tmp"]
    port = _free_port()
    data_dir = tmp / "started-once"
    config = _config(dev_dir, "started-once.yaml", data_dir, dev_dir / "data" / "root.key", port)
    _, process = _serve(config, dev_dir, port, stubs, "started-once.log")
    _stop(process)
    assert (data_dir / "kms.sqlite").exists()

    result = _kmsd("restore", "--from", str(backup_dir), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert not [name for name in os.listdir(data_dir) if name.startswith("kms.sqlite") and name != "kms.sqlite"]
    server, process = _serve(config, dev_dir, port, stubs, "started-once-2.log")
    try:
        expected = json.loads((backup_dir / "manifest.json").read_text())["key_count"]
        assert len(_list_keys(server, stubs)) == expected
    finally:
        _stop(process)


def test_backup_refuses_an_output_directory_that_is_not_empty(backed_up):
    result = _kmsd("backup", "--config", str(backed_up["dev_dir"] / "kmsd.yaml"), "--out", str(backed_up["backup_dir"]))
    assert result.returncode == 1 and "is not empty" in result.stderr, result.stderr


def test_backup_and_restore_refuse_postgres_before_connecting(tmp_path, stubs, restartable_server):
    """A configuration naming storage.postgres: the refusal points to pg_dump and the docs,
    and nothing ever connects to the database's port."""
    dev_dir = restartable_server.directory
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        config = _config(
            dev_dir, "postgres.yaml", tmp_path / "pg-data", dev_dir / "data" / "root.key",
            extra=f'storage:\n  postgres:\n    url: "postgres://kms@127.0.0.1:{port}/kms?sslmode=disable"\n',
        )
        backup = _kmsd("backup", "--config", str(config), "--out", str(tmp_path / "pg-backup"))
        assert backup.returncode == 1
        assert "pg_dump" in backup.stderr and "docs/OPERATIONS.md" in backup.stderr, backup.stderr
        assert "storage.postgres" in backup.stderr
        assert not (tmp_path / "pg-backup").exists()

        restore = _kmsd("restore", "--from", str(tmp_path / "pg-backup"), "--config", str(config))
        assert restore.returncode == 1 and "pg_restore" in restore.stderr, restore.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()
