#!/usr/bin/env bash
# `npm run bench:kannel`: Pigeon beside Kannel, the incumbent gateway, in one run on this machine,
# so that the ratios compare figures measured minutes apart under the same noise. It drives the
# shared Kannel harness (KANNEL_BENCH, default ../shared/bench-kannel: its `kannel.sh install`
# must have run) and Pigeon's own bench, back to back:
#
#   1. acceptance: Kannel's sendsms without delivery reports, a bare Node server, and Pigeon
#      `--role api` on SQLite with the fsync before each 202 (wrk, 64 connections), in turn;
#   2. Kannel's burst with delivery reports: N messages from the first request to the last
#      delivery-report callback;
#   3. Pigeon's end-to-end scenario (`BENCH_SCENARIOS=e2e`) with the same N on SQLite (one
#      process, `pigeon serve`'s default of a worker thread) and PostgreSQL (2 API + 2 worker
#      processes), counting the rows SQLite writes (BENCH_SQL_ROWS=1) and, on PostgreSQL, the
#      primary's work per message and the capacity model built on it (bench/lib/capacity.ts);
#   4. the SMPP scenario (the same deployment and N, through `pigeon smsc`) on SQLite;
#
# then prints the same-run figures and a table of every target with met or missed.
#
# Env: KANNEL_BENCH, BENCH_N (100000), BENCH_DURATION (10 s per acceptance run), BENCH_ENGINES
# (sqlite,postgres), BENCH_SMPP_ENGINES (sqlite), BENCH_E2E_OUTPUT (a file to keep the whole output of
# steps 3 and 4 in: SQL rows by table, the capacity model, the run tables).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Beside the main checkout, or beside a worktree's parent folder (/work/wt/<name>).
KANNEL_BENCH=${KANNEL_BENCH:-$([ -d "$ROOT/../shared/bench-kannel" ] && echo "$ROOT/../shared/bench-kannel" || echo "$ROOT/../../shared/bench-kannel")}
N=${BENCH_N:-100000}
DURATION=${BENCH_DURATION:-10}
ENGINES=${BENCH_ENGINES:-sqlite,postgres}
SMPP_ENGINES=${BENCH_SMPP_ENGINES:-sqlite}
PORT=${PIGEON_BENCH_PORT:-23190}
[ -x "$KANNEL_BENCH/run-bench.sh" ] || { echo "bench:kannel: no Kannel harness at $KANNEL_BENCH (set KANNEL_BENCH)" >&2; exit 1; }

RUN_DIR=$(mktemp -d /tmp/pigeon-kannel-XXXXXX)
PIGEON_PID=""
stop_pigeon() {
  if [ -n "$PIGEON_PID" ] && kill -0 "$PIGEON_PID" 2>/dev/null; then
    kill -TERM "$PIGEON_PID"
    wait "$PIGEON_PID" 2>/dev/null || true
  fi
  PIGEON_PID=""
}
trap 'stop_pigeon; rm -rf "$RUN_DIR"' EXIT

[ "${BENCH_SKIP_BUILD:-}" = 1 ] || npm run build >/dev/null

# ---- 1 and 2: Kannel and the baselines, with Pigeon --role api as the extra target ----
echo "== acceptance and Kannel's burst ($N messages with delivery reports)"
DATABASE_URL="sqlite:$RUN_DIR/pigeon.db" PORT=$PORT PIGEON_LOG_LEVEL=warn PIGEON_ROLE=api \
  node bin/pigeon.js serve >"$RUN_DIR/pigeon.log" 2>&1 &
PIGEON_PID=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.1
done
AUTH="Basic $(printf api-user:api-pass | base64)"
BODY='{"applicationId":"93de2206-9669-4e07-948d-329f4b722ee2","from":"+19195551212","to":["+19195550199"],"text":"Hello from bench"}'
KANNEL_RUN_DIR=${BENCH_RUN_DIR:-/tmp/kannel-bench}
RESULTS_BEFORE=$(ls -d "$KANNEL_RUN_DIR"/results-* 2>/dev/null | wc -l || true)
TARGETS="kannel-nodlr node-plain" CONCURRENCY=64 REPEATS=1 DURATION=$DURATION WARMUP=2 \
  RUN_BURST=1 BURST_VARIANTS=dlr BURST_N=$N \
  EXTRA_TARGET_NAME=pigeon EXTRA_TARGET_URL="http://127.0.0.1:$PORT/api/v2/users/9900000/messages" \
  EXTRA_TARGET_BODY="$BODY" EXTRA_TARGET_AUTH="$AUTH" EXTRA_TARGET_PID=$PIGEON_PID \
  "$KANNEL_BENCH/run-bench.sh" >"$RUN_DIR/kannel.txt" 2>&1 || { tail -40 "$RUN_DIR/kannel.txt"; exit 1; }
