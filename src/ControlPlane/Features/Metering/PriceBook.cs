namespace ControlPlane.Features.Metering;

/// <summary>Prices per million tokens in force for one provider's model at one moment.</summary>
public sealed record PriceRate(Guid PriceId, decimal InputPerMillion, decimal CachedInputPerMillion, decimal OutputPerMillion, DateTime EffectiveFrom)
{
    private const decimal Million = 1_000_000m;

    /// <summary>Exact decimal cost: uncached input, cached input and output, each at its own rate.</summary>
    public decimal CostOf(TokenUsage usage) =>
        ((usage.InputTokens - usage.CachedInputTokens) * InputPerMillion
         + usage.CachedInputTokens * CachedInputPerMillion
         + usage.OutputTokens * OutputPerMillion) / Million;

    /// <summary>The most a call can cost: every input token uncached and every allowed output token used.</summary>
    public decimal WorstCaseOf(long inputTokens, long maxOutputTokens) =>
        (inputTokens * InputPerMillion + maxOutputTokens * OutputPerMillion) / Million;
}

/// <summary>
/// The dated price book as the gateway reads it: for each (provider, model) its prices ordered by the date they
/// take effect. A call is priced at the rate in force when it started.
/// </summary>
public sealed class PriceBook
{
    private readonly Dictionary<(Guid ProviderId, string Model), PriceRate[]> _rates;

    public PriceBook(IEnumerable<Price> prices) =>
        _rates = prices.GroupBy(p => (p.ProviderId, p.UpstreamModel))
            .ToDictionary(g => g.Key, g => g.OrderBy(p => p.EffectiveFrom)
                .Select(p => new PriceRate(p.Id, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion, p.EffectiveFrom)).ToArray());

    public static PriceBook Empty { get; } = new([]);

    public bool TryGetRate(Guid providerId, string upstreamModel, DateTime at, out PriceRate rate)
    {
        rate = default!;
        if (!_rates.TryGetValue((providerId, upstreamModel), out var rates)) return false;
        // Few prices per model: a backwards scan beats a binary search here.
        for (var i = rates.Length - 1; i >= 0; i--)
        {
            if (rates[i].EffectiveFrom <= at)
            {
                rate = rates[i];
                return true;
            }
        }
        return false;
    }
}
