using ControlPlane.Features.Metering;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Experiments;

/// <summary>
/// Sends a sample of matching calls, after their answer was served, to a second alias as well, to compare answers and
/// cost without the caller waiting or paying: the shadow call is held and settled against the wallets of
/// <see cref="BillingKeyId"/> (a key of a "shadow" team or project whose wallet pays for testing).
/// </summary>
public sealed class ShadowTest
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Model { get; set; }
    public Guid? TeamId { get; set; }
    public Guid? ProjectId { get; set; }
    public string? Tag { get; set; }
    public required string ShadowAlias { get; set; }
    /// <summary>Share of matching calls shadowed, in percent (0–100).</summary>
    public decimal SamplePercent { get; set; }
    /// <summary>Shadow calls in flight at most, per node; a call over it is dropped and counted.</summary>
    public int MaxConcurrent { get; set; }
    public Guid BillingKeyId { get; set; }
    public bool Enabled { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One shadowed call: the primary answer and the shadow's, side by side, and how far they agree.</summary>
public sealed class ShadowResult
{
    public Guid Id { get; set; }
    public Guid ShadowTestId { get; set; }
    public Guid CallId { get; set; }
    /// <summary>The shadow call's own row in the call log (billed to the shadow key).</summary>
    public Guid ShadowCallId { get; set; }
    public DateTime At { get; set; }
    public decimal PrimaryCost { get; set; }
    public int PrimaryLatencyMs { get; set; }
    public long PrimaryInputTokens { get; set; }
    public long PrimaryOutputTokens { get; set; }
    public decimal ShadowCost { get; set; }
    public int ShadowLatencyMs { get; set; }
    public long ShadowInputTokens { get; set; }
    public long ShadowOutputTokens { get; set; }
    public int ShadowStatus { get; set; }
    public string? ShadowError { get; set; }
    public bool ExactMatch { get; set; }
    public bool NormalisedMatch { get; set; }
    /// <summary>Share of the JSON fields that agree, when both answers are JSON objects; else null.</summary>
    public decimal? JsonFieldMatch { get; set; }
    /// <summary>The verdict: every JSON field equal for structured answers, else the normalised texts equal.</summary>
    public bool Matched { get; set; }
}

internal sealed class ShadowTestConfiguration : IEntityTypeConfiguration<ShadowTest>
{
    public void Configure(EntityTypeBuilder<ShadowTest> shadow)
    {
        shadow.ToTable("shadow_tests");
        shadow.HasKey(s => s.Id);
        shadow.Property(s => s.Name).HasMaxLength(100);
        shadow.Property(s => s.Model).HasMaxLength(CallText.ModelMax);
        shadow.Property(s => s.Tag).HasMaxLength(100);
        shadow.Property(s => s.ShadowAlias).HasMaxLength(CallText.ModelMax);
        shadow.Property(s => s.SamplePercent).HasPrecision(9, 4);
    }
}

internal sealed class ShadowResultConfiguration : IEntityTypeConfiguration<ShadowResult>
{
    public void Configure(EntityTypeBuilder<ShadowResult> result)
    {
        result.ToTable("shadow_results");
        result.HasKey(r => r.Id);
        result.Property(r => r.PrimaryCost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        result.Property(r => r.ShadowCost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        result.Property(r => r.ShadowError).HasMaxLength(CallText.ErrorClassMax);
        result.Property(r => r.JsonFieldMatch).HasPrecision(9, 4);
        result.HasOne<ShadowTest>().WithMany().HasForeignKey(r => r.ShadowTestId).OnDelete(DeleteBehavior.Cascade);
        result.HasIndex(r => new { r.ShadowTestId, r.At });
    }
}
