using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// What the health poller last concluded about one enabled provider: its state, since when it has been in it, and the
/// last error in words (the classified probe failure or the gateway's own failures; never a key or a raw exception).
/// One row per provider, written by the poller (once per cluster) and read by every node into its
/// <see cref="ProviderHealthBoard"/>.
/// </summary>
public sealed class ProviderHealthRecord
{
    public Guid ProviderId { get; set; }
    public required string State { get; set; }
    public DateTime Since { get; set; }
    public DateTime CheckedAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>Probes that failed in a row; two make a provider Down (<see cref="ProviderHealthRules"/>).</summary>
    public int ConsecutiveFailures { get; set; }
    public int? ProbeMs { get; set; }
    /// <summary>The gateway's calls served by the provider in the poller's window, and how many of them the provider failed.</summary>
    public int RecentCalls { get; set; }
    public int RecentFailures { get; set; }
}

public static class ProviderHealthStates
{
    public const string Healthy = "healthy";
    public const string Degraded = "degraded";
    public const string Down = "down";
}

internal sealed class ProviderHealthRecordConfiguration : IEntityTypeConfiguration<ProviderHealthRecord>
{
    public void Configure(EntityTypeBuilder<ProviderHealthRecord> health)
    {
        health.ToTable("provider_health");
        health.HasKey(h => h.ProviderId);
        health.Property(h => h.State).HasMaxLength(16);
        health.Property(h => h.LastError).HasMaxLength(ProviderHealthRules.ErrorMax);
        health.HasOne<Provider>().WithMany().HasForeignKey(h => h.ProviderId).OnDelete(DeleteBehavior.Cascade);
    }
}
