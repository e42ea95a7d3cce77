using System.Runtime.CompilerServices;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// Reads the call log for the Requests page, its CSV export and its API, limited to the teams the actor may see:
/// org-wide roles see every call (also those refused before a key was known), everyone else the calls of their teams
/// and subteams. Pages are found by keyset (<see cref="CallCursor"/>), never by OFFSET, so page 1,000 costs what page 1 does.
/// </summary>
public sealed class CallQueries(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TimeProvider clock)
{
    public const int MaxPageSize = 200;

    /// <summary>
    /// One page of the calls the filter matches in the sort's order: the first page, the page after
    /// <paramref name="after"/>, or the page before <paramref name="before"/>. A cursor of another sort is ignored.
    /// </summary>
    public async Task<CallPage> PageAsync(Actor actor, CallFilter filter, CallSort? sort = null, int take = 25,
        CallCursor? after = null, CallCursor? before = null, CancellationToken ct = default)
    {
        sort ??= CallSort.Newest;
        take = Math.Clamp(take, 1, MaxPageSize);
        if (after?.Key != sort.Key) after = null;
        if (before?.Key != sort.Key) before = null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sqlite = db.Database.IsSqlite();
        var teamIds = await TeamIdsAsync(actor, filter.TeamId, ct);
        if (teamIds is { Count: 0 }) return CallPage.Empty;

        // Backwards: read the other way from the cursor, then turn the rows round.
        var backwards = before is not null && after is null;
        var descending = backwards ? !sort.Descending : sort.Descending;
        var cursor = backwards ? before : after;
        var fetched = sqlite && sort.Key == CallSortKey.At && teamIds is { Count: > 1 and <= MaxMergedTeams }
            ? await PerTeamAsync(db, teamIds, filter, descending, cursor, take + 1, ct)
            : await ReadAsync(Filtered(db, teamIds, filter), sort.Key, descending, cursor, take + 1, sqlite, ct);
        var more = fetched.Count > take;
        if (more) fetched.RemoveAt(fetched.Count - 1);
        if (backwards) fetched.Reverse();
        if (fetched.Count == 0) return CallPage.Empty;

        var first = CallCursor.Of(sort.Key, fetched[0].Row, fetched[0].CostReal);
        var last = CallCursor.Of(sort.Key, fetched[^1].Row, fetched[^1].CostReal);
        var hasNext = backwards || more;
        var hasPrevious = backwards ? more : after is not null;
        return new CallPage([.. fetched.Select(f => f.Row)], hasNext ? last : null, hasPrevious ? first : null);
    }

    /// <summary>Up to this many teams are read one by one and merged (<see cref="PerTeamAsync"/>); more go into one IN list.</summary>
    private const int MaxMergedTeams = 64;

    private sealed record Fetched(CallRow Row, double CostReal);

    private static async Task<List<Fetched>> ReadAsync(IQueryable<CallRecord> calls, CallSortKey key, bool descending, CallCursor? cursor, int take, bool sqlite, CancellationToken ct)
    {
        if (cursor is not null) calls = CallKeyset.After(calls, key, descending, cursor, sqlite);
        return await CallKeyset.Ordered(calls, key, descending, sqlite).Take(take)
            .Select(c => new Fetched(RowOf(c), (double)c.Cost))
            .ToListAsync(ct);
    }

    /// <summary>
    /// Newest-first (or oldest-first) pages of several teams on SQLite: with <c>team_id IN (…)</c> SQLite reads the whole
    /// range of every team from the (team_id, at) index and sorts it before it can return 26 rows, over a second for a
    /// team with half a million calls. One team at a time it walks that index in time order and stops after a page, so
    /// each team's next page is read and the pages merged here, in the database's order: time, then the id as the text
    /// SQLite compares (upper-case hex, the order of <see cref="Guid.CompareTo(Guid)"/>).
    /// </summary>
    private static async Task<List<Fetched>> PerTeamAsync(ControlPlaneDb db, List<Guid> teamIds, CallFilter filter, bool descending, CallCursor? cursor, int take, CancellationToken ct)
    {
        var rows = new List<Fetched>();
        foreach (var teamId in teamIds)
            rows.AddRange(await ReadAsync(Filtered(db, [teamId], filter), CallSortKey.At, descending, cursor, take, sqlite: true, ct));
        var ordered = descending
            ? rows.OrderByDescending(f => f.Row.At).ThenByDescending(f => f.Row.Id)
            : rows.OrderBy(f => f.Row.At).ThenBy(f => f.Row.Id);
        return [.. ordered.Take(take)];
    }

    /// <summary>Every call the filter matches, in the sort's order, read from the database row by row (the CSV export).</summary>
    public async IAsyncEnumerable<CallRow> StreamAsync(Actor actor, CallFilter filter, CallSort? sort = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        sort ??= CallSort.Newest;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        var calls = await FilteredAsync(db, actor, filter, ct);
        if (calls is null) yield break;
        await foreach (var row in CallKeyset.Ordered(calls, sort.Key, sort.Descending, db.Database.IsSqlite()).Select(c => RowOf(c)).AsAsyncEnumerable().WithCancellation(ct))
            yield return row;
    }

