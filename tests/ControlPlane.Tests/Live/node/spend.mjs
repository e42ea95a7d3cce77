// The official SignalR JavaScript client against /hubs/spend, driven by SpendHubTests.cs.
//   node spend.mjs <hub url> <until-calls>
// CONTROLPLANE_COOKIE (optional): the dashboard session cookie ("cp-session=…") sent with every request.
// Prints one JSON line per step: {"event":"scope",...} once connected and scoped, then {"event":"ticks","ticks":[...]}
// with every tick received up to and including the first whose `calls` equals <until-calls>; or {"event":"refused",...}
// when the hub refuses the connection.
import * as signalR from '@microsoft/signalr';

const [url, until] = process.argv.slice(2);
const cookie = process.env.CONTROLPLANE_COOKIE;

const connection = new signalR.HubConnectionBuilder()
  .withUrl(url, {
    headers: cookie ? { Cookie: cookie } : {},
    transport: signalR.HttpTransportType.WebSockets,
  })
  .configureLogging(signalR.LogLevel.None)
  .build();

const ticks = [];
let finish;
const finished = new Promise(resolve => { finish = resolve; });
connection.on('scope', scope => console.log(JSON.stringify({ event: 'scope', scope })));
connection.on('tick', tick => {
  ticks.push(tick);
  if (String(tick.calls) === until) finish();
});

try {
  await connection.start();
} catch (error) {
  console.log(JSON.stringify({ event: 'refused', message: String(error?.message ?? error) }));
  process.exit(0);
}
await finished;
console.log(JSON.stringify({ event: 'ticks', ticks }));
await connection.stop();
