#!/usr/bin/env bash
# End-to-end benchmark (docs/PERFORMANCE.md): starts a throwaway kmsd, runs kms-bench against
# it for the health check (the floor) and each KMS operation, and prints each operation's
# median throughput and p99 latency as ratios to the health floor, with the server's CPU time
# per operation. Raw results (one kms-bench JSON object per line) go to a file under /tmp.
#
# Usage: tools/bench.sh [--release] [--duration S] [--runs R] [--audit-fsync on|off] [--metrics on|off] [--ops "OP ..."] [--compare DIR]
#        tools/bench.sh --smoke [--audit-fsync on|off]
#
#   --release          build and run the release configuration (default: debug)
#   --duration S       seconds measured per run of an operation (default 10, after 2 s of warm-up)
#   --runs R           runs of every operation, interleaved; medians are reported (default 3)
#   --audit-fsync off  serve with `audit: {fsync: false}` to see what syncing the audit log costs
#   --metrics on       serve with `metrics.listen` set (the Prometheus endpoint and every
#                      metric collected) to see what the metrics cost
#   --ops "OP ..."     only these operations (the health floor is always measured)
#   --compare DIR      also measure the kmsd in DIR (another build, e.g. the commit before a
#                      change, copied aside): each run serves DIR's kmsd ("before") and then
#                      this build's ("after"), each with its own fresh dev directory, driven by
#                      this build's kms-bench; each build's ratios are to its own health floor
#   --smoke            CI check: the debug binaries already built, each operation once for 2 s
#                      after 0.5 s of warm-up; fails if an operation had no successful call or
#                      any error. Timings are not checked.
#
# Set SWIFT_BUILD_LOCK to a file to run the swift commands under `flock` on it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '7,8p' "$0" | sed 's/^# //' >&2; exit 64; }

configuration=debug duration=10 warmup=2 runs=3 fsync=on metrics=off smoke=false only="" compare=""
while (($#)); do
    case "$1" in
        --release) configuration=release ;;
        --duration) duration="${2:?--duration needs seconds}"; shift ;;
        --runs) runs="${2:?--runs needs a count}"; shift ;;
        --audit-fsync) fsync="${2:?--audit-fsync needs on or off}"; shift ;;
        --metrics) metrics="${2:?--metrics needs on or off}"; shift ;;
        --ops) only="${2:?--ops needs a list of operations}"; shift ;;
        --compare) compare="${2:?--compare needs a directory with a kmsd}"; shift ;;
        --smoke) smoke=true ;;
        -h | --help) usage ;;
        *) echo "bench.sh: unknown argument '$1'" >&2; usage ;;
    esac
    shift
