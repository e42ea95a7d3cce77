using ControlPlane.Features.Gateway.Providers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Metering;

/// <summary>
/// A dated price of one provider's model, in USD per million tokens. A new price applies from its
/// <see cref="EffectiveFrom"/>; calls before it keep the price they were made at. Rows are never edited.
/// </summary>
public sealed class Price
{
    public Guid Id { get; set; }
    public Guid ProviderId { get; set; }
    public required string UpstreamModel { get; set; }
    public DateTime EffectiveFrom { get; set; }
    public decimal InputPerMillion { get; set; }
    public decimal CachedInputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
}

internal sealed class PriceConfiguration : IEntityTypeConfiguration<Price>
{
    public void Configure(EntityTypeBuilder<Price> price)
    {
        price.ToTable("prices");
        price.HasKey(p => p.Id);
        price.Property(p => p.UpstreamModel).HasMaxLength(200);
        price.Property(p => p.CreatedBy).HasMaxLength(320);
        price.Property(p => p.InputPerMillion).HasPrecision(18, 6);
        price.Property(p => p.CachedInputPerMillion).HasPrecision(18, 6);
        price.Property(p => p.OutputPerMillion).HasPrecision(18, 6);
        price.HasIndex(p => new { p.ProviderId, p.UpstreamModel, p.EffectiveFrom }).IsUnique();
        price.HasOne<Provider>().WithMany().HasForeignKey(p => p.ProviderId).OnDelete(DeleteBehavior.Restrict);
    }
}
