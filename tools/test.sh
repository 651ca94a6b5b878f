#!/usr/bin/env bash
# The whole test suite: every Swift test (unit, service and end-to-end over mutual TLS),
# then the Python interop tests, which drive the built kmsd and kmsctl binaries, the benchmark
# smoke runs, the soak smoke run (tools/soak.sh --smoke) and the fuzz smoke run (tools/fuzz.sh --smoke).
# Installs its Python packages itself (PyPI). Builds the debug configuration once, and kmsd
# and kms-bench in the release configuration once: the interop tests that compare latencies
# (an ordinary client beside an abuser, beside a greedy principal) run those and assert their
# bounds on the build users run (tools/interop/conftest.py, KMS_RELEASE_BIN_DIR).
# The Swift tests run against a real PostgreSQL: a throwaway cluster started here by
# tools/postgres-test-cluster.sh (which installs PostgreSQL from Debian's packages when it
# is missing), reached through KMS_TEST_POSTGRES_URL, and stopped and removed on exit, even
# when tests fail.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r tools/interop/requirements.txt

pg_cluster="$PWD/tools/postgres-test-cluster.sh"
pg_dir="$(mktemp -d /tmp/kms-pg.XXXXXX)"
stop_postgres() { "$pg_cluster" stop "$pg_dir" || true; rm -rf "$pg_dir"; }
trap stop_postgres EXIT
KMS_TEST_POSTGRES_URL="$("$pg_cluster" start "$pg_dir")"
# The PostgreSQL suites must run, not skip, in this command.
KMS_REQUIRE_POSTGRES=1
# The multi-node tests stop and resume the cluster to test an outage.
KMS_TEST_POSTGRES_DIR="$pg_dir"
export KMS_TEST_POSTGRES_URL KMS_REQUIRE_POSTGRES KMS_TEST_POSTGRES_DIR

swift build --build-tests
swift test --skip-build

bin="$(swift build --show-bin-path)"
swift build -c release --product kmsd
swift build -c release --product kms-bench
release_bin="$(swift build -c release --show-bin-path)"
# Smoke run of the in-process benchmarks so they cannot rot (timings are not checked).
"$bin/kms-microbench" --seconds 0.2 --audit-records 10000

KMS_BIN_DIR="$bin" KMS_RELEASE_BIN_DIR="$release_bin" python3 -m pytest -q tools/interop

# Smoke run of kms-bench against a real kmsd: 2 s of each operation; fails only when an
# operation had no successful call or any error (timings are not checked).
tools/bench.sh --smoke

# Soak smoke (docs/TESTING.md, "Soak"): 2 minutes of every RPC with kill -9 and restarts, then
# every acknowledged ciphertext decrypts, the audit chain verifies and holds every answered call.
KMS_BIN_DIR="$bin" tools/soak.sh --smoke

# Fuzz smoke (docs/TESTING.md): builds the libFuzzer targets in their own scratch path
# (.build-fuzz: a second build, with -sanitize=fuzzer,address) and runs each for 2000 inputs
# from its seed corpus in Fuzz/corpus, so the targets and the properties they check cannot rot.
tools/fuzz.sh --smoke 2000
