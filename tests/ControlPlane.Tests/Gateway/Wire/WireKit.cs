using System.Buffers;
using System.Text;
using System.Text.Json;
using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Tests.Gateway.Wire;

/// <summary>Helpers shared by the wire tests: bytes in, JSON out, and front-door streams parsed back.</summary>
internal static class WireKit
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static JsonElement Json(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    public static JsonElement Json(string body) => Json(Utf8(body));

    public static JsonElement Request(string body, WireFormat frontDoor, WireFormat provider, string model = "upstream-model", bool stream = false) =>
        Json(WireTranslation.TranslateRequest(Utf8(body), frontDoor, provider, model, stream));

    /// <summary>Relays <paramref name="wire"/> (SSE text as a provider sends it) through a translator, as the relay would.</summary>
    public static async Task<string> RelayAsync(IStreamTranslator translator, string wire, bool complete = true)
    {
        using var reader = new SseReader(new MemoryStream(Utf8(wire)));
        var output = new ArrayBufferWriter<byte>();
        while (await reader.TryReadEventAsync())
        {
            translator.OnEvent(reader.EventName, reader.Data.Span, output);
        }
        if (complete)
        {
            translator.Complete(output);
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>A plain SSE split, independent of SseReader: (event name, data) per blank-line-separated block.</summary>
    public static List<(string? Event, string Data)> Events(string sse)
    {
        var events = new List<(string?, string)>();
        foreach (var block in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            var data = new List<string>();
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Add(line["data: ".Length..]);
                }
                else
                {
                    Assert.Fail($"Unexpected SSE line: '{line}'");
                }
            }
            Assert.True(sse.EndsWith("\n\n", StringComparison.Ordinal), "a stream ends with a blank line");
            events.Add((name, string.Join('\n', data)));
        }
        return events;
    }
}

/// <summary>An OpenAI chunk stream accumulated the way the OpenAI SDKs do, checking each chunk's shape on the way.</summary>
internal sealed class OpenAIStream
{
    public StringBuilder Text { get; } = new();
    public SortedDictionary<int, (string Id, string Name, StringBuilder Arguments)> Calls { get; } = [];
    public string? FinishReason { get; private set; }
    public JsonElement? Usage { get; private set; }
    public JsonElement? Error { get; private set; }
    public bool Done { get; private set; }
    public int Chunks { get; private set; }

    public static OpenAIStream Parse(string sse, string model)
    {
        var result = new OpenAIStream();
        string? id = null;
        var first = true;
        foreach (var (name, data) in WireKit.Events(sse))
        {
            Assert.Null(name);
            Assert.False(result.Done, "nothing after [DONE]");
            if (data == "[DONE]")
            {
                result.Done = true;
                continue;
            }
            var chunk = WireKit.Json(data);
            if (chunk.TryGetProperty("error", out var error))
            {
                result.Error = error;
                continue;
            }
            result.Chunks++;
            Assert.Equal("chat.completion.chunk", chunk.GetProperty("object").GetString());
            Assert.Equal(model, chunk.GetProperty("model").GetString());
            Assert.True(chunk.GetProperty("created").GetInt64() > 0);
            id ??= chunk.GetProperty("id").GetString();
            Assert.Equal(id, chunk.GetProperty("id").GetString());
            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                result.Usage = usage;
            }
            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                Assert.Equal(0, choice.GetProperty("index").GetInt32());
                var delta = choice.GetProperty("delta");
                if (first)
                {
                    Assert.Equal("assistant", delta.GetProperty("role").GetString());
                    first = false;
                }
                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    result.Text.Append(content.GetString());
                }
                if (delta.TryGetProperty("tool_calls", out var calls))
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var index = call.GetProperty("index").GetInt32();
                        var function = call.GetProperty("function");
                        if (call.TryGetProperty("id", out var callId))
                        {
                            Assert.Equal("function", call.GetProperty("type").GetString());
                            Assert.False(result.Calls.ContainsKey(index), "a call starts once");
                            result.Calls[index] = (callId.GetString()!, function.GetProperty("name").GetString()!, new StringBuilder());
                        }
                        if (function.TryGetProperty("arguments", out var arguments))
                        {
                            result.Calls[index].Arguments.Append(arguments.GetString());
                        }
                    }
                }
                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
                {
                    result.FinishReason = choice.GetProperty("finish_reason").GetString();
                }
            }
        }
        return result;
    }
}

/// <summary>An Anthropic event stream accumulated the way the Anthropic SDKs do, checking the event grammar.</summary>
internal sealed class AnthropicStream
{
    public sealed record Block(string Type, StringBuilder Text, string? Id, string? Name, StringBuilder Json);

    public List<Block> Blocks { get; } = [];
    public JsonElement? Message { get; private set; }
    public string? StopReason { get; private set; }
    public JsonElement? Usage { get; private set; }
    public JsonElement? Error { get; private set; }
    public bool Stopped { get; private set; }
    public List<string> EventNames { get; } = [];

    public string Text => string.Concat(Blocks.Where(b => b.Type == "text").Select(b => b.Text.ToString()));

    public static AnthropicStream Parse(string sse, string model)
    {
        var result = new AnthropicStream();
        var open = -1;
        foreach (var (name, data) in WireKit.Events(sse))
        {
            Assert.NotNull(name);
            Assert.False(result.Stopped, "nothing after message_stop");
            var e = WireKit.Json(data);
            Assert.Equal(name, e.GetProperty("type").GetString());
            result.EventNames.Add(name!);
            switch (name)
            {
                case "message_start":
                    Assert.Null(result.Message);
                    result.Message = e.GetProperty("message");
                    Assert.Equal(model, e.GetProperty("message").GetProperty("model").GetString());
                    Assert.Equal("assistant", e.GetProperty("message").GetProperty("role").GetString());
                    break;
                case "content_block_start":
                    Assert.NotNull(result.Message);
                    Assert.Equal(-1, open);
                    open = e.GetProperty("index").GetInt32();
                    Assert.Equal(result.Blocks.Count, open);
                    var cb = e.GetProperty("content_block");
                    var type = cb.GetProperty("type").GetString()!;
                    result.Blocks.Add(new Block(type, new StringBuilder(), type == "tool_use" ? cb.GetProperty("id").GetString() : null,
                        type == "tool_use" ? cb.GetProperty("name").GetString() : null, new StringBuilder()));
                    break;
                case "content_block_delta":
                    Assert.Equal(open, e.GetProperty("index").GetInt32());
                    var delta = e.GetProperty("delta");
                    if (delta.GetProperty("type").GetString() == "text_delta")
                    {
                        Assert.Equal("text", result.Blocks[open].Type);
                        result.Blocks[open].Text.Append(delta.GetProperty("text").GetString());
                    }
                    else
                    {
                        Assert.Equal("input_json_delta", delta.GetProperty("type").GetString());
                        Assert.Equal("tool_use", result.Blocks[open].Type);
                        result.Blocks[open].Json.Append(delta.GetProperty("partial_json").GetString());
                    }
                    break;
                case "content_block_stop":
                    Assert.Equal(open, e.GetProperty("index").GetInt32());
                    open = -1;
                    break;
                case "message_delta":
                    Assert.Equal(-1, open);
                    result.StopReason = e.GetProperty("delta").GetProperty("stop_reason").GetString();
                    result.Usage = e.GetProperty("usage");
                    break;
                case "message_stop":
                    result.Stopped = true;
                    break;
                case "error":
                    result.Error = e.GetProperty("error");
                    break;
                case "ping":
                    break;
                default:
                    Assert.Fail($"Unknown event {name}");
                    break;
            }
        }
        return result;
    }
}
