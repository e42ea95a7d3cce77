using ControlPlane.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.People.Scim;

/// <summary>
/// The bearer token an identity provider presents to /scim/v2. Only its SHA-256 hash is stored; the plaintext is shown
/// once at creation. <see cref="Prefix"/> is its visible, non-secret start, so a person can tell tokens apart.
/// </summary>
public sealed class ScimToken
{
    public Guid Id { get; set; }
    /// <summary>The configured identity provider (a key under Auth:Oidc or Auth:Saml) this token speaks for.</summary>
    public required string Provider { get; set; }
    public required string Prefix { get; set; }
    [AuditSecret]
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }
}

internal sealed class ScimTokenConfiguration : IEntityTypeConfiguration<ScimToken>
{
    public void Configure(EntityTypeBuilder<ScimToken> token)
    {
        token.ToTable("scim_tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Provider).HasMaxLength(100);
        token.Property(t => t.Prefix).HasMaxLength(32);
        token.Property(t => t.Hash).HasMaxLength(64);
        token.Property(t => t.CreatedBy).HasMaxLength(320);
        token.Property(t => t.RevokedBy).HasMaxLength(320);
        token.HasIndex(t => t.Hash).IsUnique();
        token.HasIndex(t => t.Provider);
    }
}
