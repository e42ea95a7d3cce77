using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>
/// generateContent and streamGenerateContent as Gemini sends them. The stream is a series of whole
/// GenerateContentResponse objects (SSE with CRLF line ends when alt=sse, else one JSON array written piece by
/// piece); the last carries finishReason and the full usageMetadata, earlier ones only the prompt count.
/// </summary>
internal static class GeminiWire
{
    public static Task AnswerAsync(FakeCall call, bool stream)
    {
        var text = call.Text(LastUserText(call.Body));
        var id = $"fake-response-{call.Id()}";
        if (!stream)
            return FakeTransport.JsonAsync(call.Context, Response(call, id, AllParts(call, text), last: true), reply: call.Reply);
        var sse = call.Context.Request.Query["alt"] == "sse";
        return sse
            ? FakeTransport.StreamAsync(call.Context, call.Reply, "text/event-stream", Chunks(call, id, text).Select(c => new Frame($"data: {c.Text}\r\n\r\n", true)))
            : FakeTransport.StreamAsync(call.Context, call.Reply, "application/json; charset=UTF-8", JsonArray(Chunks(call, id, text)));
    }

    private static IEnumerable<Frame> JsonArray(IEnumerable<Frame> chunks)
    {
        var first = true;
        foreach (var chunk in chunks)
        {
            yield return new Frame((first ? "[" : ",\r\n") + chunk.Text, true);
            first = false;
        }
        yield return new Frame("]");
    }

    /// <summary>Each chunk serialised, without framing: one per text piece, then one with every function call.</summary>
    private static IEnumerable<Frame> Chunks(FakeCall call, string id, string text)
    {
        var parts = FakeTransport.Pieces(text, call.Reply.Chunks).Select(p => new JsonArray(new JsonObject { ["text"] = p })).ToList();
        if (call.Reply.ToolCalls.Count > 0)
            parts.Add(new JsonArray([.. call.Reply.ToolCalls.Select(FunctionCall)]));
        if (parts.Count == 0)
            parts.Add(new JsonArray(new JsonObject { ["text"] = "" }));
        for (var i = 0; i < parts.Count; i++)
            yield return new Frame(FakeTransport.Serialize(Response(call, id, parts[i], last: i == parts.Count - 1)), true);
    }

    private static JsonArray AllParts(FakeCall call, string text)
    {
        var parts = new JsonArray();
        if (text.Length > 0 || call.Reply.ToolCalls.Count == 0)
            parts.Add(new JsonObject { ["text"] = text });
        foreach (var tool in call.Reply.ToolCalls)
            parts.Add(FunctionCall(tool));
        return parts;
    }

    private static JsonObject Response(FakeCall call, string id, JsonArray parts, bool last)
    {
        var candidate = new JsonObject { ["content"] = new JsonObject { ["parts"] = parts, ["role"] = "model" } };
        if (last)
            candidate["finishReason"] = call.Reply.FinishReason ?? "STOP";
        candidate["index"] = 0;
        var response = new JsonObject { ["candidates"] = new JsonArray(candidate) };
        if (!call.Reply.OmitUsage)
            response["usageMetadata"] = last ? Usage(call.Usage) : new JsonObject { ["promptTokenCount"] = call.Usage.Input, ["totalTokenCount"] = call.Usage.Input };
        response["modelVersion"] = call.ResponseModel;
        response["responseId"] = id;
        return response;
    }

    private static JsonObject Usage(FakeUsage usage)
    {
        var metadata = new JsonObject { ["promptTokenCount"] = usage.Input };
        if (usage.Cached > 0)
            metadata["cachedContentTokenCount"] = usage.Cached; // absent, not 0, when nothing was cached
        metadata["candidatesTokenCount"] = usage.Output;
        metadata["totalTokenCount"] = usage.Input + usage.Output;
        metadata["promptTokensDetails"] = new JsonArray(new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = usage.Input });
        return metadata;
    }

    private static JsonNode FunctionCall(FakeToolCall tool) => new JsonObject
    {
        ["functionCall"] = new JsonObject { ["name"] = tool.Name, ["args"] = JsonNode.Parse(tool.ArgumentsJson) },
    };

    private static string? LastUserText(JsonNode body)
    {
        var last = (body["contents"] as JsonArray)?.LastOrDefault(c => c?["role"] is null || c["role"]!.ToString() == "user");
        return last?["parts"] is JsonArray parts ? string.Concat(parts.Select(p => p?["text"]?.ToString())) : null;
    }
}
