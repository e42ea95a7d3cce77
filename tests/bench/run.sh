#!/usr/bin/env bash
# The gateway benchmark (issue 5): one command, everything on 127.0.0.1, everything stops by itself.
#   tests/bench/run.sh
# Targets in the same run: the mock upstream directly (the floor), ControlPlane with full accounting on SQLite and
# on PostgreSQL, and the peer gateway @portkey-ai/gateway 1.15.2. Each gateway gets core 0 (taskset -c 0); the mock,
# PostgreSQL and the load generators share core 1. ROUNDS rounds (default 3), medians; the table goes to
# tests/bench/results/latest.md and stdout. Knobs: ROUNDS, DURATION (s per load run, default 8), WARMUP (3),
# LATENCY_DURATION (5), STREAMS (concurrent streams in the light streaming test, 8), MANY_STREAMS (1000),
# KEEP=1 keeps the work dir (logs, databases). CP_ENV="Name=value …" adds settings to both ControlPlanes, e.g.
# CP_ENV="Metrics__Token=$(openssl rand -hex 24)" measures them with /metrics on (README "Observability").
# PERF=1 also records where ControlPlane's CPU goes (perf, 999 Hz, call graphs) during round 1's 32-connection run
# and writes the top frames to tests/bench/results/profile-<target>.txt (perf costs a little: use it for the
# profile, not for the table).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$ROOT/tests/bench
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-3}
LATENCY_DURATION=${LATENCY_DURATION:-5}
STREAMS=${STREAMS:-8}
MANY_STREAMS=${MANY_STREAMS:-1000}
PG_BIN=/usr/lib/postgresql/15/bin
APP=$ROOT/src/ControlPlane/bin/Release/net10.0/ControlPlane.dll
MOCK=$BENCH/mock/bin/Release/net10.0/bench-mock.dll

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---------------------------------------------------------------- prerequisites (installed only when missing)
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
command -v psql >/dev/null && [[ -x $PG_BIN/initdb ]] || need_apt+=(postgresql)
command -v taskset >/dev/null || need_apt+=(util-linux)
[[ ${PERF:-0} != 1 ]] || command -v perf >/dev/null || need_apt+=(linux-perf)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]} with apt"
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [[ ! -f $BENCH/node_modules/@portkey-ai/gateway/build/start-server.js ]]; then
  log "installing @portkey-ai/gateway with npm ci (tests/bench/node_modules)"
  (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error)
fi

log "building ControlPlane and the mock (Release)"
for project in "$ROOT/src/ControlPlane/ControlPlane.csproj" "$BENCH/mock/Mock.csproj"; do
  if ! out=$(dotnet build "$project" -c Release -v q -nologo 2>&1); then echo "$out" >&2; exit 1; fi
done

# ---------------------------------------------------------------- work dir, processes, cleanup
W=$(mktemp -d /tmp/cp-bench.XXXXXX)
chmod 755 "$W"
pids=()
pg_started=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $pg_started -eq 1 ]]; then
    (cd "$W" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$W/pg/data" -m fast -s stop) || true
  fi
  if [[ ${KEEP:-0} == 1 || $rc -ne 0 ]]; then log "work dir kept: $W"; else rm -rf "$W"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+), where client sockets take ports
    if ! port_in_use "$p"; then echo "$p"; return; fi
  done
  echo "no free port" >&2; return 1
}
wait_http() { # url seconds
  for _ in $(seq 1 $(($2 * 10))); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  log "not answering: $1"; return 1
}
wait_post() { # url: any HTTP answer to a POST (Portkey has no health endpoint)
  for _ in $(seq 1 150); do
    curl -s -o /dev/null -XPOST "$1" && return 0
    sleep 0.1
  done
  log "not answering: $1"; return 1
}

# ---------------------------------------------------------------- mocks (core 1)
MOCK_PORT=$(free_port)
SLOW_PORT=$(free_port)
taskset -c 1 dotnet "$MOCK" --urls "http://127.0.0.1:$MOCK_PORT" >"$W/mock.log" 2>&1 &
pids+=($!); MOCK_PID=$!
# The slow mock (one chunk per 100 ms) carries the many-streams test, so 1,000 streams are 10,000 events/s.
MOCK_CHUNK_MS=100 taskset -c 1 dotnet "$MOCK" --urls "http://127.0.0.1:$SLOW_PORT" >"$W/mock-slow.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$MOCK_PORT/health" 20
wait_http "http://127.0.0.1:$SLOW_PORT/health" 20

