using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// This node's leases: for each limited wallet, a slice of its budget granted by the database, spent in memory.
/// A hold takes from the slice without touching the database; only when a slice runs short does the node ask for
/// more, with one conditional UPDATE that can never grant money another node holds. Leases are renewed while in use
/// and returned when idle or at shutdown; a node that dies stops renewing, and its leases expire and come back.
/// A node that cannot renew stops spending its lease before others may sweep it.
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
        /// <summary>Past this moment the lease may have been swept: spend nothing more from it until renewed.</summary>
        public DateTime UsableUntil;
        public readonly SemaphoreSlim Refill = new(1, 1);
    }

    /// <summary>A call's hold on one wallet, on the lease it was taken from.</summary>
    internal readonly record struct HoldPart(LocalLease Lease, Guid LeaseId, decimal Amount);

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
        if (TryTake(lease, amount) is { } fast) return fast;
        await lease.Refill.WaitAsync(ct);
        try
        {
            // Another call may have refilled it while we waited.
            return TryTake(lease, amount) ?? await RefillAsync(wallet, lease, amount, ct);
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    private HoldPart? TryTake(LocalLease lease, decimal amount)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        lock (lease)
        {
            if (lease.LeaseId is not { } id || lease.Available < amount || now >= lease.UsableUntil) return null;
            lease.Available -= amount;
            lease.Held += amount;
            lease.LastUsed = now;
            return new HoldPart(lease, id, amount);
        }
    }

    /// <summary>
    /// Gives a hold back once its call has cost <paramref name="spent"/>. The rest returns to the lease only if it is
    /// still the lease the hold came from: a lease swept meanwhile already gave its money back to the wallet.
    /// </summary>
    internal static void Release(HoldPart part, decimal spent)
    {
        lock (part.Lease)
        {
            part.Lease.Held -= part.Amount;
            if (part.Lease.LeaseId == part.LeaseId) part.Lease.Available += part.Amount - spent;
        }
    }

    /// <summary>
    /// Grants this node more of the wallet and takes the caller's hold from it at once (so no other call can take
    /// the new money first). The slice grows with demand (twice the last grant) but never beyond a quarter of what is
    /// left, unless the call needs more.
    /// </summary>
    private async Task<HoldPart?> RefillAsync(WalletInfo wallet, LocalLease lease, decimal need, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        decimal shortBy;
        Guid? existing;
        lock (lease)
        {
            // A lease this node can no longer trust starts again from nothing.
            if (lease.LeaseId is null || now >= lease.UsableUntil) lease.Available = Math.Min(lease.Available, 0);
            shortBy = Math.Max(need - Math.Max(lease.Available, 0), 0.0000000001m);
            existing = now < lease.UsableUntil ? lease.LeaseId : null;
        }
        var wanted = Math.Max(shortBy, Math.Max(options.Value.MinimumLease, lease.LastGrant * 2));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var row = await db.Wallets.AsNoTracking().Where(w => w.Id == wallet.Id)
                .Select(w => new { w.Limit, w.OverdraftPercent, w.Spent, w.Leased }).FirstOrDefaultAsync(ct);
            if (row?.Limit is not { } limit) return null;
            var left = limit * (1 + row.OverdraftPercent / 100m) - row.Spent - row.Leased;
            if (left < shortBy) return null; // not enough money left for this call: the hold fails
            var grant = decimal.Round(Math.Min(Math.Max(shortBy, Math.Min(wanted, left / 4)), left), 10, MidpointRounding.ToZero);
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
            // Granted in the database: from here on the caller leaving must not strand the grant, so no token.
            var expires = now + options.Value.LeaseTtl;
            Guid leaseId;
            if (existing is { } id && await db.BudgetLeases.Where(l => l.Id == id && l.ReturnedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.Granted, l => l.Granted + grant).SetProperty(l => l.ExpiresAt, expires), CancellationToken.None) == 1)
            {
                leaseId = id;
            }
            else
            {
                leaseId = Guid.CreateVersion7();
                db.BudgetLeases.Add(new BudgetLease { Id = leaseId, WalletId = wallet.Id, Node = Node, Granted = grant, GrantedAt = now, ExpiresAt = expires });
            }
            Ledger.AddTransfer(db, now, LedgerKinds.Hold, wallet.Id, LedgerAccounts.Held, null, LedgerAccounts.Budget, grant, leaseId: leaseId, note: $"lease to {Node}");
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
            LogGranted(logger, grant, wallet.Name, Node);
            lock (lease)
            {
                if (lease.LeaseId != leaseId) lease.Available = 0; // a new lease: nothing of an old one carries over
                lease.LeaseId = leaseId;
                lease.UsableUntil = UsableUntil(now);
                lease.LastGrant = grant;
                lease.Available += grant - need;
                lease.Held += need;
                lease.LastUsed = now;
            }
            return new HoldPart(lease, leaseId, need);
        }
        return null;
    }

    /// <summary>A lease is spent from only until one maintenance tick before it could expire and be swept.</summary>
    private DateTime UsableUntil(DateTime renewedAt) => renewedAt + options.Value.LeaseTtl - options.Value.MaintenanceInterval;

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
            decimal held;
            DateTime lastUsed;
            lock (lease) (leaseId, held, lastUsed) = (lease.LeaseId, lease.Held, lease.LastUsed);
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
        lock (lease)
        {
            if (lease.LeaseId != leaseId) return;
            if (renewed == 1)
            {
                lease.UsableUntil = UsableUntil(now);
                return;
            }
            // Swept while this node could not renew it: its money is back in the wallet, so stop spending it.
            lease.LeaseId = null;
            lease.Available = 0;
        }
        LogLost(logger, leaseId, Node);
    }

    /// <summary>Gives back what this node has not held or spent (or takes back an overshoot), closing the lease.</summary>
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
            await CloseAsync(lease.WalletId, leaseId, unspent, swept: false, $"returned by {Node}", CancellationToken.None);
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    /// <summary>
    /// Closes leases whose node stopped renewing them (crashed or cut off) and gives back what they had not
    /// charged. Any node may run it; the conditional close makes sure only one does, once.
    /// </summary>
    public async Task<int> SweepExpiredAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // This node's own current leases are renewed, not swept; leases it has let go of are swept like any other.
        List<Guid> current;
        lock (_leasesGate) current = [.. _leases.Values.Select(l => l.LeaseId).OfType<Guid>()];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expired = await db.BudgetLeases.AsNoTracking().Where(l => l.ReturnedAt == null && l.ExpiresAt < now && !current.Contains(l.Id))
            .Select(l => new { l.Id, l.WalletId, l.Node }).ToListAsync(ct);
        var swept = 0;
        foreach (var lease in expired)
            if (await CloseAsync(lease.WalletId, lease.Id, unspent: null, swept: true, $"expired lease of {lease.Node}", ct)) swept++;
        return swept;
    }

    /// <summary>
    /// Closes a lease and moves its remainder from held back to the budget: <paramref name="unspent"/> as its node
    /// counted it, or (swept) what the database says was granted and not charged. A negative remainder (calls cost
    /// more than held) is written back too, so the wallet's leased total always returns to what is really out.
    /// </summary>
    private async Task<bool> CloseAsync(Guid walletId, Guid leaseId, decimal? unspent, bool swept, string note, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await Ledger.LockWalletAsync(db, walletId, ct);
        var closed = await db.BudgetLeases.Where(l => l.Id == leaseId && l.ReturnedAt == null && (!swept || l.ExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ReturnedAt, now).SetProperty(l => l.Swept, swept), ct);
        if (closed == 0)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        var remainder = unspent ?? await db.BudgetLeases.Where(l => l.Id == leaseId).Select(l => l.Granted - l.Used).FirstAsync(ct);
        if (remainder != 0)
        {
            await db.Wallets.Where(w => w.Id == walletId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Leased, w => w.Leased - remainder), ct);
            Ledger.AddTransfer(db, now, LedgerKinds.Release, walletId, LedgerAccounts.Held, null, LedgerAccounts.Budget, -remainder, leaseId: leaseId, note: note);
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return true;
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
