using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

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
/// subteams; <see cref="Caller"/> matches any part of the caller's name in any case.
/// </summary>
public sealed record CallFilter
{
    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    public Guid? TeamId { get; init; }
    public string? Model { get; init; }
    public CallOutcome Outcome { get; init; }
    public string? Caller { get; init; }
}

/// <summary>The columns the Calls page can sort by, in the database.</summary>
public enum CallSortKey
{
    At,
    Cost,
    InputTokens,
    OutputTokens,
    TimeToFirstToken,
    Latency,
    TokensPerSecond,
    Retries,
}

/// <summary>One order for a page of calls; ties fall back to the newest first, so pages never overlap.</summary>
public sealed record CallSort(CallSortKey Key, bool Descending)
{
    public static CallSort Newest { get; } = new(CallSortKey.At, true);
}

/// <summary>One call as the Calls page lists it.</summary>
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
}

/// <summary>Sums over every call a filter matches, not only the page shown; a refusal row counts as the refusals it stands for.</summary>
public sealed record CallTotals(int Calls, int Errors, long InputTokens, long CachedInputTokens, long OutputTokens, decimal Cost, int Unpriced)
{
    public static CallTotals None { get; } = new(0, 0, 0, 0, 0, 0m, 0);
}

/// <summary>One page of calls, newest first, and the totals of all calls the filter matches.</summary>
public sealed record CallPage(IReadOnlyList<CallRow> Rows, CallTotals Totals);

/// <summary>
/// Reads the call log for the Calls page, limited to the teams the actor may see: org-wide roles see every call
/// (also those refused before a key was known), everyone else the calls of their teams and subteams.
/// </summary>
public sealed class CallQueries(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams)
{
    public const int MaxPageSize = 200;

