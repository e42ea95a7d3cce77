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
/// <remarks>
/// Overshoot: a call that costs more than its hold takes the excess from its lease's free budget at once. If that
/// leaves the lease in debt (negative <see cref="Slice.Available"/>), no hold is taken from it until a grant from
/// the wallet has repaid the debt and covered the new hold, so overshoot never accumulates: what a wallet can spend
/// beyond its ceiling is at most the overshoot of calls still in flight. Times on lease rows are the database's.
/// </remarks>
public sealed partial class BudgetLeases(IDbContextFactory<ControlPlaneDb> dbFactory, WalletBook book, WalletStandings standings, IOptions<WalletOptions> options,
    TimeProvider clock, ILogger<BudgetLeases> logger) : IDisposable
{
    /// <summary>The least a refill asks for, so a call that needs nothing still finds its lease out of debt.</summary>
    private const decimal Smallest = 0.0000000001m;

    private readonly Dictionary<Guid, LocalLease> _leases = [];
    private readonly Lock _leasesGate = new();

    /// <summary>
    /// One maintenance pass at a time. A pass takes a lease out of <see cref="LocalLease.Current"/> (or
    /// <see cref="LocalLease.Retired"/>) before its close is written; a second pass running meanwhile would see
    /// nothing to return and finish while that close is still in flight, so "every lease returned" (shutdown, or a
    /// check right after) would not yet hold, and it would renew a lease that the first pass had just closed and
    /// report it lost.
    /// </summary>
    private readonly SemaphoreSlim _maintaining = new(1, 1);

    /// <summary>Names this node on its lease rows (host, process and a random part: restarts are new nodes).</summary>
    public string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>One wallet's leases on this node. Its slices' fields are guarded by this object's lock.</summary>
    internal sealed class LocalLease(Guid walletId) : IDisposable
    {
        public void Dispose() => Refill.Dispose();

        public Guid WalletId { get; } = walletId;
        /// <summary>The lease holds take from; null until the first grant, and after it was returned or lost.</summary>
        public Slice? Current;
        /// <summary>
        /// Leases this node replaced while calls still held money on them: renewed until those calls settle, then
        /// returned, so no sweep gives back money those calls may still charge.
        /// </summary>
        public readonly List<Slice> Retired = [];
        public decimal LastGrant;
        public DateTime LastUsed;
        /// <summary>Past this moment (this node's clock) the lease may be near expiry: hold nothing more from it until renewed.</summary>
        public DateTime UsableUntil;
        public readonly SemaphoreSlim Refill = new(1, 1);
    }

    /// <summary>One lease row as this node counts it.</summary>
    internal sealed class Slice(Guid id)
    {
        public Guid Id { get; } = id;
        /// <summary>Granted, less what its settled calls cost and what its calls in flight hold. Negative: a debt.</summary>
        public decimal Available;
        /// <summary>Held by calls in flight.</summary>
        public decimal Held;
        /// <summary>Calls in flight on it (a hold may be of zero).</summary>
        public int Holds;
    }

    /// <summary>A call's hold on one wallet, on the lease it was taken from.</summary>
    internal readonly record struct HoldPart(LocalLease Lease, Slice Slice, decimal Amount)
    {
        public Guid LeaseId => Slice.Id;
    }

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
            // A lease in debt has Available < 0 and so refuses even a hold of zero until a grant repays it.
            if (lease.Current is not { } slice || slice.Available < amount || now >= lease.UsableUntil) return null;
            slice.Available -= amount;
            slice.Held += amount;
            slice.Holds++;
            lease.LastUsed = now;
            return new HoldPart(lease, slice, amount);
        }
    }

    /// <summary>
    /// Gives a hold back once its call has cost <paramref name="spent"/>: the rest returns to the lease it came from,
    /// and an excess (the call cost more than its hold) is taken from that lease's free budget at once, into debt if
    /// need be.
    /// </summary>
    internal static void Release(HoldPart part, decimal spent)
    {
        lock (part.Lease)
        {
            part.Slice.Held -= part.Amount;
            part.Slice.Holds--;
            part.Slice.Available += part.Amount - spent;
        }
    }

    /// <summary>
    /// Folds a second hold of the same call on the same slice into its first (a top-up): one call in flight, holding
    /// both amounts, so settling the call once releases all of it.
    /// </summary>
    internal static HoldPart Combine(HoldPart first, HoldPart more)
    {
        lock (first.Lease) more.Slice.Holds--;
        return first with { Amount = first.Amount + more.Amount };
    }

    /// <summary>
    /// Grants this node more of the wallet and takes the caller's hold from it at once (so no other call can take
    /// the new money first). A debt is repaid first: the grant covers debt + need, and the conditional UPDATE checks
    /// that whole amount against the ceiling. The slice grows with demand (twice the last grant) but never beyond a
    /// quarter of what is left, unless the call needs more.
    /// </summary>
    private async Task<HoldPart?> RefillAsync(WalletInfo wallet, LocalLease lease, decimal need, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        decimal shortBy;
        Slice? extending;
        Guid? existing;
        lock (lease)
        {
            if (lease.Current is { } stale && now >= lease.UsableUntil)
            {
                // Not renewed in time, so it may be close to expiry: no new holds on it. Its calls still settle on it
                // and it is renewed until they have.
                lease.Retired.Add(stale);
                lease.Current = null;
            }
            shortBy = Math.Max(need - (lease.Current?.Available ?? 0), Smallest);
            extending = lease.Current;
            existing = extending?.Id;
        }
        var wanted = Math.Max(shortBy, Math.Max(options.Value.MinimumLease, lease.LastGrant * 2));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dbNow = await DatabaseClock.NowAsync(db, ct);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var row = await db.Wallets.AsNoTracking().Where(w => w.Id == wallet.Id)
                .Select(w => new { w.Limit, w.OverdraftPercent, w.Spent, w.Leased }).FirstOrDefaultAsync(ct);
            if (row?.Limit is not { } limit) return null;
            var left = limit * (1 + row.OverdraftPercent / 100m) - row.Spent - row.Leased;
            if (left < shortBy) return null; // not enough money left for this call (and any debt): the hold fails
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
            var expires = dbNow + options.Value.LeaseTtl;
            Guid leaseId;
            if (existing is { } id && await db.BudgetLeases.Where(l => l.Id == id && l.ReturnedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.Granted, l => l.Granted + grant).SetProperty(l => l.ExpiresAt, expires), CancellationToken.None) == 1)
            {
                leaseId = id;
            }
            else
            {
                leaseId = Guid.CreateVersion7();
                db.BudgetLeases.Add(new BudgetLease { Id = leaseId, WalletId = wallet.Id, Node = Node, Granted = grant, GrantedAt = dbNow, ExpiresAt = expires });
            }
            Ledger.AddTransfer(db, now, LedgerKinds.Hold, wallet.Id, LedgerAccounts.Held, null, LedgerAccounts.Budget, grant, leaseId: leaseId, note: $"lease to {Node}");
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
            standings.Forget(wallet.Id);
            LogGranted(logger, grant, wallet.Name, Node);
            Interlocked.Increment(ref _grants);
            lock (lease)
            {
                Slice slice;
                if (leaseId == existing)
                {
                    // The grant belongs to the very slice it extended (the row was open, so it is not lost), even if
                    // something cleared Current meanwhile: never a second object for one lease row.
                    slice = extending!;
                    lease.Current ??= slice;
                    if (lease.Current != slice && !lease.Retired.Contains(slice)) lease.Retired.Add(slice);
                }
                else
                {
                    // A new lease: the old one (if any) keeps its own calls, its own debt and its own remainder.
                    if (lease.Current is { } replaced) lease.Retired.Add(replaced);
                    slice = lease.Current = new Slice(leaseId);
                }
                slice.Available += grant - need;
                slice.Held += need;
                slice.Holds++;
                lease.UsableUntil = UsableUntil(now);
                lease.LastGrant = grant;
                lease.LastUsed = now;
                return new HoldPart(lease, slice, need);
            }
        }
        return null;
    }

    /// <summary>
    /// A lease is spent from only until one maintenance tick before it could expire. <paramref name="before"/> is this
    /// node's time taken before the database stamped the expiry, so whatever the skew between clocks, holds stop
    /// before the expiry in the database's clock.
    /// </summary>
    private DateTime UsableUntil(DateTime before) => before + options.Value.LeaseTtl - options.Value.MaintenanceInterval;

    /// <summary>
    /// Renews leases in use and returns idle ones (all of them at shutdown). A lease with calls in flight is only
    /// renewed: its holds settle against it. A replaced lease is renewed until its calls settle, then returned. A
    /// lease holding more than its wallet's lowered limit allows gives the excess back.
    /// </summary>
    public async Task MaintainAsync(bool returnAll, CancellationToken ct)
    {
        await _maintaining.WaitAsync(ct);
        try
        {
            await MaintainOnceAsync(returnAll, ct);
        }
        finally
        {
            _maintaining.Release();
        }
    }

    private async Task MaintainOnceAsync(bool returnAll, CancellationToken ct)
    {
        LocalLease[] leases;
        lock (_leasesGate) leases = [.. _leases.Values];
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var lease in leases)
        {
            Slice? current;
            Slice[] retired;
            int holds;
            DateTime lastUsed;
            lock (lease) (current, retired, holds, lastUsed) = (lease.Current, [.. lease.Retired], lease.Current?.Holds ?? 0, lease.LastUsed);
            foreach (var slice in retired)
            {
                int settling;
                lock (lease) settling = slice.Holds;
                if (settling == 0) await ReturnRetiredAsync(lease, slice);
                else await RenewAsync(lease, slice, ct);
            }
            if (current is null) continue;
            var idle = now - lastUsed > options.Value.LeaseIdleReturn;
            if ((returnAll || idle) && holds == 0)
            {
                await ReturnAsync(lease, current, ct);
                continue;
            }
            await RenewAsync(lease, current, ct);
            await ReclaimAsync(lease, current, ct);
        }
    }

    private async Task RenewAsync(LocalLease lease, Slice slice, CancellationToken ct)
    {
        var before = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expires = await DatabaseClock.NowAsync(db, ct) + options.Value.LeaseTtl;
        var renewed = await db.BudgetLeases.Where(l => l.Id == slice.Id && l.ReturnedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, expires), ct);
        lock (lease)
        {
            if (renewed == 1)
            {
                if (lease.Current == slice) lease.UsableUntil = UsableUntil(before);
                return;
            }
            // Swept while this node could not renew it: its money is back in the wallet, so stop spending it.
            if (lease.Current == slice) lease.Current = null;
            lease.Retired.Remove(slice);
        }
        LogLost(logger, slice.Id, Node);
        Interlocked.Increment(ref _lost);
    }

    /// <summary>
    /// After a wallet's limit was lowered (seen in the wallet book), gives back the part of this lease's free budget
    /// that is beyond what the wallet may now spend, so other nodes and the next grant see the new limit.
    /// </summary>
    private async Task ReclaimAsync(LocalLease lease, Slice slice, CancellationToken ct)
    {
        if (book.Find(lease.WalletId) is not { Ceiling: { } seenCeiling } seen || seen.Spent + seen.Leased <= seenCeiling) return;
        await lease.Refill.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await Ledger.LockWalletAsync(db, lease.WalletId, ct);
            var row = await db.Wallets.AsNoTracking().Where(w => w.Id == lease.WalletId)
                .Select(w => new { w.Limit, w.OverdraftPercent, w.Spent, w.Leased }).FirstOrDefaultAsync(ct);
            if (row?.Limit is not { } limit) return;
            var excess = row.Spent + row.Leased - limit * (1 + row.OverdraftPercent / 100m);
            decimal giveBack;
            lock (lease)
            {
                if (lease.Current != slice || excess <= 0) return;
                giveBack = Math.Min(excess, Math.Max(slice.Available, 0));
                slice.Available -= giveBack; // no hold may take it from here on
            }
            if (giveBack == 0) return;
            try
            {
                var shrunk = await db.BudgetLeases.Where(l => l.Id == slice.Id && l.ReturnedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(l => l.Granted, l => l.Granted - giveBack), ct);
                if (shrunk == 0) return; // swept meanwhile: its money is already back, and renewing will find it lost
                await db.Wallets.Where(w => w.Id == lease.WalletId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Leased, w => w.Leased - giveBack), ct);
                Ledger.AddTransfer(db, clock.GetUtcNow().UtcDateTime, LedgerKinds.Release, lease.WalletId, LedgerAccounts.Held, null, LedgerAccounts.Budget, -giveBack,
                    leaseId: slice.Id, note: $"limit lowered: {Node} gave back what it held beyond it");
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                standings.Forget(lease.WalletId);
            }
            catch
            {
                lock (lease) slice.Available += giveBack; // not given back: still this lease's to spend
                throw;
            }
            LogReclaimed(logger, giveBack, seen.Name, Node);
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    /// <summary>Gives back what this node has not held or spent (or takes back an overshoot), closing the lease.</summary>
    private async Task ReturnAsync(LocalLease lease, Slice slice, CancellationToken ct)
    {
        await lease.Refill.WaitAsync(ct);
        try
        {
            decimal unspent;
            lock (lease)
            {
                if (lease.Current != slice || slice.Holds != 0) return;
                unspent = slice.Available;
                lease.Current = null;
                lease.LastGrant = 0;
            }
            try
            {
                await CloseAsync(lease.WalletId, slice.Id, unspent, sweptBefore: null, $"returned by {Node}", CancellationToken.None);
            }
            catch
            {
                // Not closed: keep it, to return (or renew) at the next tick rather than strand its remainder.
                lock (lease)
                {
                    if (lease.Current is null) lease.Current = slice;
                    else lease.Retired.Add(slice);
                }
                throw;
            }
        }
        finally
        {
            lease.Refill.Release();
        }
    }

    /// <summary>Closes a replaced lease once its last call settled, with its own remainder (negative if it is in debt).</summary>
    private async Task ReturnRetiredAsync(LocalLease lease, Slice slice)
    {
        decimal unspent;
        lock (lease)
        {
            if (slice.Holds != 0 || !lease.Retired.Remove(slice)) return;
            unspent = slice.Available;
        }
        try
        {
            await CloseAsync(lease.WalletId, slice.Id, unspent, sweptBefore: null, $"returned by {Node} once its calls settled", CancellationToken.None);
        }
        catch
        {
            lock (lease) lease.Retired.Add(slice); // not closed: try again next tick
            throw;
        }
    }

    /// <summary>
    /// Closes leases whose node stopped renewing them (crashed or cut off) and gives back what they had not
    /// charged. Any node may run it; the conditional close makes sure only one does, once. A lease is swept only once
    /// the database's clock is past its expiry plus <see cref="WalletOptions.SweepGrace"/>: by then no call that its
    /// node started can still be running.
    /// </summary>
    public async Task<int> SweepExpiredAsync(CancellationToken ct)
    {
        // This node's own leases (current or replaced and still settling) are renewed, not swept.
        var mine = new List<Guid>();
        lock (_leasesGate)
            foreach (var lease in _leases.Values)
                lock (lease)
                {
                    if (lease.Current is { } c) mine.Add(c.Id);
                    mine.AddRange(lease.Retired.Select(s => s.Id));
                }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cutoff = await DatabaseClock.NowAsync(db, ct) - options.Value.SweepGrace;
        var expired = await db.BudgetLeases.AsNoTracking().Where(l => l.ReturnedAt == null && l.ExpiresAt < cutoff && !mine.Contains(l.Id))
            .Select(l => new { l.Id, l.WalletId, l.Node }).ToListAsync(ct);
        var swept = 0;
        foreach (var lease in expired)
            if (await CloseAsync(lease.WalletId, lease.Id, unspent: null, sweptBefore: cutoff, $"expired lease of {lease.Node}", ct)) swept++;
        return swept;
    }

    /// <summary>
    /// Closes a lease and moves its remainder from held back to the budget: <paramref name="unspent"/> as its node
    /// counted it, or (swept, if it expired before <paramref name="sweptBefore"/>) what the database says was granted
    /// and not charged. A negative remainder (calls cost more than held) is written back too, so the wallet's leased
    /// total always returns to what is really out.
    /// </summary>
    private async Task<bool> CloseAsync(Guid walletId, Guid leaseId, decimal? unspent, DateTime? sweptBefore, string note, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var swept = sweptBefore is not null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await Ledger.LockWalletAsync(db, walletId, ct);
        var open = db.BudgetLeases.Where(l => l.Id == leaseId && l.ReturnedAt == null);
        if (sweptBefore is { } cutoff) open = open.Where(l => l.ExpiresAt < cutoff);
        var closed = await open.ExecuteUpdateAsync(s => s.SetProperty(l => l.ReturnedAt, now).SetProperty(l => l.Swept, swept), ct);
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
        standings.Forget(walletId);
        return true;
    }

    public void Dispose()
    {
        lock (_leasesGate)
        {
            foreach (var lease in _leases.Values) lease.Dispose();
            _leases.Clear();
        }
        _maintaining.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} of {Node} expired before it was renewed; its budget went back to the wallet")]
    private static partial void LogLost(ILogger logger, Guid lease, string node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Leased {Amount} of {Wallet} to {Node}")]
    private static partial void LogGranted(ILogger logger, decimal amount, string wallet, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gave back {Amount} of {Wallet} from {Node}'s lease: its limit was lowered")]
    private static partial void LogReclaimed(ILogger logger, decimal amount, string wallet, string node);
}
