using System.Globalization;
using ControlPlane.Features.Metering.Rollups;
using ControlPlane.Features.Overview;

namespace ControlPlane.Features.Digests;

/// <summary>
/// The whole UTC days a digest covers: yesterday (daily), or the last full week, Monday to Sunday (weekly). The
/// period before it, of the same length, is what the change is measured against.
/// </summary>
public sealed record DigestPeriod(string Cadence, DateTime From, int Days)
{
    public DateTime To => From.AddDays(Days);
    public DigestPeriod Previous => this with { From = From.AddDays(-Days) };
    public RangeBuckets Buckets => new(RollupGrain.Day, From, Days);

    public static DigestPeriod Daily(DateTime now) => new(DigestCadences.Daily, DateTime.SpecifyKind(now.Date, DateTimeKind.Utc).AddDays(-1), 1);

    public static DigestPeriod Weekly(DateTime now)
    {
        var monday = DateTime.SpecifyKind(now.Date, DateTimeKind.Utc).AddDays(-(((int)now.DayOfWeek + 6) % 7));
        return new(DigestCadences.Weekly, monday.AddDays(-7), 7);
    }

    public static DigestPeriod Of(string cadence, DateTime now) => cadence == DigestCadences.Weekly ? Weekly(now) : Daily(now);

    /// <summary>"Tue 1 Dec 2026", or "23 Nov – 29 Nov 2026".</summary>
    public string Label => Days == 1
        ? From.ToString("ddd d MMM yyyy", CultureInfo.InvariantCulture)
        : $"{From.ToString("d MMM", CultureInfo.InvariantCulture)} – {To.AddDays(-1).ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";

    /// <summary>What the change is compared with, in words.</summary>
    public string PreviousLabel => Days == 1 ? "the day before" : "the week before";

    /// <summary>The Overview at the matching range.</summary>
    public string Link => Days == 1 ? "/?range=day" : "/?range=week";
}
