using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering;

/// <summary>
/// The Requests page's totals strip over millions of calls, never a wrong number. When the rollups can answer the filter
/// (time, team, key, provider, caller: their dimensions) the whole hours and days inside the range are summed from
/// <see cref="CallRollup"/> and only the partial hours at its two ends (under an hour each) from the raw log: exact, in
/// milliseconds at any size, as the batch writer keeps rollups in the rows' transaction (rows written past it, by a
/// seed or an import, need <see cref="CallRollups.RebuildAsync"/>, as do calls older than the oldest rollup, which
/// send a range reaching them to the raw log). Any other filter (model asked for, status, error class, end user, cost, usage, streamed,
/// outcome) is summed from the raw log: in one query when the rollups say the range holds at most <see cref="RawAtOnce"/>
/// calls, else newest-first a time window at a time until done or <see cref="RawBudget"/> runs out: then the sums are
/// those of the calls since <see cref="CallTotals.CountedFrom"/>, and the page says "≥".
/// </summary>
internal static class CallTotalsQuery
{
    /// <summary>How long the raw log is summed for a filter the rollups cannot answer before the strip shows a lower bound.</summary>
    public static readonly TimeSpan RawBudget = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FirstWindow = TimeSpan.FromHours(6);

    /// <summary>Up to this many calls in the range the raw log is summed in one query, without a budget.</summary>
    internal const long RawAtOnce = 200_000;

    /// <summary>
    /// The totals of <paramref name="filter"/> over the calls of <paramref name="teamIds"/> (null: every call).
    /// <paramref name="raw"/> is the same filter already applied to the raw log (scoped and filtered).
    /// </summary>
    public static async Task<CallTotals> RunAsync(ControlPlaneDb db, IQueryable<CallRecord> raw, List<Guid>? teamIds, CallFilter filter,
        TimeProvider clock, CancellationToken ct, long rawAtOnce = RawAtOnce)
    {
        if (RollupsCanAnswer(filter) && await FromRollupsAsync(db, raw, teamIds, filter, ct) is { } exact) return exact;
        return await FromRawAsync(db, raw, teamIds, filter, clock, rawAtOnce, ct);
    }

    /// <summary>The rollups keep team, key, provider and caller (and the model served, not the one asked for), and nothing else.</summary>
    internal static bool RollupsCanAnswer(CallFilter f) =>
        f.Outcome == CallOutcome.All && string.IsNullOrWhiteSpace(f.Model) && string.IsNullOrWhiteSpace(f.EndUser)
        && string.IsNullOrWhiteSpace(f.ErrorClass) && f.Status is null && f.UsageSource is null && f.Streamed is null
        && f.CostMin is null && f.CostMax is null;

    /// <summary>Rollups for the whole hours and days in the range, the raw log for the rest; null when a rollup row in it predates the sums.</summary>
    private static async Task<CallTotals?> FromRollupsAsync(ControlPlaneDb db, IQueryable<CallRecord> raw, List<Guid>? teamIds, CallFilter filter, CancellationToken ct)
    {
        // [hoursFrom, hoursTo): the whole hours inside the range (null: open at that end); within them, whole days.
        var hoursFrom = filter.From is { } from ? Ceiling(Utc(from), TimeSpan.TicksPerHour) : (DateTime?)null;
        var hoursTo = filter.To is { } to ? Floor(Utc(to), TimeSpan.TicksPerHour) : (DateTime?)null;
        if (hoursFrom >= hoursTo) return null; // under two hours: the raw log is as quick
        var daysFrom = hoursFrom is { } hf ? Ceiling(hf, TimeSpan.TicksPerDay) : (DateTime?)null;
        var daysTo = hoursTo is { } ht ? Floor(ht, TimeSpan.TicksPerDay) : (DateTime?)null;

        // Calls older than the oldest rollup (written before rollups existed, or imported) are in no rollup: a range
        // reaching back to them is summed from the raw log until a rebuild covers them (seed --rollups-only).
        var firstRollup = await db.CallRollups.Where(r => r.Grain == RollupGrain.Day).OrderBy(r => r.Bucket).Select(r => (DateTime?)r.Bucket).FirstOrDefaultAsync(ct);
        var firstCall = await db.Calls.OrderBy(c => c.At).Select(c => (DateTime?)c.At).FirstOrDefaultAsync(ct);
        if (firstCall < (firstRollup ?? DateTime.MaxValue) && !(hoursFrom >= firstRollup)) return null;

        var rollups = Scoped(db.CallRollups.AsNoTracking(), teamIds, filter);
        var parts = new List<Sums>();
        if (daysFrom is null || daysTo is null || daysFrom < daysTo)
        {
            parts.Add(await SumAsync(Buckets(rollups, RollupGrain.Day, daysFrom, daysTo), ct));
            if (hoursFrom < daysFrom) parts.Add(await SumAsync(Buckets(rollups, RollupGrain.Hour, hoursFrom, daysFrom), ct));
            if (daysTo < hoursTo) parts.Add(await SumAsync(Buckets(rollups, RollupGrain.Hour, daysTo, hoursTo), ct));
        }
        else
        {
            parts.Add(await SumAsync(Buckets(rollups, RollupGrain.Hour, hoursFrom, hoursTo), ct));
        }
        if (parts.Any(p => p.Unknown > 0)) return null;

        var totals = parts.Aggregate(CallTotals.None, (sum, p) => sum.Plus(p.ToTotals()));
        // The raw ends, under an hour each: before the first whole hour and from the end of the last (From and To are in raw).
        if (hoursFrom is { } first) totals = totals.Plus(await RawSumsAsync(raw.Where(c => c.At < first), ct));
        if (hoursTo is { } last) totals = totals.Plus(await RawSumsAsync(raw.Where(c => c.At >= last), ct));
        return totals;
    }

