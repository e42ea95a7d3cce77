using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// A slice of a wallet's budget granted to one node. The node spends it in memory; <see cref="Used"/> grows as its
/// charges are written; what is left goes back when the node returns the lease, or when it expires because the node
/// stopped renewing it (a crashed node's budget comes back by itself).
/// </summary>
public sealed class BudgetLease
{
    public Guid Id { get; set; }
    public Guid WalletId { get; set; }
    public required string Node { get; set; }
    public decimal Granted { get; set; }
    public decimal Used { get; set; }
    public DateTime GrantedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? ReturnedAt { get; set; }
    /// <summary>
    /// Closed by expiry, not by its node: the sweep released all that was not yet charged, so charges that arrive
    /// later for it add to spend without reducing the wallet's leased total a second time.
    /// </summary>
    public bool Swept { get; set; }
}

internal sealed class BudgetLeaseConfiguration : IEntityTypeConfiguration<BudgetLease>
{
    public void Configure(EntityTypeBuilder<BudgetLease> lease)
    {
        lease.ToTable("budget_leases");
        lease.HasKey(l => l.Id);
        lease.Property(l => l.Node).HasMaxLength(100);
        lease.Property(l => l.Granted).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        lease.Property(l => l.Used).HasPrecision(Metering.MoneyScale.Precision, Metering.MoneyScale.Scale);
        lease.HasIndex(l => new { l.WalletId, l.ReturnedAt });
        lease.HasIndex(l => l.ExpiresAt);
        lease.HasOne<Wallet>().WithMany().HasForeignKey(l => l.WalletId).OnDelete(DeleteBehavior.Restrict);
    }
}
