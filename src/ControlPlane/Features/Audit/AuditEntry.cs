using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Audit;

/// <summary>
/// One admin action in the audit chain. Each entry's <see cref="Hash"/> is an HMAC (under the chain key named by
/// <see cref="KeyId"/>, see AuditChainKeys) of its own fields and the previous entry's hash, so editing or deleting
/// any entry breaks every hash after it, and nobody without the key can re-hash the rest.
/// </summary>
public sealed class AuditEntry
{
    public long Sequence { get; set; }
    public DateTime At { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public required string Target { get; set; }
    public required string Details { get; set; }
    public required string PreviousHash { get; set; }
    public required string Hash { get; set; }
    /// <summary>The chain key's id; null on entries made before the chain was keyed (plain SHA-256).</summary>
    public string? KeyId { get; set; }
    /// <summary>
    /// Which fields the hash covers: 1 (entries made before 20261201105000) the fields above; 2 also
    /// <see cref="Before"/> and <see cref="After"/> (docs/audit-verify.md gives the exact input).
    /// </summary>
    public int HashVersion { get; set; } = AuditLog.CurrentHashVersion;
    /// <summary>The changed entities as they were (JSON, secrets redacted; see AuditChanges); null when none.</summary>
    public string? Before { get; set; }
    /// <summary>The changed entities as they became (JSON, secrets redacted); null when none.</summary>
    public string? After { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.ToTable("audit_entries");
        // The sequence is assigned by the chain, not the database: two nodes appending at once collide on the
        // key and the loser re-reads the head and retries, so the chain never forks.
        entry.HasKey(e => e.Sequence);
        entry.Property(e => e.Sequence).ValueGeneratedNever();
        entry.Property(e => e.Actor).HasMaxLength(320);
        entry.Property(e => e.Action).HasMaxLength(64);
        entry.Property(e => e.Target).HasMaxLength(200);
        entry.Property(e => e.Details).HasMaxLength(4000);
        entry.Property(e => e.PreviousHash).HasMaxLength(64);
        entry.Property(e => e.Hash).HasMaxLength(64);
        entry.Property(e => e.KeyId).HasMaxLength(16);
        entry.Property(e => e.HashVersion).HasDefaultValue(1).ValueGeneratedNever();
        entry.HasIndex(e => e.At);
    }
}
