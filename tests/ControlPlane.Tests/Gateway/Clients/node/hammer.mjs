// Many concurrent calls from the official OpenAI Node client (openai@6), all started at once: the load half of the
// hold tests. The plan is a JSON array, each item { model, stream, n, prompt }; calls
// send no max_tokens. The plan comes on standard input (it can be larger than an environment allows). Prints one JSON line: { results: [{ status, requestId }] } in plan order (status 0: no answer).
import OpenAI from 'openai';

const base = (process.env.CONTROLPLANE_BASE_URL ?? '').replace(/\/+$/, '');
const apiKey = process.env.CONTROLPLANE_API_KEY;
let input = '';
for await (const piece of process.stdin) input += piece;
const plan = JSON.parse(input || '[]');
if (!base || !apiKey || plan.length === 0) {
  console.error('usage: CONTROLPLANE_BASE_URL=… CONTROLPLANE_API_KEY=… node hammer.mjs < plan.json');
  process.exit(2);
}

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 120_000 });

async function one({ model, stream, n, prompt }) {
  const params = { model, n, messages: [{ role: 'system', content: 'Answer at length.' }, { role: 'user', content: prompt }] };
  try {
    if (stream) {
      const { data, response } = await client.chat.completions
        .create({ ...params, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      for await (const chunk of data) void chunk;
      return { status: response.status, requestId: response.headers.get('x-request-id') };
    }
    const { response } = await client.chat.completions.create(params).withResponse();
    return { status: response.status, requestId: response.headers.get('x-request-id') };
  } catch (e) {
    if (e instanceof OpenAI.APIError) return { status: e.status ?? 0, requestId: e.headers?.get?.('x-request-id') ?? null, error: e.message };
    return { status: 0, requestId: null, error: String(e) };
  }
}

const results = await Promise.all(plan.map(one));
console.log(JSON.stringify({ results }));
