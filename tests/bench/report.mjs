// Turns run.sh's measurements into the Markdown table (medians of the rounds).
//   node report.mjs results.jsonl rows.jsonl "<machine>" "<settings>"
import fs from 'node:fs';

const [resultsFile, rowsFile, machine, settings] = process.argv.slice(2);
const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const results = lines(resultsFile);
const rows = lines(rowsFile);

const median = (xs) => {
  const s = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const rounds = [...new Set(results.map((r) => r.round))];
const value = (round, target, metric) =>
  results.find((r) => r.round === round && r.target === target && r.metric === metric)?.value ?? null;
const med = (target, metric) => median(rounds.map((r) => value(r, target, metric)));
// Added over the direct mock, round by round, then the median.
const added = (target, metric) => median(rounds.map((r) => {
  const a = value(r, target, metric);
  const b = value(r, 'mock', metric);
  return a === null || b === null ? null : a - b;
}));
const sum = (target, metric) => rounds.reduce((n, r) => n + (value(r, target, metric) ?? 0), 0);

const fmt = (x, digits) => (x === null ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const ratio = (a, b) => (a === null || b === null || b <= 0 || a < 0 ? '—' : `${(a / b).toFixed(2)}×`);

const ours = ['sqlite', 'postgres'];
const table = [];
// [label, per-target value function, digits, floor shown for the mock column]
const specs = [
  ['requests/s, 8 connections', (t) => med(t, 'rps_8'), 0],
  ['requests/s, 32 connections', (t) => med(t, 'rps_32'), 0],
  ['CPU µs per request (8 + 32 connections)', (t) => med(t, 'cpu_us'), 1],
  ['added latency p50, 1 connection (ms)', (t) => added(t, 'p50_ms'), 3, (t) => med(t, 'p50_ms')],
  ['added latency p99, 1 connection (ms)', (t) => added(t, 'p99_ms'), 3, (t) => med(t, 'p99_ms')],
  ['added time to first token p50, 8 streams (ms)', (t) => added(t, 'ttft_p50_ms'), 2, (t) => med(t, 'ttft_p50_ms')],
  ['added time to first token p99, 8 streams (ms)', (t) => added(t, 'ttft_p99_ms'), 2, (t) => med(t, 'ttft_p99_ms')],
  ['largest added gap between chunks, 8 streams (ms)', (t) => added(t, 'gap_max_ms'), 2, (t) => med(t, 'gap_max_ms')],
  ['1,000 concurrent streams: completed', (t) => med(t, 'many_ok'), 0],
  ['1,000 concurrent streams: added TTFT p50 (ms)', (t) => added(t, 'many_ttft_p50_ms'), 1, (t) => med(t, 'many_ttft_p50_ms')],
  ['1,000 concurrent streams: peak RSS (MB)', (t) => med(t, 'many_rss_mb'), 0],
  ['RSS after a round (MB)', (t) => med(t, 'rss_mb'), 0],
  ['peak RSS, VmHWM (MB)', (t) => med(t, 'hwm_mb'), 0],
  ['errors: non-2xx, socket, failed streams (all rounds)', (t) => sum(t, 'errors'), 0],
];
table.push('| metric | mock (floor) | ControlPlane SQLite | ControlPlane PostgreSQL | Portkey 1.15.2 | SQLite / Portkey | PostgreSQL / Portkey |');
table.push('|---|--:|--:|--:|--:|--:|--:|');
for (const [label, f, digits, floor] of specs) {
  const mock = floor ? `(${fmt(floor('mock'), digits)})` : fmt(f('mock'), digits);
  const v = Object.fromEntries(['sqlite', 'postgres', 'portkey'].map((t) => [t, f(t)]));
  table.push(`| ${label} | ${mock} | ${fmt(v.sqlite, digits)} | ${fmt(v.postgres, digits)} | ${fmt(v.portkey, digits)} | ${ratio(v.sqlite, v.portkey)} | ${ratio(v.postgres, v.portkey)} |`);
}

const budget = [
  ['CPU per non-streaming request ≤ 100 µs', (t) => med(t, 'cpu_us'), (x) => x <= 100, 1, 'µs'],
  ['added p50 at 1 connection ≤ 0.3 ms', (t) => added(t, 'p50_ms'), (x) => x <= 0.3, 3, 'ms'],
  ['added p99 at 1 connection ≤ 1 ms', (t) => added(t, 'p99_ms'), (x) => x <= 1, 3, 'ms'],
  ['added time to first token ≤ 1 ms (p50, 8 streams)', (t) => added(t, 'ttft_p50_ms'), (x) => x <= 1, 2, 'ms'],
  ['1,000 concurrent streams on one core, all completed', (t) => med(t, 'many_ok'), (x) => x >= 1000, 0, 'streams'],
  ['RSS ≤ 250 MB under 1,000 streams', (t) => med(t, 'many_rss_mb'), (x) => x <= 250, 0, 'MB'],
];
const verdict = (t, f, ok, d, unit) => {
  const x = f(t);
  return x === null ? 'n/a' : `${ok(x) ? '**met**' : '**not met**'} (${fmt(x, d)} ${unit})`;
};

const out = [];
out.push(`Machine: ${machine}. Gateways on core 0, mock + PostgreSQL + load on core 1 (taskset).`);
out.push(`Settings: ${settings}; medians of the rounds. "added" = the target minus the direct mock in the same round;`);
out.push('the mock column shows the floor in parentheses. Ratio = ours / Portkey (lower is better except requests/s and completed).');
out.push('');
out.push(...table);
out.push('');
out.push('Budget (issue 5), ControlPlane with full accounting:');
out.push('');
out.push('| budget | SQLite | PostgreSQL |');
out.push('|---|---|---|');
for (const [label, f, ok, d, unit] of budget) {
  out.push(`| ${label} | ${ours.map((t) => verdict(t, f, ok, d, unit)).join(' | ')} |`);
}
out.push('');
out.push('No row lost (after a graceful stop; every ControlPlane call of the run, warm-up included). Every call that reached');
out.push('the mock has a row, every 2xx answer a client saw has a 2xx row, and every 2xx row is charged in the ledger. `wrk` stops');
out.push('with requests in flight: the gateway records those too (status 499, the client left), so there are a few more rows than answers.');
out.push('');
out.push('| target | 2xx answers seen by the clients | completions the mock was asked for | rows in `calls` | 2xx rows | 2xx rows charged in the ledger | verdict |');
out.push('|---|--:|--:|--:|--:|--:|---|');
for (const r of rows) {
  const good = r.rows >= r.upstream && r.ok_rows >= r.made && r.ok_charged === r.ok_rows;
  out.push(`| ${r.target} | ${r.made} | ${r.upstream} | ${r.rows} | ${r.ok_rows} | ${r.ok_charged} | ${good ? 'no row lost' : '**MISMATCH**'} |`);
}
out.push('');
for (const r of rows) {
  if (!r.other) continue;
  const parts = r.other.split(';').map((l) => {
    const [status, errorClass, usage, provider, count, charged] = l.split(' ');
    return `${count} × ${status} ${errorClass} (usage ${usage}, ${provider}, ${charged} charged)`;
  });
  out.push(`Rows that are not 2xx, ${r.target}: ${parts.join('; ')}.`);
}
console.log(out.join('\n'));
