using ControlPlane.Features.Audit;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// Expires requests nobody decided in time and lets granted budgets flow back at their expiry. Safe on many nodes and
/// idempotent: each change is one conditional UPDATE of the transfer's state, so of several nodes sweeping at once
/// exactly one changes (and audits and announces) each transfer; the others find nothing left to do. A recurring job,
/// every minute.
/// </summary>
public sealed class TransferSweeper(IDbContextFactory<ControlPlaneDb> dbFactory, WalletBook book, AuditLog audit, TransferNews news,
    TimeProvider clock) : IScheduledJob
{
    /// <summary>Who the audit chain names for what the sweeper does.</summary>
    public const string Actor = "system:transfers";

    public async Task RunAsync(CancellationToken cancellationToken) => await RunOnceAsync(cancellationToken);

    /// <summary>One sweep; returns how many requests expired and how many grants flowed back.</summary>
    public async Task<(int Expired, int Returned)> RunOnceAsync(CancellationToken ct = default) =>
        (await ExpirePendingAsync(ct), await ReturnGrantsAsync(ct));

    public async Task<int> ExpirePendingAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Transfers.AsNoTracking().Where(t => t.State == TransferStates.Pending && t.PendingUntil <= now).ToListAsync(ct);
        var expired = 0;
        foreach (var transfer in due)
        {
            var (from, to, _) = await news.NamesAsync(transfer, ct);
            // The expiry and its audit entry in one transaction (the chain lock first, as on every audited money path).
            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                await AuditLog.LockChainAsync(db, ct);
                var changed = await db.Transfers.Where(t => t.Id == transfer.Id && t.State == TransferStates.Pending && t.Version == transfer.Version)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, TransferStates.Expired).SetProperty(t => t.Version, t => t.Version + 1)
                        .SetProperty(t => t.DecidedAt, now), ct);
                if (changed == 0)
                {
                    await transaction.RollbackAsync(ct); // decided or expired by someone else meanwhile
                    continue;
                }
                await audit.AppendAsync(db, Actor, "transfer.expired", $"transfer:{transfer.Id}",
                    $"{transfer.Amount:0.00} USD from {from} to {to} was not decided by {transfer.PendingUntil:yyyy-MM-dd HH:mm} UTC", ct);
                await transaction.CommitAsync(ct);
            }
            transfer.State = TransferStates.Expired;
            transfer.DecidedAt = now;
            await news.TellAsync(transfer, TransferNews.Expired, Actor, null, ct);
            expired++;
        }
        return expired;
    }

    /// <summary>Approved transfers whose grant has expired: the unspent part of each flows back to its source.</summary>
    public async Task<int> ReturnGrantsAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Transfers.AsNoTracking()
            .Where(t => t.State == TransferStates.Approved && t.GrantExpiresAt != null && t.GrantExpiresAt <= now).ToListAsync(ct);
        var returned = 0;
        foreach (var transfer in due)
        {
            var (from, to, _) = await news.NamesAsync(transfer, ct);
            decimal back;
            // The claim, the money flowing back and the audit entry in one transaction; the chain lock before the wallets'.
            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                await AuditLog.LockChainAsync(db, ct);
                var claimed = await db.Transfers.Where(t => t.Id == transfer.Id && t.State == TransferStates.Approved && t.Version == transfer.Version)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, TransferStates.Returned).SetProperty(t => t.Version, t => t.Version + 1)
                        .SetProperty(t => t.ReturnedAt, now), ct);
                if (claimed == 0)
                {
                    await transaction.RollbackAsync(ct);
                    continue;
                }
                back = await BudgetMove.ReturnAsync(db, transfer.ToWalletId, transfer.FromWalletId, transfer.Amount, now, $"transfer {transfer.Id:N} returned", ct);
                await db.Transfers.Where(t => t.Id == transfer.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.ReturnedAmount, back), ct);
                await audit.AppendAsync(db, Actor, "transfer.returned", $"transfer:{transfer.Id}",
                    $"the grant of {transfer.Amount:0.00} USD to {to} expired; {back:0.00} USD unspent flowed back to {from}", ct);
                await transaction.CommitAsync(ct);
            }
            transfer.State = TransferStates.Returned;
            transfer.ReturnedAt = now;
            transfer.ReturnedAmount = back;
            await book.ReloadAsync(ct);
            news.Publish(transfer, movedBudget: true);
            returned++;
        }
        return returned;
    }

}
