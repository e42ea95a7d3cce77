namespace ControlPlane.Features.Metering;

/// <summary>
/// Tokens of one call, in one meaning whatever the wire: <see cref="InputTokens"/> counts every input token (OpenAI's
/// prompt_tokens); <see cref="CachedInputTokens"/> is the part of them read from the provider's prompt cache and
/// <see cref="CacheWriteInputTokens"/> the part written to it, each priced at its own rate. Anthropic reports input
/// without either (its input_tokens is the uncached rest); the wire readers and writers convert at the edges.
/// </summary>
public readonly record struct TokenUsage(long InputTokens, long CachedInputTokens, long OutputTokens, long CacheWriteInputTokens = 0)
{
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Two attempts' tokens together, every count added (cache writes included).</summary>
    public static TokenUsage operator +(TokenUsage a, TokenUsage b) => new(
        a.InputTokens + b.InputTokens, a.CachedInputTokens + b.CachedInputTokens, a.OutputTokens + b.OutputTokens,
        a.CacheWriteInputTokens + b.CacheWriteInputTokens);

    /// <summary>Input neither read from nor written to the cache; never negative, however odd the provider's counts.</summary>
    public long UncachedInputTokens => Math.Max(0, InputTokens - CacheReads - CacheWrites);

    /// <summary>Cache reads, clamped to the input: a provider reporting more cached tokens than input cannot make a cost negative.</summary>
    internal long CacheReads => Math.Clamp(CachedInputTokens, 0, Math.Max(0, InputTokens));

    /// <summary>Cache writes, clamped to what input is left after the reads.</summary>
    internal long CacheWrites => Math.Clamp(CacheWriteInputTokens, 0, Math.Max(0, InputTokens) - CacheReads);
}

/// <summary>Where a call's token counts came from.</summary>
public enum UsageSource
{
    /// <summary>The provider reported them.</summary>
    Provider,
    /// <summary>The provider reported nothing (cut stream, missing usage); we estimated from the text.</summary>
    Estimated,
    /// <summary>The call never reached a provider (refused, dry run, failed before sending).</summary>
    None,
}
