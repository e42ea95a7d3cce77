using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using static ControlPlane.Tests.Gateway.FakeUpstream.FakeClient;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>The fake speaks each provider's wire: checked with a plain HttpClient, value by value.</summary>
public sealed class FakeUpstreamTests : IAsyncLifetime
{
    private const string OpenAIChat = """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""";
    private FakeUpstream _upstream = default!;
    private HttpClient _http = default!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_upstream.BaseUrl) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task OpenAI_completion_reports_text_and_usage_in_OpenAI_fields()
    {
        _upstream.Enqueue(new FakeReply { Text = "Hello there", Usage = new(120, 20, 35) });

        using var response = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", OpenAIChat));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("chat.completion", (string?)body["object"]);
        Assert.Equal("gpt-4o", (string?)body["model"]);
        Assert.Equal("assistant", (string?)body["choices"]![0]!["message"]!["role"]);
        Assert.Equal("Hello there", (string?)body["choices"]![0]!["message"]!["content"]);
        Assert.Equal("stop", (string?)body["choices"]![0]!["finish_reason"]);
        var usage = body["usage"]!;
        Assert.Equal(120, (int)usage["prompt_tokens"]!);
        Assert.Equal(35, (int)usage["completion_tokens"]!);
        Assert.Equal(155, (int)usage["total_tokens"]!);
        Assert.Equal(20, (int)usage["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public async Task OpenAI_stream_reassembles_and_sends_a_usage_chunk_only_when_asked()
    {
        _upstream.Enqueue(new FakeReply { Text = "Hello there", Chunks = 5, Usage = new(120, 20, 35) }, new FakeReply { Text = "Hello there" });
        const string withUsage = """{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""";
        const string without = """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        using var first = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", withUsage), HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEventsAsync(first);
        using var second = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", without), HttpCompletionOption.ResponseHeadersRead);
        var plain = await ReadEventsAsync(second);

        Assert.Equal("text/event-stream", first.Content.Headers.ContentType!.MediaType);
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events[..^1].Select(e => e.Json()).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        var pieces = chunks.Select(c => (string?)c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]).Where(p => !string.IsNullOrEmpty(p)).ToList();
        Assert.Equal(5, pieces.Count);
        Assert.Equal("Hello there", string.Concat(pieces));
        Assert.Equal("stop", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(120, (int)chunks[^1]["usage"]!["prompt_tokens"]!);
        Assert.Equal(20, (int)chunks[^1]["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.All(chunks[..^1], c => Assert.Null(c["usage"]));

        Assert.Equal("[DONE]", plain[^1].Data);
        Assert.All(plain[..^1], e => Assert.False(e.Json().AsObject().ContainsKey("usage")));
        Assert.Equal("stop", (string?)plain[^2].Json()["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Tool_call_deltas_reassemble_into_valid_json_arguments_on_OpenAI_and_Anthropic()
    {
        var weather = new FakeToolCall("get_weather", """{"city":"Paris","unit":"celsius"}""", "call_1");
        _upstream.Enqueue(new FakeReply { ToolCalls = [weather], ArgumentChunks = 4 }, new FakeReply { ToolCalls = [weather with { Id = "toolu_1" }], ArgumentChunks = 4 });
        const string anthropic = """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"weather?"}]}""";

        using var openAI = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/chat/completions", """{"model":"gpt-4o","stream":true,"messages":[]}"""), HttpCompletionOption.ResponseHeadersRead);
        var deltas = (await ReadEventsAsync(openAI))[..^1].Select(e => e.Json()["choices"]!.AsArray().FirstOrDefault()?["delta"]?["tool_calls"]?[0]).OfType<JsonNode>().ToList();
        using var claude = await _http.SendAsync(Post(FakeProvider.Anthropic, "/v1/messages", anthropic), HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEventsAsync(claude);

        Assert.Equal(5, deltas.Count); // the opening delta (id, type, name) and four argument pieces
        Assert.Equal("call_1", (string?)deltas[0]["id"]);
        Assert.Equal("get_weather", (string?)deltas[0]["function"]!["name"]);
        Assert.All(deltas.Skip(1), d => Assert.Null(d["id"]));
        Assert.All(deltas, d => Assert.Equal(0, (int)d["index"]!));
        var arguments = JsonDocument.Parse(string.Concat(deltas.Select(d => (string?)d["function"]!["arguments"]))).RootElement;
        Assert.Equal("Paris", arguments.GetProperty("city").GetString());

        var start = events.Single(e => e.Event == "content_block_start").Json()["content_block"]!;
        Assert.Equal("tool_use", (string?)start["type"]);
        Assert.Equal("toolu_1", (string?)start["id"]);
        var partial = events.Where(e => e.Event == "content_block_delta").Select(e => e.Json()["delta"]!).ToList();
        Assert.Equal(4, partial.Count);
        Assert.All(partial, d => Assert.Equal("input_json_delta", (string?)d["type"]));
        Assert.Equal("celsius", JsonDocument.Parse(string.Concat(partial.Select(d => (string?)d["partial_json"]))).RootElement.GetProperty("unit").GetString());
        Assert.Equal("tool_use", (string?)events.Single(e => e.Event == "message_delta").Json()["delta"]!["stop_reason"]);
    }

    [Fact]
    public async Task Anthropic_stream_sends_its_events_in_order_with_input_usage_first_and_output_usage_last()
    {
        _upstream.Enqueue(new FakeReply { Text = "Hello there", Chunks = 2, Usage = new(120, 20, 35) });
        const string body = """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        using var response = await _http.SendAsync(Post(FakeProvider.Anthropic, "/v1/messages", body), HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEventsAsync(response);

        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(e.Event, (string?)e.Json()["type"]));
        var startUsage = events[0].Json()["message"]!["usage"]!;
        Assert.Equal(100, (int)startUsage["input_tokens"]!);
        Assert.Equal(20, (int)startUsage["cache_read_input_tokens"]!);
        Assert.Equal(1, (int)startUsage["output_tokens"]!);
        Assert.Equal("Hello there", string.Concat(events.Where(e => e.Event == "content_block_delta").Select(e => (string?)e.Json()["delta"]!["text"])));
        Assert.Equal(35, (int)events[6].Json()["usage"]!["output_tokens"]!);
        Assert.Equal("end_turn", (string?)events[6].Json()["delta"]!["stop_reason"]);
    }

    [Fact]
    public async Task Anthropic_message_counts_cache_reads_apart_from_input()
    {
        _upstream.Enqueue(new FakeReply { Text = "Hi", Usage = new(120, 20, 35) });

        using var response = await _http.SendAsync(Post(FakeProvider.Anthropic, "/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}"""));

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("message", (string?)body["type"]);
        Assert.Equal("Hi", (string?)body["content"]![0]!["text"]);
        Assert.Equal(100, (int)body["usage"]!["input_tokens"]!);
        Assert.Equal(20, (int)body["usage"]!["cache_read_input_tokens"]!);
        Assert.Equal(35, (int)body["usage"]!["output_tokens"]!);
    }

    [Fact]
    public async Task Gemini_sse_sends_whole_responses_with_full_usage_on_the_last()
    {
        _upstream.Enqueue(new FakeReply { Text = "Hello there", Chunks = 3, Usage = new(120, 20, 35) });
        const string body = """{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}""";

        using var response = await _http.SendAsync(
            Post(FakeProvider.Gemini, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body), HttpCompletionOption.ResponseHeadersRead);
        var raw = await response.Content.ReadAsStringAsync();
        var chunks = raw.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries).Select(c => JsonNode.Parse(c["data: ".Length..])!).ToList();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(3, chunks.Count);
        Assert.Equal("Hello there", string.Concat(chunks.Select(c => (string?)c["candidates"]![0]!["content"]!["parts"]![0]!["text"])));
        Assert.All(chunks, c => Assert.Equal("gemini-2.5-flash", (string?)c["modelVersion"]));
        Assert.Null(chunks[0]["candidates"]![0]!["finishReason"]);
        Assert.Equal("STOP", (string?)chunks[^1]["candidates"]![0]!["finishReason"]);
        var usage = chunks[^1]["usageMetadata"]!;
        Assert.Equal(120, (int)usage["promptTokenCount"]!);
        Assert.Equal(20, (int)usage["cachedContentTokenCount"]!);
        Assert.Equal(35, (int)usage["candidatesTokenCount"]!);
        Assert.Equal(155, (int)usage["totalTokenCount"]!);
    }

    [Fact]
    public async Task Gemini_stream_without_alt_sse_is_one_json_array()
    {
        _upstream.Enqueue(new FakeReply { Text = "Hello there", Chunks = 2 });

        using var response = await _http.SendAsync(Post(FakeProvider.Gemini, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", """{"contents":[]}"""));

        var chunks = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(2, chunks.Count);
        Assert.Equal("STOP", (string?)chunks[1]!["candidates"]![0]!["finishReason"]);
    }

    [Fact]
    public async Task Gemini_accepts_the_key_in_the_query_and_sends_function_calls_whole()
    {
        _upstream.Enqueue(new FakeReply { ToolCalls = [new("get_weather", """{"city":"Oslo"}""")] });

        using var response = await _http.SendAsync(Post(FakeProvider.Gemini, $"/v1beta/models/gemini-2.5-pro:generateContent?key={FakeUpstream.ApiKey}", """{"contents":[]}""", key: null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var candidate = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["candidates"]![0]!;
        Assert.Equal("model", (string?)candidate["content"]!["role"]);
        Assert.Equal("Oslo", (string?)candidate["content"]!["parts"]![0]!["functionCall"]!["args"]!["city"]);
        Assert.Equal("STOP", (string?)candidate["finishReason"]);
    }

    [Fact]
    public async Task Azure_needs_an_api_version_names_the_deployment_and_opens_streams_with_filter_results()
    {
        const string path = "/openai/deployments/prod-gpt4o/chat/completions";
        const string body = """{"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        using var noVersion = await _http.SendAsync(Post(FakeProvider.AzureOpenAI, path, body));
        using var response = await _http.SendAsync(Post(FakeProvider.AzureOpenAI, path + "?api-version=2024-10-21", body), HttpCompletionOption.ResponseHeadersRead);
        var events = await ReadEventsAsync(response);

        Assert.Equal(HttpStatusCode.NotFound, noVersion.StatusCode);
        Assert.Equal("Resource not found", (string?)JsonNode.Parse(await noVersion.Content.ReadAsStringAsync())!["error"]!["message"]);
        Assert.Empty(events[0].Json()["choices"]!.AsArray());
        Assert.NotNull(events[0].Json()["prompt_filter_results"]);
        Assert.Equal("prod-gpt4o", (string?)events[1].Json()["model"]);
        Assert.Equal("Echo: hi", string.Concat(events[1..^1].Select(e => (string?)e.Json()["choices"]![0]!["delta"]!["content"])));
    }

    [Fact]
    public async Task Embeddings_are_deterministic_in_floats_and_base64_and_on_Gemini()
    {
        using var floats = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/embeddings", """{"model":"text-embedding-3-small","input":["a","b"],"dimensions":4}"""));
        using var base64 = await _http.SendAsync(Post(FakeProvider.OpenAI, "/v1/embeddings", """{"model":"text-embedding-3-small","input":"a","dimensions":4,"encoding_format":"base64"}"""));
        using var gemini = await _http.SendAsync(Post(FakeProvider.Gemini, "/v1beta/models/gemini-embedding-001:batchEmbedContents",
            """{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":4}]}"""));

        var list = JsonNode.Parse(await floats.Content.ReadAsStringAsync())!;
        Assert.Equal("list", (string?)list["object"]);
        Assert.Equal(2, list["data"]!.AsArray().Count);
        Assert.Equal(1, (int)list["data"]![1]!["index"]!);
        Assert.Equal(10, (int)list["usage"]!["prompt_tokens"]!);
        var vector = list["data"]![0]!["embedding"]!.AsArray().Select(v => (float)v!).ToArray();
        Assert.Equal(FakeEmbeddings.Vector("a", 4), vector);
        var packed = Convert.FromBase64String((string)JsonNode.Parse(await base64.Content.ReadAsStringAsync())!["data"]![0]!["embedding"]!);
        Assert.Equal(FakeEmbeddings.Vector("a", 4), Enumerable.Range(0, 4).Select(i => BitConverter.ToSingle(packed, i * 4)));
        var values = JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["embeddings"]![0]!["values"]!.AsArray();
        Assert.Equal(FakeEmbeddings.Vector("a", 4), values.Select(v => (float)v!));
    }

    [Fact]
    public async Task Model_lists_come_in_each_providers_shape()
    {
        using var openAI = await _http.SendAsync(Get(FakeProvider.OpenAI, "/v1/models"));
        using var anthropic = await _http.SendAsync(Get(FakeProvider.Anthropic, "/v1/models"));
        using var gemini = await _http.SendAsync(Get(FakeProvider.Gemini, "/v1beta/models"));

        var o = JsonNode.Parse(await openAI.Content.ReadAsStringAsync())!;
        Assert.Equal("list", (string?)o["object"]);
        Assert.Equal("model", (string?)o["data"]![0]!["object"]);
        var a = JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!;
        Assert.Equal("model", (string?)a["data"]![0]!["type"]);
        Assert.False((bool)a["has_more"]!);
        var g = JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!;
        Assert.StartsWith("models/", (string?)g["models"]![0]!["name"], StringComparison.Ordinal);
    }
}