    /// <summary>The sums over every call the filter matches, from the rollups where they can tell (<see cref="CallTotalsQuery"/>).</summary>
    public async Task<CallTotals> TotalsAsync(Actor actor, CallFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var teamIds = await TeamIdsAsync(actor, filter.TeamId, ct);
        if (teamIds is { Count: 0 }) return CallTotals.None;
        var calls = await FilteredAsync(db, actor, filter, ct);
        return calls is null ? CallTotals.None : await CallTotalsQuery.RunAsync(db, calls, teamIds, filter, clock, ct);
    }

    /// <summary>One call the actor may see, or null.</summary>
    public async Task<CallRow?> FindAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var calls = await FilteredAsync(db, actor, new CallFilter(), ct);
        return calls is null ? null : await calls.Where(c => c.Id == id).Select(c => RowOf(c)).FirstOrDefaultAsync(ct);
    }

    /// <summary>The models asked for in the last week of calls the actor may see, for the filter's choices.</summary>
    public async Task<IReadOnlyList<string>> ModelsAsync(Actor actor, CancellationToken ct = default) =>
        await RecentDistinctAsync(actor, c => c.ModelRequested, ct);

    /// <summary>The providers that served the last week of calls the actor may see.</summary>
    public async Task<IReadOnlyList<string>> ProvidersAsync(Actor actor, CancellationToken ct = default) =>
        await RecentDistinctAsync(actor, c => c.ProviderName, ct);

    /// <summary>The error classes of the last week of calls the actor may see.</summary>
    public async Task<IReadOnlyList<string>> ErrorClassesAsync(Actor actor, CancellationToken ct = default) =>
        await RecentDistinctAsync(actor, c => c.ErrorClass, ct);

    // A week bounds the scan on a log of millions; older values can still be typed into the filter.
    private async Task<IReadOnlyList<string>> RecentDistinctAsync(Actor actor, System.Linq.Expressions.Expression<Func<CallRecord, string?>> column, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = clock.GetUtcNow().UtcDateTime.AddDays(-7);
        var calls = await FilteredAsync(db, actor, new CallFilter { From = since }, ct);
        if (calls is null) return [];
        var values = await calls.Select(column).Where(v => v != null).Distinct().Take(500).ToListAsync(ct);
        return [.. values.Select(v => v!).Order(StringComparer.Ordinal)];
    }

    /// <summary>The calls the actor may see that the filter matches; null when the filter names a team the actor may not see.</summary>
    internal async Task<IQueryable<CallRecord>?> FilteredAsync(ControlPlaneDb db, Actor actor, CallFilter filter, CancellationToken ct)
    {
        var teamIds = await TeamIdsAsync(actor, filter.TeamId, ct);
        return teamIds is { Count: 0 } ? null : Filtered(db, teamIds, filter);
    }

    /// <summary>The calls of <paramref name="teamIds"/> (every call when null) that the filter matches.</summary>
    private static IQueryable<CallRecord> Filtered(ControlPlaneDb db, List<Guid>? teamIds, CallFilter filter)
    {
        var calls = db.Calls.AsNoTracking();
        if (teamIds is [var one]) calls = calls.Where(c => c.TeamId == one);
        else if (teamIds is not null) calls = calls.Where(c => c.TeamId != null && teamIds.Contains(c.TeamId.Value));
        return CallFilterSql.Apply(calls, filter);
    }

    /// <summary>
    /// The teams whose calls the actor may see, narrowed to <paramref name="teamId"/> and its subteams when given; null
    /// for every call (an org-wide role with no team chosen), empty when nothing is visible.
    /// </summary>
    internal async Task<List<Guid>?> TeamIdsAsync(Actor actor, Guid? teamId, CancellationToken ct)
    {
        var visible = await teams.VisibleToAsync(actor, ct);
        if (teamId is { } id)
        {
            var seen = await teams.ListAsync(visible, ct);
            return [.. TeamTree.WithDescendants(seen.Select(n => n.Team), [id]).Where(visible.Includes)];
        }
        return visible.IsEverything ? null : [.. visible.TeamIds];
    }

    internal static CallRow RowOf(CallRecord c) =>
        new(c.Id, c.At, c.KeyId, c.TeamId, c.Caller, c.EndUser, c.Endpoint, c.ModelRequested, c.ModelServed,
            c.ProviderName, c.RouteReason, c.Status, c.ErrorClass, c.Retries, c.Streamed, c.InputTokens, c.CachedInputTokens,
            c.OutputTokens, c.Cost, c.Unpriced, c.UsageSource, c.TimeToFirstTokenMs, c.LatencyMs, c.OutputTokensPerSecond,
            c.RequestBytes, c.ResponseBytes) { Count = c.Count, CacheWriteInputTokens = c.CacheWriteInputTokens };
}

/// <summary>US dollars as the pages show them: at least cents, and every further digit the book holds (up to six), never rounded to cents.</summary>
public static class Usd
{
    public static string Format(decimal amount) => "$" + decimal.Round(amount, 6, MidpointRounding.AwayFromZero).ToString("0.00####");
}
