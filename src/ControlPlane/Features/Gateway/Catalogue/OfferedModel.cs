using ControlPlane.Features.Gateway.Providers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Gateway.Catalogue;

/// <summary>
/// A model a provider lists that the catalogue does not route to yet, found by the model list sync. It is only
/// offered: not routable and not priced until an admin accepts it with a price (or dismisses it).
/// </summary>
public sealed class OfferedModel
{
    public Guid Id { get; set; }
    public Guid ProviderId { get; set; }
    public required string UpstreamModel { get; set; }
    public required string Status { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public DateTime? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }
}

public static class OfferedModelStatuses
{
    public const string Offered = "offered";
    public const string Accepted = "accepted";
    public const string Dismissed = "dismissed";
}

internal sealed class OfferedModelConfiguration : IEntityTypeConfiguration<OfferedModel>
{
    public void Configure(EntityTypeBuilder<OfferedModel> offered)
    {
        offered.ToTable("offered_models");
        offered.HasKey(o => o.Id);
        offered.Property(o => o.UpstreamModel).HasMaxLength(200);
        offered.Property(o => o.Status).HasMaxLength(16);
        offered.Property(o => o.DecidedBy).HasMaxLength(200);
        offered.HasIndex(o => new { o.ProviderId, o.UpstreamModel }).IsUnique();
        offered.HasOne<Provider>().WithMany().HasForeignKey(o => o.ProviderId).OnDelete(DeleteBehavior.Cascade);
    }
}
