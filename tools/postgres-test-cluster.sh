#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL cluster for the tests (tools/test.sh uses it).
#
# Usage: tools/postgres-test-cluster.sh start DIR
#        tools/postgres-test-cluster.sh stop DIR
#        tools/postgres-test-cluster.sh resume DIR
#        tools/postgres-test-cluster.sh install
#
#   start DIR  installs PostgreSQL from Debian's packages when it is missing, creates a
#              cluster in DIR (DIR/data, sockets in DIR/socket, log DIR/postgres.log), starts it
#              on a free port of 127.0.0.1 with a superuser role `kms` and a database `kms`,
#              and prints ONE line to stdout, the connection URL (also written to DIR/url):
#                postgres://kms:kms-test-password@127.0.0.1:PORT/kms?sslmode=disable
#              If the cluster in DIR is already running, only prints its URL; if DIR holds a
#              stopped cluster, starts it again (on a new port).
#   stop DIR   stops the cluster in DIR (fast shutdown); does nothing if it is not running.
#   resume DIR starts a cluster that `stop` stopped again on the port of its saved URL, so
#              clients configured with that URL reconnect (outage tests).
#   install    installs PostgreSQL when it is missing and prints `psql --version`.
#
# Everything but the URL (and the version) goes to stderr. Use a fresh directory under /tmp:
#   dir=$(mktemp -d /tmp/kms-pg.XXXXXX); url=$(tools/postgres-test-cluster.sh start "$dir")
#   ...; tools/postgres-test-cluster.sh stop "$dir"; rm -rf "$dir"
# PostgreSQL refuses to run as root, so when run as root the server and initdb run as the
# `postgres` OS user (created by the Debian package), which must be able to traverse DIR's
# parents; run as another user, they run as that user.
#
# The cluster is for tests only: every connection is trusted (no password is checked) and
# fsync is off, so a crash of the machine can lose or corrupt its data.
set -euo pipefail

# stdout carries only the result; everything else, apt-get and pg_ctl included, goes to stderr.
exec 3>&1 1>&2

role=kms
password=kms-test-password
database=kms

usage() { sed -n '4,7p' "$0" | sed 's/^# //' >&2; exit 64; }
die() { echo "postgres-test-cluster: $*" >&2; exit 1; }

# The newest installed version's bin directory, or nothing.
find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/pg_ctl" && -x "$dir/initdb" ]]; then
            echo "$dir"
            return
        fi
    done
}

ensure_installed() {
    bindir="$(find_bindir)"
    if [[ -z "$bindir" ]]; then
        ((EUID == 0)) || die "PostgreSQL is not installed and only root can install it (apt-get install postgresql)"
        echo "postgres-test-cluster: installing PostgreSQL (apt-get install postgresql)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
        bindir="$(find_bindir)"
        [[ -n "$bindir" ]] || die "installed postgresql but found no pg_ctl and initdb under /usr/lib/postgresql/*/bin"
    fi
}

