using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Overview;

/// <summary>One key or caller among the range's biggest spenders.</summary>
public sealed record TopSpender(string Name, string? Detail, decimal Cost, long Calls, long Errors);

/// <summary>The keys and the callers that spent the most over a range.</summary>
public sealed record TopSpenderLists(IReadOnlyList<TopSpender> Keys, IReadOnlyList<TopSpender> Callers);

/// <summary>Reads the biggest spenders from the rollups of the range (hour or day buckets).</summary>
public sealed class TopSpenders(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock)
{
    public const int Listed = 5;

    public Task<TopSpenderLists> ReadAsync(OverviewScope scope, OverviewRange range, CancellationToken ct = default) =>
        ReadAsync(scope, RangeBuckets.Of(range, clock.GetUtcNow().UtcDateTime), ct);

    /// <summary>The biggest spenders over any run of buckets (a digest reads yesterday's or last week's).</summary>
    public async Task<TopSpenderLists> ReadAsync(OverviewScope scope, RangeBuckets buckets, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = SpendBreakdown.InRange(scope, db, buckets);
        // Summed by the database, ordered here: SQLite cannot order by a sum of decimals.
        var keys = await rows.GroupBy(r => r.KeyId)
            .Select(g => new SpentBy<Guid>(g.Key, g.Sum(r => r.Cost), g.Sum(r => r.Calls), g.Sum(r => r.Errors))).ToListAsync(ct);
        var callers = await rows.GroupBy(r => r.Caller)
            .Select(g => new SpentBy<string>(g.Key, g.Sum(r => r.Cost), g.Sum(r => r.Calls), g.Sum(r => r.Errors))).ToListAsync(ct);
        return await NamedAsync(db, keys, callers, ct);
    }

    /// <summary>A key's or caller's sums, as read from rollups or the raw log.</summary>
    internal sealed record SpentBy<T>(T By, decimal Cost, long Calls, long Errors);

    /// <summary>The <see cref="Listed"/> biggest keys and callers of these sums, with the keys' names.</summary>
    internal static async Task<TopSpenderLists> NamedAsync(ControlPlaneDb db, IEnumerable<SpentBy<Guid>> keySums, IEnumerable<SpentBy<string>> callerSums, CancellationToken ct)
    {
        var keys = keySums.Where(k => k.Cost > 0).OrderByDescending(k => k.Cost).ThenBy(k => k.By).Take(Listed).ToList();
        var callers = callerSums.Where(c => c.Cost > 0).OrderByDescending(c => c.Cost).ThenBy(c => c.By, StringComparer.Ordinal).Take(Listed).ToList();
        var ids = keys.Select(k => k.By).ToList();
        var names = await db.ApiKeys.AsNoTracking().Where(k => ids.Contains(k.Id))
            .Select(k => new { k.Id, k.Name, k.Prefix }).ToDictionaryAsync(k => k.Id, ct);
        return new TopSpenderLists(
            [.. keys.Select(k => names.TryGetValue(k.By, out var key)
                ? new TopSpender(key.Name, key.Prefix + "…", k.Cost, k.Calls, k.Errors)
                : new TopSpender(SpendBreakdown.NoKey, null, k.Cost, k.Calls, k.Errors))],
            [.. callers.Select(c => new TopSpender(c.By.Length > 0 ? c.By : SpendBreakdown.NoCaller, null, c.Cost, c.Calls, c.Errors))]);
    }
}
