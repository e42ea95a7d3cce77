namespace ControlPlane.Features.Metering;

/// <summary>Which calls by outcome: all, those that succeeded, or those with an error class.</summary>
public enum CallOutcome
{
    All,
    Succeeded,
    Failed,
}

/// <summary>
/// Which calls to show. Times are UTC, <see cref="From"/> inclusive and <see cref="To"/> exclusive; a team brings its
/// subteams; <see cref="Caller"/> matches any part of the caller's name in any case; every other text matches exactly.
/// Costs are in USD, both ends included. Null means "any".
/// </summary>
public sealed record CallFilter
{
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    public Guid? TeamId { get; init; }
    public Guid? KeyId { get; init; }
    public string? Caller { get; init; }
    public string? EndUser { get; init; }
    /// <summary>The model the caller asked for.</summary>
    public string? Model { get; init; }
    /// <summary>The provider that served the call, by name.</summary>
    public string? Provider { get; init; }
    public CallOutcome Outcome { get; init; }
    /// <summary>The HTTP status returned to the caller.</summary>
    public int? Status { get; init; }
    public string? ErrorClass { get; init; }
    public decimal? CostMin { get; init; }
    public decimal? CostMax { get; init; }
    public UsageSource? UsageSource { get; init; }
    public bool? Streamed { get; init; }
}

/// <summary>The columns the Requests page can sort by: each has an index, so a sorted page never sorts the whole log.</summary>
public enum CallSortKey
{
    At,
    Cost,
    Latency,
}

/// <summary>One order for a page of calls; ties fall back to time and then id in the same direction, so pages never overlap.</summary>
public sealed record CallSort(CallSortKey Key, bool Descending)
{
    public static CallSort Newest { get; } = new(CallSortKey.At, true);
}

/// <summary>One call as the Requests page lists it.</summary>
public sealed record CallRow(
    Guid Id, DateTime At, Guid? KeyId, Guid? TeamId, string? Caller, string? EndUser, string Endpoint,
    string? ModelRequested, string? ModelServed, string? ProviderName, string? RouteReason, int Status, string? ErrorClass,
    int Retries, bool Streamed, long InputTokens, long CachedInputTokens, long OutputTokens, decimal Cost, bool Unpriced,
    UsageSource UsageSource, int? TimeToFirstTokenMs, int LatencyMs, double? OutputTokensPerSecond, long RequestBytes, long ResponseBytes)
{
    /// <summary>The id the gateway returned to the caller in X-Request-Id.</summary>
    public string RequestId => $"req_{Id:N}";
    public bool Failed => ErrorClass is not null;

    /// <summary>
    /// How many calls the row stands for: 1, or for a refusal row every refusal of its key and reason in its minute
    /// (the page shows "× Count" beside the status when it is more than 1).
    /// </summary>
    public int Count { get; init; } = 1;

    /// <summary>The part of the input written to the provider's prompt cache, where the provider reports it.</summary>
    public long CacheWriteInputTokens { get; init; }
}

/// <summary>Sums over every call a filter matches, not only the page shown; a refusal row counts as the refusals it stands for.</summary>
public sealed record CallTotals(int Calls, int Errors, long InputTokens, long CachedInputTokens, long OutputTokens, decimal Cost, int Unpriced)
{
    public static CallTotals None { get; } = new(0, 0, 0, 0, 0, 0m, 0);

    /// <summary>
    /// Null when the sums cover the whole filtered range; otherwise they were cut short by the time budget and cover the
    /// matching calls from this instant on only: every figure is then a lower bound (the page shows "≥").
    /// </summary>
    public DateTime? CountedFrom { get; init; }

    internal CallTotals Plus(CallTotals other) =>
        new(Calls + other.Calls, Errors + other.Errors, InputTokens + other.InputTokens, CachedInputTokens + other.CachedInputTokens,
            OutputTokens + other.OutputTokens, Cost + other.Cost, Unpriced + other.Unpriced) { CountedFrom = CountedFrom ?? other.CountedFrom };
}

/// <summary>
/// One page of calls in the sort's order, with the cursors of the pages beside it (null when there is none): a cursor
/// names the last row seen, so a page is found by an index seek, never by skipping rows (OFFSET).
/// </summary>
public sealed record CallPage(IReadOnlyList<CallRow> Rows, CallCursor? Next, CallCursor? Previous)
{
    public static CallPage Empty { get; } = new([], null, null);
}
