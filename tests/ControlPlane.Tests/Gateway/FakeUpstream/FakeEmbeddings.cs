using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>Embeddings: the same text always gets the same vector (8 dimensions unless asked otherwise).</summary>
internal static class FakeEmbeddings
{
    private const int DefaultDimensions = 8;

    /// <summary>OpenAI and Azure: input is a string, an array of strings, or token arrays.</summary>
    public static Task OpenAIAsync(FakeCall call)
    {
        var inputs = call.Body["input"] switch
        {
            JsonArray array when array.All(i => i is JsonValue v && v.TryGetValue<double>(out _)) => [array.ToJsonString()],
            JsonArray array => array.Select(i => i is JsonValue v && v.TryGetValue<string>(out var text) ? text : i?.ToJsonString() ?? "").ToList(),
            var single => [single?.ToString() ?? ""],
        };
        var dimensions = call.Body["dimensions"]?.GetValue<int>() ?? DefaultDimensions;
        var base64 = call.Body["encoding_format"]?.ToString() == "base64";
        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = Vector(inputs[i], dimensions);
            // SDKs ask for base64 by default: little-endian float32s.
            JsonNode embedding = base64
                ? Convert.ToBase64String([.. vector.SelectMany(BitConverter.GetBytes)])
                : new JsonArray([.. vector.Select(v => (JsonNode)v)]);
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }
        var root = new JsonObject { ["object"] = "list", ["data"] = data, ["model"] = call.ResponseModel };
        if (!call.Reply.OmitUsage)
            root["usage"] = new JsonObject { ["prompt_tokens"] = call.Usage.Input, ["total_tokens"] = call.Usage.Input };
        return FakeTransport.JsonAsync(call.Context, root, reply: call.Reply);
    }

    /// <summary>Gemini reports no usage for embeddings, only the values.</summary>
    public static Task GeminiAsync(FakeCall call, bool batch)
    {
        JsonObject Embedding(JsonNode? request) => new()
        {
            ["values"] = new JsonArray([.. Vector(Text(request?["content"]), request?["outputDimensionality"]?.GetValue<int>() ?? DefaultDimensions).Select(v => (JsonNode)v)]),
        };
        JsonObject root = batch
            ? new() { ["embeddings"] = new JsonArray([.. (call.Body["requests"] as JsonArray ?? []).Select(r => (JsonNode)Embedding(r))]) }
            : new() { ["embedding"] = Embedding(call.Body) };
        return FakeTransport.JsonAsync(call.Context, root, reply: call.Reply);
    }

    public static float[] Vector(string text, int dimensions)
    {
        // FNV-1a: stable across runs and processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in text)
            hash = (hash ^ c) * 16777619u;
        return [.. Enumerable.Range(0, dimensions).Select(i => (float)Math.Sin((hash % 10007) + (i * 0.7)))];
    }

    private static string Text(JsonNode? content) =>
        content?["parts"] is JsonArray parts ? string.Concat(parts.Select(p => p?["text"]?.ToString())) : "";
}
