using ControlPlane.Features.Audit;
using ControlPlane.Features.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.AdminTokens;

/// <summary>
/// A bearer token for the management API (<c>/api/v1</c>): acts as its creator with <see cref="Role"/> (never more than the
/// creator may hand out), optionally only within some teams. Only its SHA-256 hash is stored; the plaintext is shown once.
/// </summary>
public sealed class AdminToken
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The visible, non-secret start (cp_admin_ab12cd34), so a person can tell tokens apart.</summary>
    public required string Prefix { get; set; }
    [AuditSecret]
    public required string Hash { get; set; }
    public required string Role { get; set; }
    /// <summary>Comma-separated team ids the token is limited to; null: every team its role reaches.</summary>
    public string? TeamIds { get; set; }
    public Guid CreatedById { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    public IReadOnlyList<Guid> Teams => TeamIds is null ? [] : [.. TeamIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse)];

    public bool IsActiveAt(DateTime now) => RevokedAt is null && ExpiresAt > now;
}

internal sealed class AdminTokenConfiguration : IEntityTypeConfiguration<AdminToken>
{
    public void Configure(EntityTypeBuilder<AdminToken> token)
    {
        token.ToTable("admin_tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Name).HasMaxLength(100);
        token.Property(t => t.Prefix).HasMaxLength(32);
        token.Property(t => t.Hash).HasMaxLength(64);
        token.Property(t => t.Role).HasMaxLength(32);
        token.Property(t => t.TeamIds).HasMaxLength(4000);
        token.Property(t => t.CreatedBy).HasMaxLength(320);
        token.Property(t => t.RevokedBy).HasMaxLength(320);
        token.HasIndex(t => t.Hash).IsUnique();
        token.HasIndex(t => t.Prefix).IsUnique();
        token.HasOne<User>().WithMany().HasForeignKey(t => t.CreatedById).OnDelete(DeleteBehavior.Cascade);
    }
}
