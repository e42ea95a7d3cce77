using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Metering.Rollups;

/// <summary>
/// The call log summed per bucket (a minute, an hour or a UTC day) and per team, key, model, provider and caller: what
/// the Overview's charts and totals read instead of the raw log. Written by <see cref="CallRollupHook"/> in the same
/// transaction as the rows it sums, so the two always agree; <see cref="CallRollups.RebuildAsync"/> recomputes a range
/// from the rows. A missing dimension is stored as <see cref="Guid.Empty"/> or "" so every column is part of one key.
/// </summary>
public sealed class CallRollup
{
    /// <summary>The bucket's length in minutes: <see cref="RollupGrain.Minute"/>, <see cref="RollupGrain.Hour"/> or <see cref="RollupGrain.Day"/>.</summary>
    public int Grain { get; set; }
    /// <summary>The bucket's first instant (UTC).</summary>
    public DateTime Bucket { get; set; }
    /// <summary>A 128-bit hash of the dimensions below: the primary key stays short on every database.</summary>
    public Guid Dims { get; set; }
    public Guid TeamId { get; set; }
    public Guid KeyId { get; set; }
    public string Model { get; set; } = "";
    public string Provider { get; set; } = "";
    public string Caller { get; set; } = "";

    /// <summary>Calls (a refusal row counts for every refusal it stands for).</summary>
    public long Calls { get; set; }
    /// <summary>Calls that ended in an error (an HTTP status of 400 or more, or an error class).</summary>
    public long Errors { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public decimal Cost { get; set; }
    /// <summary>The sum of the calls' total latencies, for an average.</summary>
    public long LatencyMs { get; set; }

    // The three sums below came with migration 20261201106000 so the Requests page's totals strip can read rollups:
    // null in rows written before it (and in any row a pre-migration bucket was added to), which that strip reads
    // as "not known here" and sums from the raw log instead. Every row written since starts them at 0.

    /// <summary>Input tokens served from the provider's prompt cache.</summary>
    public long? CachedInputTokens { get; set; }
    /// <summary>Calls with an error class (the Requests page's "errors"; <see cref="Errors"/> also counts a bare 4xx/5xx status).</summary>
    public long? Failed { get; set; }
    /// <summary>Rows of calls whose model had no price (not weighted by a refusal row's count, as the page counts them).</summary>
    public long? Unpriced { get; set; }
}

/// <summary>The rollups' bucket lengths, in minutes.</summary>
public static class RollupGrain
{
    public const int Minute = 1;
    public const int Hour = 60;
    public const int Day = 1440;

    public static IReadOnlyList<int> All { get; } = [Minute, Hour, Day];

    /// <summary>The first instant of the bucket of <paramref name="grain"/> holding <paramref name="at"/> (UTC).</summary>
    public static DateTime BucketOf(int grain, DateTime at) => grain switch
    {
        Minute => new DateTime(at.Ticks - at.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc),
        Hour => new DateTime(at.Ticks - at.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc),
        Day => new DateTime(at.Ticks - at.Ticks % TimeSpan.TicksPerDay, DateTimeKind.Utc),
        _ => throw new ArgumentOutOfRangeException(nameof(grain), grain, "A rollup grain is 1, 60 or 1440 minutes."),
    };
}

internal sealed class CallRollupConfiguration : IEntityTypeConfiguration<CallRollup>
{
    public void Configure(EntityTypeBuilder<CallRollup> rollup)
    {
        rollup.ToTable("call_rollups");
        rollup.HasKey(r => new { r.Grain, r.Bucket, r.Dims });
        rollup.Property(r => r.Model).HasMaxLength(CallText.ModelMax);
        rollup.Property(r => r.Provider).HasMaxLength(CallText.ProviderNameMax);
        rollup.Property(r => r.Caller).HasMaxLength(CallText.CallerMax);
        rollup.Property(r => r.Cost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        // The Overview reads a range of buckets of one grain for the teams or keys it may show.
        rollup.HasIndex(r => new { r.Grain, r.TeamId, r.Bucket });
        rollup.HasIndex(r => new { r.Grain, r.KeyId, r.Bucket });
    }
}