    /// <summary>One page of the calls the filter matches, newest first unless <paramref name="sort"/> says otherwise.</summary>
    public async Task<CallPage> PageAsync(Actor actor, CallFilter filter, int skip, int take, CallSort? sort = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var calls = await FilteredAsync(db, actor, filter, ct);
        var totals = await TotalsOf(calls, ct);
        if (totals.Calls == 0) return new CallPage([], totals);
        var rows = await Sorted(calls, sort ?? CallSort.Newest, db.Database.IsSqlite())
            .Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, MaxPageSize))
            .Select(c => new CallRow(c.Id, c.At, c.KeyId, c.TeamId, c.Caller, c.EndUser, c.Endpoint, c.ModelRequested, c.ModelServed,
                c.ProviderName, c.RouteReason, c.Status, c.ErrorClass, c.Retries, c.Streamed, c.InputTokens, c.CachedInputTokens,
                c.OutputTokens, c.Cost, c.Unpriced, c.UsageSource, c.TimeToFirstTokenMs, c.LatencyMs, c.OutputTokensPerSecond,
                c.RequestBytes, c.ResponseBytes) { Count = c.Count })
            .ToListAsync(ct);
        return new CallPage(rows, totals);
    }

    public async Task<CallTotals> TotalsAsync(Actor actor, CallFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await TotalsOf(await FilteredAsync(db, actor, filter, ct), ct);
    }

    /// <summary>The models callers asked for in the calls the actor may see, for the filter's choices.</summary>
    public async Task<IReadOnlyList<string>> ModelsAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var calls = await FilteredAsync(db, actor, new CallFilter(), ct);
        var models = await calls.Where(c => c.ModelRequested != null).Select(c => c.ModelRequested!).Distinct().ToListAsync(ct);
        return [.. models.Order(StringComparer.Ordinal)];
    }

    private async Task<IQueryable<CallRecord>> FilteredAsync(ControlPlaneDb db, Actor actor, CallFilter filter, CancellationToken ct)
    {
        var calls = db.Calls.AsNoTracking();
        var visible = await teams.VisibleToAsync(actor, ct);
        if (!visible.IsEverything)
        {
            var ids = visible.TeamIds.ToList();
            calls = calls.Where(c => c.TeamId != null && ids.Contains(c.TeamId.Value));
        }
        if (filter.TeamId is { } teamId)
        {
            var seen = await teams.ListAsync(visible, ct);
            var chosen = TeamTree.WithDescendants(seen.Select(n => n.Team), [teamId]).Where(visible.Includes).ToList();
            calls = calls.Where(c => c.TeamId != null && chosen.Contains(c.TeamId.Value));
        }
        if (filter.From is { } from) calls = calls.Where(c => c.At >= from);
        if (filter.To is { } to) calls = calls.Where(c => c.At < to);
        if (!string.IsNullOrWhiteSpace(filter.Model))
        {
            var model = filter.Model.Trim();
            calls = calls.Where(c => c.ModelRequested == model);
        }
        calls = filter.Outcome switch
        {
            CallOutcome.Succeeded => calls.Where(c => c.ErrorClass == null),
            CallOutcome.Failed => calls.Where(c => c.ErrorClass != null),
            _ => calls,
        };
        if (!string.IsNullOrWhiteSpace(filter.Caller))
        {
            // lower() and LIKE behave alike on SQLite and PostgreSQL (LIKE alone ignores case only on SQLite).
            var pattern = "%" + LikeEscaped(filter.Caller.Trim().ToLowerInvariant()) + "%";
            calls = calls.Where(c => c.Caller != null && EF.Functions.Like(c.Caller.ToLower(), pattern, LikeEscape));
        }
        return calls;
    }

    private static IQueryable<CallRecord> Sorted(IQueryable<CallRecord> calls, CallSort sort, bool sqlite)
    {
        var sorted = sort.Key switch
        {
            // SQLite keeps decimals as text and EF refuses to order by them there; a REAL is exact enough to order costs.
            CallSortKey.Cost when sqlite => By(calls, c => (double)c.Cost, sort.Descending),
            CallSortKey.Cost => By(calls, c => c.Cost, sort.Descending),
            CallSortKey.InputTokens => By(calls, c => c.InputTokens, sort.Descending),
            CallSortKey.OutputTokens => By(calls, c => c.OutputTokens, sort.Descending),
            CallSortKey.TimeToFirstToken => By(calls, c => c.TimeToFirstTokenMs, sort.Descending),
            CallSortKey.Latency => By(calls, c => c.LatencyMs, sort.Descending),
            CallSortKey.TokensPerSecond => By(calls, c => c.OutputTokensPerSecond, sort.Descending),
            CallSortKey.Retries => By(calls, c => c.Retries, sort.Descending),
            _ => By(calls, c => c.At, sort.Descending),
        };
        return sorted.ThenByDescending(c => c.At).ThenByDescending(c => c.Id);
    }

    private static IOrderedQueryable<CallRecord> By<TKey>(IQueryable<CallRecord> calls, System.Linq.Expressions.Expression<Func<CallRecord, TKey>> key, bool descending) =>
        descending ? calls.OrderByDescending(key) : calls.OrderBy(key);

    private const string LikeEscape = "\\";

    private static string LikeEscaped(string text) =>
        text.Replace(LikeEscape, LikeEscape + LikeEscape, StringComparison.Ordinal)
            .Replace("%", LikeEscape + "%", StringComparison.Ordinal).Replace("_", LikeEscape + "_", StringComparison.Ordinal);

    /// <summary>One aggregate query; the cost is summed as a decimal by the database (EF's ef_sum on SQLite).</summary>
    private static async Task<CallTotals> TotalsOf(IQueryable<CallRecord> calls, CancellationToken ct) =>
        await calls.GroupBy(_ => 1)
            .Select(g => new CallTotals(g.Sum(c => c.Count), g.Sum(c => c.ErrorClass != null ? c.Count : 0), g.Sum(c => c.InputTokens), g.Sum(c => c.CachedInputTokens),
                g.Sum(c => c.OutputTokens), g.Sum(c => c.Cost), g.Count(c => c.Unpriced)))
            .FirstOrDefaultAsync(ct) ?? CallTotals.None;
}

/// <summary>US dollars as the pages show them: at least cents, and every further digit the book holds (up to six), never rounded to cents.</summary>
public static class Usd
{
    public static string Format(decimal amount) => "$" + decimal.Round(amount, 6, MidpointRounding.AwayFromZero).ToString("0.00####");
}
