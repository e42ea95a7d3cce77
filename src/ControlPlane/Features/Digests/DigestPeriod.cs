using System.Globalization;
using ControlPlane.Features.Wallets;

namespace ControlPlane.Features.Digests;

/// <summary>
/// The whole days a digest covers in the organisation's time zone (<c>Organisation:TimeZone</c>): yesterday (daily),
/// or the last full week, Monday to Sunday (weekly). <see cref="From"/> and <see cref="To"/> are the UTC instants of
/// the local midnights that bound it (DST-safe: a local day may be 23 or 25 hours). The period before it, of the same
/// cadence, is what the change is measured against.
/// </summary>
public sealed record DigestPeriod(string Cadence, DateTime From, DateTime To, TimeZoneInfo Zone)
{
    /// <summary>1 for a daily digest, 7 for a weekly one (calendar days, whatever their length in hours).</summary>
    public int Days => Cadence == DigestCadences.Weekly ? 7 : 1;

    public DigestPeriod Previous => Ending(Cadence, From, Zone);

    /// <summary>The local date the period starts on.</summary>
    public DateTime FirstDay => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(From, DateTimeKind.Utc), Zone).Date;

    public static DigestPeriod Daily(DateTime now, TimeZoneInfo? zone = null) => Ending(DigestCadences.Daily, Today(DigestCadences.Daily, now, zone), zone);

    public static DigestPeriod Weekly(DateTime now, TimeZoneInfo? zone = null) => Ending(DigestCadences.Weekly, Today(DigestCadences.Weekly, now, zone), zone);

    public static DigestPeriod Of(string cadence, DateTime now, TimeZoneInfo? zone = null) => cadence == DigestCadences.Weekly ? Weekly(now, zone) : Daily(now, zone);

    /// <summary>The start of the day (or week) that <paramref name="now"/> is in, locally.</summary>
    private static DateTime Today(string cadence, DateTime now, TimeZoneInfo? zone) =>
        WalletPeriods.StartOf(cadence == DigestCadences.Weekly ? WalletPeriods.Weekly : WalletPeriods.Daily, now, zone ?? TimeZoneInfo.Utc);

    /// <summary>The whole local day (or week) that ends at <paramref name="end"/>, a local midnight.</summary>
    private static DigestPeriod Ending(string cadence, DateTime end, TimeZoneInfo? zone)
    {
        zone ??= TimeZoneInfo.Utc;
        var period = cadence == DigestCadences.Weekly ? WalletPeriods.Weekly : WalletPeriods.Daily;
        var start = WalletPeriods.StartOf(period, DateTime.SpecifyKind(end, DateTimeKind.Utc).AddTicks(-1), zone);
        return new DigestPeriod(cadence, start, DateTime.SpecifyKind(end, DateTimeKind.Utc), zone);
    }

    /// <summary>"Tue 1 Dec 2026", or "23 Nov – 29 Nov 2026": local dates.</summary>
    public string Label => Days == 1
        ? FirstDay.ToString("ddd d MMM yyyy", CultureInfo.InvariantCulture)
        : $"{FirstDay.ToString("d MMM", CultureInfo.InvariantCulture)} – {FirstDay.AddDays(Days - 1).ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";

    /// <summary>What the change is compared with, in words.</summary>
    public string PreviousLabel => Days == 1 ? "the day before" : "the week before";

    /// <summary>The Overview at the matching range.</summary>
    public string Link => Days == 1 ? "/?range=day" : "/?range=week";
}
