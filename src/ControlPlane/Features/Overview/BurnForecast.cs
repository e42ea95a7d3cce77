using System.Globalization;
using ControlPlane.Features.Wallets;

namespace ControlPlane.Features.Overview;

/// <summary>A wallet with a limit, how full it is, and when it runs out at the rate of its period so far.</summary>
public sealed record WalletOutlook(Guid WalletId, string Name, decimal Spent, decimal Limit, decimal Utilisation, WalletLevel Level, DateTime? RunsOutAt, string Forecast);

/// <summary>
/// The burn-rate forecast: the rate is what the wallet spent this period over the time elapsed (see <see cref="RateWindow"/>);
/// the wallet runs out when its ceiling (limit plus overdraft) is
/// reached at that rate, and the forecast names that moment only when it falls before the period ends.
/// </summary>
public static class BurnForecast
{
    public static DateTime? RunsOutAt(decimal spent, decimal? ceiling, DateTime periodStart, DateTime? periodEnd, DateTime now)
    {
        if (ceiling is not { } limit || periodEnd is not { } end || now >= end) return null;
        if (spent >= limit) return now;
        if (spent <= 0 || now <= periodStart) return null;
        // At the rate so far, what is left lasts (left / spent) times the time it took to spend what was spent.
        var ticksLeft = (limit - spent) * RateWindow(periodStart, end, now).Ticks / spent;
        return ticksLeft >= (end - now).Ticks ? null : now.AddTicks((long)ticksLeft);
    }

    /// <summary>
    /// The time the spend so far is spread over: the time elapsed, but at least an hour and a seventh of the period, so
    /// the first hours of a month (a busy morning) do not read as the rate of the whole month.
    /// </summary>
    public static TimeSpan RateWindow(DateTime periodStart, DateTime periodEnd, DateTime now) =>
        TimeSpan.FromTicks(Math.Max(now.Ticks - periodStart.Ticks, Math.Max(TimeSpan.TicksPerHour, (periodEnd - periodStart).Ticks / 7)));

    /// <summary>"at this rate runs out on the 19th", "… today at 17:40 UTC", "has run out", or that it will last the period.</summary>
    public static string Describe(DateTime? runsOutAt, decimal spent, decimal? ceiling, DateTime now)
    {
        if (ceiling is { } limit && spent >= limit) return "has run out";
        if (runsOutAt is not { } at) return "will not run out this period at this rate";
        if (at.Date == now.Date) return $"at this rate runs out today at {at.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC";
        if (at.Year == now.Year && at.Month == now.Month) return $"at this rate runs out on the {Ordinal(at.Day)}";
        return $"at this rate runs out on {at.ToString("d MMM", CultureInfo.InvariantCulture)}";
    }

    internal static string Ordinal(int day) => day + (day % 100 is 11 or 12 or 13 ? "th" : (day % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    /// <summary>The wallet's outlook, or null for a wallet without a limit.</summary>
    public static WalletOutlook? Of(WalletRow wallet, DateTime now)
    {
        if (wallet.Limit is not { } limit) return null;
        var runsOut = RunsOutAt(wallet.Spent, wallet.Ceiling, wallet.PeriodStart, wallet.PeriodEnd, now);
        return new WalletOutlook(wallet.Id, wallet.Name, wallet.Spent, limit, wallet.Utilisation ?? 0m, wallet.Level, runsOut,
            Describe(runsOut, wallet.Spent, wallet.Ceiling, now));
    }
}

/// <summary>The wallets an actor may see that have a limit, the fullest and soonest to run out first.</summary>
public sealed class WalletWatch(WalletQueries wallets, TimeProvider clock)
{
    public const int Listed = 8;

    public async Task<IReadOnlyList<WalletOutlook>> ReadAsync(Infrastructure.Auth.Actor actor, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var overview = await wallets.OverviewAsync(actor, ct);
        return [.. overview.Wallets.Select(w => BurnForecast.Of(w, now)).OfType<WalletOutlook>()
            .OrderBy(o => o.RunsOutAt ?? DateTime.MaxValue).ThenByDescending(o => o.Utilisation).ThenBy(o => o.Name, StringComparer.Ordinal)
            .Take(Listed)];
    }
}
