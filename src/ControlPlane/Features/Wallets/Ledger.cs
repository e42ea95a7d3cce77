using ControlPlane.Infrastructure.Data;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Features.Wallets;

/// <summary>Writes balanced ledger transactions: two legs that sum to zero.</summary>
public static class Ledger
{
    /// <summary>SQL Server's wallet lock; {0} is the wallet id (a parameter).</summary>
    internal const string SqlServerWalletLock = "SELECT 1 FROM wallets WITH (UPDLOCK, ROWLOCK) WHERE id = {0}";

    /// <summary>
    /// Takes the wallet row's lock first. Every transaction that touches a wallet and its leases does this, so all
    /// take their locks in the same order (wallet, then lease) and two nodes can never deadlock on them.
    /// </summary>
    /// <remarks>
    /// PostgreSQL and SQLite: a no-op UPDATE of the row (a row lock held to the end of the transaction; SQLite's
    /// single writer). SQL Server: an update lock on the row (UPDLOCK, ROWLOCK), also held to the end of the
    /// transaction; it excludes other update locks and every writer, and this transaction's own UPDATEs convert it to
    /// an exclusive lock without the conversion deadlocks that shared locks would risk.
    /// </remarks>
    public static Task LockWalletAsync(ControlPlaneDb db, Guid walletId, CancellationToken ct) =>
        db.Database.IsSqlServer()
            ? db.Database.ExecuteSqlRawAsync(SqlServerWalletLock, [walletId], ct)
            : db.Wallets.Where(w => w.Id == walletId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Leased, w => w.Leased), ct);

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
