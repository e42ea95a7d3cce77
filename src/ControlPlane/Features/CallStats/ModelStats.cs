namespace ControlPlane.Features.CallStats;

/// <summary>
/// How one provider's model served the calls in a range: speed (percentiles over the calls that succeeded), errors,
/// cost per thousand tokens and how much of its usage was estimated rather than reported.
/// </summary>
public sealed record ModelStats(string Model, string Provider, long Calls, long Errors, Spread TimeToFirstTokenMs, Spread LatencyMs,
    Spread OutputTokensPerSecond, decimal Cost, long Tokens, long EstimatedCalls, IReadOnlyDictionary<string, long> ErrorsByClass)
{
    public double ErrorRate => Calls == 0 ? 0 : (double)Errors / Calls;
    public decimal? CostPer1KTokens => Tokens == 0 ? null : Cost / Tokens * 1000m;
    public double EstimatedShare => Calls == 0 ? 0 : (double)EstimatedCalls / Calls;
}

/// <summary>The per-model lines and the errors of every call in the range (refusals included) by class.</summary>
public sealed record StatsReport(IReadOnlyList<ModelStats> Models, long Calls, long Errors, IReadOnlyDictionary<string, long> ErrorsByClass)
{
    public static StatsReport Empty { get; } = new([], 0, 0, new Dictionary<string, long>());
    public double SuccessRate => Calls == 0 ? 1 : 1 - (double)Errors / Calls;
}

/// <summary>Which calls the stats cover: a range (UTC, from included, to excluded) and optionally a team with its subteams.</summary>
public sealed record StatsRange(DateTime From, DateTime To, Guid? TeamId = null);

/// <summary>All calls of a window together: how many, how many failed, and how fast those that succeeded were.</summary>
public sealed record PooledStats(long Calls, long Errors, Spread LatencyMs, Spread TimeToFirstTokenMs)
{
    public double SuccessRate => Calls == 0 ? 1 : 1 - (double)Errors / Calls;
}
