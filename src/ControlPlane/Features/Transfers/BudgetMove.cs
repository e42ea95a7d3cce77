using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Transfers;

/// <summary>
/// Moves budget between wallets inside the caller's transaction: lowers the source's limit, raises the destination's,
/// and writes the move as one balanced ledger transaction on the wallets' <c>budget</c> accounts (the organisation's
/// unallocated budget is the <c>budget</c> account with no wallet). The wallet rows are locked first, as the spend
/// path locks them, and the source gives only if its limit less spent less held still covers the amount at that
/// moment, so an approval racing the source's spend can never take money that spend already holds.
/// </summary>
internal static class BudgetMove
{
    /// <summary>Moves <paramref name="amount"/>; null when done, else why nothing moved (the caller rolls back).</summary>
    public static async Task<string?> MoveAsync(ControlPlaneDb db, Guid? fromWallet, Guid toWallet, decimal amount, DateTime at, string note, CancellationToken ct)
    {
        var org = await db.Wallets.AsNoTracking().Where(w => w.OwnerKind == WalletOwners.Organization).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        await LockInOrderAsync(db, [fromWallet ?? org, toWallet], ct);

        var to = await db.Wallets.AsNoTracking().Where(w => w.Id == toWallet).Select(w => new { w.Name, w.Limit, w.ParentWalletId }).FirstOrDefaultAsync(ct);
        if (to is null) return "The destination wallet no longer exists.";
        if (to.Limit is null) return $"'{to.Name}' has no limit, so there is nothing to raise.";

        if (fromWallet is { } from)
        {
            // The one conditional UPDATE: under the row lock, so spend granted meanwhile is already in Spent + Leased.
            var taken = await db.Wallets
                .Where(w => w.Id == from && w.Limit != null && w.Limit - w.Spent - w.Leased >= amount)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.Limit, w => w.Limit - amount), ct);
            if (taken == 0)
            {
                var source = await db.Wallets.AsNoTracking().Where(w => w.Id == from).Select(w => new { w.Name, w.Limit, w.Spent, w.Leased }).FirstOrDefaultAsync(ct);
                if (source is null) return "The source wallet no longer exists.";
                if (source.Limit is null) return $"'{source.Name}' has no limit to give from.";
                var free = Math.Max(0, source.Limit.Value - source.Spent - source.Leased);
                return $"'{source.Name}' has only {free:0.####} USD of its limit left unspent and unheld, less than {amount:0.####} USD.";
            }
        }
        else if (org is { } orgId && await UnallocatedAsync(db, orgId, ct) is { } unallocated && unallocated < amount)
        {
            return $"The organisation has only {Math.Max(0, unallocated):0.####} USD of unallocated budget, less than {amount:0.####} USD.";
        }

        // A child's limit may not exceed its parent's (as on the Wallets page); the organisation's pool was checked above.
        if (to.ParentWalletId is { } parent && parent != org
            && await db.Wallets.AsNoTracking().Where(w => w.Id == parent).Select(w => new { w.Name, w.Limit }).FirstOrDefaultAsync(ct) is { Limit: { } parentLimit } p
            && to.Limit.Value + amount > parentLimit)
            return $"'{to.Name}' would get {to.Limit.Value + amount:0.####} USD, more than its parent '{p.Name}' allows ({parentLimit:0.####} USD).";

        await db.Wallets.Where(w => w.Id == toWallet && w.Limit != null).ExecuteUpdateAsync(s => s.SetProperty(w => w.Limit, w => w.Limit + amount), ct);
        Ledger.AddTransfer(db, at, LedgerKinds.Transfer, toWallet, LedgerAccounts.Budget, fromWallet, LedgerAccounts.Budget, amount, note: note);
        return null;
    }

    /// <summary>
    /// Gives a granted budget back from <paramref name="grantee"/> to where it came from: as much of
    /// <paramref name="amount"/> as the grantee has neither spent nor holds now (spent budget cannot flow back).
    /// Returns what moved: 0 when nothing did.
    /// </summary>
    public static async Task<decimal> ReturnAsync(ControlPlaneDb db, Guid grantee, Guid? source, decimal amount, DateTime at, string note, CancellationToken ct)
    {
        await LockInOrderAsync(db, [grantee, source], ct);
        var wallet = await db.Wallets.AsNoTracking().Where(w => w.Id == grantee).Select(w => new { w.Limit, w.Spent, w.Leased }).FirstOrDefaultAsync(ct);
        if (wallet?.Limit is not { } limit) return 0;
        var back = Math.Clamp(limit - wallet.Spent - wallet.Leased, 0, amount);
        if (back <= 0) return 0;
        // The conditional UPDATE decides: when it touched no row the grantee no longer has it free, and nothing moves
        // (no source raised, no ledger legs), as MoveAsync does with nothing taken.
        var taken = await db.Wallets.Where(w => w.Id == grantee && w.Limit != null && w.Limit - w.Spent - w.Leased >= back)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Limit, w => w.Limit - back), ct);
        if (taken == 0) return 0;
        if (source is { } s) await db.Wallets.Where(w => w.Id == s && w.Limit != null).ExecuteUpdateAsync(x => x.SetProperty(w => w.Limit, w => w.Limit + back), ct);
        Ledger.AddTransfer(db, at, LedgerKinds.Transfer, source, LedgerAccounts.Budget, grantee, LedgerAccounts.Budget, back, note: note);
        return back;
    }

    /// <summary>The organisation's limit less its direct children's limits; null when it has no limit (unbounded).</summary>
    public static async Task<decimal?> UnallocatedAsync(ControlPlaneDb db, Guid orgWallet, CancellationToken ct)
    {
        var limit = await db.Wallets.AsNoTracking().Where(w => w.Id == orgWallet).Select(w => w.Limit).FirstOrDefaultAsync(ct);
        if (limit is null) return null;
        var children = await db.Wallets.AsNoTracking().Where(w => w.ParentWalletId == orgWallet && w.Limit != null).Select(w => w.Limit!.Value).ToListAsync(ct);
        return limit.Value - children.Sum();
    }

    /// <summary>Locks the wallets in one order (by id), so two transfers in opposite directions never deadlock.</summary>
    private static async Task LockInOrderAsync(ControlPlaneDb db, Guid?[] wallets, CancellationToken ct)
    {
        foreach (var id in wallets.OfType<Guid>().Distinct().Order())
            await Ledger.LockWalletAsync(db, id, ct);
    }
}
