using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>The model lists, each in its provider's shape.</summary>
internal static class FakeModels
{
    public static JsonObject List(FakeProvider provider, IReadOnlyList<string>? models) => provider switch
    {
        FakeProvider.Anthropic => Anthropic(models ?? ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"]),
        FakeProvider.Gemini => Gemini(models ?? ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001"]),
        _ => OpenAI(models ?? ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]),
    };

    private static JsonObject OpenAI(IReadOnlyList<string> models) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray([.. models.Select(m => (JsonNode)new JsonObject
        {
            ["id"] = m,
            ["object"] = "model",
            ["created"] = 1715367049,
            ["owned_by"] = "system",
        })]),
    };

    private static JsonObject Anthropic(IReadOnlyList<string> models) => new()
    {
        ["data"] = new JsonArray([.. models.Select(m => (JsonNode)new JsonObject
        {
            ["type"] = "model",
            ["id"] = m,
            ["display_name"] = m,
            ["created_at"] = "2025-09-29T00:00:00Z",
        })]),
        ["has_more"] = false,
        ["first_id"] = models.Count > 0 ? models[0] : null,
        ["last_id"] = models.Count > 0 ? models[^1] : null,
    };

    private static JsonObject Gemini(IReadOnlyList<string> models) => new()
    {
        ["models"] = new JsonArray([.. models.Select(m => (JsonNode)new JsonObject
        {
            ["name"] = $"models/{m}",
            ["version"] = "001",
            ["displayName"] = m,
            ["inputTokenLimit"] = 1048576,
            ["outputTokenLimit"] = 65536,
            ["supportedGenerationMethods"] = m.Contains("embedding", StringComparison.Ordinal)
                ? new JsonArray("embedContent", "batchEmbedContents")
                : new JsonArray("generateContent", "countTokens"),
        })]),
    };
}
