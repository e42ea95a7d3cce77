using ControlPlane.Features.Metering;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace ControlPlane.Features.Reconciliation;

/// <summary>
/// One provider's bill for one UTC day compared with our call log: the totals of both sides, how much of the
/// difference passed the drift threshold, and one <see cref="ReconciliationLine"/> per model (and key, where the bill
/// names our keys). A bill grouped by provider-side project or key counts only the ids that belong to this provider
/// connection (<see cref="Gateway.Providers.Provider.BillingIds"/>) and names the ids that belong to none. Written once by an import or a fetch; a new import of the same day makes a new report.
/// </summary>
public sealed class ReconciliationReport
{
    public Guid Id { get; set; }
    public DateOnly Day { get; set; }
    /// <summary>Our provider's name, as the call log records it.</summary>
    public required string Provider { get; set; }
    /// <summary>The <see cref="BillFormats"/> read, comma-separated when a fetch read a usage and a cost report.</summary>
    public required string Source { get; set; }
    /// <summary>The uploaded file's name, or "api" for a fetch from the provider.</summary>
    public string? FileName { get; set; }
    /// <summary>The bill's currency (ours is USD).</summary>
    public required string Currency { get; set; }
    /// <summary>What the provider billed, in <see cref="Currency"/>; null when the bill had no money (a usage report only).</summary>
    public decimal? TheirCost { get; set; }
    public decimal OurCost { get; set; }
    /// <summary>The sum of the absolute money differences of the lines that drifted.</summary>
    public decimal Drift { get; set; }
    public int DriftLines { get; set; }
    public decimal ThresholdAbsolute { get; set; }
    public decimal ThresholdPercent { get; set; }
    /// <summary>
    /// Provider-side ids (projects, keys, workspaces) on the bill that belong to none of our provider connections, with
    /// what they used: usage that did not go through the gateway. Null when there were none, or the bill has no such grouping.
    /// </summary>
    public string? UnmatchedScopes { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public List<ReconciliationLine> Lines { get; set; } = [];

    public bool Drifted => DriftLines > 0;
}

/// <summary>One model (and key) of a report: what each side counted, and the <see cref="Finding"/> in one word.</summary>
public sealed class ReconciliationLine
{
    public Guid Id { get; set; }
    public Guid ReportId { get; set; }
    public required string Model { get; set; }
    /// <summary>Our key, when the bill is per key (generic CSV with a key column).</summary>
    public Guid? KeyId { get; set; }
    /// <summary>One of <see cref="Findings"/>.</summary>
    public required string Finding { get; set; }
    public bool Drifted { get; set; }
    public long? TheirInputTokens { get; set; }
    public long? TheirOutputTokens { get; set; }
    public long? TheirRequests { get; set; }
    public decimal? TheirCost { get; set; }
    public string? TheirCurrency { get; set; }
    public long OurInputTokens { get; set; }
    public long OurOutputTokens { get; set; }
    public long OurRequests { get; set; }
    public decimal OurCost { get; set; }
    /// <summary>Their cost minus ours (positive: they billed more); null when money cannot be compared.</summary>
    public decimal? Difference { get; set; }
    /// <summary>The finding in words, with the numbers.</summary>
    public required string Note { get; set; }
}

/// <summary>What a line of a reconciliation found.</summary>
public static class Findings
{
    /// <summary>Both sides agree within the threshold.</summary>
    public const string Match = "match";
    /// <summary>The provider billed calls our log does not have.</summary>
    public const string MissingOnOurSide = "missing-ours";
    /// <summary>Our log has calls the provider did not bill.</summary>
    public const string MissingOnTheirSide = "missing-theirs";
    /// <summary>Both have the calls; the money differs beyond the threshold.</summary>
    public const string PriceDifference = "price-difference";
    /// <summary>Both have the calls; the token or request counts differ beyond the threshold (a usage report, no money).</summary>
    public const string UsageDifference = "usage-difference";
    /// <summary>The provider billed a model our price book does not know for it, and our log has no calls of it.</summary>
    public const string UnknownModel = "unknown-model";
    /// <summary>The bill is in another currency than our USD ledger: its money is not compared.</summary>
    public const string CurrencyDifference = "currency-difference";

    public static string Title(string finding) => finding switch
    {
        Match => "Match",
        MissingOnOurSide => "Missing on our side",
        MissingOnTheirSide => "Missing on their side",
        PriceDifference => "Price difference",
        UsageDifference => "Usage difference",
        UnknownModel => "Unknown model",
        CurrencyDifference => "Different currency",
        _ => finding,
    };
}

internal sealed class ReconciliationReportConfiguration : IEntityTypeConfiguration<ReconciliationReport>
{
    public void Configure(EntityTypeBuilder<ReconciliationReport> report)
    {
        report.ToTable("reconciliation_reports");
        report.HasKey(r => r.Id);
        report.Property(r => r.Provider).HasMaxLength(CallText.ProviderNameMax);
        report.Property(r => r.Source).HasMaxLength(100);
        report.Property(r => r.FileName).HasMaxLength(260);
        report.Property(r => r.Currency).HasMaxLength(3);
        report.Property(r => r.CreatedBy).HasMaxLength(320);
        report.Property(r => r.UnmatchedScopes).HasMaxLength(2000);
        report.Property(r => r.TheirCost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        report.Property(r => r.OurCost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        report.Property(r => r.Drift).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        report.Property(r => r.ThresholdAbsolute).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        report.Property(r => r.ThresholdPercent).HasPrecision(9, 4);
        report.Ignore(r => r.Drifted);
        report.HasMany(r => r.Lines).WithOne().HasForeignKey(l => l.ReportId).OnDelete(DeleteBehavior.Cascade);
        // The page lists the newest first; the job and the page look a provider's day up.
        report.HasIndex(r => r.CreatedAt);
        report.HasIndex(r => new { r.Provider, r.Day });
    }
}

internal sealed class ReconciliationLineConfiguration : IEntityTypeConfiguration<ReconciliationLine>
{
    public void Configure(EntityTypeBuilder<ReconciliationLine> line)
    {
        line.ToTable("reconciliation_lines");
        line.HasKey(l => l.Id);
        line.Property(l => l.Model).HasMaxLength(CallText.ModelMax);
        line.Property(l => l.Finding).HasMaxLength(32);
        line.Property(l => l.TheirCurrency).HasMaxLength(3);
        line.Property(l => l.Note).HasMaxLength(1000);
        line.Property(l => l.TheirCost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        line.Property(l => l.OurCost).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        line.Property(l => l.Difference).HasPrecision(MoneyScale.Precision, MoneyScale.Scale);
        line.HasIndex(l => l.ReportId);
    }
}
