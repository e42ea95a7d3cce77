using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Features.Wallets;

/// <summary>Writes balanced ledger transactions: two legs that sum to zero.</summary>
public static class Ledger
{
    /// <summary>
    /// Moves <paramref name="amount"/> into (<paramref name="toWallet"/>, <paramref name="toAccount"/>) out of
    /// (<paramref name="fromWallet"/>, <paramref name="fromAccount"/>); a negative amount moves it back.
    /// </summary>
    public static Guid AddTransfer(ControlPlaneDb db, DateTime at, string kind, Guid? toWallet, string toAccount, Guid? fromWallet, string fromAccount,
        decimal amount, Guid? callId = null, Guid? leaseId = null, string? note = null)
    {
        var transaction = Guid.CreateVersion7();
        db.LedgerEntries.Add(new LedgerEntry { Id = Guid.CreateVersion7(), TransactionId = transaction, At = at, WalletId = toWallet, Account = toAccount, Kind = kind, Amount = amount, CallId = callId, LeaseId = leaseId, Note = note });
        db.LedgerEntries.Add(new LedgerEntry { Id = Guid.CreateVersion7(), TransactionId = transaction, At = at, WalletId = fromWallet, Account = fromAccount, Kind = kind, Amount = -amount, CallId = callId, LeaseId = leaseId, Note = note });
        return transaction;
    }
}
