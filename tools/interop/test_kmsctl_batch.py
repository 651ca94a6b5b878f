"""`kmsctl batch-encrypt`, `batch-decrypt` and `batch-generate-data-key` against `kmsd dev`:
JSON Lines in, one result line per item out in the same order, a failed item in the middle
that does not fail the others, and input refused before any call."""
import base64
import json
import os
import stat
import subprocess

import pytest

from conftest import BIN_DIR, _free_port

UNKNOWN_KEY = "00000000-0000-0000-0000-000000000000"
SECRET = b"top secret \xff\x00 payroll"


def _batch(dev_server, command, *args, stdin=None, target=None):
    """Runs `kmsctl <command>` without checking its exit status."""
    connection = ["--dev-dir", str(dev_server.directory), "--target", target or dev_server.target]
    return subprocess.run([str(BIN_DIR / "kmsctl"), command, *args, *connection], input=stdin, capture_output=True)


def _jsonl(items):
    return "".join(json.dumps(item) + "\n" for item in items).encode()


def _results(stdout):
    return [json.loads(line) for line in stdout.decode().splitlines()]


def _b64(data):
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def key_id(dev_server):
    return json.loads(dev_server.kmsctl("create-key", "--description", "batch", "--json").stdout)["keyMetadata"]["keyId"]


def _check_item_error(result, code, reason):
    assert result["code"] == code
    assert result["reason"] == reason
    assert result["message"]
    assert result["request_id"]


