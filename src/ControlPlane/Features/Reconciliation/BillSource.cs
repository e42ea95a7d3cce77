using ControlPlane.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// Where the bills of one of our providers can be fetched: the provider's admin API (OpenAI's organisation API or
/// Anthropic's admin API), its base URL, and an admin key. The key is write-only: encrypted with Data Protection
/// (<see cref="Gateway.Providers.ProviderSecrets"/>), only its last four characters kept in clear, never logged or audited.
/// </summary>
public sealed class BillSource
{
    public Guid Id { get; set; }
    /// <summary>Our provider's name, as the call log records it.</summary>
    public required string Provider { get; set; }
    /// <summary>One of <see cref="BillApis"/>.</summary>
    public required string Api { get; set; }
    public required string BaseUrl { get; set; }
    [AuditSecret]
    public string? EncryptedAdminKey { get; set; }
    public string? AdminKeyHint { get; set; }
    public DateTime UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>The admin APIs bills are fetched from.</summary>
public static class BillApis
{
    public const string OpenAI = "openai";
    public const string Anthropic = "anthropic";

    public static IReadOnlyList<string> All { get; } = [OpenAI, Anthropic];

    public static string DefaultBaseUrl(string api) => api == Anthropic ? "https://api.anthropic.com" : "https://api.openai.com";
}

internal sealed class BillSourceConfiguration : IEntityTypeConfiguration<BillSource>
{
    public void Configure(EntityTypeBuilder<BillSource> source)
    {
        source.ToTable("reconciliation_sources");
        source.HasKey(s => s.Id);
        source.Property(s => s.Provider).HasMaxLength(Metering.CallText.ProviderNameMax);
        source.Property(s => s.Api).HasMaxLength(16);
        source.Property(s => s.BaseUrl).HasMaxLength(500);
        source.Property(s => s.AdminKeyHint).HasMaxLength(100);
        source.Property(s => s.UpdatedBy).HasMaxLength(320);
        source.HasIndex(s => s.Provider).IsUnique();
    }
}
