#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 cluster on a free loopback port:
#   scripts/with-postgres.sh dotnet test ControlPlane.sln
# The command sees CONTROLPLANE_TEST_POSTGRES (an Npgsql connection string). The cluster and its temp dir
# are removed when the command ends, fails or is interrupted; the script exits with the command's exit code.
# If CONTROLPLANE_TEST_POSTGRES is already set, the command runs against that server and nothing is started.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

if [[ -n "${CONTROLPLANE_TEST_POSTGRES:-}" ]]; then
  echo "with-postgres: CONTROLPLANE_TEST_POSTGRES is already set; using that server" >&2
  exec "$@"
fi

# Full paths on purpose: /usr/local/bin may hold shims with the same names.
PG_BIN=/usr/lib/postgresql/15/bin
for tool in initdb pg_ctl postgres; do
  if [[ ! -x "$PG_BIN/$tool" ]]; then
    echo "with-postgres: $PG_BIN/$tool not found; install PostgreSQL 15 with: apt-get install -y postgresql" >&2
    exit 1
  fi
done

# initdb refuses to run as root: as root, run the server tools as the postgres user.
as_pg=()
if [[ $EUID -eq 0 ]]; then
  as_pg=(runuser -u postgres --)
fi

# A loopback port nobody listens on (connecting to a closed port fails at once).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 100); do
  candidate=$((20000 + RANDOM % 40000))
  if ! port_in_use "$candidate"; then PORT=$candidate; break; fi
done
if [[ -z "$PORT" ]]; then
  echo "with-postgres: found no free port on 127.0.0.1" >&2
  exit 1
fi

D=$(mktemp -d /tmp/controlplane-pg.XXXXXX)
started=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ $started -eq 1 ]]; then
    (cd "$D" && "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$D/data" -m fast -s stop) || true
  fi
  rm -rf "$D"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ $EUID -eq 0 ]]; then
  chown postgres:postgres "$D"
fi

# cd into the temp dir so the postgres user never needs access to the caller's working directory.
if ! (cd "$D" && "${as_pg[@]}" "$PG_BIN/initdb" -D "$D/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$D/initdb.log" 2>&1); then
  echo "with-postgres: initdb failed:" >&2
  cat "$D/initdb.log" >&2
  exit 1
fi

started=1
if ! (cd "$D" && "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$D/data" -l "$D/log" -w -s \
      -o "-p $PORT -k $D -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start); then
  echo "with-postgres: PostgreSQL did not start; its log:" >&2
  cat "$D/log" >&2 || true
  exit 1
fi

export CONTROLPLANE_TEST_POSTGRES="Host=127.0.0.1;Port=$PORT;Username=postgres;Password=unused;Database=postgres;Pooling=true;Include Error Detail=true"
echo "with-postgres: PostgreSQL 15 running on 127.0.0.1:$PORT (data and log in $D)" >&2

rc=0
"$@" || rc=$?
exit "$rc"
