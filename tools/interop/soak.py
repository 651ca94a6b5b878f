"""The soak test (issue 16; docs/TESTING.md, "Soak"): a `kmsd dev` server under a mix of every
kms.v1 RPC from several client threads and two principals, SIGKILLed and started again on the
same directory and port every --kill-every seconds, then checked:

- every acknowledged ciphertext decrypts to what it holds: keys the run disabled (or whose
  deletion it scheduled and cancelled, or whose versions it disabled) are enabled again
  first; keys it left pending deletion are exempt;
- every key whose CreateKey was acknowledged is listed, in the state the run left it in;
- `kmsctl audit verify --verification-key` accepts the audit log, and the log holds exactly
  one outcome record (not counting `intent` records) for each answered call, found by the
  call's `x-request-id` (and, for batch items, `batch_index`), with the call's action,
  principal, outcome, reason and key;
- no call got INTERNAL or UNKNOWN from the server, and no failure other than the expected
  ones (the server down, a key disabled or pending deletion, a race between threads);
- every RPC of the service was acknowledged at least once;
- kmsd's RSS (VmRSS, sampled per process lifetime) grew less than --rss-limit from the end
  of the warm-up to the end of the longest lifetime: reported, enforced with --enforce-rss.

Run by tools/soak.sh; exits 1 when an invariant fails and keeps the run's directory then."""
import argparse
import collections
import dataclasses
import hashlib
import json
import math
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

import grpc
from cryptography.hazmat.primitives import serialization
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from conftest import BIN_DIR, REPO, RestartableDevServer, _free_port, generate_stubs, mint_dev_client_credentials

