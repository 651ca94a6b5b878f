#!/usr/bin/env bash
# The soak test (docs/TESTING.md, "Soak"): tools/interop/soak.py runs a `kmsd dev` server under
# a mix of every kms.v1 RPC from several client threads and two principals, kills it with
# SIGKILL and starts it again on the same directory now and then, and afterwards checks that
# every acknowledged ciphertext decrypts, that the audit log verifies and holds the record of
# every answered call, that no call got INTERNAL or UNKNOWN, and how kmsd's RSS grew.
#
# Usage: tools/soak.sh [--smoke] [--minutes N] [soak.py arguments...]
#
#   --smoke      CI: 2 minutes, a kill every 30 s; RSS is sampled every 2 s and its growth
#                after 10 s of warm-up reported, not enforced
#   --minutes N  the long run (default 60): a kill every 60 s during the first quarter of the
#                run, then none, so that the last kmsd lives three quarters of the run; its
#                RSS growth after the warm-up (a quarter of that lifetime) must stay under 10 %
#   Further arguments go to soak.py and override these (python3 tools/interop/soak.py --help).
#
# Uses the binaries in KMS_BIN_DIR (default .build/debug); builds nothing. Installs its Python
# packages itself (PyPI). Exits 1 when an invariant fails, keeping the run's directory.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '8,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

smoke=false minutes=60 extra=()
while (($#)); do
    case "$1" in
        --smoke) smoke=true ;;
        --minutes) minutes="${2:?--minutes needs a number}"; shift ;;
        -h | --help) usage ;;
        *) extra+=("$1") ;;
    esac
    shift
done

export KMS_BIN_DIR="${KMS_BIN_DIR:-$PWD/.build/debug}"
for binary in kmsd kmsctl; do
    [[ -x "$KMS_BIN_DIR/$binary" ]] || { echo "soak.sh: $KMS_BIN_DIR/$binary is missing: run swift build first" >&2; exit 1; }
done

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r tools/interop/requirements.txt

if $smoke; then
    settings=(--seconds 120 --kill-every 30 --rss-interval 2 --warmup 10)
else
    seconds=$((minutes * 60))
    settings=(--seconds "$seconds" --kill-every 60 --kill-until $((seconds / 4)) --enforce-rss)
fi
exec python3 tools/interop/soak.py "${settings[@]}" ${extra[@]+"${extra[@]}"}