stop_pigeon
RAW=$(ls -td "$KANNEL_RUN_DIR"/results-*/raw.jsonl | head -1)
[ "$(ls -d "$KANNEL_RUN_DIR"/results-* | wc -l)" -gt "$RESULTS_BEFORE" ] || { echo "bench:kannel: no new Kannel results" >&2; exit 1; }

# ---- 3 and 4: Pigeon end to end, same size, then through SMPP ----
echo "== Pigeon end to end ($N SMS; engines $ENGINES; SMPP on $SMPP_ENGINES)"
BENCH_SKIP_BUILD=1 BENCH_SCENARIOS=e2e,smpp BENCH_ENGINES=$ENGINES BENCH_SMPP_ENGINES=$SMPP_ENGINES BENCH_E2E_MESSAGES=$N \
  BENCH_SQL_ROWS=1 BENCH_RESULTS_JSON="$RUN_DIR/e2e.json" \
  node --import tsx bench/run.ts >"$RUN_DIR/e2e.txt" 2>&1 || { tail -40 "$RUN_DIR/e2e.txt"; exit 1; }
[ -z "${BENCH_E2E_OUTPUT:-}" ] || cp "$RUN_DIR/e2e.txt" "$BENCH_E2E_OUTPUT"
grep -E "^machine (before|after) the bench|^warning: other processes|^e2e [^:]*:$|^(postgres|sqlite) work per message|^  rows (read|written) per message|end-to-end \(|acceptance during|CPU over|memory flat" "$RUN_DIR/e2e.txt" || true
# The SMPP table, and the PostgreSQL primary's work per message with what it means for a production primary.
awk '/^== (capacity (inputs|model)|smpp)/ { on = 1; print ""; print; next } /^== |^machine after/ { on = 0 } on' "$RUN_DIR/e2e.txt"

# ---- the figures and the targets ----
node - "$RAW" "$RUN_DIR/e2e.json" <<'EOF'
const { readFileSync } = require('node:fs');
const [raw, e2eJson] = process.argv.slice(2);
const rows = readFileSync(raw, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const rps = (target) => rows.find((r) => r.kind === 'load' && r.target === target)?.wrk?.rps;
const burst = rows.find((r) => r.kind === 'burst' && r.variant === 'dlr');
const results = JSON.parse(readFileSync(e2eJson, 'utf8'));
const e2e = (engine) => results.e2e.find((r) => r.engine === engine);
const smpp = (engine) => results.smpp.find((r) => r.engine === engine)?.run;
const f = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? '—' : x.toFixed(d));
const ratio = (a, b) => (a && b ? a / b : undefined);
const sqlite = e2e('sqlite');
const postgres = e2e('postgres');
const lines = [
  ['Kannel sendsms without delivery reports (req/s)', f(rps('kannel-nodlr'))],
  ['bare Node http (req/s)', f(rps('node-plain'))],
  ['Pigeon --role api, SQLite, fsync (req/s)', f(rps('pigeon'))],
  ['Kannel burst with delivery reports (callbacks/s)', f(burst?.dlr_rate)],
  ['Kannel CPU per message (µs)', f(burst?.server_cpu_us_per_msg)],
  ['Pigeon SQLite end to end (callbacks/s)', f(sqlite?.endToEndPerSecond)],
  ['Pigeon SQLite acceptance during the send (req/s)', f(sqlite?.send?.requestsPerSecond)],
  ['Pigeon SQLite CPU per message (µs)', f(sqlite?.pigeonCpuUsPerMessage)],
  ['Pigeon PostgreSQL end to end (callbacks/s)', f(postgres?.endToEndPerSecond)],
  ['Pigeon PostgreSQL CPU per message (µs, Pigeon only)', f(postgres?.pigeonCpuUsPerMessage)],
  ...results.smpp.map((s) => [`Pigeon ${s.engine} through SMPP end to end (callbacks/s)`, f(s.run.endToEndPerSecond)]),
];
console.log('\n== same-run figures');
for (const [name, value] of lines) console.log(`${name.padEnd(60)} ${value.padStart(8)}`);

