#!/usr/bin/env bash
# The scale benchmark of the Requests page (issue 12): seeds a throwaway PostgreSQL with PG_CALLS calls and a SQLite
# file with SQLITE_CALLS (ControlPlane seed --calls), starts the real app on each, signs in as the demo Admin and times
# Requests filter changes over HTTP (/api/v1/calls: the rows a filter change loads; /api/v1/calls/totals: the strip
# above them) and the Overview page's server render (GET /). Prints p50/p95/max per case and pooled.
#   tests/bench/scale.sh [PG_CALLS=10000000] [SQLITE_CALLS=1000000]      SAMPLES=20 per filter; 0 skips a database
#   (SKIP_BUILD=1 reuses the app already built into $OUT/app; OUT=/tmp/… runs two cases side by side; REUSE=1 keeps the
#   SQLite file of an earlier run in $OUT instead of seeding again; REUSE=rollups also sums its rollups again, as after an
#   upgrade that added rollup columns; with PG_OWN=1 and CONTROLPLANE_TEST_POSTGRES naming a server of your own, which
#   scripts/with-postgres.sh then uses as it is, REUSE=1 also keeps that server's calls: seed once, measure many times)
# Not a test: numbers depend on the machine. Results also go to tests/bench/results/scale-<date>.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PG_CALLS=${1:-10000000}
SQLITE_CALLS=${2:-1000000}
SAMPLES=${SAMPLES:-20}
DAYS=${DAYS:-90}
OUT=${OUT:-/tmp/controlplane-scale}
mkdir -p "$OUT" "$ROOT/tests/bench/results"
RESULTS="$ROOT/tests/bench/results/scale-$(date -u +%Y%m%d-%H%M).txt"

if [[ "${1:-}" != "--inner" && -z "${SKIP_BUILD:-}" ]]; then
  echo "Building the app (Release) into $OUT/app ..."
  dotnet build -c Release -o "$OUT/app" "$ROOT/src/ControlPlane/ControlPlane.csproj" -nologo -v q >/dev/null
fi

app_env() {
  export ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development Auth__DevSignIn=true Database__SeedDemoData=true DOTNET_NOLOGO=1
  export Logging__LogLevel__Default=Warning
  export Database__Provider="$1" Database__ConnectionString="$2"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

APP_PID=""
start_app() {
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  (cd "$ROOT/src/ControlPlane" && exec dotnet "$OUT/app/ControlPlane.dll" --urls "$BASE" >"$OUT/app.log" 2>&1) &
  APP_PID=$!
  for _ in $(seq 1 300); do
    if curl -fs "$BASE/ready" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "the app did not become ready; its log:" >&2; tail -50 "$OUT/app.log" >&2; return 1
}
stop_app() { if [[ -n "$APP_PID" ]]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; APP_PID=""; fi; }
trap stop_app EXIT

sign_in() {
  JAR="$OUT/cookies.txt"; rm -f "$JAR"
  curl -fs -c "$JAR" -b "$JAR" "$BASE/sign-in" >"$OUT/sign-in.html"
  # The demo Admin's form (adam.admin@acme.test): its antiforgery token and user id.
  local fields
  fields=$(python3 - "$OUT/sign-in.html" <<'PY'
import re, sys, html
page = open(sys.argv[1]).read()
for form in re.findall(r'<form[^>]*data-testid="dev-user".*?</form>', page, re.S):
    if 'adam.admin@acme.test' in form:
        token = re.search(r'name="__RequestVerificationToken"[^>]*value="([^"]*)"', form).group(1)
        user = re.search(r'name="userId"[^>]*value="([^"]*)"', form).group(1)
        print(html.unescape(token), user)
PY
)
  curl -fs -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "__RequestVerificationToken=${fields% *}" --data-urlencode "userId=${fields#* }" \
    --data-urlencode "returnUrl=/" "$BASE/dev/sign-in"
  curl -fs -o /dev/null -b "$JAR" "$BASE/api/v1/calls?size=1" || { echo "sign-in failed" >&2; return 1; }
}

# Times GET $1 SAMPLES times (after one warm-up); prints the times in ms, one a line.
time_get() {
  curl -fs -o /dev/null -b "$JAR" "$BASE$1" || { echo "GET $1 failed" >&2; return 1; }
  for _ in $(seq 1 "$SAMPLES"); do
    curl -fs -o /dev/null -b "$JAR" -w '%{time_total}\n' "$BASE$1" | awk '{ printf "%.1f\n", $1 * 1000 }'
  done
}

stats() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "no samples"; exit } p50 = v[int((NR - 1) * 0.50) + 1]; p95 = v[int((NR - 1) * 0.95 + 0.999)]; if (p95 == "") p95 = v[NR]; printf "n=%d p50=%.0f ms p95=%.0f ms max=%.0f ms\n", NR, p50, p95, v[NR] }'; }

