namespace ControlPlane.Features.Metering;

/// <summary>
/// Prices per million tokens in force for one provider's model at one moment. <paramref name="CacheWriteInputPerMillion"/>
/// null means the documented default (<see cref="PriceRules.CacheWriteOrDefault"/>).
/// </summary>
public sealed record PriceRate(Guid PriceId, decimal InputPerMillion, decimal CachedInputPerMillion, decimal OutputPerMillion, DateTime EffectiveFrom,
    decimal? CacheWriteInputPerMillion = null)
{
    private const decimal Million = 1_000_000m;

    /// <summary>What a token written to the prompt cache costs per million.</summary>
    public decimal CacheWritePerMillion { get; } = PriceRules.CacheWriteOrDefault(InputPerMillion, CacheWriteInputPerMillion);

    /// <summary>The dearest way an input token can be billed: holds price every input token at it, so they stay upper bounds.</summary>
    public decimal HighestInputPerMillion => Math.Max(InputPerMillion, Math.Max(CachedInputPerMillion, CacheWritePerMillion));

    /// <summary>
    /// Exact decimal cost: uncached input, cache reads, cache writes and output, each at its own rate. Token counts are
    /// clamped (reads and writes to the input, nothing below zero) and prices are never negative, so neither is a cost.
    /// With prices of at most 6 decimals the cost has at most 12: the money scale, stored without rounding.
    /// </summary>
    public decimal CostOf(TokenUsage usage) =>
        (usage.UncachedInputTokens * NonNegative(InputPerMillion)
         + usage.CacheReads * NonNegative(CachedInputPerMillion)
         + usage.CacheWrites * NonNegative(CacheWritePerMillion)
         + Math.Max(0, usage.OutputTokens) * NonNegative(OutputPerMillion)) / Million;

    /// <summary>
    /// The most a call can cost: every input token at the dearest input rate and every allowed output token used. Only
    /// providers that report cache writes (<paramref name="cacheWrites"/>: Anthropic's wire) can bill the cache-write rate.
    /// </summary>
    public decimal WorstCaseOf(long inputTokens, long maxOutputTokens, bool cacheWrites = true) =>
        (Math.Max(0, inputTokens) * NonNegative(cacheWrites ? HighestInputPerMillion : Math.Max(InputPerMillion, CachedInputPerMillion))
         + Math.Max(0, maxOutputTokens) * NonNegative(OutputPerMillion)) / Million;

    // Prices are validated ≥ 0 wherever they enter; this only keeps a bad row from ever producing a negative amount.
    private static decimal NonNegative(decimal perMillion) => Math.Max(0m, perMillion);
}

/// <summary>
/// The dated price book as the gateway reads it: for each (provider, model) its prices ordered by the date they
/// take effect. A call is priced at the rate in force when it started.
/// </summary>
public sealed class PriceBook
{
    private readonly Dictionary<(Guid ProviderId, string Model), (DateTime From, PriceRate? Rate)[]> _rates;

    public PriceBook(IEnumerable<Price> prices) =>
        _rates = prices.GroupBy(p => (p.ProviderId, p.UpstreamModel))
            .ToDictionary(g => g.Key, g => g.OrderBy(p => p.EffectiveFrom).Select(p => (p.EffectiveFrom, RateOf(p))).ToArray());

    /// <summary>
    /// A row with a negative price (impossible through any validated path) is not a price: its model counts as unpriced
    /// from that row's date, so the unpriced-model policy refuses or flags it rather than pricing calls below zero.
    /// </summary>
    private static PriceRate? RateOf(Price p) =>
        p.InputPerMillion < 0 || p.CachedInputPerMillion < 0 || p.OutputPerMillion < 0 || p.CacheWriteInputPerMillion < 0
            ? null
            : new PriceRate(p.Id, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion, p.EffectiveFrom, p.CacheWriteInputPerMillion);

    public static PriceBook Empty { get; } = new([]);

    public bool TryGetRate(Guid providerId, string upstreamModel, DateTime at, out PriceRate rate)
    {
        rate = default!;
        if (!_rates.TryGetValue((providerId, upstreamModel), out var rates)) return false;
        // Few prices per model: a backwards scan beats a binary search here.
        for (var i = rates.Length - 1; i >= 0; i--)
        {
            if (rates[i].From <= at)
            {
                if (rates[i].Rate is not { } inForce) return false;
                rate = inForce;
                return true;
            }
        }
        return false;
    }
}
