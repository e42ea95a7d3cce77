using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Wallets;

/// <summary>
/// A threshold crossed, a wallet exhausted, or a lease overshot: raised once per wallet, kind, threshold and period (a
/// unique index makes "once" hold across nodes; overshoot events use their ordinal in the period as the threshold). Notifications send them; the dashboard lists them.
/// </summary>
public sealed class WalletEvent
{
    public Guid Id { get; set; }
    public Guid WalletId { get; set; }
    public required string Kind { get; set; }
    public int Threshold { get; set; }
    public DateTime PeriodStart { get; set; }
    public DateTime At { get; set; }
    public required string Message { get; set; }
}

public static class WalletEventKinds
{
    public const string Threshold = "threshold";
    public const string Exhausted = "exhausted";
    /// <summary>A lease's use passed its grant (calls cost more than held); <see cref="WalletEvent.Threshold"/> numbers them within the period.</summary>
    public const string Overshoot = "overshoot";
}

internal sealed class WalletEventConfiguration : IEntityTypeConfiguration<WalletEvent>
{
    public void Configure(EntityTypeBuilder<WalletEvent> e)
    {
        e.ToTable("wallet_events");
        e.HasKey(x => x.Id);
        e.Property(x => x.Kind).HasMaxLength(16);
        e.Property(x => x.Message).HasMaxLength(300);
        e.HasIndex(x => new { x.WalletId, x.Kind, x.Threshold, x.PeriodStart }).IsUnique();
        e.HasIndex(x => x.At);
        e.HasOne<Wallet>().WithMany().HasForeignKey(x => x.WalletId).OnDelete(DeleteBehavior.Cascade);
    }
}