# Runs a command as the user the server runs as: postgres when we are root, else ourselves.
as_server_user() {
    if ((EUID == 0)); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# True when the cluster in $dir is running and answers on the port in $dir/url.
running_with_saved_url() {
    [[ -s "$dir/url" && -f "$dir/data/postmaster.pid" ]] || return 1
    local url port
    url="$(cat "$dir/url")"
    port="${url##*@127.0.0.1:}"; port="${port%%/*}"
    # Line 4 of postmaster.pid is the port the server listens on: guards against a stale URL
    # whose port now belongs to another server.
    [[ "$(sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null)" == "$port" ]] || return 1
    as_server_user "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 1
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 5
}

cmd_start() {
    ensure_installed
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 || die "no 'postgres' OS user to run the server as (it comes with Debian's postgresql package)"
    fi

    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd -P)"
    # The server's cwd must be readable by it; the caller's may not be.
    cd /

    if running_with_saved_url; then
        echo "postgres-test-cluster: already running in $dir"
        cat "$dir/url" >&3
        return
    fi

    [[ "$dir" != *[[:space:]]* ]] || die "DIR must not contain whitespace"
    local socket_dir="$dir/socket"
    # A Unix socket path is at most 107 bytes: DIR/socket/.s.PGSQL.PORT must fit.
    ((${#socket_dir} + 18 <= 107)) || die "DIR is too long for a Unix socket path; use a short directory under /tmp"

    mkdir -p "$dir/data" "$socket_dir"
    touch "$dir/postgres.log"
    chmod 755 "$dir" "$socket_dir"
    chmod 700 "$dir/data"
    if ((EUID == 0)); then
        chown postgres:postgres "$dir" "$dir/data" "$socket_dir" "$dir/postgres.log"
        runuser -u postgres -- test -w "$dir/data" \
            || die "the postgres user cannot reach $dir (are its parent directories traversable? use a directory under /tmp)"
    fi

    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        [[ -z "$(ls -A "$dir/data")" ]] || die "$dir/data is neither empty nor a PostgreSQL data directory"
        local locale=C.UTF-8
        if ! locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
            echo "postgres-test-cluster: locale C.UTF-8 is missing; using C"
            locale=C
        fi
        as_server_user "$bindir/initdb" -D "$dir/data" --auth=trust --username=postgres \
            -E UTF8 --locale="$locale" >/dev/null
    fi

    # A port found free can be taken by someone else before the server binds it: retry then.
    local port attempt
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        [[ "$port" =~ ^[0-9]+$ ]] || die "could not find a free port (python3 printed '$port')"
        local log_offset
        log_offset="$(stat -c %s "$dir/postgres.log")"
        # fsync=off: a throwaway test cluster need not survive a crash, and tests run faster.
        # max_connections=300: the tests open many pools at once.
        # 3>&-: the server must not hold our stdout, or `url=$(... start DIR)` would never end.
        if as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
            -o "-p $port -k $socket_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
            start >/dev/null 3>&-; then
            break
        fi
        if tail -c +"$((log_offset + 1))" "$dir/postgres.log" | grep -q 'could not bind'; then
            echo "postgres-test-cluster: port $port was taken; trying another"
            continue
        fi
        tail -n 20 "$dir/postgres.log" >&2
        die "pg_ctl start failed (log: $dir/postgres.log)"
    done
    as_server_user "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 \
        || die "could not start PostgreSQL on a free port (log: $dir/postgres.log)"

    # The role and database, unless an earlier start made them already.
    "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres -d postgres <<SQL
SELECT format('CREATE ROLE %I LOGIN SUPERUSER CREATEDB PASSWORD %L', '$role', '$password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database') \gexec
SQL

    local url="postgres://$role:$password@127.0.0.1:$port/$database?sslmode=disable"
    echo "$url" >"$dir/url"
    echo "postgres-test-cluster: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running in $dir on 127.0.0.1:$port"
    echo "$url" >&3
}

cmd_stop() {
    [[ -d "$dir" ]] && dir="$(cd "$dir" && pwd -P)"
    [[ -f "$dir/data/postmaster.pid" ]] || { echo "postgres-test-cluster: not running in $dir"; return 0; }
    bindir="$(find_bindir)"
    [[ -n "$bindir" ]] || { echo "postgres-test-cluster: PostgreSQL is not installed; nothing to stop"; return 0; }
    cd /
    as_server_user "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null \
        && echo "postgres-test-cluster: stopped the cluster in $dir" \
        || echo "postgres-test-cluster: pg_ctl stop failed; the server was probably not running"
}

cmd_resume() {
    dir="$(cd "$dir" && pwd -P)"
    [[ -s "$dir/url" ]] || die "no saved URL in $dir; use start"
    bindir="$(find_bindir)"
    local url port
    url="$(cat "$dir/url")"
    port="${url##*@127.0.0.1:}"; port="${port%%/*}"
    cd /
    as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
        -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
        start >/dev/null 3>&- || die "pg_ctl start on port $port failed (log: $dir/postgres.log)"
    echo "postgres-test-cluster: resumed the cluster in $dir on 127.0.0.1:$port"
}

case "${1:-}" in
    start) (($# == 2)) || usage; dir="$2"; cmd_start ;;
    resume) (($# == 2)) || usage; dir="$2"; cmd_resume ;;
    stop) (($# == 2)) || usage; dir="$2"; cmd_stop ;;
    install) (($# == 1)) || usage; ensure_installed; "$bindir/psql" --version >&3 ;;
    *) usage ;;
esac
