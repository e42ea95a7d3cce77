using ControlPlane.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.People;

/// <summary>
/// A one-time sign-in link (the first Owner, break-glass access): only the SHA-256 of its 256-bit token is stored, so
/// whoever reads the database or a backup cannot use it. Consumed at most once, before it expires.
/// </summary>
public sealed class SignInLink
{
    public Guid Id { get; set; }
    /// <summary>Lowercase hex SHA-256 of the token the link carries.</summary>
    [AuditSecret]
    public required string TokenHash { get; set; }
    public Guid UserId { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class SignInLinkConfiguration : IEntityTypeConfiguration<SignInLink>
{
    public void Configure(EntityTypeBuilder<SignInLink> link)
    {
        link.ToTable("sign_in_links");
        link.HasKey(l => l.Id);
        link.Property(l => l.TokenHash).HasMaxLength(64);
        link.Property(l => l.CreatedBy).HasMaxLength(200);
        link.HasIndex(l => l.TokenHash).IsUnique();
        link.HasIndex(l => l.UserId);
        link.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
