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
#      process, `pigeon serve`'s default of a worker thread) and PostgreSQL;
#
# then prints the ratios the performance targets are stated in.
#
# Env: KANNEL_BENCH, BENCH_N (100000), BENCH_DURATION (10 s per acceptance run), BENCH_ENGINES
# (sqlite,postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KANNEL_BENCH=${KANNEL_BENCH:-$ROOT/../shared/bench-kannel}
N=${BENCH_N:-100000}
DURATION=${BENCH_DURATION:-10}
ENGINES=${BENCH_ENGINES:-sqlite,postgres}
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

# ---- 3: Pigeon end to end, same size ----
echo "== Pigeon end to end ($N SMS; engines $ENGINES)"
BENCH_SKIP_BUILD=1 BENCH_SCENARIOS=e2e BENCH_ENGINES=$ENGINES BENCH_E2E_MESSAGES=$N \
  node --import tsx bench/run.ts >"$RUN_DIR/e2e.txt" 2>&1 || { tail -40 "$RUN_DIR/e2e.txt"; exit 1; }
grep -E "^postgres work per message|^  rows (read|written) per message|end-to-end \(|acceptance during|CPU over|memory flat" "$RUN_DIR/e2e.txt" || true

# ---- the ratios ----
node - "$RAW" "$RUN_DIR/e2e.txt" <<'EOF'
const { readFileSync } = require('node:fs');
const [raw, e2e] = process.argv.slice(2);
const rows = readFileSync(raw, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const rps = (target) => rows.find((r) => r.kind === 'load' && r.target === target)?.wrk?.rps;
const burst = rows.find((r) => r.kind === 'burst' && r.variant === 'dlr');
const text = readFileSync(e2e, 'utf8');
const e2eRate = (engine) => {
  const m = text.match(new RegExp(`e2e ${engine}[^\\n]*end-to-end \\(202 to terminal callback\\)\\s+(\\d+)`));
  return m ? Number(m[1]) : undefined;
};
const acceptRate = (engine) => {
  const m = text.match(new RegExp(`e2e ${engine}[^\\n]*acceptance during the send\\s+(\\d+)`));
  return m ? Number(m[1]) : undefined;
};
const f = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const lines = [
  ['Kannel sendsms without delivery reports (req/s)', f(rps('kannel-nodlr'))],
  ['bare Node http (req/s)', f(rps('node-plain'))],
  ['Pigeon --role api, SQLite, fsync (req/s)', f(rps('pigeon'))],
  ['Kannel burst with delivery reports (callbacks/s)', f(burst?.dlr_rate)],
  ['Kannel CPU per message (µs)', f(burst?.server_cpu_us_per_msg)],
  ['Pigeon SQLite end to end (callbacks/s)', f(e2eRate('sqlite'))],
  ['Pigeon SQLite acceptance during the send (req/s)', f(acceptRate('sqlite'))],
  ['Pigeon PostgreSQL end to end (callbacks/s)', f(e2eRate('postgres'))],
];
const ratio = (a, b) => (a && b ? a / b : undefined);
const targets = [
  ['SQLite end to end / Kannel burst with delivery reports', ratio(e2eRate('sqlite'), burst?.dlr_rate), 1.5],
  ['SQLite acceptance (--role api, fsync) / Kannel sendsms without delivery reports', ratio(rps('pigeon'), rps('kannel-nodlr')), 1.5],
  ['SQLite end to end / its acceptance during the send', ratio(e2eRate('sqlite'), acceptRate('sqlite')), 0.7],
  ['PostgreSQL end to end / SQLite end to end', ratio(e2eRate('postgres'), e2eRate('sqlite')), 0.5],
];
console.log('\n== same-run figures');
for (const [name, value] of lines) console.log(`${name.padEnd(60)} ${value.padStart(8)}`);
console.log('\n== targets');
for (const [name, value, target] of targets) {
  const verdict = value === undefined ? 'not measured' : value >= target ? 'PASS' : 'MISS';
  console.log(`${name.padEnd(84)} ${f(value, 2).padStart(6)}  (target >= ${target})  ${verdict}`);
}
EOF
