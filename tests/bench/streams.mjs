// Opens streaming chat completions and timestamps their SSE events.
//   node streams.mjs <url> <concurrency> <total> '<json headers>' '<json body>' [timeoutSeconds]
// Prints one JSON line: ok, errors, TTFT percentiles (ms, from sending the request to the first event),
// and the gaps between events (ms): the largest of all streams and the median of each stream's largest.
import http from 'node:http';

const [url, concurrencyArg, totalArg, headersArg, bodyArg, timeoutArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const total = Number(totalArg);
const headers = { 'content-type': 'application/json', ...JSON.parse(headersArg) };
const body = Buffer.from(bodyArg);
const timeoutMs = Number(timeoutArg ?? 30) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);

const ttfts = [];
const maxGaps = [];
let ok = 0;
let errors = 0;
let events = 0;

function one() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let first = null;
    let last = null;
    let maxGap = 0;
    let tail = '';
    let done = false;
    const finish = (good) => {
      if (done) return;
      done = true;
      if (good && first !== null) {
        ok++;
        ttfts.push(Number(first - start) / 1e6);
        maxGaps.push(maxGap);
      } else {
        errors++;
      }
      resolve();
    };
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { ...headers, 'content-length': body.length },
    }, (res) => {
      if (res.statusCode !== 200) { res.resume(); res.on('end', () => finish(false)); return; }
      res.setEncoding('utf8');
      let sawDone = false;
      res.on('data', (chunk) => {
        const now = process.hrtime.bigint();
        const text = tail + chunk;
        const parts = text.split('\n\n');
        tail = parts.pop();
        const complete = parts.filter((p) => p.startsWith('data:'));
        if (complete.length === 0) return;
        events += complete.length;
        if (complete.some((p) => p.startsWith('data: [DONE]'))) sawDone = true;
        if (first === null) first = now;
        else maxGap = Math.max(maxGap, Number(now - last) / 1e6);
        last = now;
      });
      res.on('end', () => finish(sawDone));
      res.on('error', () => finish(false));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => finish(false));
    req.end(body);
  });
}

let started = 0;
async function worker() {
  while (started < total) {
    started++;
    await one();
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
agent.destroy();

const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
console.log(JSON.stringify({
  ok, errors, events,
  ttft_p50: pct(ttfts, 50), ttft_p99: pct(ttfts, 99),
  gap_max: maxGaps.length ? Math.max(...maxGaps) : null, gap_p50: pct(maxGaps, 50),
}));
