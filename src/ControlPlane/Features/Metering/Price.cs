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
    /// <summary>Input read from the provider's prompt cache. Set to the input price when none is given.</summary>
    public decimal CachedInputPerMillion { get; set; }
    /// <summary>
    /// Input written to the provider's prompt cache (Anthropic's cache_creation_input_tokens). Null only on prices made
    /// before cache writes had a price of their own: they cost <see cref="PriceRules.CacheWriteOrDefault"/>.
    /// </summary>
    public decimal? CacheWriteInputPerMillion { get; set; }
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
        price.Property(p => p.InputPerMillion).HasPrecision(MoneyScale.PricePrecision, MoneyScale.PriceScale);
        price.Property(p => p.CachedInputPerMillion).HasPrecision(MoneyScale.PricePrecision, MoneyScale.PriceScale);
        price.Property(p => p.CacheWriteInputPerMillion).HasPrecision(MoneyScale.PricePrecision, MoneyScale.PriceScale);
        price.Property(p => p.OutputPerMillion).HasPrecision(MoneyScale.PricePrecision, MoneyScale.PriceScale);
        price.HasIndex(p => new { p.ProviderId, p.UpstreamModel, p.EffectiveFrom }).IsUnique();
        price.HasOne<Provider>().WithMany().HasForeignKey(p => p.ProviderId).OnDelete(DeleteBehavior.Restrict);
    }
}
