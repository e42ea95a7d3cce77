using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Starts a new period for every wallet whose period has ended in the organisation's time zone: spend goes to zero by a
/// reset entry that moves it to the closed account, so history stays in the ledger. Runs every few minutes as a
/// recurring job, so it catches up after downtime (one reset to the current period, however many boundaries passed)
/// and is idempotent (a wallet already in the current period is left alone; a second run changes nothing).
/// The wallet row is locked first (as every charge does), so the spend read is the spend reset and traffic cannot
/// starve the rollover. Leases carry across unchanged: what they hold is still out, and their later charges count in
/// the new period.
/// </summary>
public sealed partial class WalletPeriodReset(IDbContextFactory<ControlPlaneDb> dbFactory, WalletBook book, TimeProvider clock,
    IOptions<OrganisationOptions> organisation, ILogger<WalletPeriodReset> logger) : IScheduledJob
{
    public const string JobId = "wallets.period-reset";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (await RollOverAsync(cancellationToken) > 0) await book.ReloadAsync(cancellationToken);
    }

    /// <summary>Rolls every wallet whose period has ended into the current one; returns how many rolled.</summary>
    public async Task<int> RollOverAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var zone = organisation.Value.Zone;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallets = await db.Wallets.AsNoTracking().Where(w => w.Period != WalletPeriods.None)
            .Select(w => new { w.Id, w.Period, w.PeriodStart }).ToListAsync(ct);
        var rolled = 0;
        foreach (var w in wallets)
        {
            if (w.PeriodStart >= WalletPeriods.StartOf(w.Period, now, zone)) continue;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await Ledger.LockWalletAsync(db, w.Id, ct);
            var locked = await db.Wallets.AsNoTracking().Where(x => x.Id == w.Id)
                .Select(x => new { x.Name, x.Period, x.PeriodStart, x.Spent }).FirstAsync(ct);
            var start = WalletPeriods.StartOf(locked.Period, now, zone);
            if (locked.PeriodStart >= start)
            {
                await transaction.RollbackAsync(ct); // another node rolled it over meanwhile
                continue;
            }
            await db.Wallets.Where(x => x.Id == w.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Spent, 0m).SetProperty(x => x.PeriodStart, start).SetProperty(x => x.AnnouncedThreshold, 0), ct);
            if (locked.Spent != 0)
            {
                Ledger.AddTransfer(db, now, LedgerKinds.Reset, null, LedgerAccounts.Closed, w.Id, LedgerAccounts.Spent, locked.Spent,
                    note: $"period from {TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(locked.PeriodStart, DateTimeKind.Utc), zone):yyyy-MM-dd} closed");
                await db.SaveChangesAsync(ct);
            }
            await transaction.CommitAsync(ct);
            LogRolledOver(logger, locked.Name, locked.Spent);
            rolled++;
        }
        return rolled;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "New period for {Wallet}; {Spent} USD of the last one moved to history")]
    private static partial void LogRolledOver(ILogger logger, string wallet, decimal spent);
}
