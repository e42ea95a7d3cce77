using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Overview;

/// <summary>
/// The ticker's numbers at <see cref="At"/>: spend and calls today (UTC day) and this hour, and calls and errors per
/// minute averaged over the last <see cref="LiveTotalsReader.RateMinutes"/> minutes (the current one so far included).
/// </summary>
public sealed record LiveTotals(DateTime At, decimal SpendToday, decimal SpendThisHour, long CallsToday, double CallsPerMinute, double ErrorsPerMinute)
{
    public static LiveTotals Empty(DateTime at) => new(at, 0m, 0m, 0, 0, 0);
}

/// <summary>Reads <see cref="LiveTotals"/> from the rollups: today's day buckets, this hour's bucket, the last minutes' buckets.</summary>
public sealed class LiveTotalsReader(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock)
{
    public const int RateMinutes = 5;

    public async Task<LiveTotals> ReadAsync(OverviewScope scope, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var today = RollupGrain.BucketOf(RollupGrain.Day, now);
        var hour = RollupGrain.BucketOf(RollupGrain.Hour, now);
        var minute = RollupGrain.BucketOf(RollupGrain.Minute, now);
        var firstMinute = minute.AddMinutes(1 - RateMinutes);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await scope.Filter(db.CallRollups.AsNoTracking())
            .Where(r => (r.Grain == RollupGrain.Day && r.Bucket == today) || (r.Grain == RollupGrain.Hour && r.Bucket == hour)
                || (r.Grain == RollupGrain.Minute && r.Bucket >= firstMinute && r.Bucket <= minute))
            .GroupBy(r => r.Grain)
            .Select(g => new { Grain = g.Key, Cost = g.Sum(r => r.Cost), Calls = g.Sum(r => r.Calls), Errors = g.Sum(r => r.Errors) })
            .ToListAsync(ct);
        var day = rows.FirstOrDefault(r => r.Grain == RollupGrain.Day);
        var thisHour = rows.FirstOrDefault(r => r.Grain == RollupGrain.Hour);
        var minutes = rows.FirstOrDefault(r => r.Grain == RollupGrain.Minute);
        // The current minute counts for the part of it that has passed, so a burst does not read as a whole minute's rate.
        var span = Math.Max(1.0, RateMinutes - 1 + (now - minute).TotalMinutes);
        return new LiveTotals(now, day?.Cost ?? 0m, thisHour?.Cost ?? 0m, day?.Calls ?? 0,
            Math.Round((minutes?.Calls ?? 0) / span, 1), Math.Round((minutes?.Errors ?? 0) / span, 1));
    }
}
