#!/usr/bin/env bash
# libFuzzer targets for every parser of outside bytes (docs/TESTING.md).
#
#   tools/fuzz.sh --list                      the targets
#   tools/fuzz.sh TARGET [SECONDS] [-- ARGS]  build TARGET and fuzz it for SECONDS (default 60),
#                                             extra ARGS go to libFuzzer (-jobs=2, -max_len=…)
#   tools/fuzz.sh --smoke [RUNS]              build every target and run each for RUNS inputs
#                                             (default 2000) from its seed corpus (CI)
#   tools/fuzz.sh --build                     build every target
#   tools/fuzz.sh --seeds                     rewrite the seed corpora (Fuzz/corpus/) with FuzzSeeds
#   tools/fuzz.sh --release …                 any of the above in release mode (faster fuzzing,
#                                             a second, slower first build)
#
# The fuzz targets exist only with KMS_FUZZ=1 (see Package.swift) and are built in their own
# scratch path, .build-fuzz, with -sanitize=fuzzer,address, so the ordinary .build is never
# touched (KMS_FUZZ_SCRATCH names another; KMS_FUZZ_NO_BUILD=1 runs what was built last).
# Seeds are read from Fuzz/corpus/TARGET (never written), and Fuzz/dict/TARGET.dict is given to
# libFuzzer when there is one; what a run discovers goes to .build-fuzz/corpus/TARGET, and an
# input that breaks a property, crashes, leaks, hangs or exhausts memory to
# .build-fuzz/artifacts/TARGET/ (crash-*, leak-*, timeout-*, oom-*): replay it with
# `.build-fuzz/debug/FuzzX FILE`, then fix it and add it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(
  "ciphertext-blob:FuzzCiphertextBlob"
  "envelope-file:FuzzEnvelopeFile"
  "policy:FuzzPolicy"
  "server-configuration:FuzzServerConfiguration"
  "certificate-identity:FuzzCertificateIdentity"
  "forwarded-client-certificate:FuzzForwardedClientCertificate"
  "certificate-revocation-list:FuzzCertificateRevocationList"
  "audit-line:FuzzAuditLine"
  "request-messages:FuzzRequestMessages"
)

configuration=debug
build_flags=()
if [ "${1:-}" = "--release" ]; then
  configuration=release
  # The request target reads internals of KMSServer (@testable), as debug builds allow.
  build_flags=(-c release -Xswiftc -enable-testing)
  shift
fi
scratch="${KMS_FUZZ_SCRATCH:-.build-fuzz}"
bin="$scratch/$configuration"

product_of() {
  local entry
  for entry in "${targets[@]}"; do
    if [ "${entry%%:*}" = "$1" ] || [ "${entry#*:}" = "$1" ]; then echo "${entry#*:}"; return; fi
  done
  echo "unknown fuzz target '$1' (tools/fuzz.sh --list)" >&2
  exit 2
}

name_of() {
  local entry
  for entry in "${targets[@]}"; do
    if [ "${entry#*:}" = "$1" ]; then echo "${entry%%:*}"; return; fi
  done
}

build() {
  local product
  # KMS_FUZZ_NO_BUILD=1 runs what was built last (several runs side by side, no rebuild).
  if [ "${KMS_FUZZ_NO_BUILD:-}" = 1 ]; then return; fi
  for product in "$@"; do
    echo "== building $product ($configuration)" >&2
    KMS_FUZZ=1 swift build --scratch-path "$scratch" "${build_flags[@]}" \
      --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
      --product "$product" >&2
  done
}

# Scratch files of the targets that go through files (envelope files, the SQLite store), in
# memory when the machine has /dev/shm.
scratch_root="${TMPDIR:-/tmp}"
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch_root=/dev/shm; fi
work="$(mktemp -d "$scratch_root/kms-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# run PRODUCT NAME CORPUS_DIR [libFuzzer args…]
run() {
  local product="$1" name="$2" corpus="$3"
  shift 3
  mkdir -p "$corpus" "$scratch/artifacts/$name"
  local dictionary=()
  if [ -f "Fuzz/dict/$name.dict" ]; then dictionary=(-dict="Fuzz/dict/$name.dict"); fi
  # Swift's own crash backtracer would race libFuzzer's handler; libFuzzer reports instead.
  # LeakSanitizer is on, less the deliberate leaks listed in Fuzz/lsan.supp.
  TMPDIR="$work" SWIFT_BACKTRACE=enable=no \
    LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" "$bin/$product" \
    -artifact_prefix="$scratch/artifacts/$name/" -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
    "${dictionary[@]}" "$@" "$corpus" "Fuzz/corpus/$name"
}

all_products() {
  local entry
  for entry in "${targets[@]}"; do echo "${entry#*:}"; done
}

case "${1:-}" in
  --list)
    for entry in "${targets[@]}"; do echo "${entry%%:*} (${entry#*:})"; done
    ;;
  --build)
    mapfile -t products < <(all_products)
    build "${products[@]}"
    ;;
  --seeds)
    build FuzzSeeds
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/FuzzSeeds"
    ;;
  --smoke)
    runs="${2:-2000}"
    mapfile -t products < <(all_products)
    build "${products[@]}"
    failed=0
    for product in "${products[@]}"; do
      name="$(name_of "$product")"
      echo "== $name: $runs runs from Fuzz/corpus/$name" >&2
      log="$work/$name.log"
      if run "$product" "$name" "$work/corpus-$name" -runs="$runs" -seed=1 >"$log" 2>&1; then
        grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|Done )' "$log" >&2 || true
      else
        failed=$((failed + 1))
        echo "FAILED: $name (last lines of libFuzzer's output follow)" >&2
        tail -40 "$log" >&2
      fi
    done
    total=${#products[@]}
    echo "fuzz smoke: $((total - failed)) of $total targets ran $runs inputs each without a failure"
    [ "$failed" -eq 0 ]
    ;;
  ""|-h|--help)
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    product="$(product_of "$1")"
    name="$(name_of "$product")"
    seconds="${2:-60}"
    shift $(( $# >= 2 ? 2 : 1 ))
    if [ "${1:-}" = "--" ]; then shift; fi
    build "$product"
    run "$product" "$name" "$scratch/corpus/$name" -max_total_time="$seconds" -print_final_stats=1 "$@"
    ;;
esac
