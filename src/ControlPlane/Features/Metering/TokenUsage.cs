namespace ControlPlane.Features.Metering;

/// <summary>
/// Tokens of one call. <see cref="InputTokens"/> counts every input token, <see cref="CachedInputTokens"/> the part
/// of them read from the provider's prompt cache (priced at the cached-input rate).
/// </summary>
public readonly record struct TokenUsage(long InputTokens, long CachedInputTokens, long OutputTokens)
{
    public long TotalTokens => InputTokens + OutputTokens;
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
