// A mock OpenAI upstream for the benchmark: POST /v1/chat/completions answers at once with a fixed
// chat.completion, or, when the body has "stream": true, streams MOCK_CHUNKS chunks (default 20), one every
// MOCK_CHUNK_MS milliseconds (default 10), then a usage chunk when stream_options.include_usage is set, then
// [DONE]. GET /count says how many completions were asked for. Every answer is pre-serialized: the only per-request work is scanning the body for two flags.
using System.Buffers;
using System.Diagnostics;
using System.Text;

var chunks = int.TryParse(Environment.GetEnvironmentVariable("MOCK_CHUNKS"), out var n) && n > 0 ? n : 20;
var chunkMs = int.TryParse(Environment.GetEnvironmentVariable("MOCK_CHUNK_MS"), out var ms) && ms >= 0 ? ms : 10;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var completion = Encoding.UTF8.GetBytes(
    """{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"benchmodel","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the benchmark mock."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}""");
var first = Sse("""{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"benchmodel","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""");
var token = Sse("""{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"benchmodel","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}""");
var finish = Sse("""{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"benchmodel","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""");
var usage = Sse($$$"""{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"benchmodel","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":{{{chunks}}},"total_tokens":{{{12 + chunks}}}}}""");
var done = "data: [DONE]\n\n"u8.ToArray();

var calls = new long[1];
app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    Interlocked.Increment(ref calls[0]);
    var (stream, includeUsage) = await ReadFlags(context.Request);
    var response = context.Response;
    if (!stream)
    {
        response.ContentType = "application/json";
        response.ContentLength = completion.Length;
        await response.Body.WriteAsync(completion);
        return;
    }

    response.ContentType = "text/event-stream";
    response.Headers.CacheControl = "no-cache";
    var body = response.Body;
    var clock = Stopwatch.StartNew();
    await body.WriteAsync(first);
    await body.FlushAsync();
    for (var i = 1; i <= chunks; i++)
    {
        // A fixed schedule (chunk i at i × pace) so that delays do not add up.
        var wait = (i * chunkMs) - (int)clock.ElapsedMilliseconds;
        if (wait > 0)
        {
            await Task.Delay(wait, context.RequestAborted);
        }
        await body.WriteAsync(i == chunks ? finish : token);
        await body.FlushAsync();
    }
    if (includeUsage)
    {
        await body.WriteAsync(usage);
    }
    await body.WriteAsync(done);
    await body.FlushAsync();
});
app.MapGet("/health", () => "ok");
// How many chat completions this mock has been asked for: the benchmark's "no row lost" check compares it with the
// gateway's call log.
app.MapGet("/count", () => Interlocked.Read(ref calls[0]).ToString());

app.Run();

static byte[] Sse(string json) => Encoding.UTF8.GetBytes("data: " + json + "\n\n");

// Reads the whole body and looks for "stream": true and "include_usage": true; nothing else is parsed.
static async Task<(bool Stream, bool IncludeUsage)> ReadFlags(HttpRequest request)
{
    var reader = request.BodyReader;
    while (true)
    {
        var result = await reader.ReadAsync();
        if (result.IsCompleted)
        {
            var flags = Scan(result.Buffer);
            reader.AdvanceTo(result.Buffer.End);
            return flags;
        }
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
    }
}

static (bool, bool) Scan(ReadOnlySequence<byte> buffer)
{
    var bytes = buffer.IsSingleSegment ? buffer.FirstSpan : buffer.ToArray();
    return (IsTrue(bytes, "\"stream\""u8), IsTrue(bytes, "\"include_usage\""u8));
}

static bool IsTrue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name)
{
    var at = json.IndexOf(name);
    if (at < 0)
    {
        return false;
    }
    var rest = json[(at + name.Length)..].TrimStart(" \t\r\n:"u8);
    return rest.StartsWith("true"u8);
}
