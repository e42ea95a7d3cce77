namespace ControlPlane.Features.Notifications;

/// <summary>
/// What chat apps (the Slack app's slash commands and approval buttons) may ask of budget transfers, as the person the
/// chat user is mapped to. The transfers feature implements it with the same rights checks as its page; chat code
/// never touches the ledger itself.
/// </summary>
public interface ITransferDesk
{
    /// <summary>The wallets this person's teams spend from, with this period's numbers (Slack's <c>/ai-budget</c>).</summary>
    Task<IReadOnlyList<DeskBalance>> BalancesAsync(Guid userId, CancellationToken cancellationToken = default);

    /// <summary>Requests a top-up of the person's own team wallet (Slack's <c>/ai-request 200 reason…</c>).</summary>
    Task<DeskOutcome> RequestAsync(Guid userId, decimal amount, string reason, CancellationToken cancellationToken = default);

    /// <summary>Approves a pending transfer as this person (a FinanceAdmin who did not request it).</summary>
    Task<DeskOutcome> ApproveAsync(Guid userId, Guid transferId, string? comment, CancellationToken cancellationToken = default);

    /// <summary>Rejects a pending transfer as this person.</summary>
    Task<DeskOutcome> RejectAsync(Guid userId, Guid transferId, string? comment, CancellationToken cancellationToken = default);
}

/// <summary>One wallet's standing for a chat reply: money is decimal, in the organisation's currency.</summary>
public sealed record DeskBalance(Guid WalletId, string Wallet, decimal Limit, decimal Spent, decimal Remaining, DateTime ResetsAt);

/// <summary>
/// What happened, in one line a person can read in chat; <paramref name="TransferId"/> when one was made or changed, and
/// its <paramref name="State"/> after a decision (Approved, Rejected, or still Pending awaiting a second approver).
/// </summary>
public sealed record DeskOutcome(bool Succeeded, string Message, Guid? TransferId = null, string? State = null);