// [item, figure, value, digits, 'min' | 'max', target, unit]: a figure that was not measured is missed.
const targets = [
  ['a', 'SQLite end to end / Kannel burst with delivery reports', ratio(sqlite?.endToEndPerSecond, burst?.dlr_rate), 2, 'min', 1.5, '×'],
  ['b', 'acceptance (--role api, SQLite, fsync) / Kannel sendsms without delivery reports', ratio(rps('pigeon'), rps('kannel-nodlr')), 2, 'min', 1.5, '×'],
  ['c', 'Pigeon CPU per message, SQLite end to end (µs)', sqlite?.pigeonCpuUsPerMessage, 0, 'max', 300, ' µs'],
  ['d', 'PostgreSQL end to end (2 API + 2 workers) / SQLite end to end', ratio(postgres?.endToEndPerSecond, sqlite?.endToEndPerSecond), 2, 'min', 0.5, '×'],
];
for (const engine of ['sqlite', 'postgres']) {
  const run = smpp(engine);
  if (engine === 'sqlite' || run) {
    targets.push(['e', `SMPP end to end / simulator end to end, ${engine}`, ratio(run?.endToEndPerSecond, e2e(engine)?.endToEndPerSecond), 2, 'min', 0.8, '×']);
  }
}
const flat = [];
for (const run of [sqlite, postgres]) {
  if (!run) continue;
  const m = run.memory;
  const growth = m.lastQuarterPeakMb == null || m.firstQuarterPeakMb == null ? undefined : m.lastQuarterPeakMb - m.firstQuarterPeakMb;
  targets.push(['f', `memory: last-quarter peak RSS − first-quarter peak, ${run.engine} (MB)`, growth, 0, 'max', m.allowedGrowthMb ?? undefined, ' MB']);
  flat.push(`${run.engine}: first-quarter peak ${f(m.firstQuarterPeakMb)} MB, last-quarter peak ${f(m.lastQuarterPeakMb)} MB, allowed growth ${f(m.allowedGrowthMb)} MB`);
}
// Rows written are counted over the whole process (SQLite: start-up and the smoke message included) or the run's
// window (PostgreSQL: the endpoint's circuit row, created once): one-off rows add a few per 100 000 messages, so
// these are compared at the two decimals printed.
const perMessage = (value) => (value == null ? value : Number(value.toFixed(2)));
targets.push(['g', 'rows written per message, SQLite', perMessage(sqlite?.sqliteRows?.writtenPerMessage), 2, 'max', 8, '']);
targets.push(['g', 'rows written per message, PostgreSQL', perMessage(postgres?.pgWork?.rowsWrittenPerMessage), 2, 'max', 8, '']);
targets.push(['g', 'rows read per message, PostgreSQL', postgres?.pgWork?.rowsReadPerMessage, 1, 'max', 20, '']);
targets.push(['-', 'SQLite end to end / its acceptance during the send', ratio(sqlite?.endToEndPerSecond, sqlite?.send?.requestsPerSecond), 2, 'min', 0.7, '×']);

console.log('\n== targets');
const width = Math.max(...targets.map((t) => t[1].length));
console.log(`   ${'figure'.padEnd(width)}  ${'value'.padStart(8)}  ${'target'.padEnd(12)}  verdict`);
for (const [item, name, value, digits, kind, target, unit] of targets) {
  const measured = value !== undefined && value !== null && !Number.isNaN(value) && target !== undefined;
  const ok = measured && (kind === 'min' ? value >= target : value <= target);
  const stated = target === undefined ? '—' : `${kind === 'min' ? '>=' : '<='} ${f(target, kind === 'min' ? digits : 0)}${unit}`;
  console.log(`${item}  ${name.padEnd(width)}  ${f(value, digits).padStart(8)}  ${stated.padEnd(12)}  ${measured ? (ok ? 'met' : 'missed') : 'missed (not measured)'}`);
}
for (const line of flat) console.log(`   memory ${line}`);
if (results.failures.length > 0) console.log(`\nbench failures (the figures above may be incomplete):\n${results.failures.map((x) => `  - ${x}`).join('\n')}`);
EOF