# ---------------------------------------------------------------- PostgreSQL (core 1, default durability)
PG_PORT=$(free_port)
mkdir -p "$W/pg" && chown postgres:postgres "$W/pg"
(cd "$W/pg" && runuser -u postgres -- "$PG_BIN/initdb" -D "$W/pg/data" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$W/pg/initdb.log" 2>&1)
pg_started=1
(cd "$W/pg" && taskset -c 1 runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/log" -w -s \
  -o "-p $PG_PORT -k $W/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start)
PG_CS="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=unused;Database=postgres"
psql_q() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAq -c "$1"; }

# ---------------------------------------------------------------- ControlPlane (core 0)
# Full accounting: key check, limits, route, wallet hold and settle, call log and ledger. The demo organisation is
# seeded by a first start; then a key is made with the CLI for team Platform and every limited wallet of the demo
# (organisation, Engineering, Platform…) is raised to 100,000,000 USD with one SQL UPDATE, so no call is refused.
# The per-caller ceiling is off (Limits__CallerCeiling__Calls=0): it exists to stop runaway loops.
# Production refuses to start without a key-encryption certificate (README "Security"): a throwaway one for the run.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/kek.key" -out "$W/kek.crt" -subj "/CN=ControlPlane bench" -days 30 2>/dev/null
KEK_PFX=$(openssl pkcs12 -export -inkey "$W/kek.key" -in "$W/kek.crt" -passout pass: | base64 -w0)
cp_env() { # provider connection-string command... (exec: call it only in a subshell, & or $(...), so $! is the app)
  exec env ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=0 KeyEncryption__CertificateBase64="$KEK_PFX" \
    Database__Provider="$1" Database__ConnectionString="$2" Database__SeedDemoData=true \
    Limits__CallerCeiling__Calls=0 ${CP_ENV:-} \
    Gateway__AllowedProviderAddresses__0="127.0.0.1:$MOCK_PORT" Gateway__AllowedProviderAddresses__1="127.0.0.1:$SLOW_PORT" \
    Gateway__Providers__mock__Kind=openai Gateway__Providers__mock__BaseUrl="http://127.0.0.1:$MOCK_PORT/v1" \
    Gateway__Providers__mock__ApiKey=sk-mock Gateway__Providers__mock__Models__bench=benchmodel \
    Gateway__Providers__mock__Prices__benchmodel__Input=0.01 Gateway__Providers__mock__Prices__benchmodel__Output=0.01 \
    Gateway__Providers__slow__Kind=openai Gateway__Providers__slow__BaseUrl="http://127.0.0.1:$SLOW_PORT/v1" \
    Gateway__Providers__slow__ApiKey=sk-mock Gateway__Providers__slow__Models__benchslow=benchmodel \
    Gateway__Providers__slow__Prices__benchmodel__Input=0.01 Gateway__Providers__slow__Prices__benchmodel__Output=0.01 \
    "${@:3}"
}
declare -A PORT PID KEY
# For perf: JIT-compile everything fully optimized at once (no ReadyToRun code without symbols, no tier-0 code that
# a short run never leaves), write /tmp/perf-<pid>.map, and no W^X
# double mapping (perf cannot name code it sees through a memfd alias).
PERF_ENV=(env)
[[ ${PERF:-0} != 1 ]] || PERF_ENV=(env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0 DOTNET_TieredCompilation=0)
start_cp() { # name provider connection-string raise-sql-command...
  local name=$1 provider=$2 cs=$3 port
  port=$(free_port)
  cp_env "$provider" "$cs" dotnet "$APP" --urls "http://127.0.0.1:$port" >"$W/$name-seed.log" 2>&1 &
  local seed=$!
  wait_http "http://127.0.0.1:$port/ready" 60
  kill -TERM "$seed"; wait "$seed" || true
  KEY[$name]=$(cp_env "$provider" "$cs" dotnet "$APP" keys create --team Platform --name bench 2>/dev/null | grep -o 'cp-live-[A-Za-z0-9]*')
  "${@:4}"
  cp_env "$provider" "$cs" "${PERF_ENV[@]}" taskset -c 0 dotnet "$APP" --urls "http://127.0.0.1:$port" >"$W/$name.log" 2>&1 &
  PID[$name]=$!; pids+=($!); PORT[$name]=$port
  wait_http "http://127.0.0.1:$port/ready" 60
}
log "starting ControlPlane on SQLite and on PostgreSQL"
SQLITE_DB=$W/cp.db
start_cp sqlite Sqlite "Data Source=$SQLITE_DB" \
  sqlite3 "$SQLITE_DB" 'UPDATE wallets SET "limit" = 100000000 WHERE "limit" IS NOT NULL;'
