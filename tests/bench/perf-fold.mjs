// Where the gateway's CPU goes, by component: reads `perf script` (call graphs) on stdin and prints, for each
// component, the share of samples with at least one frame of it on the stack (inclusive; components overlap),
// then the share of samples by the leaf frame's library (exclusive).
import readline from 'node:readline';

const components = [
  ['ChatRelay (the whole gateway call, synchronous parts)', /ControlPlane\.Features\.Gateway\.ChatRelay/],
  ['HttpClient to the provider (System.Net.Http)', /\[System\.Net\.Http\]/],
  ['Polly pipeline (retry, circuit breaker, timeout)', /\[Polly\.Core\]/],
  ['call-log writer (CallLogWriter + WalletChargeHook)', /CallLogWriter|WalletChargeHook/],
  ['EF Core (any)', /Microsoft\.EntityFrameworkCore/],
  ['SQLite native (libe_sqlite3)', /libe_sqlite3/],
  ['Npgsql', /\[Npgsql\]/],
  ['wallet hold / settle (spend guard, leases)', /WalletSpendGuard|BudgetLeases|SpendGuard/],
  ['limits (CallLimiter)', /CallLimiter/],
  ['key authentication (GatewayKeyHandler)', /GatewayKeyHandler/],
  ['authentication + authorization middleware (wraps the endpoint: includes its synchronous part)', /AuthenticationMiddleware|AuthorizationMiddleware|PolicyEvaluator/],
  ['JSON (System.Text.Json)', /\[System\.Text\.Json\]/],
  ['logging (Microsoft.Extensions.Logging)', /Microsoft\.Extensions\.Logging/],
  ['Kestrel (HTTP/1.1 parsing, writes; includes the pipeline it runs synchronously)', /Microsoft\.AspNetCore\.Server\.Kestrel/],
  ['sockets (System.Net.Sockets)', /\[System\.Net\.Sockets\]/],
];
const counts = new Array(components.length).fill(0);
const leafDso = new Map();
let samples = 0;
let frames = [];

const flush = () => {
  if (frames.length === 0) return;
  samples++;
  const stack = frames.join('\n');
  components.forEach(([, re], i) => { if (re.test(stack)) counts[i]++; });
  const leaf = frames[0].match(/\(([^)]*)\)\s*$/)?.[1] ?? '?';
  const lib = leaf.startsWith('/tmp/perf-') ? 'JIT-compiled .NET code' : leaf.split('/').pop();
  leafDso.set(lib, (leafDso.get(lib) ?? 0) + 1);
  frames = [];
};

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') { flush(); continue; }
  if (/^\s/.test(line)) frames.push(line.trim());
}
flush();

const pct = (n) => `${((100 * n) / samples).toFixed(1).padStart(5)} %`;
console.log(`${samples} samples`);
console.log('## inclusive, by component (a sample counts for every component on its stack)');
components.map(([name], i) => [name, counts[i]]).sort((a, b) => b[1] - a[1]).forEach(([name, n]) => console.log(`${pct(n)}  ${name}`));
console.log('## exclusive, by the library of the leaf frame');
[...leafDso.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).forEach(([lib, n]) => console.log(`${pct(n)}  ${lib}`));
