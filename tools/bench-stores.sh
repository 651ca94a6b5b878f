#!/usr/bin/env bash
# Benchmarks the key stores end to end (docs/PERFORMANCE.md, "Key stores"): kms-bench drives
# Encrypt, Decrypt and CreateKey (and the health floor) against
#   sqlite   one `kmsd dev` node on its embedded SQLite store,
#   pg       one `kmsd serve` node on PostgreSQL,
#   pg×3     three `kmsd serve` nodes on one PostgreSQL, the client's connections spread
#            over them (kms-bench --target a,b,c),
# in interleaved runs, and prints medians with the ratios PostgreSQL / SQLite and
# three nodes / one node. Raw results go to a file under /tmp.
#
# Usage: tools/bench-stores.sh [--release] [--duration S] [--runs R]
#
# Needs PostgreSQL: uses $KMS_TEST_POSTGRES_URL when set, else starts a throwaway cluster
# with tools/postgres-test-cluster.sh. All processes share this machine's cores: the client
# and every node compete for them, so the three-node row shows coordination costs, not the
# capacity of three machines.
set -euo pipefail
cd "$(dirname "$0")/.."

configuration=debug duration=8 warmup=2 runs=3
while (($#)); do
    case "$1" in
        --release) configuration=release ;;
        --duration) duration="${2:?--duration needs seconds}"; shift ;;
        --runs) runs="${2:?--runs needs a count}"; shift ;;
        *) echo "bench-stores.sh: unknown argument '$1'" >&2; exit 64 ;;
    esac
    shift
done

swift build -c "$configuration" --product kmsd >&2
swift build -c "$configuration" --product kms-bench >&2
bin="$(swift build -c "$configuration" --show-bin-path)"
work="$(mktemp -d /tmp/kms-bench-stores.XXXXXX)"
results="/tmp/kms-bench-stores-$(date -u +%Y%m%dT%H%M%SZ)-$$.jsonl"
pids=()
pg_dir=""
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n "$pg_dir" ]] && { tools/postgres-test-cluster.sh stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

url="${KMS_TEST_POSTGRES_URL:-}"
if [[ -z "$url" ]]; then
    pg_dir="$(mktemp -d /tmp/kms-pg.XXXXXX)"
    url="$(tools/postgres-test-cluster.sh start "$pg_dir")"
fi

# Starts kmsd with the given arguments, logging to $1, and waits until it listens.
start() {
    local log="$1"; shift
    "$bin/kmsd" "$@" >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do
        grep -q "kmsd listening on" "$log" && return 0
        sleep 0.1
    done
    echo "bench-stores.sh: kmsd did not start:" >&2; cat "$log" >&2; exit 1
}

# The SQLite node is `kmsd dev`, whose certificates every node and the client use.
dev="$work/dev"
sqlite_port="$(free_port)"
start "$work/sqlite.log" dev --dir "$dev" --listen "127.0.0.1:$sqlite_port"
"$bin/kmsd" root-key generate "$work/root.key" 2>/dev/null

# Writes a node configuration on database $2 and starts it; prints its port.
start_postgres_node() {
    local name="$1" database_url="$2" port
    port="$(free_port)"
    cat >"$work/$name.yaml" <<YAML
listen: "127.0.0.1:$port"
data_dir: "$work/data-$name"
root_key_file: "$work/root.key"
tls: {certificate: "$dev/certs/server.pem", private_key: "$dev/certs/server-key.pem", client_ca: "$dev/certs/ca.pem"}
storage: {postgres: {url: "$database_url"}}
cluster: {node_id: "$name"}
server_policy:
  Statement: [{Effect: Allow, Principal: "spiffe://swift-kms.dev/admin", Action: "kms:*", Resource: "*"}]
YAML
    start "$work/$name.log" serve --config "$work/$name.yaml"
    echo "$port"
}

database() {
    local name="kms_bench_$1_$$"
    psql -X -q "$url" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
    python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$url" "$name"
}
one_url="$(database one)"
three_url="$(database three)"
pg_port="$(start_postgres_node pg "$one_url")"
pg3_targets=""
for name in a b c; do
    port="$(start_postgres_node "pg3-$name" "$three_url")"
    pg3_targets+="${pg3_targets:+,}127.0.0.1:$port"
done

declare -A targets=([sqlite]="127.0.0.1:$sqlite_port" [pg]="127.0.0.1:$pg_port" [pg×3]="$pg3_targets")
setups=(sqlite pg "pg×3")
operations=(health encrypt decrypt create-key)
echo "kms-bench: $configuration build, $runs interleaved run(s) of ${duration}s after ${warmup}s warm-up per setup and operation" >&2
for run in $(seq "$runs"); do
    for operation in "${operations[@]}"; do
        for setup in "${setups[@]}"; do
            echo "  run $run: $setup $operation" >&2
            "$bin/kms-bench" --target "${targets[$setup]}" --dev-dir "$dev" --connections 6 \
                --duration "$duration" --warmup "$warmup" --json --op "$operation" \
                | python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); r["setup"] = sys.argv[1]; print(json.dumps(r))' "$setup" >>"$results"
        done
    done
done

python3 - "$results" <<'PYTHON'
import json, statistics, sys

runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cells = {}
for run in runs:
    cells.setdefault((run["setup"], run["op"]), []).append(run)

def median(setup, op, field):
    values = [field(r) for r in cells.get((setup, op), [])]
    return statistics.median(values) if values else None

header = ("setup", "op", "median ops/s", "× sqlite", "× pg", "p50 ms", "p99 ms", "errors")
rows = []
for (setup, op) in sorted(cells, key=lambda k: (["health", "encrypt", "decrypt", "create-key"].index(k[1]), ["sqlite", "pg", "pg×3"].index(k[0]))):
    ops = median(setup, op, lambda r: r["ops_per_second"])
    base = median("sqlite", op, lambda r: r["ops_per_second"])
    single = median("pg", op, lambda r: r["ops_per_second"])
    rows.append((setup, op, f"{ops:,.1f}", f"{ops / base:.3f}" if base else "-",
                 f"{ops / single:.3f}" if single and setup == "pg×3" else "-",
                 f"{median(setup, op, lambda r: r['latency_ms']['p50']):.3f}", f"{median(setup, op, lambda r: r['latency_ms']['p99']):.3f}",
                 str(sum(sum(r["errors"].values()) if isinstance(r["errors"], dict) else r["errors"] for r in cells[(setup, op)]))))
widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
for row in [header] + rows:
    print("  ".join(text.ljust(width) if i < 2 else text.rjust(width) for i, (text, width) in enumerate(zip(row, widths))))
print(f"Raw results: {sys.argv[1]}")
PYTHON