done
[[ "$fsync" == on || "$fsync" == off ]] || { echo "bench.sh: --audit-fsync takes on or off" >&2; exit 64; }
[[ "$metrics" == on || "$metrics" == off ]] || { echo "bench.sh: --metrics takes on or off" >&2; exit 64; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs takes a positive whole number" >&2; exit 64; }
if $smoke; then
    [[ "$configuration" == debug ]] || { echo "bench.sh: --smoke runs the debug build; drop --release" >&2; exit 64; }
    duration=2 warmup=0.5 runs=1
fi

swift_cmd() {
    if [[ -n "${SWIFT_BUILD_LOCK:-}" ]]; then flock "$SWIFT_BUILD_LOCK" swift "$@"; else swift "$@"; fi
}

if ! $smoke; then
    swift_cmd build -c "$configuration" --product kmsd
    swift_cmd build -c "$configuration" --product kms-bench
fi
bin="$(swift_cmd build -c "$configuration" --show-bin-path)"
for tool in kmsd kms-bench; do
    [[ -x "$bin/$tool" ]] || { echo "bench.sh: $bin/$tool is missing; build it first (swift build --product $tool)" >&2; exit 1; }
done
[[ -z "$compare" || -x "$compare/kmsd" ]] || { echo "bench.sh: --compare $compare has no executable kmsd" >&2; exit 64; }

work="$(mktemp -d /tmp/kms-bench-server.XXXXXX)"
results="/tmp/kms-bench-$(date -u +%Y%m%dT%H%M%SZ)-$$.jsonl"
server_pid=""

stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT

# Starts the kmsd in directory $1 with the remaining arguments and waits until it listens;
# its log is $work/kmsd.log.
start_server() {
    local server_bin="$1"
    shift
    "$server_bin/kmsd" "$@" >"$work/kmsd.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
        grep -q "kmsd listening on" "$work/kmsd.log" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench.sh: kmsd did not start; its log:" >&2
    cat "$work/kmsd.log" >&2
    exit 1
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
aws_port="$(free_port)"

# Serves the kmsd in directory $1 from the dev directory $2 (made on first use) with this
# run's options.
serve() {
    local server_bin="$1" dev="$2"
    start_server "$server_bin" dev --dir "$dev" --listen "127.0.0.1:$port" --aws-listen "127.0.0.1:$aws_port"
    if [[ "$fsync" == off || "$metrics" == on ]]; then
        # Dev mode syncs the audit log and has no metrics: serve its configuration with the changes.
        stop_server
        {
            cat "$dev/kmsd.yaml"
            [[ "$fsync" == off ]] && printf 'audit:\n  fsync: false\n'
            [[ "$metrics" == on ]] && printf 'metrics:\n  listen: 127.0.0.1:0\n'
            true
        } >"$dev/kmsd-bench.yaml"
        start_server "$server_bin" serve --config "$dev/kmsd-bench.yaml"
    fi
}

operations=(health encrypt decrypt generate-data-key re-encrypt "batch-encrypt --batch 100" "batch-decrypt --batch 100" "batch-generate-data-key --batch 100" mix sign verify generate-mac "generate-data-key-pair --key-pair-spec ECC_NIST_P256" aws-encrypt)
if [[ -n "$only" ]]; then
    read -r -a chosen <<<"$only"
    operations=(health "${chosen[@]}")
fi
builds=("after:$bin")
[[ -n "$compare" ]] && builds=("before:$compare" "after:$bin")
echo "kms-bench: $configuration build, audit fsync $fsync, metrics $metrics, $runs run(s) of ${duration}s after ${warmup}s warm-up per operation${compare:+, comparing with the kmsd in $compare}" >&2
failed=false
for run in $(seq "$runs"); do
    for build in "${builds[@]}"; do
        label="${build%%:*}"
        serve "${build#*:}" "$work/dev-$label"
        for operation in "${operations[@]}"; do
            echo "  run $run${compare:+ ($label)}: $operation" >&2
            # shellcheck disable=SC2086  # $operation is the op and its own flags
            if ! "$bin/kms-bench" --target "127.0.0.1:$port" --dev-dir "$work/dev-$label" --server-pid "$server_pid" \
                --aws-target "127.0.0.1:$aws_port" --duration "$duration" --warmup "$warmup" --json --op $operation \
                | python3 -c 'import json, sys; [print(json.dumps(dict(json.loads(line), build=sys.argv[1]))) for line in sys.stdin if line.strip()]' "$label" >>"$results"; then
                echo "bench.sh: kms-bench --op $operation failed" >&2
                failed=true
            fi
        done
        stop_server
    done
done
stop_server

python3 - "$results" "$smoke" <<'PYTHON'
import json, statistics, sys

path, smoke = sys.argv[1], sys.argv[2] == "true"
runs = [json.loads(line) for line in open(path) if line.strip()]
builds = list(dict.fromkeys(run["build"] for run in runs))

def median(op_runs, field):
    values = [field(run) for run in op_runs]
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None

def cell(value, places):
    return "-" if value is None else f"{value:,.{places}f}"

ratio = lambda value, floor: None if value is None or not floor else value / floor
header = ("op", "median ops/s", "× health", "p50 ms", "p99 ms", "p99 × health", "server µs/op")
if len(builds) > 1:
    header = ("build",) + header
rows = []
for op in dict.fromkeys(run["op"] for run in runs):
    for build in builds:
        by_build = [run for run in runs if run["build"] == build]
        op_runs = [run for run in by_build if run["op"] == op]
        if not op_runs:
            continue
        floor = [run for run in by_build if run["op"] == "health"]
        floor_ops = median(floor, lambda r: r["ops_per_second"])
        floor_p99 = median(floor, lambda r: r["latency_ms"]["p99"])
        ops = median(op_runs, lambda r: r["ops_per_second"])
        p99 = median(op_runs, lambda r: r["latency_ms"]["p99"])
        row = (
            op + (f" ×{op_runs[0]['batch']}" if op_runs[0]["batch"] > 1 else ""),
            cell(ops, 1), cell(ratio(ops, floor_ops), 3),
            cell(median(op_runs, lambda r: r["latency_ms"]["p50"]), 3), cell(p99, 3), cell(ratio(p99, floor_p99), 2),
            cell(median(op_runs, lambda r: r.get("server_cpu_per_op_us")), 1),
        )
        rows.append((build,) + row if len(builds) > 1 else row)
widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
for row in [header] + rows:
    print("  ".join(text.ljust(width) if i < len(header) - 6 else text.rjust(width) for i, (text, width) in enumerate(zip(row, widths))))
print(f"ops/s counts items (a batch call carries --batch of them); latencies are per call. Raw results: {path}")

if smoke:
    problems = [f"{run['op']}: no successful call" for run in runs if run["ops_per_second"] == 0]
    problems += [f"{run['op']}: errors {run['errors']}" for run in runs if run["errors"]]
    if problems:
        print("bench.sh --smoke failed:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
PYTHON
if $failed; then exit 1; fi