start_cp postgres Postgres "$PG_CS" \
  psql_q 'UPDATE wallets SET "limit" = 100000000 WHERE "limit" IS NOT NULL;'

# ---------------------------------------------------------------- Portkey 1.15.2 (core 0), patched copy in $W
log "starting Portkey"
mkdir -p "$W/portkey"
cp -r "$BENCH/node_modules/@portkey-ai/gateway/build" "$BENCH/node_modules/@portkey-ai/gateway/package.json" "$W/portkey/"
ln -s "$BENCH/node_modules" "$W/portkey/node_modules"
# On node 20/22 its streaming fails with "TypeError: immutable" unless serve() gets overrideGlobalObjects: false;
# the hostname keeps it on loopback.
sed -i 's/({fetch:\([A-Za-z_$]*\)\.fetch,port:\([A-Za-z_$]*\)})/({fetch:\1.fetch,port:\2,hostname:"127.0.0.1",overrideGlobalObjects:!1})/' \
  "$W/portkey/build/start-server.js"
grep -q 'overrideGlobalObjects:!1' "$W/portkey/build/start-server.js" || { log "Portkey patch did not apply"; exit 1; }
PORT[portkey]=$(free_port)
taskset -c 0 node "$W/portkey/build/start-server.js" --headless --port="${PORT[portkey]}" >"$W/portkey.log" 2>&1 &
PID[portkey]=$!; pids+=($!)
wait_post "http://127.0.0.1:${PORT[portkey]}/v1/chat/completions"
PORT[mock]=$MOCK_PORT; PID[mock]=$MOCK_PID

# ---------------------------------------------------------------- what each target is asked
MSG='"messages":[{"role":"user","content":"Say hello to the benchmark."}]'
url() { echo "http://127.0.0.1:${PORT[$1]}/v1/chat/completions"; }
model() { case $1 in sqlite|postgres) echo bench ;; *) echo benchmodel ;; esac; }
slow_model() { case $1 in sqlite|postgres) echo benchslow ;; *) echo benchmodel ;; esac; }
# Headers as name:value|name:value (wrk.lua) and as JSON (streams.mjs).
wrk_headers() { # target upstream-port
  case $1 in
    sqlite|postgres) echo "Authorization:Bearer ${KEY[$1]}" ;;
    portkey) echo "Authorization:Bearer sk-mock|x-portkey-provider:openai|x-portkey-custom-host:http://127.0.0.1:$2/v1" ;;
    mock) echo "Authorization:Bearer sk-mock" ;;
  esac
}
json_headers() { # target upstream-port
  case $1 in
    sqlite|postgres) echo "{\"authorization\":\"Bearer ${KEY[$1]}\"}" ;;
    portkey) echo "{\"authorization\":\"Bearer sk-mock\",\"x-portkey-provider\":\"openai\",\"x-portkey-custom-host\":\"http://127.0.0.1:$2/v1\"}" ;;
    mock) echo '{"authorization":"Bearer sk-mock"}' ;;
  esac
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mem_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
RESULTS=$W/results.jsonl
emit() { echo "{\"round\":$1,\"target\":\"$2\",\"metric\":\"$3\",\"value\":$4}" >>"$RESULTS"; }
TICK=$(getconf CLK_TCK)

wrk_run() { # target conns seconds -> prints the BENCH json
  BENCH_BODY="{\"model\":\"$(model "$1")\",$MSG}" BENCH_HEADERS=$(wrk_headers "$1" "$MOCK_PORT") \
    taskset -c 1 wrk -t1 -c"$2" -d"$3"s --latency -s "$BENCH/wrk.lua" "$(url "$1")" | sed -n 's/^BENCH //p'
}
jget() { node -e 'const o=JSON.parse(process.argv[1]); console.log(o[process.argv[2]] ?? "null")' "$1" "$2"; }

