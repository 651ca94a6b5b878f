"""`kmsctl audit verify` over several nodes' audit directories (docs/AUDIT.md, "Several
nodes"): each directory is its own chain, checked on its own and reported on its own line;
the exit status is non-zero when any chain is broken. One directory, or archived files
followed by the live directory, still give the single-chain output. The chains are written
here, independently of kmsd, following the documented line format."""
import hashlib
import json
import subprocess
import uuid

from conftest import BIN_DIR

GENESIS_HASH = "0" * 64


def _write_chain(directory, node, count, first_seq=1, previous_hash=GENESIS_HASH, per_file=None):
    """Writes records `first_seq`… of `node` into audit-<seq>.jsonl files of `directory`
    (`per_file` records per file, default all in one); returns the last record's hash."""
    directory.mkdir(parents=True, exist_ok=True)
    per_file = per_file or count
    handle = None
    for index in range(count):
        seq = first_seq + index
        if index % per_file == 0:
            if handle:
                handle.close()
            handle = open(directory / f"audit-{seq:020d}.jsonl", "wb")
        record = {
            "seq": seq,
            "time": f"2026-11-29T14:{index // 60 % 60:02d}:{index % 60:02d}.000000Z",
            "request_id": str(uuid.uuid4()),
            "node": node,
            "principal": "spiffe://swift-kms.dev/admin",
            "action": "kms:Encrypt",
            "outcome": "allowed",
            "prev_hash": previous_hash,
        }
        body = json.dumps(record, separators=(",", ":")).encode()
        previous_hash = hashlib.sha256(body).hexdigest()
        handle.write(body[:-1] + f',"hash":"{previous_hash}"}}\n'.encode())
    handle.close()
    return previous_hash


def _verify(*args):
    return subprocess.run([str(BIN_DIR / "kmsctl"), "audit", "verify", *map(str, args)], capture_output=True, timeout=60)


def _tamper(path, line_number):
    lines = path.read_bytes().split(b"\n")
    lines[line_number - 1] = lines[line_number - 1].replace(b'"outcome":"allowed"', b'"outcome":"denied"')
    path.write_bytes(b"\n".join(lines))


def test_one_directory_keeps_the_single_chain_output(tmp_path):
    head = _write_chain(tmp_path / "node-a", "node-a", 5)
    result = _verify(tmp_path / "node-a")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == f"OK: 5 records in 1 files; chain head sequence 5 hash {head}\n"

    _tamper(tmp_path / "node-a" / "audit-00000000000000000001.jsonl", 3)
    result = _verify(tmp_path / "node-a")
    assert result.returncode == 1
    assert result.stdout == b""
    path = tmp_path / "node-a" / "audit-00000000000000000001.jsonl"
    assert result.stderr.decode() == f"{path}:3: the record was changed: its hash does not match its content\n"


def test_each_node_directory_is_verified_separately(tmp_path):
    node_a, node_b, node_c = (tmp_path / name for name in ("node-a", "node-b", "node-c"))
    head_a = _write_chain(node_a, "node-a", 4)
    _write_chain(node_b, "node-b", 6, per_file=3)
    head_c = _write_chain(node_c, "node-c", 2)

    result = _verify(node_a, node_b, node_c)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0] == f"{node_a}: OK: 4 records in 1 files; chain head sequence 4 hash {head_a}"
    assert lines[1].startswith(f"{node_b}: OK: 6 records in 2 files; chain head sequence 6 hash ")
    assert lines[2] == f"{node_c}: OK: 2 records in 1 files; chain head sequence 2 hash {head_c}"
    assert result.stderr == b""

    tampered = node_b / "audit-00000000000000000004.jsonl"
    _tamper(tampered, 2)
    result = _verify(node_a, node_b, node_c)
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == [lines[0], lines[2]], "the intact chains are still reported"
    assert result.stderr.decode().splitlines() == [
        f"{node_b}: BROKEN: {tampered}:2: the record was changed: its hash does not match its content",
        f"kmsctl: 1 of 3 chains did not verify: {node_b}",
    ]

    report = json.loads(_verify("--json", node_a, node_b, node_c).stdout)
    assert report["intact"] is False
    assert [chain["chain"] for chain in report["chains"]] == [str(node_a), str(node_b), str(node_c)]
    assert [chain["intact"] for chain in report["chains"]] == [True, False, True]
    assert report["chains"][0]["head_hash"] == head_a and report["chains"][0]["records"] == 4
    assert report["chains"][1]["path"] == str(tampered) and report["chains"][1]["line"] == 2


def test_a_directory_without_audit_files_fails_without_hiding_the_others(tmp_path):
    _write_chain(tmp_path / "node-a", "node-a", 3)
    (tmp_path / "node-b").mkdir()
    result = _verify(tmp_path / "node-a", tmp_path / "node-b")
    assert result.returncode == 1
    assert result.stdout.decode().startswith(f"{tmp_path / 'node-a'}: OK: 3 records")
    assert f"{tmp_path / 'node-b'}: ERROR: no audit files (audit-*.jsonl) in '{tmp_path / 'node-b'}'" in result.stderr.decode()


def test_archived_files_before_a_directory_belong_to_its_chain(tmp_path):
    archive, live = tmp_path / "archive", tmp_path / "live"
    hash_3 = _write_chain(archive, "node-a", 3)
    head = _write_chain(live, "node-a", 4, first_seq=4, previous_hash=hash_3)
    archived = archive / "audit-00000000000000000001.jsonl"
    result = _verify(archived, live)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == f"OK: 7 records in 2 files; chain head sequence 7 hash {head}\n"

    # Another node's archive in front of this node's directory does not link.
    _write_chain(tmp_path / "other", "node-b", 3)
    result = _verify(tmp_path / "other" / "audit-00000000000000000001.jsonl", live)
    assert result.returncode == 1
    assert "prev_hash does not match" in result.stderr.decode()
