using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// One leg of a double-entry ledger transaction. Every transaction's legs sum to zero. A wallet has two accounts:
/// <c>spent</c> (this period's spend) and <c>held</c> (budget leased to nodes, not yet spent); the counter-accounts
/// are the organisation's <c>provider</c> (money owed for usage), <c>budget</c> (unallocated budget) and
/// <c>closed</c> (spend of ended periods). Rows are appended, never changed.
/// </summary>
public sealed class LedgerEntry
{
    public Guid Id { get; set; }
    public Guid TransactionId { get; set; }
    public DateTime At { get; set; }
    /// <summary>The wallet whose account this leg moves; null for the organisation's counter-accounts.</summary>
    public Guid? WalletId { get; set; }
    public required string Account { get; set; }
    public required string Kind { get; set; }
    public decimal Amount { get; set; }
    public Guid? CallId { get; set; }
    public Guid? LeaseId { get; set; }
    public string? Note { get; set; }
}

public static class LedgerAccounts
{
    public const string Spent = "spent";
    public const string Held = "held";
    public const string Provider = "provider";
    public const string Budget = "budget";
    public const string Closed = "closed";
}

public static class LedgerKinds
{
    public const string Charge = "charge";
    public const string Hold = "hold";
    public const string Release = "release";
    public const string Transfer = "transfer";
    public const string Reset = "reset";
    public const string TopUp = "top-up";
    public const string Adjustment = "adjustment";
}

internal sealed class LedgerEntryConfiguration : IEntityTypeConfiguration<LedgerEntry>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> entry)
    {
        entry.ToTable("ledger_entries");
        entry.HasKey(e => e.Id);
        entry.Property(e => e.Account).HasMaxLength(16);
        entry.Property(e => e.Kind).HasMaxLength(16);
        entry.Property(e => e.Amount).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        entry.Property(e => e.Note).HasMaxLength(300);
        entry.HasIndex(e => new { e.WalletId, e.Account });
        entry.HasIndex(e => e.TransactionId);
        entry.HasIndex(e => e.At);
    }
}
