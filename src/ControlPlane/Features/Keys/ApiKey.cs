using ControlPlane.Features.Audit;
using ControlPlane.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Keys;

/// <summary>
/// A virtual API key that callers present to the gateway. Only its SHA-256 hash is stored; the plaintext is
/// shown once at creation. <see cref="Prefix"/> is the visible, non-secret start of the key (cp-live-ab12cd34).
/// </summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid TeamId { get; set; }
    /// <summary>The team's project the key is filed under, if any (its budget then counts too).</summary>
    public Guid? ProjectId { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    [AuditSecret]
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    /// <summary>Calls this key may make per minute; null: no limit (see Features/Limits).</summary>
    public int? RequestsPerMinute { get; set; }
    /// <summary>Tokens (estimated input + max output) this key may ask for per minute; null: no limit.</summary>
    public int? TokensPerMinute { get; set; }
    /// <summary>This key's own per-caller call ceiling over the configured window; null: the configured default.</summary>
    public int? CallerCeilingCalls { get; set; }

    public ApiKeyStatus StatusAt(DateTime now) =>
        RevokedAt is not null ? ApiKeyStatus.Revoked
        : ExpiresAt is { } expiry && expiry <= now ? ApiKeyStatus.Expired
        : ApiKeyStatus.Active;
}

public enum ApiKeyStatus { Active, Expired, Revoked }

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> key)
    {
        key.ToTable("api_keys");
        key.HasKey(k => k.Id);
        key.Property(k => k.Name).HasMaxLength(100);
        key.Property(k => k.Prefix).HasMaxLength(32);
        key.Property(k => k.Hash).HasMaxLength(64);
        key.Property(k => k.CreatedBy).HasMaxLength(320);
        key.Property(k => k.RevokedBy).HasMaxLength(320);
        key.HasIndex(k => k.Hash).IsUnique();
        key.HasIndex(k => k.Prefix).IsUnique();
        key.HasIndex(k => k.TeamId);
        key.HasOne<Team>().WithMany().HasForeignKey(k => k.TeamId).OnDelete(DeleteBehavior.Restrict);
        // No foreign key: SQLite cannot add one to an existing table without a rebuild; ProjectService checks it.
        key.HasIndex(k => k.ProjectId);
    }
}
