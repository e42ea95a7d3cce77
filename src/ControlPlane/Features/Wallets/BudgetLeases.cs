using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// This node's leases: for each limited wallet, a slice of its budget granted by the database, spent in memory.
/// A hold takes from the slice without touching the database; only when a slice runs short does the node ask for
/// more, with one conditional UPDATE that can never grant money another node holds. Leases are renewed while in use
/// and returned when idle or at shutdown; a node that dies stops renewing, and its leases expire and come back.
/// </summary>
public sealed partial class BudgetLeases(IDbContextFactory<ControlPlaneDb> dbFactory, IOptions<WalletOptions> options, TimeProvider clock, ILogger<BudgetLeases> logger) : IDisposable
{
    private readonly Dictionary<Guid, LocalLease> _leases = [];
    private readonly Lock _leasesGate = new();

    /// <summary>Names this node on its lease rows (host, process and a random part: restarts are new nodes).</summary>
    public string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>One wallet's lease on this node. Money fields are guarded by the instance's lock.</summary>
    internal sealed class LocalLease(Guid walletId) : IDisposable
    {
        public void Dispose() => Refill.Dispose();

        public Guid WalletId { get; } = walletId;
        public Guid? LeaseId;
        /// <summary>Granted and not yet held or spent: what holds take from.</summary>
        public decimal Available;
        /// <summary>Held by calls in flight.</summary>
        public decimal Held;
        public decimal LastGrant;
        public DateTime LastUsed;
        public readonly SemaphoreSlim Refill = new(1, 1);
    }

    /// <summary>A call's hold on one wallet.</summary>
    internal readonly record struct HoldPart(LocalLease Lease, decimal Amount);

    private LocalLease LeaseOf(Guid walletId)
    {
        lock (_leasesGate)
        {
            if (!_leases.TryGetValue(walletId, out var lease)) _leases[walletId] = lease = new LocalLease(walletId);
            return lease;
        }
    }

