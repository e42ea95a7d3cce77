using ControlPlane.Features.Keys;

namespace ControlPlane.Features.Gateway;

/// <summary>A reservation of a call's worst-case cost, released at settlement. Wallets decide what it holds.</summary>
public sealed record Hold(Guid Id, decimal Amount, object? State = null);

/// <summary>Why a hold was refused, for the 402 body: which wallet, and where it stands.</summary>
public sealed record HoldRefusal(string WalletName, decimal Balance, decimal Limit, DateTime? PeriodEndsAt, string Message);

/// <summary>
/// The hot path's money step (DESIGN "Hold" and "Settle"): hold the worst case before relaying, settle the real cost
/// after. Until wallets exist nothing is limited; the wallets feature replaces this registration.
/// </summary>
public interface ISpendGuard
{
    ValueTask<(Hold? Hold, HoldRefusal? Refusal)> HoldAsync(KeyEntry key, decimal worstCase, CancellationToken ct);

    ValueTask SettleAsync(KeyEntry key, Hold hold, decimal actualCost);
}

internal sealed class UnlimitedSpend : ISpendGuard
{
    public ValueTask<(Hold? Hold, HoldRefusal? Refusal)> HoldAsync(KeyEntry key, decimal worstCase, CancellationToken ct) =>
        ValueTask.FromResult<(Hold?, HoldRefusal?)>((new Hold(Guid.Empty, worstCase), null));

    public ValueTask SettleAsync(KeyEntry key, Hold hold, decimal actualCost) => ValueTask.CompletedTask;
}
