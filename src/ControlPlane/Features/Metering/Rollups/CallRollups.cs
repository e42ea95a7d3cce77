using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>
/// Recomputes rollups from the call rows, for data that did not come through the batch writer (the demo, a bulk seed,
/// an import, a repair). The range is widened to whole UTC days, since a day's bucket needs every call of that day;
/// each day is deleted and summed again in its own transaction, reading only that day's rows, so memory stays bounded
/// however long the range. Run it while no calls are being written into the range (they could be counted twice).
/// </summary>
public sealed class CallRollups(IDbContextFactory<ControlPlaneDb> dbFactory)
{
    public async Task RebuildAsync(DateTime from, DateTime to, CancellationToken ct = default)
    {
        var first = RollupGrain.BucketOf(RollupGrain.Day, DateTime.SpecifyKind(from, DateTimeKind.Utc));
        var end = DateTime.SpecifyKind(to, DateTimeKind.Utc);
        for (var day = first; day < end; day = day.AddDays(1))
            await RebuildDayAsync(day, ct);
    }

    private async Task RebuildDayAsync(DateTime day, CancellationToken ct)
    {
        var next = day.AddDays(1);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.CallRollups.Where(r => r.Bucket >= day && r.Bucket < next).ExecuteDeleteAsync(ct);
        var sums = new RollupSums();
        var rows = db.Calls.AsNoTracking().Where(c => c.At >= day && c.At < next).Select(c => new CallRecord
        {
            At = c.At, TeamId = c.TeamId, KeyId = c.KeyId, Endpoint = "", ModelServed = c.ModelServed, ModelRequested = c.ModelRequested,
            ProviderName = c.ProviderName, Caller = c.Caller, Status = c.Status, ErrorClass = c.ErrorClass, Count = c.Count,
            InputTokens = c.InputTokens, OutputTokens = c.OutputTokens, Cost = c.Cost, LatencyMs = c.LatencyMs,
            CachedInputTokens = c.CachedInputTokens, Unpriced = c.Unpriced,
        });
        await foreach (var call in rows.AsAsyncEnumerable().WithCancellation(ct)) sums.Add(call);
        if (sums.Count > 0) await RollupCopy.AddAsync(db, sums.Rows, ct);
        await transaction.CommitAsync(ct);
    }
}
