using System.Text.Json;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// Each wire's usage fields ↔ <see cref="TokenUsage"/>, whose input counts every input token (cache reads and writes
/// included, as OpenAI's prompt_tokens does). Anthropic's input_tokens excludes both: converted here, both ways.
/// </summary>
internal static class UsageFields
{
    public static TokenUsage? OpenAI(JsonElement? usage) => usage is { ValueKind: JsonValueKind.Object } u
        ? new TokenUsage(u.Long("prompt_tokens") ?? 0, u.Object("prompt_tokens_details")?.Long("cached_tokens") ?? 0, u.Long("completion_tokens") ?? 0)
        : null;

    public static TokenUsage? Anthropic(JsonElement? usage) => usage is { ValueKind: JsonValueKind.Object } u
        ? FromAnthropic(u.Long("input_tokens") ?? 0, u.Long("cache_read_input_tokens") ?? 0, u.Long("cache_creation_input_tokens") ?? 0, u.Long("output_tokens") ?? 0)
        : null;

    public static TokenUsage? Gemini(JsonElement? metadata) => metadata is { ValueKind: JsonValueKind.Object } m
        ? FromGemini(m.Long("promptTokenCount") ?? 0, m.Long("cachedContentTokenCount") ?? 0, m.Long("candidatesTokenCount") ?? 0, m.Long("thoughtsTokenCount") ?? 0)
        : null;

    /// <summary>Anthropic's input_tokens leaves out cache reads and writes; ours counts them all, and keeps the writes apart.</summary>
    public static TokenUsage FromAnthropic(long input, long cacheRead, long cacheCreation, long output) =>
        new(input + cacheRead + cacheCreation, cacheRead, output, cacheCreation);

    /// <summary>Thinking tokens are billed as output but reported apart from the candidates.</summary>
    public static TokenUsage FromGemini(long prompt, long cached, long candidates, long thoughts) =>
        new(prompt, cached, candidates + thoughts);

    /// <summary>
    /// OpenAI has no field for cache writes: they stay inside prompt_tokens (which counts all input), and cached_tokens
    /// carries the reads only.
    /// </summary>
    public static void WriteOpenAI(Utf8JsonWriter w, TokenUsage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", u.InputTokens);
        w.WriteNumber("completion_tokens", u.OutputTokens);
        w.WriteNumber("total_tokens", u.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", u.CacheReads);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Anthropic's split: input_tokens is what is neither read from nor written to the cache.</summary>
    public static void WriteAnthropic(Utf8JsonWriter w, TokenUsage u)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", u.UncachedInputTokens);
        w.WriteNumber("cache_creation_input_tokens", u.CacheWrites);
        w.WriteNumber("cache_read_input_tokens", u.CacheReads);
        w.WriteNumber("output_tokens", u.OutputTokens);
        w.WriteEndObject();
    }
}