measure() {
  local label=$1
  sign_in
  local first team model provider next
  first=$(curl -fs -b "$JAR" "$BASE/api/v1/calls?size=25")
  field() { python3 -c 'import json,sys; d=json.load(sys.stdin); k=sys.argv[1]; print(d.get(k) or "" if k=="next" else next((r[k] for r in d["rows"] if r.get(k)), ""))' "$1" <<<"$first"; }
  team=$(field teamId); model=$(field modelRequested); provider=$(field providerName); next=$(field next)
  local filters=(
    "" "range=day" "range=hour" "range=all" "model=$model" "provider=$provider" "team=$team" "outcome=errors" "error=upstream_timeout"
    "caller=support" "user=user-042" "costMin=0.01" "costMin=0.001&costMax=0.002" "status=429" "usage=estimated" "streamed=no"
    "sort=cost" "sort=latency-asc" "after=$next" "range=all&model=$model&outcome=errors" "range=all&sort=cost" "range=day&sort=latency"
  )
  : >"$OUT/rows.txt"; : >"$OUT/totals.txt"
  echo "== $label: Requests filter changes (rows, /api/v1/calls), $SAMPLES samples each; load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS"
  for f in "${filters[@]}"; do
    time_get "/api/v1/calls?$f" >"$OUT/one.txt"
    cat "$OUT/one.txt" >>"$OUT/rows.txt"
    printf '  %-45s %s\n' "${f:-(last 7 days)}" "$(stats <"$OUT/one.txt")" | tee -a "$RESULTS"
  done
  echo "  pooled rows:   $(stats <"$OUT/rows.txt")" | tee -a "$RESULTS"
  echo "== $label: the totals strip (/api/v1/calls/totals): rollups where they answer, else the raw log within a 1 s budget" | tee -a "$RESULTS"
  for f in "" "range=day" "range=all" "team=$team" "caller=support" "model=$model" "outcome=errors"; do
    time_get "/api/v1/calls/totals?$f" >"$OUT/one.txt"
    cat "$OUT/one.txt" >>"$OUT/totals.txt"
    local partial
    partial=$(curl -fs -b "$JAR" "$BASE/api/v1/calls/totals?$f" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("lower bound since " + d["countedFrom"] if d.get("countedFrom") else "exact")')
    printf '  %-45s %s (%s)\n' "${f:-(last 7 days)}" "$(stats <"$OUT/one.txt")" "$partial" | tee -a "$RESULTS"
  done
  echo "  pooled totals (the strip above the rows, loaded beside them): $(stats <"$OUT/totals.txt")" | tee -a "$RESULTS"
  time_get "/" >"$OUT/overview.txt"
  echo "  Overview page render (GET /, server-rendered): $(stats <"$OUT/overview.txt")" | tee -a "$RESULTS"
  echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS"
}

run_case() {
  local label=$1 provider=$2 conn=$3 calls=$4
  app_env "$provider" "$conn"
  echo "== $label: migrate and demo data" | tee -a "$RESULTS"
  start_app; stop_app
  local t0=$SECONDS
  if [[ -n "${REUSE:-}" && ( "$provider" == "Sqlite" || -n "${PG_OWN:-}" ) ]]; then
    echo "== $label: reusing the calls seeded before" | tee -a "$RESULTS"
    if [[ "$REUSE" == "rollups" ]]; then
      (cd "$ROOT/src/ControlPlane" && dotnet "$OUT/app/ControlPlane.dll" seed --rollups-only --days $((DAYS + 1))) | tail -1 | tee -a "$RESULTS"
      echo "  summing the rollups again took $((SECONDS - t0)) s" | tee -a "$RESULTS"
    fi
  else
    echo "== $label: seed --calls $calls --days $DAYS" | tee -a "$RESULTS"
    (cd "$ROOT/src/ControlPlane" && dotnet "$OUT/app/ControlPlane.dll" seed --calls "$calls" --days "$DAYS") | tail -1 | tee -a "$RESULTS"
    echo "  seeding took $((SECONDS - t0)) s (wall clock: rows, indexes and rollups; load average now $(cut -d" " -f1-3 /proc/loadavg))" | tee -a "$RESULTS"
  fi
  if [[ "$provider" == "Postgres" ]]; then
    psql_cmd "VACUUM ANALYZE calls;" >/dev/null
    echo "  table size: $(psql_cmd "SELECT pg_size_pretty(pg_total_relation_size('calls'))" | tr -d ' ')" | tee -a "$RESULTS"
  fi
  start_app
  measure "$label"
  stop_app
}

psql_cmd() {
  local host port database
  host=$(sed 's/.*Host=\([^;]*\).*/\1/' <<<"$CONTROLPLANE_TEST_POSTGRES"); port=$(sed 's/.*Port=\([^;]*\).*/\1/' <<<"$CONTROLPLANE_TEST_POSTGRES")
  # The app's database (PG_OWN may name one); the throwaway server's is postgres.
  database=$(grep -oP '(?i)Database=\K[^;]*' <<<"$CONTROLPLANE_TEST_POSTGRES" || echo postgres)
  psql -h "$host" -p "$port" -U postgres -d "$database" -tAc "$1"
}

if [[ "${1:-}" == "--inner" ]]; then
  # Inside scripts/with-postgres.sh: the throwaway server is in CONTROLPLANE_TEST_POSTGRES.
  PG_CALLS=$2; RESULTS=$3
  run_case "PostgreSQL 15, $PG_CALLS calls" Postgres "$CONTROLPLANE_TEST_POSTGRES" "$PG_CALLS"
  exit 0
fi

echo "ControlPlane scale benchmark, $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, samples per filter: $SAMPLES" | tee "$RESULTS"
if [[ "$SQLITE_CALLS" -gt 0 ]]; then
  [[ -n "${REUSE:-}" ]] || rm -f "$OUT/scale.db"*
  run_case "SQLite, $SQLITE_CALLS calls" Sqlite "Data Source=$OUT/scale.db" "$SQLITE_CALLS"
fi
if [[ "$PG_CALLS" -gt 0 ]]; then
  OUT="$OUT" SAMPLES="$SAMPLES" DAYS="$DAYS" "$ROOT/scripts/with-postgres.sh" "$0" --inner "$PG_CALLS" "$RESULTS"
fi
echo "Results in $RESULTS"