    private static IQueryable<CallRollup> Buckets(IQueryable<CallRollup> rollups, int grain, DateTime? from, DateTime? to)
    {
        rollups = rollups.Where(r => r.Grain == grain);
        if (from is { } f) rollups = rollups.Where(r => r.Bucket >= f);
        if (to is { } t) rollups = rollups.Where(r => r.Bucket < t);
        return rollups;
    }

    private static IQueryable<CallRollup> Scoped(IQueryable<CallRollup> rollups, List<Guid>? teamIds, CallFilter filter)
    {
        if (teamIds is not null) rollups = rollups.Where(r => teamIds.Contains(r.TeamId));
        if (filter.KeyId is { } keyId) rollups = rollups.Where(r => r.KeyId == keyId);
        if (Text(filter.Provider) is { } provider) rollups = rollups.Where(r => r.Provider == provider);
        if (Text(filter.Caller) is { } caller)
        {
            var pattern = CallFilterSql.ContainsPattern(caller); // as the raw log's caller filter, on the same text
            rollups = rollups.Where(r => EF.Functions.Like(r.Caller.ToLower(), pattern, CallFilterSql.LikeEscape));
        }
        return rollups;
    }

    private sealed record Sums(long Calls, long Failed, long InputTokens, long CachedInputTokens, long OutputTokens, decimal Cost, long Unpriced, int Unknown)
    {
        public CallTotals ToTotals() => new((int)Calls, (int)Failed, InputTokens, CachedInputTokens, OutputTokens, Cost, (int)Unpriced);
    }

    private static async Task<Sums> SumAsync(IQueryable<CallRollup> rows, CancellationToken ct) =>
        await rows.GroupBy(_ => 1)
            .Select(g => new Sums(g.Sum(r => r.Calls), g.Sum(r => r.Failed) ?? 0, g.Sum(r => r.InputTokens), g.Sum(r => r.CachedInputTokens) ?? 0,
                g.Sum(r => r.OutputTokens), g.Sum(r => r.Cost), g.Sum(r => r.Unpriced) ?? 0,
                g.Count(r => r.CachedInputTokens == null || r.Failed == null || r.Unpriced == null)))
            .FirstOrDefaultAsync(ct) ?? new Sums(0, 0, 0, 0, 0, 0m, 0, 0);

    /// <summary>
    /// The raw log newest-first in windows that double while they are quick, until the range is done or the budget is
    /// spent. The first window is open above (the filter's To, if any, is already in <paramref name="raw"/>).
    /// </summary>
    private static async Task<CallTotals> FromRawAsync(ControlPlaneDb db, IQueryable<CallRecord> raw, List<Guid>? teamIds, CallFilter filter,
        TimeProvider clock, long rawAtOnce, CancellationToken ct)
    {
        // Few calls in the range (the rollups' count of the whole days around it, over the dimensions they keep, bounds
        // the rows): one query, whatever the time, so a small log is never cut short.
        var days = Buckets(Scoped(db.CallRollups.AsNoTracking(), teamIds, filter), RollupGrain.Day,
            filter.From is { } df ? Floor(Utc(df), TimeSpan.TicksPerDay) : null, filter.To is { } dt ? Ceiling(Utc(dt), TimeSpan.TicksPerDay) : null);
        if (await days.SumAsync(r => r.Calls, ct) <= rawAtOnce) return await RawSumsAsync(raw, ct);

        var started = clock.GetTimestamp();
        // Where to stop: the range's start, or the oldest call there is (one seek on the time index).
        var floor = filter.From is { } f ? Utc(f) : await db.Calls.OrderBy(c => c.At).Select(c => (DateTime?)c.At).FirstOrDefaultAsync(ct);
        if (floor is not { } stop) return CallTotals.None;
        var end = filter.To is { } t ? Utc(t) : clock.GetUtcNow().UtcDateTime;
        var window = FirstWindow;
        var totals = CallTotals.None;
        var upper = (DateTime?)null;
        while (true)
        {
            var lower = end - window <= stop ? stop : end - window;
            var chunk = upper is { } u ? raw.Where(c => c.At >= lower && c.At < u) : raw.Where(c => c.At >= lower);
            var chunkStarted = clock.GetTimestamp();
            totals = totals.Plus(await RawSumsAsync(chunk, ct));
            if (lower <= stop) return totals;
            var elapsed = clock.GetElapsedTime(started);
            if (elapsed >= RawBudget) return totals with { CountedFrom = lower };
            // Grow the window while a chunk takes under a tenth of the budget, so a sparse filter crosses years in a few steps.
            if (clock.GetElapsedTime(chunkStarted) < RawBudget / 10) window *= 2;
            upper = lower;
            end = lower;
        }
    }

    internal static async Task<CallTotals> RawSumsAsync(IQueryable<CallRecord> calls, CancellationToken ct) =>
        await calls.GroupBy(_ => 1)
            .Select(g => new CallTotals(g.Sum(c => c.Count), g.Sum(c => c.ErrorClass != null ? c.Count : 0), g.Sum(c => c.InputTokens), g.Sum(c => c.CachedInputTokens),
                g.Sum(c => c.OutputTokens), g.Sum(c => c.Cost), g.Count(c => c.Unpriced)))
            .FirstOrDefaultAsync(ct) ?? CallTotals.None;

    private static DateTime Utc(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc);
    private static DateTime Floor(DateTime at, long unit) => new(at.Ticks - at.Ticks % unit, DateTimeKind.Utc);
    private static DateTime Ceiling(DateTime at, long unit) => at.Ticks % unit == 0 ? at : Floor(at, unit).AddTicks(unit);
    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