ADMIN = "spiffe://swift-kms.dev/admin"
# The second principal: a grantee, and named by some key policies.
APP = "spiffe://swift-kms.dev/soak/app"
# Fast reconnection after a restart (the default backoff grows to minutes).
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]
BATCH_RPCS = {"BatchEncrypt", "BatchDecrypt", "BatchGenerateDataKey"}
# Failures the run provokes or races into (docs/ERRORS.md); any other fails the run. Also
# checked: ACCESS_DENIED only for the app principal, KEY_NOT_FOUND only for a key named by an
# alias (that another thread deleted), and the STATE_REASONS only on keys the run disabled or
# scheduled for deletion (by the key id of the call's audit record).
STATE_REASONS = {"KEY_DISABLED", "KEY_PENDING_DELETION", "KEY_VERSION_DISABLED"}
EXPECTED_REASONS = STATE_REASONS | {"INVALID_STATE", "ACCESS_DENIED", "GRANT_NOT_FOUND", "ALIAS_NOT_FOUND", "KEY_NOT_FOUND"}
# Codes of a call the server did not answer (no x-request-id): it was down or being killed.
UNANSWERED_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}
SERVER_BUG_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}
SIGNING_ALGORITHMS = {
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ED25519": ["ED25519"],
    "RSA_2048": [f"RSASSA_{padding}_SHA_{bits}" for padding in ("PSS", "PKCS1_V1_5") for bits in (256, 384, 512)],
}
MAC_ALGORITHMS = {"HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384", "HMAC_512": "HMAC_SHA_512"}
RSA_ENCRYPTION = {"RSAES_OAEP_SHA_256": 190, "RSAES_OAEP_SHA_1": 214}  # largest plaintext for RSA 2048
DATA_KEY_PAIR_SPECS = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ED25519", "RSA_2048"]
# (spec, usage, pool, weight) of the keys CreateKey makes during the run.
CREATED_KINDS = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "symmetric", 6),
    ("RSA_2048", "ENCRYPT_DECRYPT", "rsa", 1),
    ("ECC_NIST_P256", "SIGN_VERIFY", "sign", 1),
    ("ED25519", "SIGN_VERIFY", "sign", 1),
    ("RSA_2048", "SIGN_VERIFY", "sign", 1),
    ("HMAC_256", "GENERATE_VERIFY_MAC", "mac", 1),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "mac", 1),
]
# The keys made before the load starts: every kind at least once.
INITIAL_KEYS = [
    *[("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "symmetric")] * 4,
    ("RSA_2048", "ENCRYPT_DECRYPT", "rsa"), ("RSA_3072", "ENCRYPT_DECRYPT", "rsa"),
    ("ECC_NIST_P256", "SIGN_VERIFY", "sign"), ("ECC_NIST_P384", "SIGN_VERIFY", "sign"),
    ("ECC_NIST_P521", "SIGN_VERIFY", "sign"), ("ED25519", "SIGN_VERIFY", "sign"), ("RSA_2048", "SIGN_VERIFY", "sign"),
    ("HMAC_256", "GENERATE_VERIFY_MAC", "mac"), ("HMAC_384", "GENERATE_VERIFY_MAC", "mac"), ("HMAC_512", "GENERATE_VERIFY_MAC", "mac"),
]
# Symmetric keys that lifecycle scenarios disable, schedule for deletion and cancel, and
# whose versions they disable; all enabled again before the final check.
LIFECYCLE_KEYS = 3
MAX_ALIASES = 20
TAG_KEYS = ["team", "env", *[f"n{number}" for number in range(8)]]
# Samples compared at each end of the RSS measurement (their median).
RSS_WINDOW = 3


def _metadata_value(metadata, name):
    """The value of `name` in gRPC metadata (None when absent)."""
    for key, value in metadata or ():
        if key == name:
            return value
    return None


def _status_reason(status):
    """The ErrorInfo reason of a google.rpc.Status (None when it has none)."""
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return None


def _unexpected(principal, reason, aliased):
    """Why a failure kmsd answered with `reason` is not one the run provokes ("" when it is)."""
    if reason not in EXPECTED_REASONS:
        return "not a failure the run provokes"
    if reason == "ACCESS_DENIED" and principal == ADMIN:
        return "the server policy allows the admin everything"
    if reason == "KEY_NOT_FOUND" and not aliased:
        return "every key the run names exists"
    return ""


def _outcome(reason):
    """The audit outcome of a call that ended with `reason` (None: it succeeded)."""
    return "allowed" if reason is None else "denied" if reason == "ACCESS_DENIED" else "failed"


@dataclasses.dataclass(frozen=True)
class Expectation:
    """The outcome record an answered call (or batch item) must have left in the audit log."""
    request_id: str
    batch_index: int | None
    action: str
    principal: str
    outcome: str
    reason: str | None
    key_id: str | None  # checked only when known

    def mismatches(self, record):
        """The fields of `record` that differ from this expectation, as text ("" if none)."""
        wanted = {"action": self.action, "principal": self.principal, "outcome": self.outcome, "reason": self.reason}
        if self.key_id is not None:
            wanted["key_id"] = self.key_id
        return ", ".join(f"{name} {record.get(name)!r} (expected {value!r})" for name, value in wanted.items() if record.get(name) != value)


@dataclasses.dataclass(frozen=True)
class Ciphertext:
    """An acknowledged ciphertext and what decrypting it must give: its plaintext when the
    call returned it, else its length (GenerateDataKeyWithoutPlaintext) or the public key its
    private key belongs to (GenerateDataKeyPairWithoutPlaintext)."""
    key_id: str
    blob: bytes
    context: dict
    algorithm: str = "SYMMETRIC_DEFAULT"
    plaintext: bytes | None = None
    length: int | None = None
    public_key: bytes | None = None

    def decrypt_request(self, pb, name_key=True):
        """The DecryptRequest for it; RSA ciphertexts always name their key."""
        key_id = self.key_id if name_key or self.algorithm != "SYMMETRIC_DEFAULT" else ""
        return pb.DecryptRequest(ciphertext_blob=self.blob, encryption_context=self.context, key_id=key_id,
                                 encryption_algorithm=getattr(pb, f"ENCRYPTION_ALGORITHM_{self.algorithm}"))

    def holds(self, plaintext):
        """Whether `plaintext` is what this ciphertext was made from."""
        if self.plaintext is not None:
            return plaintext == self.plaintext
        if self.public_key is not None:
            public = serialization.load_der_private_key(plaintext, password=None).public_key()
            return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == self.public_key
        return len(plaintext) == self.length


class Ledger:
    """Everything the run did and saw, shared by the threads: calls, acknowledgements and
    failures per RPC, the audit record each answered call must have left, the acknowledged
    ciphertexts, and the problems (failed invariants) found so far."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = collections.Counter()
        self.acknowledged = collections.Counter()
        self.failures = collections.Counter()  # (rpc, code, reason)
        self.expectations = []
        self.ciphertexts = []
        self.problems = []
        self.server_errors = []

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def add_ciphertext(self, ciphertext):
        with self.lock:
            self.ciphertexts.append(ciphertext)

    def random_ciphertext(self, rng):
        with self.lock:
            return rng.choice(self.ciphertexts) if self.ciphertexts else None

    def count_call(self, rpc):
        with self.lock:
            self.calls[rpc] += 1

    def succeeded(self, rpc, principal, request_id, response, key_id):
        """Accounts for an acknowledged call; a batch call's items are accounted one by one."""
        if request_id is None:
            self.problem(f"{rpc}: acknowledged without an x-request-id")
            return
        with self.lock:
            self.acknowledged[rpc] += 1
            if rpc not in BATCH_RPCS:
                self.expectations.append(Expectation(request_id, None, f"kms:{rpc}", principal, "allowed", None, key_id))
        if rpc in BATCH_RPCS:
            for index, result in enumerate(response.results):
                self._batch_item(rpc, principal, request_id, index, result)

    def _batch_item(self, rpc, principal, request_id, index, result):
        """Accounts for one item of an acknowledged batch call, as the single call would be."""
        item_rpc = rpc.removeprefix("Batch")
        if result.WhichOneof("result") == "response":
            with self.lock:
                self.expectations.append(Expectation(request_id, index, f"kms:{item_rpc}", principal, "allowed", None, result.response.key_id))
            return
        code = CODE_BY_NUMBER.get(result.error.code, grpc.StatusCode.UNKNOWN)
        self._failed(f"{rpc} item", principal, request_id, index, f"kms:{item_rpc}", code, _status_reason(result.error), result.error.message)

    def failed(self, rpc, principal, error, aliased):
        """Accounts for a failed call, answered by the server (it has an x-request-id) or not;
        `aliased` tells whether the call named its key by an alias."""
        request_id = _metadata_value(error.trailing_metadata(), "x-request-id")
        reason = _status_reason(rpc_status.from_call(error))
        self._failed(rpc, principal, request_id, None, f"kms:{rpc}", error.code(), reason, error.details(), aliased)

    def _failed(self, rpc, principal, request_id, batch_index, action, code, reason, details, aliased=False):
        """Counts a failure, expects its audit record when kmsd answered, and notes it as a
        problem unless it is one the run provokes."""
        with self.lock:
            self.failures[(rpc, code.name, reason)] += 1
            if request_id is not None:
                self.expectations.append(Expectation(request_id, batch_index, action, principal, _outcome(reason), reason, None))
        answered = request_id is not None
        if code in SERVER_BUG_CODES and answered:
            with self.lock:
                self.server_errors.append(f"{rpc}: {code.name} {reason} {details!r} (request {request_id})")
        elif answered and (why := _unexpected(principal, reason, aliased)):
            self.problem(f"{rpc} by {principal}: unexpected {code.name} {reason} {details!r} (request {request_id}): {why}")
        elif not answered and code not in UNANSWERED_CODES:
            self.problem(f"{rpc} by {principal}: unexpected {code.name} without an answer from kmsd {details!r}")


class Caller:
    """One principal's connection to kmsd: makes calls and accounts for each in the ledger."""

    def __init__(self, server, credentials, principal, ledger, stubs, timeout):
        self.channel = grpc.secure_channel(server.target, credentials, options=CHANNEL_OPTIONS)
        self.stub = stubs["kms_grpc"].KeyManagementServiceStub(self.channel)
        self.principal = principal
        self.ledger = ledger
        self.timeout = timeout
        # Set when kmsd did not answer a call (it was down); the worker clears it.
        self.missed = False

    def call(self, rpc, request, key_id=None):
        """Makes one call. Returns its response, or None when it failed. `key_id` is the key
        the call's audit record must name (None: not checked)."""
        self.ledger.count_call(rpc)
        try:
            response, call = getattr(self.stub, rpc).with_call(request, timeout=self.timeout)
        except grpc.RpcError as error:
            self.missed |= _metadata_value(error.trailing_metadata(), "x-request-id") is None
            self.ledger.failed(rpc, self.principal, error, getattr(request, "key_id", "").startswith("alias/"))
            return None
        self.ledger.succeeded(rpc, self.principal, _metadata_value(call.initial_metadata(), "x-request-id"), response, key_id)
        return response

    def pages(self, rpc, request, items, max_pages):
        """Follows next_page_token for up to `max_pages` pages; returns the items of the
        pages it got (stops at the first failure)."""
        found = []
        for _ in range(max_pages):
            response = self.call(rpc, request)
            if response is None:
                break
            found += getattr(response, items)
            if not response.next_page_token:
                break
            request.page_token = response.next_page_token
        return found

    def close(self):
        self.channel.close()


@dataclasses.dataclass(frozen=True)
class Key:
    """A key the run made: its id, its spec (KEY_SPEC_ without the prefix) and its pool."""
    key_id: str
    spec: str
    pool: str


class KeyPool:
    """The keys the run made, by pool ("symmetric", "rsa", "sign", "mac"), and what it did
    to them: the lifecycle keys (symmetric keys it disables and enables again), the key
    versions it disabled, the keys it scheduled for deletion and left so ("doomed"), its
    aliases and the grants it keeps."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pools = collections.defaultdict(list)
        self.lifecycle = []
        self.disabled_versions = set()
        self.doomed = {}  # key id -> whether its ScheduleKeyDeletion was acknowledged
        self.aliases = {}  # alias name -> target key id
        self.grants = []  # (key id, grant id, grant token)

    def add(self, key, lifecycle=False):
        with self.lock:
            self.pools[key.pool].append(key)
            if lifecycle:
                self.lifecycle.append(key)

    def pick(self, pool, rng):
        with self.lock:
            return rng.choice(self.pools[pool])

    def pick_lifecycle(self, rng):
        with self.lock:
            return rng.choice(self.lifecycle)

    def all_keys(self):
        with self.lock:
            return [key for keys in self.pools.values() for key in keys]

    def note_disabled_version(self, key_id, version):
        with self.lock:
            self.disabled_versions.add((key_id, version))

    def doom(self, key_id, acknowledged):
        with self.lock:
            self.doomed[key_id] = acknowledged or self.doomed.get(key_id, False)

    def add_alias(self, name, key_id):
        with self.lock:
            self.aliases[name] = key_id

    def random_alias(self, rng):
        with self.lock:
            return rng.choice(sorted(self.aliases)) if self.aliases else None

    def alias_count(self):
        with self.lock:
            return len(self.aliases)

    def remove_alias(self, name):
        with self.lock:
            self.aliases.pop(name, None)

    def keep_grant(self, grant):
        with self.lock:
            self.grants.append(grant)

    def take_grant(self, rng):
        with self.lock:
            return self.grants.pop(rng.randrange(len(self.grants))) if self.grants else None


def key_policy(variant, marker):
    """A key policy that keeps the dev admin in charge (with a fresh Sid, so every put is a
    change); "app" also lets the app principal use the key under the context tenant=soak,
    "app-deny" on top of that denies it Decrypt (which beats its grants too)."""
    statements = [{"Sid": f"Admin{marker}", "Effect": "Allow", "Principal": ADMIN, "Action": "kms:*", "Resource": "*"}]
    if variant in ("app", "app-deny"):
        statements.append({"Sid": "AppTenantSoak", "Effect": "Allow", "Principal": APP,
                           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                           "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "soak"}}})
    if variant == "app-deny":
        statements.append({"Sid": "NoAppDecrypt", "Effect": "Deny", "Principal": APP, "Action": "kms:Decrypt", "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class Worker(threading.Thread):
    """A client thread: until told to stop, runs operations picked at random by weight, each
    a few calls as the admin or the app principal, over connections of its own."""

    def __init__(self, number, server, credentials, ledger, pool, stubs, timeout, stop):
        super().__init__(name=f"worker-{number}", daemon=True)
        self.admin = Caller(server, credentials[ADMIN], ADMIN, ledger, stubs, timeout)
        self.app = Caller(server, credentials[APP], APP, ledger, stubs, timeout)
        self.ledger, self.pool, self.pb, self.stop = ledger, pool, stubs["kms"], stop
        self.rng = random.Random()
        self.script_errors = []
        # Keys are made rarely (CreateKey, doom_key): kmsd's key cache keeps every key it
        # has seen, up to 10,000, so each new key adds to its RSS; at these weights a run
        # makes about 100 keys in 10 minutes and the working set stays steady. Grants are
        # retired (retire_kept_grant) faster than grant_scenario keeps them.
        self.operations = [
            (self.encrypt, 10), (self.encrypt_rsa, 2), (self.decrypt, 8), (self.re_encrypt, 3),
            (self.generate_data_key, 4), (self.generate_data_key_without_plaintext, 2),
            (self.generate_data_key_pair, 1), (self.generate_random, 1), (self.sign_and_verify, 3),
            (self.get_public_key, 1), (self.mac, 3), (self.batch_encrypt, 1), (self.batch_decrypt, 1),
            (self.batch_generate_data_key, 1), (self.create_key, 0.05), (self.describe_key, 1), (self.list_keys, 0.5),
            (self.caller_identity, 0.5), (self.key_policy, 1), (self.description, 0.5), (self.tags, 1),
            (self.aliases, 1), (self.rotation, 1), (self.key_versions, 0.5), (self.disable_and_enable, 1),
            (self.schedule_and_cancel, 0.5), (self.doom_key, 0.02), (self.grant_scenario, 2), (self.retire_kept_grant, 0.5),
            (self.list_grants, 0.5), (self.app_direct, 1), (self.explain_access, 0.5), (self.list_audit_events, 0.3),
        ]

    def run(self):
        """Runs operations until told to stop; a script error is kept and the loop goes on."""
        functions, weights = zip(*self.operations)
        try:
            while not self.stop.is_set():
                operation = self.rng.choices(functions, weights)[0]
                self.admin.missed = self.app.missed = False
                try:
                    operation()
                except Exception:  # a bug of this script: fails the run; the others go on
                    if len(self.script_errors) < 5:
                        self.script_errors.append(traceback.format_exc())
                if self.admin.missed or self.app.missed:
                    time.sleep(0.2)  # kmsd is down: do not spin
        finally:
            self.admin.close()
            self.app.close()

    def context(self):
        """An encryption context: none, or a few pairs with tenant=soak."""
        if self.rng.random() < 0.2:
            return {}
        return {"tenant": "soak", "n": str(self.rng.randrange(1000)), "thread": self.name}

    def plaintext(self, largest=4096):
        """Random bytes, short or up to `largest`."""
        return os.urandom(self.rng.randint(1, self.rng.choice([64, largest])))

    def decrypted(self, ciphertext, plaintext):
        """Checks a plaintext a call returned for `ciphertext`."""
        if not ciphertext.holds(plaintext):
            self.ledger.problem(f"a ciphertext of key {ciphertext.key_id} decrypted to something else")

    # --- Encryption and data keys -----------------------------------------------------------

    def encrypt_with(self, caller, key_name, context, key_id):
        """Encrypt of a random plaintext under `key_name` (a key id or an alias), whose audit
        record must name `key_id`. Returns the acknowledged Ciphertext (recorded), or None."""
        plaintext = self.plaintext()
        request = self.pb.EncryptRequest(key_id=key_name, plaintext=plaintext, encryption_context=context)
        response = caller.call("Encrypt", request, key_id=key_id)
        if response is None:
            return None
        ciphertext = Ciphertext(response.key_id, response.ciphertext_blob, context, plaintext=plaintext)
        self.ledger.add_ciphertext(ciphertext)
        return ciphertext

    def encrypt(self):
        """Encrypt under a symmetric key, named by id or sometimes by an alias."""
        key = self.pool.pick("symmetric", self.rng)
        alias = self.pool.random_alias(self.rng) if self.rng.random() < 0.2 else None
        self.encrypt_with(self.admin, alias or key.key_id, self.context(), None if alias else key.key_id)

    def encrypt_rsa(self):
        """RSA-OAEP (SHA-256 or SHA-1) Encrypt under an RSA ENCRYPT_DECRYPT key."""
        key = self.pool.pick("rsa", self.rng)
        algorithm, largest = self.rng.choice(sorted(RSA_ENCRYPTION.items()))
        plaintext = os.urandom(self.rng.randint(1, largest))
        request = self.pb.EncryptRequest(key_id=key.key_id, plaintext=plaintext,
                                         encryption_algorithm=getattr(self.pb, f"ENCRYPTION_ALGORITHM_{algorithm}"))
        response = self.admin.call("Encrypt", request, key_id=key.key_id)
        if response is not None:
            self.ledger.add_ciphertext(Ciphertext(key.key_id, response.ciphertext_blob, {}, algorithm, plaintext=plaintext))

    def decrypt(self):
        """Decrypt of an acknowledged ciphertext, naming its key or (symmetric) not."""
        ciphertext = self.ledger.random_ciphertext(self.rng)
        if ciphertext is None:
            return
        response = self.admin.call("Decrypt", ciphertext.decrypt_request(self.pb, self.rng.random() < 0.5), key_id=ciphertext.key_id)
        if response is not None:
            self.decrypted(ciphertext, response.plaintext)

    def re_encrypt(self):
        """ReEncrypt an acknowledged ciphertext under a symmetric key and a new context."""
        source = self.ledger.random_ciphertext(self.rng)
        if source is None:
            return
        destination, context = self.pool.pick("symmetric", self.rng), self.context()
        request = self.pb.ReEncryptRequest(
            ciphertext_blob=source.blob, source_encryption_context=source.context,
            source_key_id=source.key_id if source.algorithm != "SYMMETRIC_DEFAULT" else "",
            source_encryption_algorithm=getattr(self.pb, f"ENCRYPTION_ALGORITHM_{source.algorithm}"),
            destination_key_id=destination.key_id, destination_encryption_context=context)
        response = self.admin.call("ReEncrypt", request, key_id=source.key_id)
        if response is not None:
            self.ledger.add_ciphertext(dataclasses.replace(
                source, key_id=response.key_id, blob=response.ciphertext_blob, context=context, algorithm="SYMMETRIC_DEFAULT"))

    def data_key_request(self, message, key):
        """A GenerateDataKey[WithoutPlaintext]Request for `key`, by spec or by length, and its context."""
        context = self.context()
        if self.rng.random() < 0.5:
            spec = self.rng.choice([self.pb.DATA_KEY_SPEC_AES_256, self.pb.DATA_KEY_SPEC_AES_128])
            return getattr(self.pb, message)(key_id=key.key_id, key_spec=spec, encryption_context=context), context
        return getattr(self.pb, message)(key_id=key.key_id, number_of_bytes=self.rng.randint(1, 1024), encryption_context=context), context

    def generate_data_key(self):
        """GenerateDataKey; the returned plaintext is what its blob must decrypt to."""
        key = self.pool.pick("symmetric", self.rng)
        request, context = self.data_key_request("GenerateDataKeyRequest", key)
        response = self.admin.call("GenerateDataKey", request, key_id=key.key_id)
        if response is not None:
            self.ledger.add_ciphertext(Ciphertext(key.key_id, response.ciphertext_blob, context, plaintext=response.plaintext))

    def generate_data_key_without_plaintext(self):
        """GenerateDataKeyWithoutPlaintext; its blob must decrypt to a key of the length asked."""
        key = self.pool.pick("symmetric", self.rng)
        request, context = self.data_key_request("GenerateDataKeyWithoutPlaintextRequest", key)
        length = request.number_of_bytes or (32 if request.key_spec == self.pb.DATA_KEY_SPEC_AES_256 else 16)
        response = self.admin.call("GenerateDataKeyWithoutPlaintext", request, key_id=key.key_id)
        if response is not None:
            self.ledger.add_ciphertext(Ciphertext(key.key_id, response.ciphertext_blob, context, length=length))

    def generate_data_key_pair(self):
        """GenerateDataKeyPair or its WithoutPlaintext form, of a random pair spec."""
        key, context = self.pool.pick("symmetric", self.rng), self.context()
        spec = getattr(self.pb, f"DATA_KEY_PAIR_SPEC_{self.rng.choice(DATA_KEY_PAIR_SPECS)}")
        if self.rng.random() < 0.5:
            request = self.pb.GenerateDataKeyPairRequest(key_id=key.key_id, key_pair_spec=spec, encryption_context=context)
            response = self.admin.call("GenerateDataKeyPair", request, key_id=key.key_id)
            if response is not None:
                self.ledger.add_ciphertext(Ciphertext(key.key_id, response.private_key_ciphertext_blob, context, plaintext=response.private_key_plaintext))
        else:
            request = self.pb.GenerateDataKeyPairWithoutPlaintextRequest(key_id=key.key_id, key_pair_spec=spec, encryption_context=context)
            response = self.admin.call("GenerateDataKeyPairWithoutPlaintext", request, key_id=key.key_id)
            if response is not None:
                self.ledger.add_ciphertext(Ciphertext(key.key_id, response.private_key_ciphertext_blob, context, public_key=response.public_key))

    def generate_random(self):
        """GenerateRandom, which must return the number of bytes asked."""
        length = self.rng.randint(1, 1024)
        response = self.admin.call("GenerateRandom", self.pb.GenerateRandomRequest(number_of_bytes=length))
        if response is not None and len(response.plaintext) != length:
            self.ledger.problem(f"GenerateRandom gave {len(response.plaintext)} bytes, not {length}")

    # --- Batches ----------------------------------------------------------------------------

    def batch_encrypt(self):
        """BatchEncrypt of up to 20 items; each acknowledged item's ciphertext is recorded."""
        items = []
        for _ in range(self.rng.randint(1, 20)):
            key, plaintext, context = self.pool.pick("symmetric", self.rng), self.plaintext(256), self.context()
            items.append((self.pb.EncryptRequest(key_id=key.key_id, plaintext=plaintext, encryption_context=context), plaintext, context))
        response = self.admin.call("BatchEncrypt", self.pb.BatchEncryptRequest(requests=[item[0] for item in items]))
        for (_, plaintext, context), result in zip(items, response.results if response else ()):
            if result.WhichOneof("result") == "response":
                self.ledger.add_ciphertext(Ciphertext(result.response.key_id, result.response.ciphertext_blob, context, plaintext=plaintext))

    def batch_decrypt(self):
        """BatchDecrypt of up to 20 acknowledged ciphertexts; each decrypted item is checked."""
        ciphertexts = [self.ledger.random_ciphertext(self.rng) for _ in range(self.rng.randint(1, 20))]
        ciphertexts = [ciphertext for ciphertext in ciphertexts if ciphertext is not None]
        if not ciphertexts:
            return
        request = self.pb.BatchDecryptRequest(requests=[ciphertext.decrypt_request(self.pb) for ciphertext in ciphertexts])
        response = self.admin.call("BatchDecrypt", request)
        for ciphertext, result in zip(ciphertexts, response.results if response else ()):
            if result.WhichOneof("result") == "response":
                self.decrypted(ciphertext, result.response.plaintext)

    def batch_generate_data_key(self):
        """BatchGenerateDataKey of up to 20 items; each acknowledged item's blob is recorded."""
        items = []
        for _ in range(self.rng.randint(1, 20)):
            request, context = self.data_key_request("GenerateDataKeyRequest", self.pool.pick("symmetric", self.rng))
            items.append((request, context))
        response = self.admin.call("BatchGenerateDataKey", self.pb.BatchGenerateDataKeyRequest(requests=[item[0] for item in items]))
        for (_, context), result in zip(items, response.results if response else ()):
            if result.WhichOneof("result") == "response":
                item = result.response
                self.ledger.add_ciphertext(Ciphertext(item.key_id, item.ciphertext_blob, context, plaintext=item.plaintext))

    # --- Signing and MACs -------------------------------------------------------------------

    def sign_and_verify(self):
        """Sign a RAW message or its DIGEST, then Verify the signature, which must be valid."""
        key = self.pool.pick("sign", self.rng)
        algorithm = self.rng.choice(SIGNING_ALGORITHMS[key.spec])
        message, message_type = self.plaintext(), "RAW"
        if algorithm != "ED25519" and self.rng.random() < 0.5:
            message, message_type = hashlib.new("sha" + algorithm[-3:], message).digest(), "DIGEST"
        fields = dict(key_id=key.key_id, message=message, message_type=getattr(self.pb, f"MESSAGE_TYPE_{message_type}"),
                      signing_algorithm=getattr(self.pb, f"SIGNING_ALGORITHM_{algorithm}"))
        signed = self.admin.call("Sign", self.pb.SignRequest(**fields), key_id=key.key_id)
        if signed is None:
            return
        verified = self.admin.call("Verify", self.pb.VerifyRequest(**fields, signature=signed.signature), key_id=key.key_id)
        if verified is not None and not verified.signature_valid:
            self.ledger.problem(f"a signature of key {key.key_id} ({algorithm}, {message_type}) did not verify")

    def get_public_key(self):
        """GetPublicKey of an asymmetric key."""
        key = self.pool.pick(self.rng.choice(["sign", "rsa"]), self.rng)
        self.admin.call("GetPublicKey", self.pb.GetPublicKeyRequest(key_id=key.key_id), key_id=key.key_id)

    def mac(self):
        """GenerateMac, then VerifyMac of the tag, which must be valid."""
        key = self.pool.pick("mac", self.rng)
        fields = dict(key_id=key.key_id, message=self.plaintext(), mac_algorithm=getattr(self.pb, f"MAC_ALGORITHM_{MAC_ALGORITHMS[key.spec]}"))
        tagged = self.admin.call("GenerateMac", self.pb.GenerateMacRequest(**fields), key_id=key.key_id)
        if tagged is None:
            return
        verified = self.admin.call("VerifyMac", self.pb.VerifyMacRequest(**fields, mac=tagged.mac), key_id=key.key_id)
        if verified is not None and not verified.mac_valid:
            self.ledger.problem(f"a MAC of key {key.key_id} did not verify")

    # --- Keys, metadata, policies, tags and aliases -----------------------------------------

    def create_key(self):
        """CreateKey of a random kind (CREATED_KINDS); the key joins its pool."""
        spec, usage, pool, _ = self.rng.choices(CREATED_KINDS, [kind[3] for kind in CREATED_KINDS])[0]
        key = create_key(self.admin, self.pb, spec, usage, pool)
        if key is not None:
            self.pool.add(key)

    def describe_key(self):
        """DescribeKey of any key."""
        key = self.pool.pick(self.rng.choice(["symmetric", "rsa", "sign", "mac"]), self.rng)
        self.admin.call("DescribeKey", self.pb.DescribeKeyRequest(key_id=key.key_id), key_id=key.key_id)

    def list_keys(self):
        """ListKeys, up to three pages."""
        self.admin.pages("ListKeys", self.pb.ListKeysRequest(page_size=self.rng.choice([10, 50])), "keys", max_pages=3)

    def caller_identity(self):
        """GetCallerIdentity of both principals, each of which must be named."""
        for caller in (self.admin, self.app):
            response = caller.call("GetCallerIdentity", self.pb.GetCallerIdentityRequest())
            if response is not None and response.principal != caller.principal:
                self.ledger.problem(f"GetCallerIdentity named {response.principal!r}, not {caller.principal!r}")

    def key_policy(self):
        """PutKeyPolicy of a random variant, then GetKeyPolicy, which must be a JSON policy,
        and ListKeyPolicies, which must name the one policy "default"."""
        key = self.pool.pick("symmetric", self.rng)
        policy = key_policy(self.rng.choice(["admin", "app", "app-deny"]), uuid.uuid4().hex)
        self.admin.call("PutKeyPolicy", self.pb.PutKeyPolicyRequest(key_id=key.key_id, policy=policy), key_id=key.key_id)
        response = self.admin.call("GetKeyPolicy", self.pb.GetKeyPolicyRequest(key_id=key.key_id), key_id=key.key_id)
        if response is not None and "Statement" not in json.loads(response.policy):
            self.ledger.problem(f"GetKeyPolicy of {key.key_id} returned {response.policy!r}")
        names = self.admin.call("ListKeyPolicies", self.pb.ListKeyPoliciesRequest(key_id=key.key_id), key_id=key.key_id)
        if names is not None and list(names.policy_names) != ["default"]:
            self.ledger.problem(f"ListKeyPolicies of {key.key_id} returned {list(names.policy_names)}")

    def description(self):
        """UpdateKeyDescription."""
        key = self.pool.pick(self.rng.choice(["symmetric", "sign", "mac"]), self.rng)
        request = self.pb.UpdateKeyDescriptionRequest(key_id=key.key_id, description=f"soak {uuid.uuid4()}")
        self.admin.call("UpdateKeyDescription", request, key_id=key.key_id)

    def tags(self):
        """TagResource, ListResourceTags, UntagResource, from a small set of tag keys."""
        key = self.pool.pick(self.rng.choice(["symmetric", "sign", "mac"]), self.rng)
        tags = {tag: uuid.uuid4().hex for tag in self.rng.sample(TAG_KEYS, 2)}
        self.admin.call("TagResource", self.pb.TagResourceRequest(key_id=key.key_id, tags=tags), key_id=key.key_id)
        self.admin.call("ListResourceTags", self.pb.ListResourceTagsRequest(key_id=key.key_id), key_id=key.key_id)
        request = self.pb.UntagResourceRequest(key_id=key.key_id, tag_keys=[self.rng.choice(TAG_KEYS)])
        self.admin.call("UntagResource", request, key_id=key.key_id)

    def aliases(self):
        """CreateAlias (while there are fewer than MAX_ALIASES), UpdateAlias or DeleteAlias;
        then ListAliases, of all or of one key."""
        target = self.pool.pick("symmetric", self.rng)
        name = self.pool.random_alias(self.rng)
        if name is None or (self.pool.alias_count() < MAX_ALIASES and self.rng.random() < 0.4):
            name = f"alias/soak/{uuid.uuid4().hex}"
            if self.admin.call("CreateAlias", self.pb.CreateAliasRequest(alias_name=name, target_key_id=target.key_id), key_id=target.key_id):
                self.pool.add_alias(name, target.key_id)
        elif self.rng.random() < 0.5:
            if self.admin.call("UpdateAlias", self.pb.UpdateAliasRequest(alias_name=name, target_key_id=target.key_id)):
                self.pool.add_alias(name, target.key_id)
        else:
            self.pool.remove_alias(name)
            self.admin.call("DeleteAlias", self.pb.DeleteAliasRequest(alias_name=name))
        key_id = target.key_id if self.rng.random() < 0.5 else ""
        self.admin.pages("ListAliases", self.pb.ListAliasesRequest(key_id=key_id, page_size=5), "aliases", max_pages=3)

    # --- Rotation and lifecycle -------------------------------------------------------------

    def rotation(self):
        """One of the rotation RPCs on a symmetric key."""
        key, pb = self.pool.pick("symmetric", self.rng), self.pb
        choice = self.rng.randrange(5)
        if choice == 0:
            period = self.rng.choice([0, 90, 365, 2560])
            self.admin.call("EnableKeyRotation", pb.EnableKeyRotationRequest(key_id=key.key_id, rotation_period_in_days=period), key_id=key.key_id)
        elif choice == 1:
            self.admin.call("DisableKeyRotation", pb.DisableKeyRotationRequest(key_id=key.key_id), key_id=key.key_id)
        elif choice == 2:
            self.admin.call("GetKeyRotationStatus", pb.GetKeyRotationStatusRequest(key_id=key.key_id), key_id=key.key_id)
        elif choice == 3:
            self.admin.call("RotateKeyOnDemand", pb.RotateKeyOnDemandRequest(key_id=key.key_id), key_id=key.key_id)
        else:
            self.admin.pages("ListKeyRotations", pb.ListKeyRotationsRequest(key_id=key.key_id, page_size=5), "rotations", max_pages=3)

    def key_versions(self):
        """DisableKeyVersion of an old version of a lifecycle key, then EnableKeyVersion
        (meanwhile other threads' Decrypts of its ciphertexts may fail)."""
        key = self.pool.pick_lifecycle(self.rng)
        described = self.admin.call("DescribeKey", self.pb.DescribeKeyRequest(key_id=key.key_id), key_id=key.key_id)
        if described is None or described.key_metadata.current_key_version < 2:
            self.admin.call("RotateKeyOnDemand", self.pb.RotateKeyOnDemandRequest(key_id=key.key_id), key_id=key.key_id)
            return
        version = self.rng.randrange(1, described.key_metadata.current_key_version)
        self.pool.note_disabled_version(key.key_id, version)
        request = self.pb.DisableKeyVersionRequest(key_id=key.key_id, key_version=version)
        self.admin.call("DisableKeyVersion", request, key_id=key.key_id)
        self.admin.call("EnableKeyVersion", self.pb.EnableKeyVersionRequest(key_id=key.key_id, key_version=version), key_id=key.key_id)

    def disable_and_enable(self):
        """DisableKey of a lifecycle key, an Encrypt that may find it disabled, EnableKey."""
        key = self.pool.pick_lifecycle(self.rng)
        self.admin.call("DisableKey", self.pb.DisableKeyRequest(key_id=key.key_id), key_id=key.key_id)
        self.encrypt_with(self.admin, key.key_id, self.context(), key.key_id)
        self.admin.call("EnableKey", self.pb.EnableKeyRequest(key_id=key.key_id), key_id=key.key_id)

    def schedule_and_cancel(self):
        """ScheduleKeyDeletion of a lifecycle key, CancelKeyDeletion (the key is then
        disabled), EnableKey."""
        key = self.pool.pick_lifecycle(self.rng)
        request = self.pb.ScheduleKeyDeletionRequest(key_id=key.key_id, pending_window_in_days=self.rng.choice([0, 7, 30]))
        self.admin.call("ScheduleKeyDeletion", request, key_id=key.key_id)
        self.admin.call("CancelKeyDeletion", self.pb.CancelKeyDeletionRequest(key_id=key.key_id), key_id=key.key_id)
        self.admin.call("EnableKey", self.pb.EnableKeyRequest(key_id=key.key_id), key_id=key.key_id)

    def doom_key(self):
        """A new key, a ciphertext under it, then ScheduleKeyDeletion for good: its
        ciphertexts are exempt from the final check and it must end pending deletion."""
        key = create_key(self.admin, self.pb, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "doomed")
        if key is None:
            return
        self.pool.add(key)
        self.encrypt_with(self.admin, key.key_id, self.context(), key.key_id)
        self.pool.doom(key.key_id, acknowledged=False)
        scheduled = self.admin.call("ScheduleKeyDeletion", self.pb.ScheduleKeyDeletionRequest(key_id=key.key_id, pending_window_in_days=7), key_id=key.key_id)
        self.pool.doom(key.key_id, acknowledged=scheduled is not None)

    # --- Grants and the second principal ----------------------------------------------------

    def grant_scenario(self):
        """CreateGrant to the app principal (sometimes constrained to tenant=soak, sometimes
        named), the app's Encrypt, Decrypt and DescribeKey under it, then RetireGrant by the
        app with the token, RevokeGrant by the admin, or keep the grant for later."""
        key, pb = self.pool.pick("symmetric", self.rng), self.pb
        constraints = pb.GrantConstraints(encryption_context_subset={"tenant": "soak"}) if self.rng.random() < 0.5 else None
        request = pb.CreateGrantRequest(key_id=key.key_id, grantee_principal=APP, retiring_principal=APP, constraints=constraints,
                                        operations=["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "RetireGrant"],
                                        name=f"soak-{uuid.uuid4().hex}" if self.rng.random() < 0.5 else "")
        grant = self.admin.call("CreateGrant", request, key_id=key.key_id)
        if grant is None:
            return
        ciphertext = self.encrypt_with(self.app, key.key_id, {"tenant": "soak", "grant": grant.grant_id}, key.key_id)
        if ciphertext is not None:
            decrypted = self.app.call("Decrypt", ciphertext.decrypt_request(pb), key_id=key.key_id)
            if decrypted is not None:
                self.decrypted(ciphertext, decrypted.plaintext)
        self.app.call("DescribeKey", pb.DescribeKeyRequest(key_id=key.key_id), key_id=key.key_id)
        self.end_grant((key.key_id, grant.grant_id, grant.grant_token), keep=self.rng.random() < 0.2)

    def end_grant(self, grant, keep=False):
        """Keeps a grant for later, or ends it: RetireGrant by the app with its token, or RevokeGrant by the admin."""
        key_id, grant_id, token = grant
        if keep:
            self.pool.keep_grant(grant)
        elif self.rng.random() < 0.5:
            self.app.call("RetireGrant", self.pb.RetireGrantRequest(grant_token=token), key_id=key_id)
        else:
            self.admin.call("RevokeGrant", self.pb.RevokeGrantRequest(key_id=key_id, grant_id=grant_id), key_id=key_id)

    def retire_kept_grant(self):
        """Ends a grant kept earlier."""
        grant = self.pool.take_grant(self.rng)
        if grant is not None:
            self.end_grant(grant)

    def list_grants(self):
        """ListGrants of a key, or ListRetirableGrants of the app principal."""
        if self.rng.random() < 0.5:
            key = self.pool.pick("symmetric", self.rng)
            self.admin.pages("ListGrants", self.pb.ListGrantsRequest(key_id=key.key_id, page_size=5), "grants", max_pages=3)
        else:
            self.admin.pages("ListRetirableGrants", self.pb.ListRetirableGrantsRequest(retiring_principal=APP, page_size=5), "grants", max_pages=3)

    def app_direct(self):
        """The app's Encrypt without a grant: allowed or denied by the key's current policy."""
        key = self.pool.pick("symmetric", self.rng)
        self.encrypt_with(self.app, key.key_id, {"tenant": "soak"}, key.key_id)

    def explain_access(self):
        """ExplainAccess of the app principal's Encrypt or Decrypt on a key."""
        key = self.pool.pick("symmetric", self.rng)
        request = self.pb.ExplainAccessRequest(principal=APP, action=self.rng.choice(["kms:Encrypt", "kms:Decrypt"]),
                                               key_id=key.key_id, encryption_context={"tenant": "soak"})
        self.admin.call("ExplainAccess", request)

    def list_audit_events(self):
        """ListAuditEvents of a key, all outcomes or one, up to two pages."""
        key = self.pool.pick("symmetric", self.rng)
        request = self.pb.ListAuditEventsRequest(key_id=key.key_id, outcome=self.rng.choice(["", "allowed", "failed"]), page_size=50)
        self.admin.pages("ListAuditEvents", request, "events", max_pages=2)


def create_key(caller, pb, spec, usage, pool):
    """CreateKey of a spec and usage; the new Key in `pool`, or None when the call failed."""
    request = pb.CreateKeyRequest(description=f"soak {pool}", key_spec=getattr(pb, f"KEY_SPEC_{spec}"),
                                  key_usage=getattr(pb, f"KEY_USAGE_{usage}"), tags={"soak": pool})
    response = caller.call("CreateKey", request)
    return Key(response.key_metadata.key_id, spec, pool) if response is not None else None


def create_initial_keys(caller, pb, pool, attempts=5):
    """Makes INITIAL_KEYS (the first LIFECYCLE_KEYS symmetric ones are lifecycle keys) and two
    aliases, with the server running; gives up after `attempts` failures of one key."""
    for number, (spec, usage, name) in enumerate(INITIAL_KEYS):
        for _ in range(attempts):
            key = create_key(caller, pb, spec, usage, name)
            if key is not None:
                break
            time.sleep(1)
        else:
            sys.exit(f"soak: could not create the initial {spec} key")
        pool.add(key, lifecycle=number < LIFECYCLE_KEYS)
    for key in pool.pools["symmetric"][:2]:
        name = f"alias/soak/{uuid.uuid4().hex}"
        if caller.call("CreateAlias", pb.CreateAliasRequest(alias_name=name, target_key_id=key.key_id), key_id=key.key_id):
            pool.add_alias(name, key.key_id)


@dataclasses.dataclass
class Lifetime:
    """One kmsd process: its pid, when it started serving, and its RSS samples
    (seconds since then, KiB)."""
    pid: int
    started: float
    samples: list = dataclasses.field(default_factory=list)

    @property
    def seconds(self):
        return self.samples[-1][0] if self.samples else 0.0

    def growth(self, warmup):
        """(KiB after the warm-up, KiB at the end, relative growth): the medians of the first
        and the last RSS_WINDOW samples from `warmup` seconds on; None without enough of them."""
        after = [kib for elapsed, kib in self.samples if elapsed >= warmup]
        if len(after) < 2 * RSS_WINDOW:
            return None
        start, end = statistics.median(after[:RSS_WINDOW]), statistics.median(after[-RSS_WINDOW:])
        return start, end, (end - start) / start


class RssSampler(threading.Thread):
    """Samples VmRSS of the running kmsd every `interval` seconds, per process lifetime."""

    def __init__(self, server, interval):
        super().__init__(name="rss-sampler", daemon=True)
        self.server, self.interval = server, interval
        self.lifetimes = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def begin_lifetime(self):
        """Starts the samples of a new kmsd process (the server's current one)."""
        with self.lock:
            self.lifetimes.append(Lifetime(self.server.process.pid, time.monotonic()))

    def run(self):
        """Samples until stopped; a sample of a process that is gone is skipped."""
        while not self.stop.wait(self.interval):
            with self.lock:
                lifetime = self.lifetimes[-1]
            kib = _rss_kib(lifetime.pid)
            if kib is not None:
                lifetime.samples.append((time.monotonic() - lifetime.started, kib))


def _rss_kib(pid):
    """VmRSS of a process in KiB (/proc/PID/status); None when it is gone."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def run_load(server, sampler, ledger, args):
    """Sleeps through the run while the workers work: every --kill-every seconds until
    --kill-until, SIGKILLs kmsd and starts it again on the same directory and port. Prints
    progress every minute. Returns the number of kills."""
    start = time.monotonic()
    end = start + args.seconds
    kill_until = start + min(args.kill_until or args.seconds, args.seconds)
    next_kill = start + args.kill_every if args.kill_every > 0 else math.inf
    next_report = start + 60
    kills = 0
    while (now := time.monotonic()) < end:
        if now >= next_kill:
            server.kill()
            kills += 1
            server.start()
            sampler.begin_lifetime()
            print(f"soak: {now - start:6.0f} s: kill {kills}, kmsd back in {time.monotonic() - now:.1f} s", flush=True)
            next_kill = now + args.kill_every if now + args.kill_every < kill_until else math.inf
        elif now >= next_report:
            with ledger.lock:
                calls, acknowledged, ciphertexts = sum(ledger.calls.values()), sum(ledger.acknowledged.values()), len(ledger.ciphertexts)
            print(f"soak: {now - start:6.0f} s: {calls} calls, {acknowledged} acknowledged, {ciphertexts} ciphertexts", flush=True)
            next_report += 60
        else:
            time.sleep(max(0.05, min(end, next_kill, next_report) - now))
    return kills


def restore_lifecycle_keys(caller, pb, pool):
    """Ends what the lifecycle scenarios may have left: a pending deletion (CancelKeyDeletion,
    INVALID_STATE when there is none), a disabled key, disabled versions."""
    for key in pool.lifecycle:
        caller.call("CancelKeyDeletion", pb.CancelKeyDeletionRequest(key_id=key.key_id), key_id=key.key_id)
        caller.call("EnableKey", pb.EnableKeyRequest(key_id=key.key_id), key_id=key.key_id)
    for key_id, version in sorted(pool.disabled_versions):
        caller.call("EnableKeyVersion", pb.EnableKeyVersionRequest(key_id=key_id, key_version=version), key_id=key_id)


def check_key_states(caller, pb, pool, ledger):
    """Every acknowledged key is listed (ListKeys), enabled, or pending deletion when the run
    scheduled its deletion for good."""
    listed = {key.key_id: key.key_state for key in caller.pages("ListKeys", pb.ListKeysRequest(page_size=1000), "keys", max_pages=10_000)}
    doomed = dict(pool.doomed)
    for key in pool.all_keys():
        state = listed.get(key.key_id)
        if key.key_id in doomed:
            expected = {pb.KEY_STATE_PENDING_DELETION} if doomed[key.key_id] else {pb.KEY_STATE_PENDING_DELETION, pb.KEY_STATE_ENABLED}
        else:
            expected = {pb.KEY_STATE_ENABLED}
        if state not in expected:
            name = "not listed" if state is None else pb.KeyState.Name(state)
            ledger.problem(f"key {key.key_id} ({key.spec}, {key.pool}) is {name} at the end")


def check_ciphertexts(caller, pb, pool, ledger, chunk=100):
    """BatchDecrypt of every acknowledged ciphertext whose key was not doomed; each must give
    what it holds. Returns (checked, exempt)."""
    doomed = set(pool.doomed)
    with ledger.lock:
        ciphertexts = [ciphertext for ciphertext in ledger.ciphertexts if ciphertext.key_id not in doomed]
        exempt = len(ledger.ciphertexts) - len(ciphertexts)
    checked = 0
    for first in range(0, len(ciphertexts), chunk):
        part = ciphertexts[first:first + chunk]
        response = caller.call("BatchDecrypt", pb.BatchDecryptRequest(requests=[ciphertext.decrypt_request(pb) for ciphertext in part]))
        if response is None:
            ledger.problem(f"the final BatchDecrypt of ciphertexts {first}–{first + len(part) - 1} failed")
            continue
        for ciphertext, result in zip(part, response.results):
            if result.WhichOneof("result") != "response":
                ledger.problem(f"a ciphertext of key {ciphertext.key_id} does not decrypt: {_status_reason(result.error)} {result.error.message!r}")
            elif not ciphertext.holds(result.response.plaintext):
                ledger.problem(f"a ciphertext of key {ciphertext.key_id} decrypted to something else")
            else:
                checked += 1
    return checked, exempt


def verify_audit_log(server, ledger):
    """`kmsctl audit verify` with the verification key that `kmsd audit
    export-verification-key` derives from the dev root key; returns its output line."""
    key_file = server.directory / "audit-key.pem"
    with open(key_file, "wb") as out:
        subprocess.run([str(BIN_DIR / "kmsd"), "audit", "export-verification-key", "--config", str(server.directory / "kmsd.yaml")],
                       stdout=out, stderr=subprocess.DEVNULL, check=True)
    result = subprocess.run([str(BIN_DIR / "kmsctl"), "audit", "verify", "--verification-key", str(key_file), str(server.directory / "data" / "audit")],
                            capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        ledger.problem(f"kmsctl audit verify exited with {result.returncode}: {output}")
    return output


def read_audit_records(audit_directory):
    """The records of the audit files: outcome records by (request id, batch index), and a
    count of every record by outcome."""
    outcomes, counts = collections.defaultdict(list), collections.Counter()
    for path in sorted(audit_directory.glob("audit-*.jsonl")):
        for line in path.read_bytes().splitlines():
            record = json.loads(line)
            counts[record["outcome"]] += 1
            if record["outcome"] != "intent":
                fields = {name: record.get(name) for name in ("action", "principal", "outcome", "reason", "key_id", "destination_key_id")}
                outcomes[(record["request_id"], record.get("batch_index"))].append(fields)
    return outcomes, counts


def check_audit_records(server, ledger, pool):
    """Every answered call (and batch item) has exactly one outcome record with its request id
    (and batch index), and that record has the call's action, principal, outcome, reason and
    key; a call refused for a key's state names (as its key, or ReEncrypt's destination) a key
    the run disabled or scheduled for deletion. Returns the record counts by outcome and the number of calls matched."""
    outcomes, counts = read_audit_records(server.directory / "data" / "audit")
    changed = {key.key_id for key in pool.lifecycle} | set(pool.doomed)
    matched = 0
    for expectation in ledger.expectations:
        records = outcomes.get((expectation.request_id, expectation.batch_index), [])
        mismatch = f"{len(records)} outcome records" if len(records) != 1 else expectation.mismatches(records[0])
        if not mismatch and expectation.reason in STATE_REASONS and not changed & {records[0]["key_id"], records[0]["destination_key_id"]}:
            mismatch = f"{expectation.reason} for key {records[0]['key_id']}, which the run never disabled nor scheduled for deletion"
        if mismatch:
            ledger.problem(f"audit: {expectation.action} {expectation.outcome} (request {expectation.request_id}, "
                           f"batch index {expectation.batch_index}): {mismatch}")
        else:
            matched += 1
    return counts, matched


def check_coverage(pb, ledger):
    """Every RPC of the service was acknowledged at least once (a new RPC needs a scenario)."""
    methods = pb.DESCRIPTOR.services_by_name["KeyManagementService"].methods_by_name
    missing = sorted(name for name in methods if not ledger.acknowledged[name])
    if missing:
        ledger.problem(f"RPCs never acknowledged: {', '.join(missing)}")


def rss_report(sampler, args, ledger):
    """Lines describing every lifetime's RSS; checks the longest lifetime's growth after the
    warm-up against --rss-limit when --enforce-rss is given."""
    lines = []
    for number, lifetime in enumerate(sampler.lifetimes, 1):
        kib = [sample for _, sample in lifetime.samples]
        if kib:
            lines.append(f"  lifetime {number}: {lifetime.seconds:.0f} s, {len(kib)} samples, "
                         f"first {kib[0]} KiB, max {max(kib)} KiB, last {kib[-1]} KiB")
    longest = max(sampler.lifetimes, key=lambda lifetime: lifetime.seconds)
    warmup = args.warmup if args.warmup is not None else max(30.0, longest.seconds / 4)
    growth = longest.growth(warmup)
    if growth is None:
        lines.append(f"  longest lifetime ({longest.seconds:.0f} s): too few samples after {warmup:.0f} s of warm-up to measure growth")
        if args.enforce_rss:
            ledger.problem("RSS: the longest lifetime is too short to measure growth after the warm-up")
        return lines
    quarters = [longest.samples[round(fraction * (len(longest.samples) - 1))][1] for fraction in (0, 0.25, 0.5, 0.75, 1)]
    lines.append(f"  longest lifetime at 0, 1/4, 1/2, 3/4 and all of its time: {', '.join(map(str, quarters))} KiB")
    start, end, relative = growth
    limit = f" (limit {100 * args.rss_limit:.0f} %)" if args.enforce_rss else " (not enforced)"
    lines.append(f"  longest lifetime ({longest.seconds:.0f} s): {start:.0f} KiB after {warmup:.0f} s of warm-up, "
                 f"{end:.0f} KiB at the end: {100 * relative:+.1f} %{limit}")
    if args.enforce_rss and relative >= args.rss_limit:
        ledger.problem(f"RSS grew {100 * relative:.1f} % after the warm-up of the longest lifetime")
    return lines


@dataclasses.dataclass
class Findings:
    """What the final checks found, for the summary."""
    kills: int = 0
    checked: int = 0
    exempt: int = 0
    audit_counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    matched: int = 0
    verify_output: str = ""
    rss_lines: list = dataclasses.field(default_factory=list)
    script_errors: list = dataclasses.field(default_factory=list)


def print_summary(ledger, findings):
    """Prints what the run did and what the checks found; returns whether every invariant held."""
    print("\nsoak: calls per RPC (calls / acknowledged)")
    for rpc in sorted(ledger.calls):
        print(f"  {rpc:40} {ledger.calls[rpc]:8} {ledger.acknowledged[rpc]:8}")
    print(f"  {'total':40} {sum(ledger.calls.values()):8} {sum(ledger.acknowledged.values()):8}")
    print("soak: failures by RPC, code and reason")
    for (rpc, code, reason), count in sorted(ledger.failures.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:8}  {rpc} {code} {reason or '(no ErrorInfo)'}")
    print(f"soak: {findings.kills} kills; {len(ledger.ciphertexts)} acknowledged ciphertexts: "
          f"{findings.checked} decrypted and checked at the end, {findings.exempt} exempt (key pending deletion)")
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in sorted(findings.audit_counts.items()))
    print(f"soak: audit: {sum(findings.audit_counts.values())} records ({outcomes}); "
          f"{findings.matched} of {len(ledger.expectations)} answered calls and batch items matched to their record")
    print(f"soak: kmsctl audit verify: {findings.verify_output}")
    print("soak: kmsd RSS")
    print("\n".join(findings.rss_lines))
    failures = [f"kmsd answered {error}" for error in ledger.server_errors] + ledger.problems
    failures += [f"script error:\n{error}" for error in findings.script_errors]
    for failure in failures[:50]:
        print(f"FAIL: {failure}")
    if len(failures) > 50:
        print(f"FAIL: … and {len(failures) - 50} more")
    print("soak: OK" if not failures else f"soak: FAILED ({len(failures)} problems, {len(ledger.server_errors)} INTERNAL/UNKNOWN answers)")
    return not failures


def parse_args():
    """The command line (--help)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120, help="length of the load (default 120)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--kill-every", type=float, default=30, help="seconds between kill -9s of kmsd; 0: never (default 30)")
    parser.add_argument("--kill-until", type=float, default=None, help="no kill after this many seconds of load (default: the whole run)")
    parser.add_argument("--call-timeout", type=float, default=10, help="deadline of each call in seconds (default 10)")
    parser.add_argument("--rss-interval", type=float, default=5, help="seconds between RSS samples (default 5)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="warm-up of the RSS measurement in seconds (default: a quarter of the longest lifetime, at least 30)")
    parser.add_argument("--enforce-rss", action="store_true", help="fail when RSS grew by --rss-limit or more after the warm-up")
    parser.add_argument("--rss-limit", type=float, default=0.10, help="the growth --enforce-rss allows, as a fraction (default 0.10)")
    parser.add_argument("--dir", type=pathlib.Path, default=None, help="work directory (default: a new one under /tmp, removed after a successful run)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory after a successful run")
    return parser.parse_args()


def soak(args, directory, server, stubs):
    """Starts kmsd, runs the load and the final checks; returns the ledger and the findings."""
    pb = stubs["kms"]
    server.start()
    credentials = {ADMIN: server.credentials(), APP: mint_dev_client_credentials(server.certs, directory, "app", APP)}
    ledger, pool, findings = Ledger(), KeyPool(), Findings()
    admin = Caller(server, credentials[ADMIN], ADMIN, ledger, stubs, args.call_timeout)
    create_initial_keys(admin, pb, pool)

    sampler = RssSampler(server, args.rss_interval)
    sampler.begin_lifetime()
    sampler.start()
    stop = threading.Event()
    workers = [Worker(number, server, credentials, ledger, pool, stubs, args.call_timeout, stop) for number in range(args.threads)]
    for worker in workers:
        worker.start()
    findings.kills = run_load(server, sampler, ledger, args)
    stop.set()
    sampler.stop.set()
    for worker in workers:
        worker.join(timeout=4 * args.call_timeout)
        if worker.is_alive():
            ledger.problem(f"{worker.name} did not stop")
        findings.script_errors += worker.script_errors

    print("soak: load done; checking", flush=True)
    restore_lifecycle_keys(admin, pb, pool)
    check_key_states(admin, pb, pool, ledger)
    findings.checked, findings.exempt = check_ciphertexts(admin, pb, pool, ledger)
    admin.close()
    try:
        server.stop()
    except (AssertionError, subprocess.TimeoutExpired):
        ledger.problem(f"kmsd did not exit cleanly on SIGTERM: see {server.log_path}")
    findings.verify_output = verify_audit_log(server, ledger)
    findings.audit_counts, findings.matched = check_audit_records(server, ledger, pool)
    findings.rss_lines = rss_report(sampler, args, ledger)
    check_coverage(pb, ledger)
    return ledger, findings


def main():
    """Runs the soak in a work directory; returns the exit status."""
    args = parse_args()
    directory = args.dir or pathlib.Path(tempfile.mkdtemp(prefix="kms-soak-"))
    (directory / "kms-dev").mkdir(parents=True, exist_ok=True)
    kills = f"every {args.kill_every:.0f} s" + (f" until {args.kill_until:.0f} s" if args.kill_until else "") if args.kill_every > 0 else "never"
    print(f"soak: {args.seconds:.0f} s, {args.threads} threads, kill -9 {kills}; kmsd from {BIN_DIR}; work directory {directory}", flush=True)
    (directory / "gen").mkdir(parents=True, exist_ok=True)
    stubs = generate_stubs(directory / "gen")
    server = RestartableDevServer(directory / "kms-dev", _free_port(), stubs)
    try:
        ok = print_summary(*soak(args, directory, server, stubs))
    finally:
        if server.process is not None:
            server.kill()
    if ok and not args.keep and args.dir is None:
        shutil.rmtree(directory)
    else:
        print(f"soak: work directory kept: {directory} (kmsd logs: {server.directory}/kmsd-*.log)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
