using ControlPlane.Features.Gateway.Wire;

namespace ControlPlane.Features.Metering;

/// <summary>What a call used and cost, and whether the provider said so or we estimated it.</summary>
public sealed record Metered(TokenUsage Usage, decimal Cost, UsageSource Source, bool Unpriced)
{
    /// <summary>About four characters of text make a token: crude, flagged, and never zero for real output.</summary>
    public const int CharactersPerToken = 4;

    public static Metered Reported(TokenUsage usage, PriceRate? rate) =>
        new(usage, rate?.CostOf(usage) ?? 0m, UsageSource.Provider, rate is null);

    public static Metered Estimate(RequestInfo info, long outputCharacters, PriceRate? rate) =>
        Estimated(new TokenUsage(info.EstimatedInputTokens, 0, TokensIn(outputCharacters)), rate);

    /// <summary>
    /// For a stream: the provider's counts when it finished cleanly and reported them. When it was cut short (or the
    /// client left), the provider's counts may stop at the start (Anthropic reports input first, output last), so
    /// output is the larger of what it reported and what we saw go by, and the row says estimated.
    /// </summary>
    public static Metered OfStream(TokenUsage? reported, bool complete, RequestInfo info, long outputCharacters, PriceRate? rate)
    {
        if (reported is { } usage && complete) return Reported(usage, rate);
        var seen = TokensIn(outputCharacters);
        var estimate = reported is { } partial
            ? partial with { OutputTokens = Math.Max(partial.OutputTokens, seen) }
            : new TokenUsage(info.EstimatedInputTokens, 0, seen);
        return Estimated(estimate, rate);
    }

    /// <summary>
    /// An attempt whose request reached the provider whole and then got no answer: the provider read the input and
    /// may have billed it, so the input is charged (estimated: the provider never said).
    /// </summary>
    public static Metered Unanswered(RequestInfo info, PriceRate? rate) => Estimate(info, 0, rate);

    /// <summary>
    /// Two attempts of one call together (an abandoned one and the served one, say): tokens and cost add up, and the
    /// sum is only as sure as its least sure part.
    /// </summary>
    public Metered Plus(Metered other) => new(
        Usage + other.Usage,
        Cost + other.Cost,
        Source == UsageSource.Provider && other.Source == UsageSource.Provider ? UsageSource.Provider : UsageSource.Estimated,
        Unpriced || other.Unpriced);

    /// <summary>Adds <paramref name="more"/> to <paramref name="metered"/>, either of which may be nothing yet.</summary>
    public static Metered? Sum(Metered? metered, Metered? more) =>
        metered is null ? more : more is null ? metered : metered.Plus(more);

    private static Metered Estimated(TokenUsage usage, PriceRate? rate) =>
        new(usage, rate?.CostOf(usage) ?? 0m, UsageSource.Estimated, rate is null);

    private static long TokensIn(long characters) => (characters + CharactersPerToken - 1) / CharactersPerToken;
}
