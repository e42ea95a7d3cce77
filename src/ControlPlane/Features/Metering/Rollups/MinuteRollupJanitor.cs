using System.ComponentModel.DataAnnotations;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>The "Rollups" section: how long the per-minute rollups are kept.</summary>
public sealed class RollupOptions
{
    public const string Section = "Rollups";

    /// <summary>
    /// Minute rows older than this many days are deleted; hour and day rows are kept for ever. Only the live ticker
    /// (its last minutes) reads minute rows, and at millions of calls they are most of the table.
    /// </summary>
    [Range(1, 3660, ErrorMessage = "Rollups:MinuteDays must be between 1 and 3660.")]
    public int MinuteDays { get; set; } = 7;
}

/// <summary>
/// Deletes minute rollups older than <see cref="RollupOptions.MinuteDays"/>; a recurring job, every hour. Safe on any number of nodes at
/// once and idempotent: each pass deletes by a cut-off computed from the clock, one UTC day of buckets per statement
/// (short transactions, however much has piled up), and a row another node deleted first is simply not there.
/// </summary>
public sealed partial class MinuteRollupJanitor(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock, IOptions<RollupOptions> options,
    ILogger<MinuteRollupJanitor> logger) : IScheduledJob
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var deleted = await PruneAsync(cancellationToken);
        if (deleted > 0) LogPruned(logger, deleted, options.Value.MinuteDays);
    }

    /// <summary>Deletes the minute rows whose bucket is older than the kept days; returns how many went.</summary>
    public async Task<int> PruneAsync(CancellationToken ct = default)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.MinuteDays);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var minutes = db.CallRollups.Where(r => r.Grain == RollupGrain.Minute);
        var oldest = await minutes.Where(r => r.Bucket < cutoff).OrderBy(r => r.Bucket).Select(r => (DateTime?)r.Bucket).FirstOrDefaultAsync(ct);
        if (oldest is not { } from) return 0;
        var deleted = 0;
        for (var day = RollupGrain.BucketOf(RollupGrain.Day, DateTime.SpecifyKind(from, DateTimeKind.Utc)); day < cutoff; day = day.AddDays(1))
        {
            var end = day.AddDays(1) < cutoff ? day.AddDays(1) : cutoff;
            var start = day;
            deleted += await minutes.Where(r => r.Bucket >= start && r.Bucket < end).ExecuteDeleteAsync(ct);
        }
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} minute rollup row(s) older than {Days} days")]
    private static partial void LogPruned(ILogger logger, int count, int days);
}
