"""Recomputes the ciphertext test vectors of docs/CIPHERTEXT.md with Python's `cryptography`
(OpenSSL's HKDF, HMAC and AES-GCM), independently of the Swift code: the inputs are read from
the page's inputs table, and every intermediate value and both blobs must equal the page's.
The Swift tests (CiphertextTestVectorTests) check the same hex strings against the sealer."""
import pathlib
import re
import struct

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DOC = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "CIPHERTEXT.md").read_text()


def section(title):
    """The text of the `### title` section, up to the next heading of any level."""
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^#)", DOC, re.S | re.M)
    assert match, f"docs/CIPHERTEXT.md has no section {title!r}"
    return match.group(1)


def table_value(text, row):
    """The last backquoted value of the table row whose first cell is `row`, perhaps followed
    by its length as "(N bytes)" (the key id's row gives the UUID, then its 16 bytes)."""
    match = re.search(rf"^\| {re.escape(row)}( \(\d+ bytes\))? \|(.*)\|$", text, re.M)
    assert match, f"no table row {row!r}"
    return re.findall(r"`([^`]*)`", match.group(2))[-1]


def one_string(text):
    """The hex in the code block after "As one string:"."""
    match = re.search(r"As one string:\n\n```\n([0-9a-f]+)\n```", text)
    assert match, "no 'As one string' block"
    return bytes.fromhex(match.group(1))


INPUTS = DOC[DOC.index("## Test vectors"):]
MATERIAL = bytes.fromhex(table_value(INPUTS, "key material"))
KEY_ID = bytes.fromhex(table_value(INPUTS, "key id"))
VERSION = bytes.fromhex(table_value(INPUTS, "key version").split("=")[-1].strip())
SALT = bytes.fromhex(table_value(INPUTS, "salt"))
NONCE = bytes.fromhex(table_value(INPUTS, "nonce"))
PLAINTEXT = bytes.fromhex(table_value(INPUTS, "plaintext"))
CONTEXT = {"tenant": "acme", "purpose": "test-vector"}


def context_encoding(pairs):
    """The canonical encoding of an encryption context (docs/CIPHERTEXT.md)."""
    encoded = struct.pack(">H", len(pairs))
    for key in sorted(pairs, key=lambda k: k.encode()):
        for field in (key.encode(), pairs[key].encode()):
            encoded += struct.pack(">H", len(field)) + field
    return encoded


def seal(format_byte, message_key, header):
    """header ‖ AES-256-GCM(message key, nonce, plaintext, AAD = header ‖ context)."""
    return header + AESGCM(message_key).encrypt(NONCE, PLAINTEXT, header + context_encoding(CONTEXT))


def test_inputs_are_read_from_the_page():
    assert len(MATERIAL) == 32 and len(KEY_ID) == 16 and len(VERSION) == 4
    assert int.from_bytes(VERSION, "big") == 258
    assert len(SALT) == 32 and len(NONCE) == 12
    assert PLAINTEXT == b"swift-kms test vector plaintext"


def test_context_encoding_matches_the_page():
    text = section("Format 1")
    assert context_encoding(CONTEXT).hex() == table_value(text, "context encoding")


def test_format_1_vector():
    text = section("Format 1")
    key_header = b"\x01" + KEY_ID + VERSION
    info = b"swift-kms/v1/encrypt" + key_header
    assert info.hex() == table_value(text, "HKDF info")
    message_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=info).derive(MATERIAL)
    assert message_key.hex() == table_value(text, "message key")
    assert seal(1, message_key, key_header + SALT + NONCE) == one_string(text)


def test_format_2_vector_is_one_counter_mode_hmac_block():
    text = section("Format 2")
    context = b"\x02" + KEY_ID + VERSION + SALT
    kdf_input = struct.pack(">I", 1) + b"swift-kms/v2/encrypt" + b"\x00" + context + struct.pack(">I", 256)
    assert len(kdf_input) == 82
    assert kdf_input.hex() == table_value(text, "KDF input")
    prf = hmac.HMAC(MATERIAL, hashes.SHA256())
    prf.update(kdf_input)
    message_key = prf.finalize()
    assert message_key.hex() == table_value(text, "message key")
    blob = seal(2, message_key, context + NONCE)
    assert blob == one_string(text)
    assert len(blob) == len(PLAINTEXT) + 81


def test_the_two_formats_differ_only_after_the_first_byte_in_their_sealed_part():
    one, two = one_string(section("Format 1")), one_string(section("Format 2"))
    assert one[0] == 1 and two[0] == 2
    assert one[1:65] == two[1:65]
    assert one[65:] != two[65:]
