// The official OpenAI Node client (openai@6) against the ControlPlane gateway, called the way a user's script calls it.
//
//   CONTROLPLANE_BASE_URL=http://127.0.0.1:5000 CONTROLPLANE_API_KEY=cp-live-… \
//     node chat.mjs <chat|stream|tools|stream-tools> <model> [prompt]
//
// (the base URL and key may also be given as the 4th and 5th arguments). Prints one JSON line:
// { requestIds, model, text, finishReason, toolCalls: [{ id, name, arguments }], usage: [{ prompt, cached, completion }] }.
// "tools" makes two calls: the first should answer with tool calls (get_weather, get_time), the second sends each
// call's result back ("tool-result <i> for <prompt>").
import OpenAI from 'openai';

const [mode = 'chat', model = 'gpt', prompt = 'Hello', baseArg, keyArg] = process.argv.slice(2);
const base = (baseArg ?? process.env.CONTROLPLANE_BASE_URL ?? '').replace(/\/+$/, '');
const apiKey = keyArg ?? process.env.CONTROLPLANE_API_KEY;
if (!base || !apiKey || !['chat', 'stream', 'tools', 'stream-tools'].includes(mode)) {
  console.error('usage: CONTROLPLANE_BASE_URL=… CONTROLPLANE_API_KEY=… node chat.mjs <chat|stream|tools|stream-tools> <model> [prompt]');
  process.exit(2);
}

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey, maxRetries: 0, timeout: 30_000 });

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The current weather in a city.',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          unit: { type: 'string', enum: ['c', 'f'] },
          days: { type: 'array', items: { type: 'integer' } },
          note: { type: 'string' },
        },
        required: ['city'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'The time in a zone.',
      parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
    },
  },
];

const usageOf = (u) => u && { prompt: u.prompt_tokens, cached: u.prompt_tokens_details?.cached_tokens ?? 0, completion: u.completion_tokens };

async function complete(params) {
  const { data, response } = await client.chat.completions.create(params).withResponse();
  const choice = data.choices[0];
  return {
    requestId: response.headers.get('x-request-id'),
    model: data.model,
    message: choice.message,
    text: choice.message.content ?? '',
    finishReason: choice.finish_reason,
    toolCalls: (choice.message.tool_calls ?? []).map((t) => ({ id: t.id, name: t.function.name, arguments: t.function.arguments })),
    usage: usageOf(data.usage),
  };
}

async function stream(params) {
  const { data, response } = await client.chat.completions
    .create({ ...params, stream: true, stream_options: { include_usage: true } })
    .withResponse();
  let text = '';
  let finishReason = null;
  let usage = null;
  let model = null;
  const calls = [];
  for await (const chunk of data) {
    model ??= chunk.model;
    if (chunk.usage) usage = usageOf(chunk.usage);
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta?.content ?? '';
    finishReason = choice.finish_reason ?? finishReason;
    for (const t of choice.delta?.tool_calls ?? []) {
      const call = (calls[t.index] ??= { id: null, name: null, arguments: '' });
      call.id ??= t.id ?? null;
      call.name ??= t.function?.name ?? null;
      call.arguments += t.function?.arguments ?? '';
    }
  }
  return { requestId: response.headers.get('x-request-id'), model, text, finishReason, toolCalls: calls.filter(Boolean), usage };
}

const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: prompt },
];
const result = { requestIds: [], model: null, text: '', finishReason: null, toolCalls: [], usage: [] };
const keep = (r) => {
  result.requestIds.push(r.requestId);
  result.usage.push(r.usage);
  result.model = r.model;
};

switch (mode) {
  case 'chat':
  case 'stream': {
    const r = await (mode === 'chat' ? complete : stream)({ model, messages });
    keep(r);
    Object.assign(result, { text: r.text, finishReason: r.finishReason });
    break;
  }
  case 'stream-tools': {
    const r = await stream({ model, messages, tools });
    keep(r);
    Object.assign(result, { text: r.text, finishReason: r.finishReason, toolCalls: r.toolCalls });
    break;
  }
  case 'tools': {
    const call = await complete({ model, messages, tools });
    keep(call);
    result.toolCalls = call.toolCalls;
    result.firstFinishReason = call.finishReason;
    messages.push(call.message);
    call.toolCalls.forEach((t, i) => messages.push({ role: 'tool', tool_call_id: t.id, content: `tool-result ${i} for ${prompt}` }));
    const answer = await complete({ model, messages, tools });
    keep(answer);
    Object.assign(result, { text: answer.text, finishReason: answer.finishReason });
    break;
  }
}
console.log(JSON.stringify(result));
