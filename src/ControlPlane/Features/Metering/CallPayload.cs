using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Metering;

/// <summary>
/// The prompt and completion of one call, kept only for teams that asked for it (Team.KeepPayloadsDays) and removed
/// when <see cref="ExpiresAt"/> passes.
/// </summary>
public sealed class CallPayload
{
    public Guid CallId { get; set; }
    public required string Request { get; set; }
    public required string Response { get; set; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class CallPayloadConfiguration : IEntityTypeConfiguration<CallPayload>
{
    public void Configure(EntityTypeBuilder<CallPayload> payload)
    {
        payload.ToTable("call_payloads");
        payload.HasKey(p => p.CallId);
        payload.HasIndex(p => p.ExpiresAt);
    }
}