    /// <summary>Takes <paramref name="amount"/> from this node's lease on the wallet, asking the database for more if needed.</summary>
    internal async ValueTask<HoldPart?> TryHoldAsync(WalletInfo wallet, decimal amount, CancellationToken ct)
    {
        var lease = LeaseOf(wallet.Id);
        if (TryTake(lease, amount)) return new HoldPart(lease, amount);
        await lease.Refill.WaitAsync(ct);
        try
        {
            // Another call may have refilled it while we waited.
            if (TryTake(lease, amount)) return new HoldPart(lease, amount);
            await RefillAsync(wallet, lease, amount, ct);
            return TryTake(lease, amount) ? new HoldPart(lease, amount) : null;
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    private bool TryTake(LocalLease lease, decimal amount)
    {
        lock (lease)
        {
            if (lease.LeaseId is null || lease.Available < amount) return false;
            lease.Available -= amount;
            lease.Held += amount;
            lease.LastUsed = clock.GetUtcNow().UtcDateTime;
            return true;
        }
    }

    /// <summary>Gives a hold back and returns the part actually spent (the charge against this lease).</summary>
    internal static void Release(HoldPart part, decimal spent)
    {
        lock (part.Lease)
        {
            part.Lease.Held -= part.Amount;
            part.Lease.Available += part.Amount - spent;
        }
    }

    /// <summary>
    /// Grants this node more of the wallet: the slice grows with demand (twice the last grant when it was used up
    /// within a renewal interval) but never beyond a quarter of what is left, unless the call needs more.
    /// </summary>
    private async Task RefillAsync(WalletInfo wallet, LocalLease lease, decimal need, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        decimal shortBy;
        lock (lease) shortBy = need - lease.Available;
        var wanted = Math.Max(shortBy, Math.Max(options.Value.MinimumLease, lease.LastGrant * 2));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var row = await db.Wallets.AsNoTracking().Where(w => w.Id == wallet.Id)
                .Select(w => new { w.Limit, w.OverdraftPercent, w.Spent, w.Leased }).FirstOrDefaultAsync(ct);
            if (row?.Limit is not { } limit) return;
            var left = limit * (1 + row.OverdraftPercent / 100m) - row.Spent - row.Leased;
            if (left < shortBy) return; // not enough money left for this call: the hold fails
            var grant = Math.Max(shortBy, Math.Min(wanted, left / 4));
            grant = decimal.Round(Math.Min(grant, left), 10, MidpointRounding.ToZero);
            if (grant < shortBy) grant = shortBy;

            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The one conditional UPDATE: it grants only while spent + leased + grant stays within the ceiling.
            var granted = await db.Wallets
                .Where(w => w.Id == wallet.Id && w.Limit != null && w.Spent + w.Leased + grant <= w.Limit * (1 + w.OverdraftPercent / 100m))
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.Leased, w => w.Leased + grant), ct);
            if (granted == 0)
            {
                await transaction.RollbackAsync(ct);
                continue; // another node took some meanwhile: look again
            }
            var expires = now + options.Value.LeaseTtl;
            Guid leaseId;
            Guid? existing;
            lock (lease) existing = lease.LeaseId;
            if (existing is { } id && await db.BudgetLeases.Where(l => l.Id == id && l.ReturnedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.Granted, l => l.Granted + grant).SetProperty(l => l.ExpiresAt, expires), ct) == 1)
            {
                leaseId = id;
            }
            else
            {
                leaseId = Guid.CreateVersion7();
                db.BudgetLeases.Add(new BudgetLease { Id = leaseId, WalletId = wallet.Id, Node = Node, Granted = grant, GrantedAt = now, ExpiresAt = expires });
            }
            Ledger.AddTransfer(db, now, LedgerKinds.Hold, wallet.Id, LedgerAccounts.Held, null, LedgerAccounts.Budget, grant, leaseId: leaseId, note: $"lease to {Node}");
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            lock (lease)
            {
                if (lease.LeaseId != leaseId)
                {
                    // The old lease was swept (expired): what this node still counted as available there is gone.
                    lease.Available = 0;
                }
                lease.LeaseId = leaseId;
                lease.Available += grant;
                lease.LastGrant = grant;
            }
            LogGranted(logger, grant, wallet.Name, Node);
            return;
        }
    }

    /// <summary>
    /// Renews leases in use and returns idle ones (all of them at shutdown). A lease with calls in flight is only
    /// renewed: its holds settle against it.
    /// </summary>
    public async Task MaintainAsync(bool returnAll, CancellationToken ct)
    {
        LocalLease[] leases;
        lock (_leasesGate) leases = [.. _leases.Values];
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var lease in leases)
        {
            Guid? leaseId;
            decimal available, held;
            DateTime lastUsed;
            lock (lease) (leaseId, available, held, lastUsed) = (lease.LeaseId, lease.Available, lease.Held, lease.LastUsed);
            if (leaseId is not { } id) continue;
            var idle = now - lastUsed > options.Value.LeaseIdleReturn;
            if ((returnAll || idle) && held == 0)
                await ReturnAsync(lease, id, ct);
            else
                await RenewAsync(lease, id, now, ct);
        }
    }

    private async Task RenewAsync(LocalLease lease, Guid leaseId, DateTime now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var renewed = await db.BudgetLeases.Where(l => l.Id == leaseId && l.ReturnedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, now + options.Value.LeaseTtl), ct);
        if (renewed == 1) return;
        // Swept while this node was too slow to renew it: its money is back in the wallet, so stop spending it.
        lock (lease)
        {
            if (lease.LeaseId != leaseId) return;
            lease.LeaseId = null;
            lease.Available = 0;
        }
        LogLost(logger, leaseId, Node);
    }

    /// <summary>
    /// Closes leases whose node stopped renewing them (it crashed or was cut off) and gives back what they had not
    /// charged. Any node may run it; the conditional close makes sure only one does, once.
    /// </summary>
    public async Task<int> SweepExpiredAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expired = await db.BudgetLeases.AsNoTracking().Where(l => l.ReturnedAt == null && l.ExpiresAt < now).Select(l => new { l.Id, l.WalletId }).ToListAsync(ct);
        var swept = 0;
        foreach (var (id, walletId) in expired.Select(e => (e.Id, e.WalletId)))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await Ledger.LockWalletAsync(db, walletId, ct);
            if (await db.BudgetLeases.Where(l => l.Id == id && l.ReturnedAt == null && l.ExpiresAt < now)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.ReturnedAt, now).SetProperty(l => l.Swept, true), ct) == 0)
            {
                await transaction.RollbackAsync(ct);
                continue;
            }
            var lease = await db.BudgetLeases.AsNoTracking().FirstAsync(l => l.Id == id, ct);
            var unspent = lease.Granted - lease.Used;
            if (unspent > 0)
            {
                await db.Wallets.Where(w => w.Id == lease.WalletId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Leased, w => w.Leased - unspent), ct);
                Ledger.AddTransfer(db, now, LedgerKinds.Release, lease.WalletId, LedgerAccounts.Held, null, LedgerAccounts.Budget, -unspent, leaseId: id, note: $"expired lease of {lease.Node}");
                await db.SaveChangesAsync(ct);
            }
            await transaction.CommitAsync(ct);
            swept++;
        }
        return swept;
    }

    /// <summary>Gives back what this node has not held or spent, closing the lease.</summary>
    private async Task ReturnAsync(LocalLease lease, Guid leaseId, CancellationToken ct)
    {
        await lease.Refill.WaitAsync(ct);
        try
        {
            decimal unspent;
            lock (lease)
            {
                if (lease.LeaseId != leaseId || lease.Held != 0) return;
                unspent = lease.Available;
                lease.LeaseId = null;
                lease.Available = 0;
                lease.LastGrant = 0;
            }
            var now = clock.GetUtcNow().UtcDateTime;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await Ledger.LockWalletAsync(db, lease.WalletId, ct);
            var closed = await db.BudgetLeases.Where(l => l.Id == leaseId && l.ReturnedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.ReturnedAt, now), ct);
            if (closed == 1 && unspent > 0)
            {
                await db.Wallets.Where(w => w.Id == lease.WalletId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Leased, w => w.Leased - unspent), ct);
                Ledger.AddTransfer(db, now, LedgerKinds.Release, lease.WalletId, LedgerAccounts.Held, null, LedgerAccounts.Budget, -unspent, leaseId: leaseId, note: $"returned by {Node}");
                await db.SaveChangesAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    public void Dispose()
    {
        lock (_leasesGate)
        {
            foreach (var lease in _leases.Values) lease.Dispose();
            _leases.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} of {Node} expired before it was renewed; its budget went back to the wallet")]
    private static partial void LogLost(ILogger logger, Guid lease, string node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Leased {Amount} of {Wallet} to {Node}")]
    private static partial void LogGranted(ILogger logger, decimal amount, string wallet, string node);
}
