using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Keeps this node's money in order: reloads the wallet book, renews or returns leases, sweeps leases of nodes that
/// died, and starts new periods. Leases are returned at shutdown.
/// </summary>
public sealed partial class WalletMaintenance(WalletBook book, BudgetLeases leases, IDbContextFactory<ControlPlaneDb> dbFactory,
    IOptions<WalletOptions> options, TimeProvider clock, Metering.CallLog callLog, ILogger<WalletMaintenance> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await book.ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex); // the database may be briefly gone: try again next tick
            }
        }
    }

    public async Task RunOnceAsync(CancellationToken ct = default)
    {
        await RollOverAsync(ct);
        // Renew this node's leases before sweeping, so a node back from a stall does not sweep its own.
        await leases.MaintainAsync(returnAll: false, ct);
        await leases.SweepExpiredAsync(ct);
        await book.ReloadAsync(ct);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // Every queued charge lands on its lease before the lease is returned, whatever order the host stops us in.
            await callLog.DrainAsync(cancellationToken);
            await leases.MaintainAsync(returnAll: true, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex); // unreturned leases expire and are swept by another node
        }
    }

    /// <summary>
    /// Starts a new period for every wallet whose period has ended: spend goes to zero by a reset entry that moves it
    /// to the closed account, so history stays in the ledger. The wallet row is locked first (as every charge does),
    /// so the spend read is the spend reset and traffic cannot starve the rollover. Leases carry across unchanged:
    /// what they hold is still out, and their later charges count in the new period.
    /// </summary>
    public async Task<int> RollOverAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var wallets = await db.Wallets.AsNoTracking().Where(w => w.Period != WalletPeriods.None)
            .Select(w => new { w.Id, w.Period, w.PeriodStart }).ToListAsync(ct);
        var rolled = 0;
        foreach (var w in wallets)
        {
            if (w.PeriodStart >= WalletPeriods.StartOf(w.Period, now)) continue;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await Ledger.LockWalletAsync(db, w.Id, ct);
            var locked = await db.Wallets.AsNoTracking().Where(x => x.Id == w.Id)
                .Select(x => new { x.Name, x.Period, x.PeriodStart, x.Spent }).FirstAsync(ct);
            var start = WalletPeriods.StartOf(locked.Period, now);
            if (locked.PeriodStart >= start)
            {
                await transaction.RollbackAsync(ct); // another node rolled it over meanwhile
                continue;
            }
            await db.Wallets.Where(x => x.Id == w.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Spent, 0m).SetProperty(x => x.PeriodStart, start).SetProperty(x => x.AnnouncedThreshold, 0), ct);
            if (locked.Spent != 0)
            {
                Ledger.AddTransfer(db, now, LedgerKinds.Reset, null, LedgerAccounts.Closed, w.Id, LedgerAccounts.Spent, locked.Spent, note: $"period from {locked.PeriodStart:yyyy-MM-dd} closed");
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet maintenance failed; retrying next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