declare -A MADE  # client-side 2xx answers per target (wrk completions + finished streams)
declare -A UPSTREAM  # completions the two mocks were asked for while a target was under test
upstream_count() { echo $(( $(curl -sf "http://127.0.0.1:$MOCK_PORT/count") + $(curl -sf "http://127.0.0.1:$SLOW_PORT/count") )); }
bench_target() { # round target
  local r=$1 t=$2 pid=${PID[$2]} out before after reqs=0 errs=0 sreq up0
  log "round $r: $t"
  up0=$(upstream_count)
  wrk_run "$t" 32 "$WARMUP" >"$W/warmup.json"
  out=$(jget "$(cat "$W/warmup.json")" requests); MADE[$t]=$((${MADE[$t]:-0} + out - $(jget "$(cat "$W/warmup.json")" non2xx)))
  before=$(cpu_ticks "$pid")
  for c in 8 32; do
    local perf_pid=""
    if [[ ${PERF:-0} == 1 && $r == 1 && $c == 32 && ($t == sqlite || $t == postgres) ]]; then
      perf record -q -F 999 -g -o "$W/perf.$t.data" -p "$pid" -- sleep $((DURATION - 2)) >/dev/null 2>&1 &
      perf_pid=$!
    fi
    out=$(wrk_run "$t" "$c" "$DURATION")
    [[ -z $perf_pid ]] || wait "$perf_pid" || true
    sreq=$(jget "$out" requests)
    emit "$r" "$t" "rps_$c" "$(awk -v n="$sreq" -v d="$(jget "$out" duration_us)" 'BEGIN{printf "%.1f", n / (d / 1e6)}')"
    reqs=$((reqs + sreq))
    errs=$((errs + $(jget "$out" non2xx) + $(jget "$out" socket_errors)))
    MADE[$t]=$((${MADE[$t]:-0} + sreq - $(jget "$out" non2xx)))
  done
  after=$(cpu_ticks "$pid")
  emit "$r" "$t" cpu_us "$(awk -v t=$((after - before)) -v k="$TICK" -v n="$reqs" 'BEGIN{printf "%.1f", t * 1e6 / k / n}')"
  out=$(wrk_run "$t" 1 "$LATENCY_DURATION")
  emit "$r" "$t" p50_ms "$(awk -v x="$(jget "$out" p50_us)" 'BEGIN{printf "%.3f", x / 1000}')"
  emit "$r" "$t" p99_ms "$(awk -v x="$(jget "$out" p99_us)" 'BEGIN{printf "%.3f", x / 1000}')"
  errs=$((errs + $(jget "$out" non2xx) + $(jget "$out" socket_errors)))
  MADE[$t]=$((${MADE[$t]:-0} + $(jget "$out" requests) - $(jget "$out" non2xx)))

  # Streaming, light: STREAMS at a time, 6 × STREAMS streams of 20 chunks 10 ms apart.
  out=$(taskset -c 1 node "$BENCH/streams.mjs" "$(url "$t")" "$STREAMS" $((STREAMS * 6)) "$(json_headers "$t" "$MOCK_PORT")" \
    "{\"model\":\"$(model "$t")\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MSG}")
  emit "$r" "$t" ttft_p50_ms "$(jget "$out" ttft_p50)"
  emit "$r" "$t" ttft_p99_ms "$(jget "$out" ttft_p99)"
  emit "$r" "$t" gap_max_ms "$(jget "$out" gap_max)"
  errs=$((errs + $(jget "$out" errors)))
  MADE[$t]=$((${MADE[$t]:-0} + $(jget "$out" ok)))

  # Streaming, many: MANY_STREAMS at once against the slow mock (20 chunks 100 ms apart); peak RSS while they run.
  local peak_file=$W/peak.$t
  echo 0 >"$peak_file"
  (for _ in $(seq 1 80); do
     m=$(mem_kb "$pid" VmRSS); [[ $m -gt $(cat "$peak_file") ]] && echo "$m" >"$peak_file"; sleep 0.1
   done) &
  local sampler=$!
  out=$(taskset -c 1 node "$BENCH/streams.mjs" "$(url "$t")" "$MANY_STREAMS" "$MANY_STREAMS" \
    "$(json_headers "$t" "$SLOW_PORT")" \
    "{\"model\":\"$(slow_model "$t")\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MSG}" 60)
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  emit "$r" "$t" many_ok "$(jget "$out" ok)"
  emit "$r" "$t" many_ttft_p50_ms "$(jget "$out" ttft_p50)"
  emit "$r" "$t" many_rss_mb "$(awk -v k="$(cat "$peak_file")" 'BEGIN{printf "%.1f", k / 1024}')"
  errs=$((errs + $(jget "$out" errors)))
  MADE[$t]=$((${MADE[$t]:-0} + $(jget "$out" ok)))

  emit "$r" "$t" errors "$errs"
  UPSTREAM[$t]=$((${UPSTREAM[$t]:-0} + $(upstream_count) - up0))
  emit "$r" "$t" rss_mb "$(awk -v k="$(mem_kb "$pid" VmRSS)" 'BEGIN{printf "%.1f", k / 1024}')"
  emit "$r" "$t" hwm_mb "$(awk -v k="$(mem_kb "$pid" VmHWM)" 'BEGIN{printf "%.1f", k / 1024}')"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
TARGETS=(mock sqlite postgres portkey)
log "$ROUNDS rounds of ${TARGETS[*]}; load runs of ${DURATION}s after ${WARMUP}s warm-up"
for r in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do bench_target "$r" "$t"; done
done

# ---------------------------------------------------------------- profile (PERF=1)
if [[ ${PERF:-0} == 1 ]]; then
  for t in sqlite postgres; do
    [[ -f $W/perf.$t.data ]] || continue
    {
      echo "# perf, ControlPlane on $t, 32 connections, non-streaming; $(date -u +%F)"
      perf script -i "$W/perf.$t.data" -F ip,sym,dso 2>/dev/null | node "$BENCH/perf-fold.mjs" || true
      echo "## self time, by function (top 45)"
      perf report -i "$W/perf.$t.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' | head -45 || true
      echo "## inclusive time, by function (top 70)"
      perf report -i "$W/perf.$t.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' | head -70 || true
      echo "## self time, by library"
      perf report -i "$W/perf.$t.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' | head -20 || true
    } | cut -c1-220 | sed 's/ *$//' >"$BENCH/results/profile-$t.txt"
    rm -f "/tmp/perf-${PID[$t]}.map" "/tmp/perfinfo-${PID[$t]}.map"
  done
fi

# ---------------------------------------------------------------- no row lost
# Stop both ControlPlanes gracefully (the call-log queue drains on shutdown), then count.
for t in sqlite postgres; do kill -TERM "${PID[$t]}"; wait "${PID[$t]}" 2>/dev/null || true; done
ROWS_SQL="SELECT count(*) FROM calls WHERE key_id = (SELECT id FROM api_keys WHERE name = 'bench')"
OK_SQL="$ROWS_SQL AND status BETWEEN 200 AND 299"
CHARGED_SQL="SELECT count(DISTINCT e.call_id) FROM ledger_entries e JOIN calls c ON c.id = e.call_id WHERE e.kind = 'charge' AND c.key_id = (SELECT id FROM api_keys WHERE name = 'bench')"
OK_CHARGED_SQL="$CHARGED_SQL AND c.status BETWEEN 200 AND 299"
# The rows that are not 2xx, by status, error class, usage source, whether a provider was asked, and how many charged.
OTHER_SQL="SELECT c.status, coalesce(c.error_class, '-'), c.usage_source, CASE WHEN c.provider_id IS NULL THEN 'no-provider' ELSE 'provider' END, count(DISTINCT c.id), count(DISTINCT e.call_id) FROM calls c LEFT JOIN ledger_entries e ON e.call_id = c.id AND e.kind = 'charge' WHERE c.key_id = (SELECT id FROM api_keys WHERE name = 'bench') AND c.status NOT BETWEEN 200 AND 299 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
{
  echo "{\"target\":\"sqlite\",\"made\":${MADE[sqlite]},\"upstream\":${UPSTREAM[sqlite]},\"rows\":$(sqlite3 "$SQLITE_DB" "$ROWS_SQL"),\"ok_rows\":$(sqlite3 "$SQLITE_DB" "$OK_SQL"),\"charged\":$(sqlite3 "$SQLITE_DB" "$CHARGED_SQL"),\"ok_charged\":$(sqlite3 "$SQLITE_DB" "$OK_CHARGED_SQL"),\"other\":\"$(sqlite3 -separator ' ' "$SQLITE_DB" "$OTHER_SQL" | paste -sd ';' -)\"}"
  echo "{\"target\":\"postgres\",\"made\":${MADE[postgres]},\"upstream\":${UPSTREAM[postgres]},\"rows\":$(psql_q "$ROWS_SQL"),\"ok_rows\":$(psql_q "$OK_SQL"),\"charged\":$(psql_q "$CHARGED_SQL"),\"ok_charged\":$(psql_q "$OK_CHARGED_SQL"),\"other\":\"$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAq -F ' ' -c "$OTHER_SQL" | paste -sd ';' -)\"}"
} >"$W/rows.jsonl"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
# A PERF=1 run is slowed by perf: its table stays in the work dir.
TABLE=$BENCH/results/latest.md
[[ ${PERF:-0} != 1 ]] || TABLE=$W/latest.md
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(. /etc/os-release && echo "$PRETTY_NAME"), .NET $(dotnet --list-runtimes | awk '/AspNetCore/ {v=$2} END {print v}'), node $(node --version)"
node "$BENCH/report.mjs" "$RESULTS" "$W/rows.jsonl" "$MACHINE" \
  "load average before/after: $LOAD_START / $LOAD_END (the run alone makes about 2-3; more means other work shared the machine); rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s latency=${LATENCY_DURATION}s streams=$STREAMS many=$MANY_STREAMS" \
  >"$TABLE"
cat "$TABLE"
