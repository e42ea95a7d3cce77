using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Infrastructure.Api;

/// <summary>
/// A create sent with an <c>Idempotency-Key</c>: who sent it, a hash of what was sent, and the answer (encrypted: a
/// create may answer with a secret shown once). <see cref="StatusCode"/> 0 while the first request is still running.
/// Kept for <see cref="Idempotency.Kept"/>.
/// </summary>
public sealed class IdempotencyRecord
{
    public Guid Id { get; set; }
    /// <summary>The admin token or person that sent it: one caller's keys never collide with another's.</summary>
    public required string Owner { get; set; }
    public required string Key { get; set; }
    public required string RequestHash { get; set; }
    public int StatusCode { get; set; }
    public string? ResponseBody { get; set; }
    public string? Location { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> record)
    {
        record.ToTable("idempotency_records");
        record.HasKey(r => r.Id);
        record.Property(r => r.Owner).HasMaxLength(100);
        record.Property(r => r.Key).HasMaxLength(200);
        record.Property(r => r.RequestHash).HasMaxLength(64);
        record.Property(r => r.Location).HasMaxLength(400);
        record.HasIndex(r => new { r.Owner, r.Key }).IsUnique();
        record.HasIndex(r => r.CreatedAt);
    }
}
