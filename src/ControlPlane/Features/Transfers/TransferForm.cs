namespace ControlPlane.Features.Transfers;

/// <summary>A transfer request as someone fills it in (the New request dialog, the API, a chat command).</summary>
public sealed class TransferForm
{
    /// <summary>Null: a top-up from the organisation's unallocated budget.</summary>
    public Guid? FromWalletId { get; set; }
    public Guid ToWalletId { get; set; }
    public decimal Amount { get; set; }
    public string Reason { get; set; } = "";
    /// <summary>When the granted budget flows back (UTC); null: it stays.</summary>
    public DateTime? GrantExpiresAt { get; set; }

    public const int MaxReasonLength = 500;
    public const decimal MaxAmount = 1_000_000_000m;

    /// <summary>What is wrong with the form itself, or null.</summary>
    public string? Problem(DateTime now)
    {
        if (ToWalletId == Guid.Empty) return "Choose the wallet that gets the budget.";
        if (FromWalletId == ToWalletId) return "The source and the destination are the same wallet.";
        if (Amount <= 0 || Amount > MaxAmount) return "The amount is more than 0 and at most 1,000,000,000 USD.";
        if (decimal.Round(Amount, 2) != Amount) return "The amount is in whole cents (two decimals at most).";
        if (string.IsNullOrWhiteSpace(Reason) || Reason.Trim().Length < 3) return "Say why the budget is needed (a few words at least).";
        if (Reason.Length > MaxReasonLength) return $"The reason is at most {MaxReasonLength} characters.";
        if (GrantExpiresAt is { } until && until.ToUniversalTime() <= now) return "The grant's expiry must be in the future.";
        return null;
    }
}
