using ControlPlane.Features.Gateway;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// Holds a call's worst case against every limited wallet up the key's chain (key, team, parent teams,
/// organisation), from this node's budget leases. If any wallet cannot cover it, nothing is held and the call is
/// refused with that wallet's numbers, or sent to a cheaper alias, or let through with a warning, as the wallet's
/// exhaustion policy says.
/// </summary>
public sealed class WalletSpendGuard(WalletBook book, BudgetLeases leases, WalletStandings standings) : ISpendGuard
{
    private sealed record Parts(IReadOnlyList<WalletInfo> Chain, BudgetLeases.HoldPart[] Held);

    public async ValueTask<(Hold? Hold, HoldRefusal? Refusal)> HoldAsync(KeyEntry key, decimal worstCase, CancellationToken ct)
    {
        var chain = book.ChainFor(key.Id, key.TeamId, key.ProjectId);
        var held = new List<BudgetLeases.HoldPart>(chain.Count);
        try
        {
            foreach (var wallet in chain)
            {
                // Warn-only wallets are not held (they may go over); the wallets above them still are.
                if (!wallet.Limited || wallet.ExhaustionPolicy == ExhaustionPolicies.WarnOnly) continue;
                if (await leases.TryHoldAsync(wallet, worstCase, ct) is { } part)
                {
                    held.Add(part);
                    continue;
                }
                ReleaseAll(held);
                return (null, await RefusalAsync(wallet, wallet.ShownTo(key), worstCase, ct));
            }
        }
        catch
        {
            ReleaseAll(held); // the client left or the database failed half-way: nothing stays held
            throw;
        }
        return (new Hold(worstCase, new Parts(chain, [.. held])), null);
    }

    private static void ReleaseAll(List<BudgetLeases.HoldPart> held)
    {
        foreach (var part in held) BudgetLeases.Release(part, 0);
        held.Clear();
    }

    public async ValueTask<bool> TopUpAsync(Hold hold, decimal extra, CancellationToken ct)
    {
        if (extra <= 0 || hold.State is not Parts { Held.Length: > 0 } parts) return true; // nothing limited is held
        var taken = new List<(int Index, BudgetLeases.HoldPart Part)>(parts.Held.Length);
        try
        {
            for (var i = 0; i < parts.Held.Length; i++)
            {
                var part = parts.Held[i];
                var wallet = parts.Chain.First(w => w.Id == part.Lease.WalletId);
                var more = await leases.TryHoldAsync(wallet, extra, ct);
                // Only from the same lease: the part is settled as one, against the lease it came from.
                if (more is { } same && same.LeaseId == part.LeaseId)
                {
                    taken.Add((i, same));
                    continue;
                }
                if (more is { } other) BudgetLeases.Release(other, 0);
                foreach (var (_, t) in taken) BudgetLeases.Release(t, 0);
                return false;
            }
        }
        catch
        {
            foreach (var (_, t) in taken) BudgetLeases.Release(t, 0);
            throw;
        }
        foreach (var (i, more) in taken) parts.Held[i] = BudgetLeases.Combine(parts.Held[i], more);
        return true;
    }

    public IReadOnlyList<WalletCharge> Settle(KeyEntry key, Hold? hold, decimal actualCost)
    {
        var parts = hold?.State as Parts;
        foreach (var part in parts?.Held ?? []) BudgetLeases.Release(part, actualCost);
        if (actualCost <= 0) return [];
        var chain = parts?.Chain ?? book.ChainFor(key.Id, key.TeamId, key.ProjectId);
        var charges = new WalletCharge[chain.Count];
        for (var i = 0; i < chain.Count; i++)
        {
            Guid? lease = null;
            foreach (var part in parts?.Held ?? [])
                if (part.Lease.WalletId == chain[i].Id) lease = part.LeaseId;
            charges[i] = new WalletCharge(chain[i].Id, lease, actualCost);
        }
        return charges;
    }

    public BudgetView? Remaining(KeyEntry key)
    {
        BudgetView? tightest = null;
        foreach (var wallet in book.ChainFor(key.Id, key.TeamId, key.ProjectId))
        {
            // Only wallets the key's holder may see: a parent team's or the organisation's money is not theirs to read.
            if (wallet.Ceiling is not { } ceiling || !wallet.ShownTo(key)) continue;
            var remaining = Math.Max(0, ceiling - wallet.Spent);
            if (tightest is null || remaining < tightest.Value.Remaining) tightest = new BudgetView(wallet.Name, remaining);
        }
        return tightest;
    }

    /// <summary>
    /// The refusal with the wallet's numbers as the database has them now (the book's may be seconds old); for a
    /// wallet the key's holder may not see (<paramref name="shown"/> false), its name and reset time only. For a wallet
    /// they may see, a suggested transfer: enough for this call and then some (a tenth of the limit, at least 1 USD),
    /// in whole dollars, which the 402's request_transfer link pre-fills on the Transfers page.
    /// </summary>
    private async Task<HoldRefusal> RefusalAsync(WalletInfo wallet, bool shown, decimal worstCase, CancellationToken ct)
    {
        if (!shown)
        {
            var resets = wallet.PeriodEndsAt;
            var told = $"The budget of '{wallet.Name}' cannot cover this call"
                + (resets is { } r ? $" this period (it resets {r:yyyy-MM-dd HH:mm} UTC)." : ".")
                + $" Ask a finance admin for a budget transfer to '{wallet.Name}' on the Transfers page (request_transfer).";
            return new HoldRefusal(wallet.Name, 0, 0, 0, resets, told,
                wallet.ExhaustionPolicy == ExhaustionPolicies.Downgrade ? wallet.DowngradeAlias : null, wallet.Id) { Shown = false };
        }
        var now = await standings.ReadAsync(wallet.Id, ct);
        var (limit, ceiling, spent, leased) = now is null ? (wallet.Limit ?? 0, wallet.Ceiling, wallet.Spent, wallet.Leased) : (now.Limit ?? 0, now.Ceiling, now.Spent, now.Leased);
        var available = Math.Max(0, (ceiling ?? 0) - spent - leased);
        var ends = now?.PeriodEndsAt ?? wallet.PeriodEndsAt;
        var message = $"The budget of '{wallet.Name}' cannot cover this call: {spent:0.####} of {limit:0.####} USD spent"
            + (leased > 0 ? $" and {leased:0.####} held for calls in flight" : "")
            + (ends is { } e ? $" this period (it resets {e:yyyy-MM-dd HH:mm} UTC)." : ".")
            + " To get more, a team lead or finance admin requests a budget transfer (request_transfer opens the request, pre-filled)"
            + " and a finance admin approves it on the Transfers page.";
        var suggested = decimal.Ceiling(Math.Max(Math.Max(worstCase - available, limit / 10m), 1m));
        return new HoldRefusal(wallet.Name, limit, spent, available, ends, message,
            wallet.ExhaustionPolicy == ExhaustionPolicies.Downgrade ? wallet.DowngradeAlias : null, wallet.Id, leased, ceiling) { SuggestedTransfer = suggested };
    }
}