def test_batch_encrypt_then_decrypt_from_files_with_an_unknown_key_in_the_middle(dev_server, key_id, tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_bytes(_jsonl([
        {"key_id": key_id, "plaintext": _b64(SECRET), "context": {"app": "batch"}},
        {"key_id": UNKNOWN_KEY, "plaintext": _b64(b"lost")},
        {"key_id": key_id, "plaintext": _b64(b"second")},
    ]))
    sealed = _batch(dev_server, "batch-encrypt", "--in", str(items))
    assert sealed.returncode == 2, sealed.stderr
    assert sealed.stderr == b"kmsctl: 1 of 3 items failed; their lines hold the errors\n"
    first, missing, third = _results(sealed.stdout)
    _check_item_error(missing, "NOT_FOUND", "KEY_NOT_FOUND")
    assert UNKNOWN_KEY in missing["message"]
    assert first["key_id"] == third["key_id"] == key_id
    assert first["key_version"] == 1 and first["encryption_algorithm"] == "SYMMETRIC_DEFAULT"

    to_open = tmp_path / "sealed.jsonl"
    to_open.write_bytes(_jsonl([
        {"ciphertext": first["ciphertext"], "context": {"app": "batch"}},
        {"ciphertext": first["ciphertext"]},  # the context is missing: this item alone fails
        {"ciphertext": third["ciphertext"], "key_id": key_id},
    ]))
    out = tmp_path / "opened.jsonl"
    opened = _batch(dev_server, "batch-decrypt", "--in", str(to_open), "--out", str(out))
    assert opened.returncode == 2, opened.stderr
    assert opened.stdout == b""
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    plain, wrong_context, second = _results(out.read_bytes())
    assert base64.b64decode(plain["plaintext"]) == SECRET
    assert base64.b64decode(second["plaintext"]) == b"second"
    _check_item_error(wrong_context, "INVALID_ARGUMENT", "INVALID_CIPHERTEXT")
    for stream in (sealed.stderr, opened.stderr):
        assert b"secret" not in stream and _b64(SECRET).encode() not in stream


def test_batch_round_trip_through_stdin(dev_server, key_id):
    plaintexts = [f"item {n}".encode() for n in range(25)]
    sealed = _batch(dev_server, "batch-encrypt", "--in", "-", stdin=_jsonl({"key_id": key_id, "plaintext": _b64(p)} for p in plaintexts))
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stderr == b""
    blobs = [result["ciphertext"] for result in _results(sealed.stdout)]
    assert len(blobs) == len(plaintexts)
    opened = _batch(dev_server, "batch-decrypt", "--input", "-", stdin=_jsonl({"ciphertext": blob} for blob in blobs))
    assert opened.returncode == 0, opened.stderr
    assert [base64.b64decode(result["plaintext"]) for result in _results(opened.stdout)] == plaintexts


def test_batch_generate_data_key_makes_keys_that_batch_decrypt_returns(dev_server, key_id):
    items = [
        {"key_id": key_id},
        {"key_id": key_id, "key_spec": "aes_128", "context": {"purpose": "backup"}},
        {"key_id": UNKNOWN_KEY},
        {"key_id": key_id, "number_of_bytes": 64},
        {"key_id": key_id, "number_of_bytes": 5000},
    ]
    made = _batch(dev_server, "batch-generate-data-key", "--in", "-", "--json", stdin=_jsonl(items))
    assert made.returncode == 2
    assert made.stderr == b"", "with --json a negative answer leaves stderr empty"
    aes256, aes128, missing, bytes64, too_many = _results(made.stdout)
    assert [len(base64.b64decode(r["plaintext"])) for r in (aes256, aes128, bytes64)] == [32, 16, 64]
    _check_item_error(missing, "NOT_FOUND", "KEY_NOT_FOUND")
    _check_item_error(too_many, "INVALID_ARGUMENT", "VALIDATION")
    assert missing["request_id"] == too_many["request_id"], "the items of one call share its request id"

    back = _batch(dev_server, "batch-decrypt", "--in", "-", stdin=_jsonl([
        {"ciphertext": aes256["ciphertext"]},
        {"ciphertext": aes128["ciphertext"], "context": {"purpose": "backup"}},
        {"ciphertext": bytes64["ciphertext"]},
    ]))
    assert back.returncode == 0, back.stderr
    assert [r["plaintext"] for r in _results(back.stdout)] == [aes256["plaintext"], aes128["plaintext"], bytes64["plaintext"]]


@pytest.mark.parametrize("lines, message", [
    ([b'{"key_id": "k", "plaintext": "aGk="}', b'{"key_id": "k", "plaintext": top secret}'], b"input line 2: not valid JSON"),
    ([b'{"key_id": "k", "plaintext": "top secret"}'], b"input line 1: plaintext is not base64"),
    ([b'{"key_id": 7, "plaintext": "aGk="}'], b"input line 1: key_id must be a string"),
    ([b'{"key_id": "k", "plaintext": "aGk=", "context": {"a": 1}}'], b"input line 1: context.a must be a string"),
    ([b'{"keyId": "k", "plaintext": "aGk="}'], b"input line 1: unknown member 'keyId'"),
    ([b'{"key_id": "k", "plaintext": "aGk="}', b""], b"input line 2: empty"),
    ([b'{"key_id": "k", "plaintext": "' + b"A" * 70000 + b'"}'], b"input line 1: longer than 65536 bytes"),
    ([b'{"key_id": "k", "plaintext": "aGk="}'] * 1001, b"more than 1000 items"),
    ([('{"key_id": "k", "plaintext": "%s"}' % _b64(b"x" * 4096)).encode()] * 300, b"a batch call takes at most 1048576"),
])
def test_input_beyond_the_rules_is_refused_before_any_call(dev_server, lines, message):
    # The server is never asked: an unreachable target would fail with status 3 instead.
    refused = _batch(dev_server, "batch-encrypt", "--in", "-", stdin=b"\n".join(lines) + b"\n", target=f"127.0.0.1:{_free_port()}")
    assert refused.returncode == 1, refused.stderr
    assert refused.stdout == b""
    assert message in refused.stderr
    assert b"secret" not in refused.stderr


def test_refused_input_with_json_is_one_object(dev_server):
    refused = _batch(dev_server, "batch-decrypt", "--in", "-", "--json", stdin=b'{"ciphertext": 5}\n')
    assert refused.returncode == 1
    assert json.loads(refused.stderr) == {"code": "LOCAL", "reason": None, "message": "input line 1: ciphertext must be a string", "request_id": None}


def test_a_server_that_is_not_running_is_retryable_and_writes_no_output(dev_server, key_id, tmp_path):
    out = tmp_path / "never.jsonl"
    failed = _batch(dev_server, "batch-encrypt", "--in", "-", "--out", str(out), "--json",
                    stdin=_jsonl([{"key_id": key_id, "plaintext": _b64(SECRET)}]), target=f"127.0.0.1:{_free_port()}")
    assert failed.returncode == 3
    assert not out.exists()
    report = json.loads(failed.stderr)
    assert report["code"] == "UNAVAILABLE" and report["request_id"] is None
