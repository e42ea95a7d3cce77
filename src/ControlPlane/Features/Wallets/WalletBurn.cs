using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>What a wallet had spent by a moment of its current period.</summary>
public readonly record struct BurnPoint(DateTime At, decimal Spent);

/// <summary>
/// A wallet's cumulative spend over its current period: a point at the period's start (nothing spent), one at the end
/// of every bucket (a day; an hour for daily periods) that has passed, and one at <c>now</c>. <see cref="Limit"/> and
/// <see cref="Ceiling"/> (limit plus overdraft) are null for an unlimited wallet.
/// </summary>
public sealed record WalletBurnLine(Guid WalletId, DateTime PeriodStart, DateTime? PeriodEnd, decimal? Limit, decimal? Ceiling, IReadOnlyList<BurnPoint> Points)
{
    public decimal Spent => Points.Count == 0 ? 0m : Points[^1].Spent;
}

/// <summary>
/// Reads a wallet's burn from the ledger: the charges (and adjustments) on its <c>spent</c> account since the period
/// began, summed by the database per UTC hour, so a busy wallet costs at most a few hundred rows. The period's reset
/// entry (which empties the account) is not spend and is left out. The caller passes a wallet it may already see
/// (a <see cref="WalletRow"/> from <see cref="WalletQueries"/>).
/// </summary>
public sealed class WalletBurn(IDbContextFactory<ControlPlaneDb> dbFactory, TimeProvider clock)
{
    public async Task<WalletBurnLine> ReadAsync(WalletRow wallet, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hours = await db.LedgerEntries.AsNoTracking()
            .Where(e => e.WalletId == wallet.Id && e.Account == LedgerAccounts.Spent && e.Kind != LedgerKinds.Reset
                && e.At >= wallet.PeriodStart && e.At <= now)
            .GroupBy(e => new { e.At.Date, e.At.Hour })
            .Select(g => new { g.Key.Date, g.Key.Hour, Amount = g.Sum(e => e.Amount) })
            .ToListAsync(ct);
        var spentBy = hours.Select(h => (At: h.Date.AddHours(h.Hour), h.Amount)).OrderBy(h => h.At).ToList();
        return new WalletBurnLine(wallet.Id, wallet.PeriodStart, wallet.PeriodEnd, wallet.Limit, wallet.Ceiling, PointsOf(wallet, spentBy, now));
    }

    private static List<BurnPoint> PointsOf(WalletRow wallet, List<(DateTime At, decimal Amount)> spentBy, DateTime now)
    {
        // A wallet without a period (or one that began long before anything was spent) starts at its first spend's day.
        var start = wallet.PeriodStart;
        if (wallet.PeriodEnd is null) start = spentBy.Count > 0 ? spentBy[0].At.Date : now.Date;
        var bucket = wallet.Period == WalletPeriods.Daily ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);

        var points = new List<BurnPoint> { new(start, 0m) };
        var spent = 0m;
        var next = 0;
        for (var end = start + bucket; end < now; end += bucket)
        {
            while (next < spentBy.Count && spentBy[next].At < end) spent += spentBy[next++].Amount;
            points.Add(new BurnPoint(end, spent));
        }
        while (next < spentBy.Count) spent += spentBy[next++].Amount;
        if (now > start) points.Add(new BurnPoint(now, spent));
        return points;
    }
}
