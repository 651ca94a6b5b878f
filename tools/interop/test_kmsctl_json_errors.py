"""`kmsctl --json` failures and the exit statuses against `kmsd dev`: one JSON object on
stderr for every failure (a denied call, a key not found, no server, a TLS failure, a usage
error), with the ErrorInfo reason and the x-request-id, and the status that tells a script
whether to retry."""
import json
import socket
import subprocess
import threading
import uuid

import pytest

from conftest import BIN_DIR, _free_port

ADMIN = "spiffe://swift-kms.dev/admin"
UNKNOWN_KEY = "00000000-0000-0000-0000-000000000000"


def _kmsctl(dev_server, *args, dev_dir=None, target=None):
    """Runs kmsctl against the dev server (or `target`) without checking its exit status."""
    command = [str(BIN_DIR / "kmsctl"), *args, "--dev-dir", str(dev_dir or dev_server.directory), "--target", target or dev_server.target]
    return subprocess.run(command, capture_output=True)


def _report(result):
    """The one JSON object of stderr, checked to have its four members in order."""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, result.stderr
    report = json.loads(lines[0])
    assert list(report)[:4] == ["code", "reason", "message", "request_id"]
    return report


@pytest.fixture(scope="module")
def denied_key(dev_server, tmp_path_factory):
    """A key whose policy denies the admin kms:Encrypt."""
    policy = tmp_path_factory.mktemp("policy") / "deny-encrypt.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": ADMIN, "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoEncrypt", "Effect": "Deny", "Principal": ADMIN, "Action": "kms:Encrypt", "Resource": "*"}]}))
    created = dev_server.kmsctl("create-key", "--policy-file", str(policy), "--json")
    return json.loads(created.stdout)["keyMetadata"]["keyId"]


def test_a_denied_call_names_its_reason_and_its_audit_record(dev_server, denied_key):
    denied = _kmsctl(dev_server, "encrypt", "--key-id", denied_key, "--plaintext", "do not print me", "--json")
    assert denied.returncode == 1
    assert denied.stdout == b""
    report = _report(denied)
    assert report["code"] == "PERMISSION_DENIED"
    assert report["reason"] == "ACCESS_DENIED"
    assert denied_key in report["message"]
    uuid.UUID(report["request_id"])
    assert b"do not print me" not in denied.stderr

    # The request id is the one of the call's audit record.
    events = _kmsctl(dev_server, "audit", "query", "--key-id", denied_key, "--outcome", "denied", "--all", "--json")
    assert events.returncode == 0, events.stderr
    request_ids = [event["requestId"] for line in events.stdout.splitlines() for event in json.loads(line).get("events", [])]
    assert report["request_id"] in request_ids

    human = _kmsctl(dev_server, "encrypt", "--key-id", denied_key, "--plaintext", "x")
    assert human.returncode == 1
    assert human.stderr.startswith(b"kmsctl: ACCESS_DENIED (PERMISSION_DENIED): ")


def test_a_key_not_found(dev_server):
    missing = _kmsctl(dev_server, "describe-key", "--key-id", UNKNOWN_KEY, "--json")
    assert missing.returncode == 1
    report = _report(missing)
    assert (report["code"], report["reason"]) == ("NOT_FOUND", "KEY_NOT_FOUND")
    assert report["message"] == f"key {UNKNOWN_KEY} does not exist"
    uuid.UUID(report["request_id"])


def test_no_server_listening_is_retryable(dev_server):
    target = f"127.0.0.1:{_free_port()}"
    failed = _kmsctl(dev_server, "whoami", "--json", target=target)
    assert failed.returncode == 3
    report = _report(failed)
    assert report["code"] == "UNAVAILABLE"
    assert report["reason"] is None and report["request_id"] is None
    assert "cause" in report
    human = _kmsctl(dev_server, "whoami", target=target)
    assert human.returncode == 3
    assert human.stderr.startswith(b"kmsctl: UNAVAILABLE: ")


def test_a_server_that_never_answers_is_a_retryable_deadline(dev_server):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted = []
        threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
        silent = _kmsctl(dev_server, "whoami", "--timeout", "1", "--json", target="127.0.0.1:%d" % listener.getsockname()[1])
    assert silent.returncode == 3
    assert _report(silent)["code"] == "DEADLINE_EXCEEDED"


def test_a_tls_failure_is_a_setup_failure_not_retryable(dev_server, tmp_path):
    # The server's own certificate is no CA: its certificate does not verify against it.
    wrong_ca = _kmsctl(dev_server, "whoami", "--json", "--ca", str(dev_server.certs / "server.pem"))
    assert wrong_ca.returncode == 4
    report = _report(wrong_ca)
    assert report["code"] == "UNAVAILABLE"
    assert "CERTIFICATE_VERIFY_FAILED" in report["cause"]

    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    unusable = _kmsctl(dev_server, "whoami", "--json", "--cert", str(not_pem))
    assert unusable.returncode == 4
    assert _report(unusable)["code"] == "LOCAL"

    missing = _kmsctl(dev_server, "whoami", "--json", dev_dir=tmp_path / "nowhere")
    assert missing.returncode == 4
    assert "cannot read the CA certificate" in _report(missing)["message"]


def test_usage_errors_keep_argument_parsers_status(dev_server):
    usage = _kmsctl(dev_server, "encrypt", "--plaintext", "x", "--json")
    assert usage.returncode == 64
    assert _report(usage) == {"code": "USAGE", "reason": None, "message": "Missing expected argument '--key-id <key-id>'", "request_id": None}
    human = _kmsctl(dev_server, "encrypt", "--plaintext", "x")
    assert human.returncode == 64
    assert human.stderr.startswith(b"Error: Missing expected argument '--key-id <key-id>'")
    assert _kmsctl(dev_server, "whoami", "--timeout", "0", "--json").returncode == 64


def test_a_local_failure_is_one_object_too(dev_server, tmp_path):
    failed = _kmsctl(dev_server, "decrypt", "--in", str(tmp_path / "absent.bin"), "--json")
    assert failed.returncode == 1
    report = _report(failed)
    assert report["code"] == "LOCAL" and "absent.bin" in report["message"]


def test_success_exits_zero_and_leaves_stderr_empty(dev_server):
    ok = _kmsctl(dev_server, "whoami", "--json")
    assert ok.returncode == 0
    assert ok.stderr == b""
    assert json.loads(ok.stdout)["principal"] == ADMIN


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_generated(shell):
    script = subprocess.run([str(BIN_DIR / "kmsctl"), "--generate-completion-script", shell], capture_output=True)
    assert script.returncode == 0
    assert b"batch-encrypt" in script.stdout and b"cert-key" in script.stdout
