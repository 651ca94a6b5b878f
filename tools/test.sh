#!/usr/bin/env bash
# The whole test suite: every Swift test (unit, service and end-to-end over mutual TLS),
# then the Python interop tests, which drive the built kmsd and kmsctl binaries.
# Installs its Python packages itself (PyPI). Builds the debug configuration once.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r tools/interop/requirements.txt

swift build --build-tests
swift test --skip-build

bin="$(swift build --show-bin-path)"
# Smoke run of the in-process benchmarks so they cannot rot (timings are not checked).
"$bin/kms-microbench" --seconds 0.2 --audit-records 10000

KMS_BIN_DIR="$bin" python3 -m pytest -q tools/interop

# Smoke run of kms-bench against a real kmsd: 2 s of each operation; fails only when an
# operation had no successful call or any error (timings are not checked).
tools/bench.sh --smoke
