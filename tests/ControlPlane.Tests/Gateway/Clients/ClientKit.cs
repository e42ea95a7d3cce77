using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ControlPlane.Features.Metering;
using ControlPlane.Tests.Gateway.FakeUpstream;

namespace ControlPlane.Tests.Gateway.Clients;

/// <summary>
/// The transport under an SDK's own HttpClient: a real socket to the gateway, and a note of the X-Request-Id every
/// response carries, so a test finds its own call row even while other classes call the same database.
/// </summary>
internal sealed class RequestIds() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly ConcurrentQueue<string> _ids = new();

    public IReadOnlyList<string> All => [.. _ids];

    /// <summary>The id of the one call the SDK made (fails when it made none, or retried).</summary>
    public string Single() => Assert.Single(_ids);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("X-Request-Id", out var values))
            _ids.Enqueue(values.Single());
        return response;
    }
}

/// <summary>One alias per provider kind: OpenAI-compatible, Azure OpenAI, Anthropic, Gemini.</summary>
public static class EveryProviderKind
{
    public static TheoryData<string> Aliases => new(GatewayApp.Aliases.Keys);
}

/// <summary>What every client test checks: the call row says what was served, and prices the provider's usage exactly.</summary>
internal static class ClientAssert
{
    public static async Task<CallRecord> MeteredAsync(GatewayApp gateway, string requestId, string alias, string endpoint, bool streamed, FakeUsage usage)
    {
        var row = await gateway.CallAsync(requestId);
        var (provider, model) = GatewayApp.Aliases[alias];
        Assert.Equal((200, endpoint, alias, provider, model, streamed), (row.Status, row.Endpoint, row.ModelRequested, row.ProviderName, row.ModelServed, row.Streamed));
        Assert.Null(row.ErrorClass);
        Assert.Equal(((long)usage.Input, (long)usage.Cached, (long)usage.Output), (row.InputTokens, row.CachedInputTokens, row.OutputTokens));
        Assert.Equal(UsageSource.Provider, row.UsageSource);
        Assert.False(row.Unpriced);
        Assert.Equal(GatewayApp.ExpectedCost(usage.Input, usage.Cached, usage.Output), row.Cost);
        return row;
    }

    /// <summary>Two JSON texts that mean the same (providers that carry arguments as objects re-serialise them).</summary>
    public static void SameJson(string expected, string? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual ?? "null")), $"Expected {expected}, got {actual}");

    /// <summary>The request the fake received that carries <paramref name="marker"/> (each test uses its own).</summary>
    public static FakeRequest Sent(GatewayApp gateway, string marker) =>
        gateway.Upstream.Requests.Last(r => r.Body.Contains(marker, StringComparison.Ordinal));

    /// <summary>
    /// The turn that carries tool results, as the provider received it: the model's calls (names, arguments) and,
    /// after them, one result per call, linked in the provider's own terms (ids, or Gemini's names and order).
    /// </summary>
    public static void ToolResultsSent(FakeRequest sent, IReadOnlyList<(string Name, string Arguments, string Result)> expected)
    {
        var body = sent.Json();
        switch (sent.Provider)
        {
            case FakeProvider.OpenAI or FakeProvider.AzureOpenAI:
            {
                var messages = body["messages"]!.AsArray();
                var calls = messages.Last(m => Str(m?["role"]) == "assistant")!["tool_calls"]!.AsArray();
                Assert.Equal(expected.Count, calls.Count);
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i].Name, Str(calls[i]!["function"]!["name"]));
                    SameJson(expected[i].Arguments, Str(calls[i]!["function"]!["arguments"]));
                    var id = Str(calls[i]!["id"]);
                    var result = Assert.Single(messages, m => Str(m?["role"]) == "tool" && Str(m?["tool_call_id"]) == id);
                    Assert.Equal(expected[i].Result, Text(result!["content"]));
                }
                break;
            }
            case FakeProvider.Anthropic:
            {
                var messages = body["messages"]!.AsArray();
                var uses = messages.Last(m => Str(m?["role"]) == "assistant")!["content"]!.AsArray().Where(b => Str(b?["type"]) == "tool_use").ToList();
                var results = messages.Last(m => Str(m?["role"]) == "user")!["content"]!.AsArray().Where(b => Str(b?["type"]) == "tool_result").ToList();
                Assert.Equal(expected.Count, uses.Count);
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i].Name, Str(uses[i]!["name"]));
                    SameJson(expected[i].Arguments, uses[i]!["input"]!.ToJsonString());
                    var result = Assert.Single(results, r => Str(r?["tool_use_id"]) == Str(uses[i]!["id"]));
                    Assert.Equal(expected[i].Result, Text(result!["content"]));
                }
                break;
            }
            default:
            {
                var contents = body["contents"]!.AsArray();
                var calls = contents.Last(c => Str(c?["role"]) == "model")!["parts"]!.AsArray().Select(p => p?["functionCall"]).OfType<JsonNode>().ToList();
                var responses = contents.Last()!["parts"]!.AsArray().Select(p => p?["functionResponse"]).OfType<JsonNode>().ToList();
                Assert.Equal(expected.Count, calls.Count);
                Assert.Equal(expected.Count, responses.Count);
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i].Name, Str(calls[i]["name"]));
                    SameJson(expected[i].Arguments, calls[i]["args"]!.ToJsonString());
                    Assert.Equal(expected[i].Name, Str(responses[i]["name"]));
                    Assert.Contains(expected[i].Result, responses[i]["response"]!.ToJsonString(), StringComparison.Ordinal);
                }
                break;
            }
        }
    }

    /// <summary>The output cap the provider was asked for, in its own field.</summary>
    public static int? MaxOutputTokens(FakeRequest sent)
    {
        var body = sent.Json();
        var cap = sent.Provider switch
        {
            FakeProvider.Anthropic => body["max_tokens"],
            FakeProvider.Gemini => body["generationConfig"]?["maxOutputTokens"],
            _ => body["max_completion_tokens"] ?? body["max_tokens"],
        };
        return cap?.GetValue<int>();
    }

    private static string? Str(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A content field's text: a string, or the text parts of an array.</summary>
    private static string? Text(JsonNode? content) => content switch
    {
        JsonArray parts => string.Concat(parts.Select(p => Str(p?["text"]))),
        _ => Str(content),
    };
}

/// <summary>The two tools every client offers, and the calls the fake "model" makes to them (in parallel).</summary>
internal static class ToolScript
{
    public const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]},"days":{"type":"array","items":{"type":"integer"}},"note":{"type":"string"}},"required":["city"]}""";

    public const string TimeSchema = """{"type":"object","properties":{"zone":{"type":"string"}},"required":["zone"]}""";

    /// <summary>Nested values, escapes and a backslash: what a relay that re-serialises could damage.</summary>
    public const string WeatherArguments = """{"city":"Zurich","unit":"c","days":[1,2,3],"note":"say \"hi\" \\ bye"}""";

    public const string TimeArguments = """{"zone":"Europe/Oslo"}""";

    public static IReadOnlyList<FakeToolCall> Calls { get; } = [new("get_weather", WeatherArguments), new("get_time", TimeArguments)];

    public static IReadOnlyList<(string Name, string Arguments)> Expected { get; } = [("get_weather", WeatherArguments), ("get_time", TimeArguments)];
}
