using ControlPlane.Features.Keys;
using ControlPlane.Features.Metering;

namespace ControlPlane.Features.Gateway;

/// <summary>A reservation of a call's worst-case cost against every wallet that must cover it.</summary>
public sealed record Hold(decimal Amount, object? State = null);

/// <summary>
/// Why a hold was refused, for the 402 body: which wallet, where it stands, and (with the Downgrade policy) the
/// cheaper alias the call may go to instead. <see cref="Leased"/> is what gateway nodes hold of it for calls in
/// flight; <see cref="Available"/> = <see cref="Ceiling"/> − <see cref="Spent"/> − <see cref="Leased"/>.
/// </summary>
public sealed record HoldRefusal(string WalletName, decimal Limit, decimal Spent, decimal Available, DateTime? PeriodEndsAt, string Message, string? DowngradeTo = null,
    Guid? WalletId = null, decimal Leased = 0, decimal? Ceiling = null)
{
    /// <summary>
    /// Whether the key's holder may see the wallet's numbers (its own key's, project's or team's wallet). False for a
    /// parent team's or the organisation's: the 402 names the wallet and when it resets, never its limit or spend.
    /// </summary>
    public bool Shown { get; init; } = true;

    /// <summary>How much budget to ask for (USD), pre-filled in the transfer request the 402 links to; null: none suggested.</summary>
    public decimal? SuggestedTransfer { get; init; }
}

/// <summary>What the tightest wallet of a key that its holder may see has left, for the response headers.</summary>
public readonly record struct BudgetView(string WalletName, decimal Remaining);

/// <summary>
/// The hot path's money step (DESIGN "Hold" and "Settle"): hold the worst case before relaying, settle the real cost
/// after. Settling is in memory; the charges it returns are written with the call's row.
/// </summary>
public interface ISpendGuard
{
    ValueTask<(Hold? Hold, HoldRefusal? Refusal)> HoldAsync(KeyEntry key, decimal worstCase, CancellationToken ct);

    /// <summary>
    /// Holds <paramref name="extra"/> more on every wallet of <paramref name="hold"/>, from the leases it came from, all
    /// or nothing: what a call needs before it fails over after an attempt that was charged. False: nothing changed.
    /// </summary>
    ValueTask<bool> TopUpAsync(Hold hold, decimal extra, CancellationToken ct);

    IReadOnlyList<WalletCharge> Settle(KeyEntry key, Hold? hold, decimal actualCost);

    BudgetView? Remaining(KeyEntry key);
}
