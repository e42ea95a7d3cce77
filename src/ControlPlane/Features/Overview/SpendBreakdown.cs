using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Teams;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Overview;

/// <summary>What the Overview's breakdown chart splits spend by.</summary>
public enum SpendDimension
{
    Team,
    Model,
    Provider,
    Caller,
}

/// <summary>The ranges the Overview reads: the last 24 hours by hour, or the last 7 or 30 UTC days (today included) by day.</summary>
public enum OverviewRange
{
    Day,
    Week,
    Month,
}

/// <summary>One value of a dimension (a team's path, a model, …) with its spend per bucket (same order as the buckets).</summary>
public sealed record SpendSlice(string Name, IReadOnlyList<decimal> PerBucket, long Calls)
{
    public decimal Total => PerBucket.Sum();
}

/// <summary>
/// Spend over a range split by one dimension: <see cref="Buckets"/> are the buckets' first instants, every one present;
/// the <see cref="SpendBreakdown.SlicesShown"/> largest values by spend, then the rest summed as "Other".
/// </summary>
public sealed record SpendSplit(OverviewRange Range, SpendDimension By, IReadOnlyList<DateTime> Buckets, IReadOnlyList<SpendSlice> Slices)
{
    public decimal Total => Slices.Sum(s => s.Total);
}

/// <summary>The range's buckets: its grain, its first bucket, how many.</summary>
public readonly record struct RangeBuckets(int Grain, DateTime From, int Count)
{
    public DateTime To => From.AddMinutes((double)Grain * Count);

    public static RangeBuckets Of(OverviewRange range, DateTime now) => range switch
    {
        OverviewRange.Day => new(RollupGrain.Hour, RollupGrain.BucketOf(RollupGrain.Hour, now).AddHours(-23), 24),
        OverviewRange.Week => new(RollupGrain.Day, RollupGrain.BucketOf(RollupGrain.Day, now).AddDays(-6), 7),
        _ => new(RollupGrain.Day, RollupGrain.BucketOf(RollupGrain.Day, now).AddDays(-29), 30),
    };

    public IReadOnlyList<DateTime> All
    {
        get
        {
            var all = new DateTime[Count];
            for (var i = 0; i < Count; i++) all[i] = From.AddMinutes((double)Grain * i);
            return all;
        }
    }
    public int IndexOf(DateTime bucket) => (int)((bucket - From).Ticks / (TimeSpan.TicksPerMinute * Grain));
}

/// <summary>Reads the Overview's breakdowns from the rollups (hour or day buckets), never from the call log.</summary>
public sealed class SpendBreakdown(IDbContextFactory<ControlPlaneDb> dbFactory, TeamDirectory teams, TimeProvider clock)
{
    public const int SlicesShown = 6;
    public const string Other = "Other";
    public const string NoCaller = "(no caller)";
    public const string NoKey = "(no key)";

    public async Task<SpendSplit> ReadAsync(OverviewScope scope, OverviewRange range, SpendDimension by, CancellationToken ct = default)
    {
        var buckets = RangeBuckets.Of(range, clock.GetUtcNow().UtcDateTime);
        return new SpendSplit(range, by, buckets.All, await SlicesAsync(scope, buckets, by, ct));
    }

    /// <summary>The slices over any run of buckets (a digest reads yesterday's or last week's).</summary>
    public async Task<IReadOnlyList<SpendSlice>> SlicesAsync(OverviewScope scope, RangeBuckets buckets, SpendDimension by, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = InRange(scope, db, buckets);
        var sums = by switch
        {
            SpendDimension.Model => await rows.GroupBy(r => new { Name = r.Model, r.Bucket })
                .Select(g => new Sum(g.Key.Name, g.Key.Bucket, g.Sum(r => r.Cost), g.Sum(r => r.Calls))).ToListAsync(ct),
            SpendDimension.Provider => await rows.GroupBy(r => new { Name = r.Provider, r.Bucket })
                .Select(g => new Sum(g.Key.Name, g.Key.Bucket, g.Sum(r => r.Cost), g.Sum(r => r.Calls))).ToListAsync(ct),
            SpendDimension.Caller => await rows.GroupBy(r => new { Name = r.Caller, r.Bucket })
                .Select(g => new Sum(g.Key.Name, g.Key.Bucket, g.Sum(r => r.Cost), g.Sum(r => r.Calls))).ToListAsync(ct),
            _ => await TeamSumsAsync(rows, ct),
        };
        var named = sums.Select(s => s with { Name = s.Name.Length > 0 ? s.Name : by == SpendDimension.Caller ? NoCaller : "(none)" }).ToList();
        return Slice(named, buckets);
    }

    private async Task<List<Sum>> TeamSumsAsync(IQueryable<CallRollup> rows, CancellationToken ct)
    {
        var sums = await rows.GroupBy(r => new { r.TeamId, r.Bucket })
            .Select(g => new { g.Key.TeamId, g.Key.Bucket, Cost = g.Sum(r => r.Cost), Calls = g.Sum(r => r.Calls) }).ToListAsync(ct);
        var paths = (await teams.ListAsync(TeamScope.Everything, ct)).ToDictionary(n => n.Team.Id, n => n.Path);
        return [.. sums.Select(s => new Sum(paths.GetValueOrDefault(s.TeamId, TeamSpendByDay.RemovedTeam), s.Bucket, s.Cost, s.Calls))];
    }

    internal static IQueryable<CallRollup> InRange(OverviewScope scope, ControlPlaneDb db, RangeBuckets buckets) =>
        scope.Filter(db.CallRollups.AsNoTracking()).Where(r => r.Grain == buckets.Grain && r.Bucket >= buckets.From && r.Bucket < buckets.To);

    internal sealed record Sum(string Name, DateTime Bucket, decimal Cost, long Calls);

    /// <summary>The largest values by spend (ties by name), then "Other" for the rest; values that spent nothing only when nothing else did.</summary>
    internal static IReadOnlyList<SpendSlice> Slice(IReadOnlyList<Sum> sums, RangeBuckets buckets)
    {
        var byName = sums.GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Cost: g.Sum(s => s.Cost), Calls: g.Sum(s => s.Calls), Sums: g.ToList()))
            .Where(g => g.Cost != 0)
            .OrderByDescending(g => g.Cost).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        var slices = new List<SpendSlice>();
        foreach (var group in byName.Take(byName.Count > SlicesShown ? SlicesShown - 1 : SlicesShown))
            slices.Add(new SpendSlice(group.Name, PerBucket(group.Sums, buckets), group.Calls));
        if (byName.Count > SlicesShown)
        {
            var rest = byName.Skip(SlicesShown - 1).ToList();
            slices.Add(new SpendSlice(Other, PerBucket([.. rest.SelectMany(g => g.Sums)], buckets), rest.Sum(g => g.Calls)));
        }
        return slices;
    }

    private static decimal[] PerBucket(IEnumerable<Sum> sums, RangeBuckets buckets)
    {
        var per = new decimal[buckets.Count];
        foreach (var s in sums)
        {
            var i = buckets.IndexOf(DateTime.SpecifyKind(s.Bucket, DateTimeKind.Utc));
            if (i >= 0 && i < per.Length) per[i] += s.Cost;
        }
        return per;
    }
}
